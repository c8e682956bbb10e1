// The definitions log: durable exchanges, queues, bindings, policies and parameters as JSON lines, replayed at boot and compacted.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, type Broker, type DefinitionChange, type ParameterChange, type VirtualHost } from '../broker/index.js';
import { replaceFileSync } from './replace-file.js';
import { decodeTable, encodeTable, Writer, type FieldTable } from '../protocol/index.js';

/** One line of the log. Arguments are kept as base64 of their wire encoding, so every type survives. */
interface TopologyRecord {
  vhost: string;
  change: Omit<DefinitionChange, 'arguments'> & { arguments?: string };
}

/** A policy, runtime parameter or global parameter change: JSON values, kept as they are. */
interface ParameterRecord {
  parameter: ParameterChange;
}

type Record = TopologyRecord | ParameterRecord;

function encodeArgs(t: FieldTable): string {
  const w = new Writer(256);
  encodeTable(w, t);
  return w.take().subarray(4).toString('base64');
}

function decodeArgs(s: string): FieldTable {
  const b = Buffer.from(s, 'base64');
  return decodeTable(b, 0, b.length);
}

/** True for the changes a restart must bring back: durable things only (exclusive queues never). */
export function isDurableChange(vhost: VirtualHost, c: DefinitionChange): boolean {
  switch (c.op) {
    case 'exchange.declare':
      return c.durable;
    case 'queue.declare':
      return c.durable && !c.exclusive;
    case 'exchange.delete':
    case 'queue.delete':
      return true;
    case 'bind':
    case 'unbind': {
      const src = vhost.exchanges.get(c.source);
      const dest = c.destinationKind === 'queue' ? vhost.queues.get(c.destination) : vhost.exchanges.get(c.destination);
      // After an unbind the objects may be gone; logging a no-op unbind is harmless.
      if (!src || !dest) return c.op === 'unbind';
      return src.durable && dest.durable && !(c.destinationKind === 'queue' && vhost.queues.get(c.destination)!.exclusive);
    }
  }
}

export class DefinitionsLog {
  private readonly path: string;
  private fd: number;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'definitions.jsonl');
    this.fd = openSync(this.path, 'a');
  }

  /** Appends one change and syncs it: a declare-ok means the definition survives a crash. */
  append(vhost: VirtualHost, change: DefinitionChange): void {
    if (!isDurableChange(vhost, change)) return;
    const rec: TopologyRecord = { vhost: vhost.name, change: { ...change, ...('arguments' in change ? { arguments: encodeArgs(change.arguments) } : {}) } as TopologyRecord['change'] };
    writeSync(this.fd, JSON.stringify(rec) + '\n');
    fsyncSync(this.fd);
  }

  /** Appends a policy or parameter change and syncs it: a 201/204 means it survives a crash. */
  appendParameter(change: ParameterChange): void {
    const rec: ParameterRecord = { parameter: change };
    writeSync(this.fd, JSON.stringify(rec) + '\n');
    fsyncSync(this.fd);
  }

  /** Replays the log into the broker through the vhost's own mutation path; returns how many changes. */
  replay(broker: Broker, warn: (msg: string) => void = () => {}): number {
    if (!existsSync(this.path)) return 0;
    let count = 0;
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      let rec: Record;
      try {
        rec = JSON.parse(line) as Record;
      } catch {
        break; // a torn last line
      }
      if ('parameter' in rec) {
        broker.parameters.replay(rec.parameter, warn);
        count += 1;
        continue;
      }
      const change = { ...rec.change, ...(rec.change.arguments !== undefined ? { arguments: decodeArgs(rec.change.arguments) } : {}) } as DefinitionChange;
      const vhost = broker.addVhost(rec.vhost);
      if (change.op === 'queue.declare' && vhost.queues.has(change.name)) continue;
      vhost.apply(change);
      count += 1;
    }
    return count;
  }

  /** Rewrites the log as the minimal set of changes that recreates the current durable definitions. */
  compact(broker: Broker): void {
    const lines: string[] = broker.parameters.snapshot().map((parameter) => JSON.stringify({ parameter } satisfies ParameterRecord));
    const push = (vhost: string, change: DefinitionChange) => {
      lines.push(JSON.stringify({ vhost, change: { ...change, ...('arguments' in change ? { arguments: encodeArgs(change.arguments) } : {}) } }));
    };
    for (const vhost of broker.vhosts.values()) {
      for (const ex of vhost.exchanges.values()) {
        if (ex.name === '' || !ex.durable || ex.name.startsWith('amq.')) continue;
        push(vhost.name, { op: 'exchange.declare', name: ex.name, type: ex.type, durable: true, autoDelete: ex.autoDelete, internal: ex.internal, arguments: ex.arguments });
      }
      for (const q of vhost.queues.values()) {
        if (!q.durable || q.exclusive) continue;
        push(vhost.name, { op: 'queue.declare', name: q.name, durable: true, exclusive: false, autoDelete: q.autoDelete, arguments: q.arguments, owner: undefined });
      }
      for (const ex of vhost.exchanges.values()) {
        for (const b of ex.bindings) {
          const change: DefinitionChange = {
            op: 'bind',
            source: ex.name,
            destination: b.destination.name,
            destinationKind: b.destination instanceof Queue ? 'queue' : 'exchange',
            routingKey: b.routingKey,
            arguments: b.arguments,
          };
          if (isDurableChange(vhost, change)) push(vhost.name, change);
        }
      }
    }
    closeSync(this.fd);
    replaceFileSync(this.path, lines.length ? lines.join('\n') + '\n' : '');
    this.fd = openSync(this.path, 'a');
  }

  close(): void {
    closeSync(this.fd);
  }
}
