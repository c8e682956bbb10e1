// In-process firehose assertions for tests: broker.trace.waitFor({ queue, where }, { timeout }) and a recorder that
// lists what was published and delivered (for a failure message). Turns tracing on for the vhosts it watches.
import type { Broker } from './broker.js';
import type { TraceEvent, TraceListener } from './tracer.js';

export interface TraceMatch {
  /** Default '/'. */
  vhost?: string;
  kind?: 'publish' | 'deliver';
  /** A delivery from this queue, or a publish routed to it. */
  queue?: string;
  exchange?: string;
  where?: (event: TraceEvent) => boolean;
}

export interface TraceRecorder {
  readonly events: readonly TraceEvent[];
  /** One line per event: `publish x -> [q1,q2] rk "body…"` / `deliver q (x rk) "body…"`. */
  format(): string;
  stop(): void;
}

function matches(m: TraceMatch, e: TraceEvent): boolean {
  if (e.vhost !== (m.vhost ?? '/')) return false;
  if (m.kind !== undefined && e.kind !== m.kind) return false;
  if (m.exchange !== undefined && e.exchange !== m.exchange) return false;
  if (m.queue !== undefined && !(e.kind === 'deliver' ? e.queue === m.queue : (e.routedQueues ?? []).includes(m.queue))) return false;
  return m.where === undefined || m.where(e);
}

function line(e: TraceEvent): string {
  const body = JSON.stringify(e.message.body.subarray(0, 60).toString('utf8'));
  return e.kind === 'publish'
    ? `publish ${e.exchange || '(default)'} ${e.routingKeys.join(',')} -> [${(e.routedQueues ?? []).join(',')}] ${body}`
    : `deliver ${e.queue} (${e.exchange || '(default)'} ${e.routingKeys.join(',')}${e.redelivered ? ', redelivered' : ''}) ${body}`;
}

export class TraceWatch {
  private readonly broker: Broker;
  private readonly node: string;

  constructor(broker: Broker, node: string) {
    this.broker = broker;
    this.node = node;
  }

  /** Turns the firehose on for a vhost (as `rabbitmqctl trace_on -p`); an unknown vhost throws. */
  on(vhost = '/'): void {
    const v = this.broker.vhosts.get(vhost);
    if (!v) throw new Error(`trace: no vhost '${vhost}'`);
    v.setTracing(true, this.node, this.broker.traceListeners);
  }

  off(vhost = '/'): void {
    this.broker.vhosts.get(vhost)?.setTracing(false, this.node, this.broker.traceListeners);
  }

  /** The first event from now on that matches; rejects after `timeout` ms (default 5000) listing what was seen. */
  waitFor(match: TraceMatch, opts: { timeout?: number } = {}): Promise<TraceEvent> {
    this.on(match.vhost ?? '/');
    const seen: TraceEvent[] = [];
    return new Promise((resolve, reject) => {
      const listener: TraceListener = (e) => {
        if (!matches(match, e)) {
          if (e.vhost === (match.vhost ?? '/')) seen.push(e);
          return;
        }
        this.broker.traceListeners.delete(listener);
        clearTimeout(timer);
        resolve(e);
      };
      const timeout = opts.timeout ?? 5_000;
      const timer = setTimeout(() => {
        this.broker.traceListeners.delete(listener);
        const { where: _where, ...shown } = match;
        reject(new Error(`trace.waitFor ${JSON.stringify(shown)}: nothing matched in ${timeout} ms; saw ${seen.length}:\n${seen.map(line).join('\n')}`));
      }, timeout);
      this.broker.traceListeners.add(listener);
    });
  }

  /** Records every publish and delivery of the vhost until stop(). */
  record(vhost = '/'): TraceRecorder {
    this.on(vhost);
    const events: TraceEvent[] = [];
    const listener: TraceListener = (e) => {
      if (e.vhost === vhost) events.push(e);
    };
    this.broker.traceListeners.add(listener);
    return {
      events,
      format: () => events.map(line).join('\n'),
      stop: () => void this.broker.traceListeners.delete(listener),
    };
  }
}
