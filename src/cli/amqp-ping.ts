// An AMQP 0-9-1 handshake for `warren ping` on the client module: connect, log in (PLAIN), open the vhost, close.
// Reports whether the broker answered and what it said.
import { AmqpConnection, HandshakeError } from '../client/index.js';
import { stringOf, type FieldTable } from '../protocol/index.js';

export interface PingResult {
  /** The broker ran the handshake as far as `stage`. */
  stage: 'open' | 'login-refused' | 'open-refused';
  product: string;
  version: string;
  /** The broker's reason when the login or the vhost was refused. */
  detail?: string;
}

export interface PingTarget {
  host: string;
  port: number;
  username: string;
  password: string;
  vhost: string;
  timeoutMs: number;
}

function identity(p: FieldTable | undefined): { product: string; version: string } {
  return { product: stringOf(p?.get('product')) ?? 'unknown', version: stringOf(p?.get('version')) ?? 'unknown' };
}

/** Runs the handshake; rejects when the broker cannot be reached or does not answer in time. */
export async function amqpPing(t: PingTarget): Promise<PingResult> {
  let conn: AmqpConnection;
  try {
    conn = await AmqpConnection.open({ ...t, product: 'warren ping', heartbeat: 0 });
  } catch (e) {
    if (!(e instanceof HandshakeError) || e.stage === 'connect' || /^no AMQP handshake/.test(e.message)) throw e;
    const who = identity(e.serverProperties);
    const detail = e.replyCode !== undefined ? `${e.replyCode} ${e.replyText ?? ''}` : 'the broker closed the connection';
    return { stage: e.stage === 'login' ? 'login-refused' : 'open-refused', ...who, detail };
  }
  await conn.close(t.timeoutMs);
  return { stage: 'open', ...identity(conn.serverProperties) };
}
