// The limits checked when a connection opens a vhost (the vhost's and the user's max-connections) and when it opens a
// channel (the negotiated channel_max, the user's max-channels), refused with RabbitMQ's texts.
import { limitReached, type VirtualHost } from '../broker/index.js';
import { AmqpError, notAllowed } from '../protocol/index.js';
import type { Connection } from './connection.js';

/** The vhost's and then the user's max-connections, checked at connection.open as RabbitMQ does (530). */
export function checkConnectionLimits(conn: Connection, vhost: VirtualHost): void {
  const limits = conn.ctx.broker.limits;
  const username = conn.username;
  const perVhost = limits.ofVhost(vhost.name).get('max-connections');
  if (perVhost !== undefined && limitReached(perVhost, countOpen(conn, (c) => c.vhost === vhost))) {
    throw notAllowed(`access to vhost '${vhost.name}' refused for user '${username}': connection limit (${perVhost}) is reached`);
  }
  const perUser = limits.ofUser(username).get('max-connections');
  if (perUser !== undefined && limitReached(perUser, countOpen(conn, (c) => c.username === username))) {
    throw notAllowed(`connection refused for user '${username}': user connection limit (${perUser}) is reached`);
  }
}

/** Open connections (past connection.open) other than `conn` that match. */
function countOpen(conn: Connection, match: (c: Connection) => boolean): number {
  let n = 0;
  for (const c of conn.ctx.connections) if (c !== conn && c.isOpen && match(c)) n += 1;
  return n;
}

/** channel_max (how many are open, not their numbers, as RabbitMQ) and the user's max-channels over all its connections. */
export function checkChannelLimits(conn: Connection): void {
  const username = conn.username;
  if (conn.channels.size >= conn.channelMax) {
    throw new AmqpError(
      'NOT_ALLOWED',
      `number of channels opened (${conn.channels.size}) has reached the negotiated channel_max (${conn.channelMax})`,
      { classId: 0, methodId: 0 },
    );
  }
  const perUser = conn.ctx.broker.limits.ofUser(username).get('max-channels');
  if (perUser !== undefined) {
    let open = conn.channels.size;
    for (const c of conn.ctx.connections) if (c !== conn && c.username === username) open += c.channels.size;
    if (limitReached(perUser, open)) {
      throw new AmqpError(
        'NOT_ALLOWED',
        `number of channels opened for user '${username}' has reached the maximum allowed user limit of (${perUser})`,
        { classId: 0, methodId: 0 },
      );
    }
  }
}
