// What the client says and settles in the AMQP handshake: its client properties and PLAIN response, the tune values
// (frame_max, channel_max, heartbeat) from the broker's offer and the caller's wishes, and the naming of a failed handshake.
import { bool, str, table, tableOf, type FieldTable } from '../protocol/index.js';
import { ClosedByBroker, HandshakeError, type HandshakeStage } from './errors.js';
import type { ConnectOptions } from './options.js';

/** The largest frame this client asks for by default. */
export const FRAME_MAX = 131072;
export const CHANNEL_MAX = 2047;

/** connection.start-ok's client properties: product, platform, the capabilities this client handles, connection_name. */
export function clientProperties(o: ConnectOptions): FieldTable {
  return tableOf({
    product: str(o.product ?? 'Warren client'),
    platform: str(`Node.js ${process.version}`),
    capabilities: table(tableOf({ publisher_confirms: bool(true), 'basic.nack': bool(true), consumer_cancel_notify: bool(true), 'connection.blocked': bool(true), authentication_failure_close: bool(true) })),
    ...(o.connectionName !== undefined ? { connection_name: str(o.connectionName) } : {}),
  });
}

/** The PLAIN mechanism's response. */
export function plainResponse(o: ConnectOptions): Buffer {
  return Buffer.from(`\0${o.username ?? 'guest'}\0${o.password ?? 'guest'}`);
}

export interface Tuned {
  frameMax: number;
  channelMax: number;
  heartbeat: number;
}

/** connection.tune-ok's values: the broker's limits win when lower; a 0 from the broker means "no limit". */
export function negotiateTune(offer: { frameMax?: number; channelMax?: number; heartbeat?: number }, o: ConnectOptions): Tuned {
  const want = o.frameMax ?? FRAME_MAX;
  const frameMax = !offer.frameMax ? want : Math.min(offer.frameMax, want);
  const maxChannels = o.channelMax || CHANNEL_MAX;
  const channelMax = !offer.channelMax ? maxChannels : Math.min(offer.channelMax, maxChannels);
  // As RabbitMQ's clients: the lower of the two when both are set, else whichever is set.
  const offered = offer.heartbeat ?? 0;
  const asked = o.heartbeat ?? offered;
  let heartbeat = asked === 0 || offered === 0 ? Math.max(asked, offered) : Math.min(asked, offered);
  if (o.heartbeat === 0) heartbeat = 0;
  return { frameMax, channelMax, heartbeat };
}

/** The handshake's failure, named by how far it got (`stage`); a broker's close keeps its reply code and text. */
export function handshakeError(where: string, o: ConnectOptions, stage: HandshakeStage, serverProperties: FieldTable, e: Error | undefined, code?: string): HandshakeError {
  if (e instanceof HandshakeError) return e;
  const user = `(user '${o.username ?? 'guest'}')`;
  if (e instanceof ClosedByBroker) {
    const what = stage === 'login' ? `refused the login ${user}` : stage === 'open' ? `refused to open vhost '${o.vhost ?? '/'}'` : 'closed the connection';
    return new HandshakeError(`${where} ${what}: ${e.replyCode} ${e.replyText}`, stage, serverProperties, e.replyCode, e.replyText);
  }
  const why = e ? `: ${e.message}` : '';
  if (stage === 'login') return new HandshakeError(`${where} refused the login ${user}${why}`, stage, serverProperties, undefined, undefined, code);
  if (stage === 'open') return new HandshakeError(`${where} closed the connection while opening vhost '${o.vhost ?? '/'}'${why}`, stage, serverProperties, undefined, undefined, code);
  return new HandshakeError(`cannot connect to ${where}${why || ': closed during the AMQP handshake'}`, stage, undefined, undefined, undefined, code);
}
