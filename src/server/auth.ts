// SASL mechanisms offered at connection.start: PLAIN and AMQPLAIN, turned into a username and password.
import { decodeTable, stringOf } from '../protocol/index.js';

export const MECHANISMS = 'AMQPLAIN PLAIN';

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

export function isSupportedMechanism(mechanism: string): boolean {
  return MECHANISMS.split(' ').includes(mechanism);
}
