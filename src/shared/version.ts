// Warren's version, read once from package.json, and the RabbitMQ release it follows: the CLI, the AMQP server properties,
// the management API and definitions files show them.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** The RabbitMQ release whose behaviour Warren follows; reported where tools expect a RabbitMQ version. */
export const RABBITMQ_COMPAT_VERSION = '3.10.8';
