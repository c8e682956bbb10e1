// Text formats of the dashboard: numbers, rates, byte sizes, and the names and links of queues and exchanges.
import { enc } from './dom.js';

const numberFormat = new Intl.NumberFormat('en');

export const fmtNum = (n: unknown): string => (typeof n === 'number' ? numberFormat.format(n) : n === undefined || n === null ? '' : String(n));

export function fmtRate(r: unknown, signed = false): string {
  if (typeof r !== 'number' || !Number.isFinite(r)) return '';
  const abs = Math.abs(r);
  const text = abs >= 100 ? numberFormat.format(Math.round(r)) : r.toFixed(abs >= 10 ? 1 : 2);
  return (signed && r > 0 ? '+' : '') + text + '/s';
}

export function fmtBytes(n: unknown): string {
  if (typeof n !== 'number') return '';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return (i === 0 ? String(n) : n.toFixed(1)) + ' ' + units[i];
}

export const exchangeLabel = (name: string): string => (name === '' ? '(AMQP default)' : name);
export const exchangeSegment = (name: string): string => (name === '' ? 'amq.default' : name);
export const queueHref = (vhost: string, name: string): string => '#/queues/' + enc(vhost) + '/' + enc(name);
export const exchangeHref = (vhost: string, name: string): string => '#/exchanges/' + enc(vhost) + '/' + enc(exchangeSegment(name));
export const queueKey = (q: { vhost: string; name: string }): string => JSON.stringify([q.vhost, q.name]);
