// Publishing as an authenticated user: the checks basic.publish and the management API's publish share, with RabbitMQ's texts.
import { accessRefused, preconditionFailed, type AmqpError } from '../protocol/index.js';
import type { Exchange } from './exchange.js';
import { exchangeResource } from './exchange-names.js';
import type { Message } from './message.js';
import { parseExpiration } from './queue-arguments.js';
import type { VirtualHost } from './vhost.js';

/**
 * Who publishes, and how their permissions are decided: the AMQP channel answers from its per-channel caches (the
 * hot path), the management API from the permission table.
 */
export interface PublishingUser {
  readonly name: string;
  /** May the user write to this exchange? `resource` is the permission name ('amq.default' for ''). */
  mayWrite(vhost: VirtualHost, resource: string): boolean;
  /** May the user publish with this routing key to this exchange (topic permissions; true for other types)? */
  mayWriteTopic(vhost: VirtualHost, exchange: Exchange, routingKey: string): boolean;
}

/** The exchange a user publishes to, once checked: write permission, then existence, not internal, topic permission. */
export function publishTarget(vhost: VirtualHost, user: PublishingUser, exchangeName: string, routingKey: string): Exchange {
  if (!user.mayWrite(vhost, exchangeResource(exchangeName))) throw exchangeRefused(vhost, user.name, exchangeName);
  const exchange = vhost.exchange(exchangeName);
  if (exchange.internal) throw accessRefused(`cannot publish to internal exchange '${exchange.name}' in vhost '${exchange.vhost}'`);
  if (!user.mayWriteTopic(vhost, exchange, routingKey)) throw topicRefused(routingKey, exchange.name, vhost.name, user.name);
  return exchange;
}

/** RabbitMQ's refusal of a routing or binding key by a topic permission. */
export function topicRefused(routingKey: string, exchange: string, vhost: string, user: string): Error {
  return accessRefused(`access to topic '${routingKey}' in exchange '${exchange}' in vhost '${vhost}' refused for user '${user}'`);
}

/** RabbitMQ's refusal of a publish to an exchange (the default exchange is named 'amq.default'). */
export function exchangeRefused(vhost: VirtualHost, user: string, exchangeName: string): Error {
  return resourceRefused('exchange', exchangeResource(exchangeName), vhost.name, user);
}

/** RabbitMQ's refusal of an operation on a queue or exchange, by its permission name. */
export function resourceRefused(kind: 'exchange' | 'queue', resource: string, vhost: string, user: string): Error {
  return accessRefused(`access to ${kind} '${resource}' in vhost '${vhost}' refused for user '${user}'`);
}

/** RabbitMQ's refusal of a message whose body is over the configured max_message_size (basic.publish and the API alike). */
export function messageTooLarge(size: number, max: number): AmqpError {
  return preconditionFailed(`message size ${size} is larger than configured max size ${max}`);
}

/** The properties the broker acts on, checked: user_id must name the publisher, expiration becomes the message's TTL. */
export function checkPublishedProperties(message: Message, user: string): void {
  const props = message.properties;
  if (props.userId !== undefined && props.userId !== user) {
    throw preconditionFailed(`user_id property set to '${props.userId}' but authenticated user was '${user}'`);
  }
  if (props.expiration !== undefined) message.ttl = parseExpiration(props.expiration);
}
