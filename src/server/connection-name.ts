// RabbitMQ's rendering of a connection's addresses (`127.0.0.1:45974 -> 127.0.0.1:5672`): its name in the management
// API and in firehose trace headers.
import type { Connection } from './connection.js';

/** RabbitMQ's address rendering: IPv4-mapped IPv6 shown as IPv4, IPv6 in brackets. */
export function hostOf(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function bracketed(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** `127.0.0.1:45974 -> 127.0.0.1:5672`, as RabbitMQ names connections. */
export function connectionName(conn: Connection): string {
  const s = conn.socket;
  return `${bracketed(hostOf(s.remoteAddress))}:${s.remotePort ?? 0} -> ${bracketed(hostOf(s.localAddress))}:${s.localPort ?? 0}`;
}
