// The login at connection.start-ok: the user a SASL mechanism names (PLAIN/AMQPLAIN credentials, or EXTERNAL's verified
// client certificate), the broker's auth counters, and the loopback_users rule, refused with RabbitMQ's texts.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Broker, User } from '../broker/index.js';
import { AmqpError } from '../protocol/index.js';
import { peerCertificateUser } from '../shared/tls.js';
import { isSupportedMechanism, parseCredentials } from './auth.js';
import type { ServerOptions } from './options.js';
import { SilentClose } from './silent-close.js';

/** True for the loopback addresses (IPv4, IPv6 and IPv4-mapped IPv6). */
function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** The user that `mechanism` and `response` log in as on `socket`; throws ACCESS_REFUSED (or SilentClose for an unknown mechanism). */
export function login(broker: Broker, options: ServerOptions, socket: Socket, log: () => Logger, mechanism: string, response: Buffer): User {
  if (!isSupportedMechanism(mechanism)) throw new SilentClose(`unknown authentication mechanism '${mechanism}'`);
  let username: string | undefined;
  let user: User | undefined;
  if (mechanism === 'EXTERNAL') {
    // rabbitmq_auth_mechanism_ssl: the verified client certificate names the user; no password is checked.
    username = peerCertificateUser(socket, options.sslCertLoginFrom);
    user = username === undefined ? undefined : broker.users.get(username);
  } else {
    const creds = parseCredentials(mechanism, response);
    username = creds?.username;
    user = creds ? broker.authenticate(creds.username, creds.password) : undefined;
  }
  const auth = broker.totals.auth.amqp091;
  if (user) auth.succeeded += 1;
  else auth.failed += 1;
  if (!user) {
    log().warn({ user: username, mechanism, ...(mechanism === 'EXTERNAL' && username === undefined ? { reason: 'no verified peer certificate' } : {}) }, 'authentication failed');
    throw new AmqpError(
      'ACCESS_REFUSED',
      `Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`,
      { classId: 0, methodId: 0 },
    );
  }
  if (options.loopbackUsers.includes(user.name) && !isLoopback(socket.remoteAddress)) {
    log().warn({ user: user.name }, 'user can only connect via localhost (loopback_users)');
    throw new AmqpError('ACCESS_REFUSED', `User '${user.name}' can only connect via localhost`, { classId: 0, methodId: 0 });
  }
  return user;
}
