// The client's errors: a broker's channel.close / connection.close (reply code and text), and a failed handshake.
import type { FieldTable } from '../protocol/index.js';

/** A broker's close, as an Error with the reply code and text (e.g. 404 NOT_FOUND - no queue 'q' in vhost '/'). */
export class ClosedByBroker extends Error {
  constructor(
    readonly scope: 'connection' | 'channel',
    readonly replyCode: number,
    readonly replyText: string,
    message = `${scope} closed by the broker: ${replyCode} ${replyText}`,
  ) {
    super(message);
  }
}

/** How far the handshake got before it failed. */
export type HandshakeStage = 'connect' | 'login' | 'open';

/** A connection that could not be opened: where it stopped, and what the broker said of itself and of the failure. */
export class HandshakeError extends Error {
  constructor(
    message: string,
    readonly stage: HandshakeStage,
    readonly serverProperties: FieldTable | undefined,
    /** The broker's close, when it sent one (refused login: 403; refused vhost: 530). */
    readonly replyCode?: number,
    readonly replyText?: string,
    /** The socket error (code ECONNREFUSED, ENOTFOUND...), when there was one. */
    readonly code?: string,
  ) {
    super(message);
  }
}
