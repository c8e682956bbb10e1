// What the broker says it is: connection.start's product and version are the ones its management API's overview
// reports (product_name, product_version), and the overview names one RabbitMQ version (rabbitmq_version =
// management_version), which is connection.start's version whenever the product says RabbitMQ. True of RabbitMQ
// 3.10.8 as installed, of Warren by default (Warren and its own version, RabbitMQ 3.10.8 where tools ask for a
// RabbitMQ version) and of Warren with --server-product / --server-version: run this file against a Warren started
// with them (AMQP_URL, MANAGEMENT_URL) to see the override reach every surface.
import { describe, expect, inject, it } from 'vitest';
import { closeAllAmqp, connect } from '../support/amqp.js';

const api = inject('managementUrl');
const auth = 'Basic ' + Buffer.from('guest:guest').toString('base64');

async function identity(): Promise<{ start: Record<string, unknown>; overview: Record<string, unknown> }> {
  const conn = await connect();
  const start = conn.connection.serverProperties as unknown as Record<string, unknown>;
  await closeAllAmqp();
  const res = await fetch(`${api}/api/overview`, { headers: { authorization: auth } });
  expect(res.status).toBe(200);
  return { start, overview: (await res.json()) as Record<string, unknown> };
}

describe('server identity', () => {
  it("connection.start's product and version are the overview's product_name and product_version", async () => {
    expect.hasAssertions();
    const { start, overview } = await identity();
    expect(typeof start.product).toBe('string');
    expect(typeof start.version).toBe('string');
    expect({ product_name: overview.product_name, product_version: overview.product_version }).toEqual({ product_name: start.product, product_version: start.version });
  });

  it('the overview reports one RabbitMQ version, connection.start\'s own when the product is RabbitMQ', async () => {
    expect.hasAssertions();
    const { start, overview } = await identity();
    expect(overview.rabbitmq_version).toMatch(/^\d+\.\d+\.\d+/);
    expect(overview.management_version).toBe(overview.rabbitmq_version);
    if (start.product === 'RabbitMQ') expect(overview.rabbitmq_version).toBe(start.version);
  });
});
