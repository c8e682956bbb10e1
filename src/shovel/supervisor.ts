// The broker's dynamic shovels: one Shovel per `shovel` runtime parameter, started, replaced and stopped as the
// parameters change, with RabbitMQ's status rows.
import type { Logger } from 'pino';
import { redactedUri } from '../client/index.js';
import type { Broker, ParameterChange } from '../broker/index.js';
import { parseShovel, ShovelValidationError } from './config.js';
import { Shovel, type LocalBroker, type ShovelState } from './shovel.js';

/** One row of GET /api/shovels (RabbitMQ's fields). */
export type ShovelStatus = {
  node: string;
  timestamp: string;
  name: string;
  vhost: string;
  type: 'dynamic';
  state: ShovelState;
  reason?: string;
  src_uri?: string;
  src_protocol?: string;
  dest_protocol?: string;
  dest_uri?: string;
  src_queue?: string;
  src_exchange?: string;
  src_exchange_key?: string;
  dest_queue?: string;
  dest_exchange?: string;
  dest_exchange_key?: string;
  blocked_status?: string;
};

/** RabbitMQ's status timestamp: local time, `2026-12-07 5:10:39` (hour not zero-padded). */
export function statusTimestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${d.getHours()}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const key = (vhost: string, name: string) => `${vhost}\0${name}`;

/** A parameter that could not be started (e.g. imported with a bad value): listed as terminated with why. */
interface Broken {
  vhost: string;
  name: string;
  reason: string;
  since: Date;
}

export class ShovelSupervisor {
  private readonly shovels = new Map<string, Shovel>();
  private readonly broken = new Map<string, Broken>();
  private closed = false;

  constructor(
    private readonly broker: Broker,
    private readonly local: LocalBroker,
    private readonly log: Logger,
  ) {}

  /** Starts every shovel parameter already there, then follows changes. */
  start(): void {
    for (const p of this.broker.parameters.parameters()) if (p.component === 'shovel') this.set(p.vhost, p.name, p.value);
    this.broker.parameters.onChange((c) => this.changed(c));
  }

  private changed(c: ParameterChange): void {
    if (this.closed) return;
    if (c.op === 'parameter.set' && c.parameter.component === 'shovel') this.set(c.parameter.vhost, c.parameter.name, c.parameter.value);
    else if (c.op === 'parameter.clear' && c.component === 'shovel') this.remove(c.vhost, c.name);
  }

  private set(vhost: string, name: string, value: unknown): void {
    this.remove(vhost, name);
    const k = key(vhost, name);
    let config;
    try {
      config = parseShovel(name, value);
    } catch (e) {
      const reason = e instanceof ShovelValidationError ? e.message : String(e);
      this.broken.set(k, { vhost, name, reason, since: new Date() });
      this.log.warn({ shovel: name, vhost, reason }, 'shovel parameter is not valid; not started');
      return;
    }
    const s = new Shovel(vhost, name, config, this.local, this.log.child({ shovel: name, vhost }), (done) => {
      if (this.shovels.get(k) === done) this.broker.parameters.clearParameter(vhost, 'shovel', name);
    });
    this.shovels.set(k, s);
    s.start();
  }

  private remove(vhost: string, name: string): void {
    const k = key(vhost, name);
    this.broken.delete(k);
    const s = this.shovels.get(k);
    if (!s) return;
    this.shovels.delete(k);
    void s.stop();
  }

  /** Stops and starts a shovel again with its parameter's value; false when there is none. */
  restart(vhost: string, name: string): boolean {
    const p = this.broker.parameters.parameters().find((x) => x.component === 'shovel' && x.vhost === vhost && x.name === name);
    if (!p) return false;
    this.set(vhost, name, p.value);
    return true;
  }

  /** Status rows, RabbitMQ's shape, optionally of one vhost (and one name). */
  status(vhost?: string, name?: string): ShovelStatus[] {
    const rows: ShovelStatus[] = [];
    const node = this.local.node;
    for (const s of this.shovels.values()) {
      if ((vhost !== undefined && s.vhost !== vhost) || (name !== undefined && s.name !== name)) continue;
      const row: ShovelStatus = { node, timestamp: statusTimestamp(s.lastChanged), name: s.name, vhost: s.vhost, type: 'dynamic', state: s.state };
      if (s.state === 'terminated' && s.reason !== undefined) row.reason = s.reason;
      if (s.state === 'running') {
        const c = s.config;
        row.src_uri = redactedUri(s.srcUri);
        row.src_protocol = 'amqp091';
        row.dest_protocol = 'amqp091';
        row.dest_uri = redactedUri(s.destUri);
        if (c.srcQueue !== undefined) row.src_queue = c.srcQueue;
        if (c.srcExchange !== undefined) {
          row.src_exchange = c.srcExchange;
          row.src_exchange_key = c.srcExchangeKey;
        }
        if (c.destQueue !== undefined) row.dest_queue = c.destQueue;
        if (c.destExchange !== undefined) row.dest_exchange = c.destExchange;
        if (c.destExchangeKey !== undefined) row.dest_exchange_key = c.destExchangeKey;
        if (s.blocked) row.blocked_status = 'blocked';
      }
      rows.push(row);
    }
    for (const b of this.broken.values()) {
      if ((vhost !== undefined && b.vhost !== vhost) || (name !== undefined && b.name !== name)) continue;
      rows.push({ node, timestamp: statusTimestamp(b.since), name: b.name, vhost: b.vhost, type: 'dynamic', state: 'terminated', reason: b.reason });
    }
    return rows.sort((a, b) => (a.vhost === b.vhost ? (a.name < b.name ? -1 : 1) : a.vhost < b.vhost ? -1 : 1));
  }

  /** Each shovel's state and messages moved since it (re)started, for metrics. */
  counters(): Array<{ vhost: string; name: string; state: ShovelState; moved: number }> {
    const out = [...this.shovels.values()].map((s) => ({ vhost: s.vhost, name: s.name, state: s.state, moved: s.moved }));
    for (const b of this.broken.values()) out.push({ vhost: b.vhost, name: b.name, state: 'terminated', moved: 0 });
    return out;
  }

  /** Stops every shovel (messages in flight go back to their source queues). */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.shovels.values()];
    this.shovels.clear();
    await Promise.all(all.map((s) => s.stop()));
  }
}
