// The server-properties table sent in connection.start: RabbitMQ's keys, advertising only what Warren does.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bool, str, table, tableOf, type FieldTable } from '../protocol/index.js';

/** Warren's version from package.json, found upwards from this module (source or dist). */
function readVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    dir = dirname(dir);
  }
  return '0.0.0';
}

export const WARREN_VERSION = readVersion();

export const CAPABILITIES: FieldTable = tableOf({
  publisher_confirms: bool(true),
  exchange_exchange_bindings: bool(true),
  'basic.nack': bool(true),
  consumer_cancel_notify: bool(true),
  'connection.blocked': bool(true),
  consumer_priorities: bool(false),
  authentication_failure_close: bool(true),
  per_consumer_qos: bool(true),
  direct_reply_to: bool(false),
});

export function serverProperties(): FieldTable {
  return tableOf({
    capabilities: table(CAPABILITIES),
    cluster_name: str('warren@localhost'),
    copyright: str('Copyright (c) the Warren authors'),
    information: str('Warren, an AMQP 0-9-1 broker. Licensed under the MIT licence.'),
    platform: str(`Node.js ${process.version}`),
    product: str('Warren'),
    version: str(WARREN_VERSION),
  });
}
