// SASL mechanisms offered at connection.start: PLAIN and AMQPLAIN, turned into a username and password, and EXTERNAL
// (rabbitmq_auth_mechanism_ssl) on TLS connections whose client certificate verified.
import type { Socket } from 'node:net';
import { decodeTable, stringOf } from '../protocol/index.js';
import { peerCertificateUser, type CertLoginFrom } from '../shared/tls.js';

export const MECHANISMS = 'AMQPLAIN PLAIN';

/** The mechanisms for this socket: EXTERNAL joins them when the peer presented a certificate that verified. */
export function offeredMechanisms(socket: Socket, from: CertLoginFrom): string {
  return peerCertificateUser(socket, from) === undefined ? MECHANISMS : `${MECHANISMS} EXTERNAL`;
}

export interface Credentials {
  username: string;
  password: string;
}

/** Parses a start-ok response for the mechanism; undefined when malformed or unsupported. */
export function parseCredentials(mechanism: string, response: Buffer): Credentials | undefined {
  if (mechanism === 'PLAIN') {
    // [authzid] NUL authcid NUL passwd
    const parts = response.toString('utf8').split('\0');
    if (parts.length !== 3) return undefined;
    return { username: parts[1]!, password: parts[2]! };
  }
  if (mechanism === 'AMQPLAIN') {
    try {
      const t = decodeTable(response, 0, response.length);
      const username = stringOf(t.get('LOGIN'));
      const password = stringOf(t.get('PASSWORD'));
      return username !== undefined && password !== undefined ? { username, password } : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Mechanisms Warren knows (EXTERNAL without a verified certificate is then refused with 403, not dropped). */
export function isSupportedMechanism(mechanism: string): boolean {
  return mechanism === 'EXTERNAL' || MECHANISMS.split(' ').includes(mechanism);
}
