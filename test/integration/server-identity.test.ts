// The advertised product and version (RabbitMQ's product.name / product.version): default Warren, overridable by flag,
// variable or config key, and one consistent value in connection.start, /api/overview and rabbitmq_build_info.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/cli/settings.js';
import { WARREN_VERSION } from '../../src/shared/version.js';
import { useBroker } from '../support/broker.js';
import { tempDir } from './cli-support.js';

interface Seen {
  product: unknown;
  version: unknown;
  overview: Record<string, unknown>;
  buildInfo: string | undefined;
}

async function seen(b: { port: number; managementPort: number | undefined; prometheusPort: number | undefined }): Promise<Seen> {
  const conn = await amqp.connect(`amqp://guest:guest@localhost:${b.port}`);
  const props = conn.connection.serverProperties as Record<string, unknown>;
  await conn.close();
  const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` };
  const overview = (await (await fetch(`http://localhost:${b.managementPort}/api/overview`, { headers: auth })).json()) as Record<string, unknown>;
  const metrics = await (await fetch(`http://localhost:${b.prometheusPort}/metrics`)).text();
  return { product: props.product, version: props.version, overview, buildInfo: metrics.split('\n').find((l) => l.startsWith('rabbitmq_build_info{')) };
}

describe('advertised server identity, by default', () => {
  const broker = useBroker({ managementPort: 0, prometheusPort: 0 });

  it("says Warren and Warren's version in connection.start, and RabbitMQ 3.10.8 where tools ask for a RabbitMQ version", async () => {
    expect.hasAssertions();
    const s = await seen(broker.current);
    expect([s.product, s.version]).toEqual(['Warren', WARREN_VERSION]);
    expect(s.overview).toMatchObject({ product_name: 'Warren', product_version: WARREN_VERSION, rabbitmq_version: '3.10.8', management_version: '3.10.8' });
    expect(s.buildInfo).toContain('rabbitmq_version="3.10.8"');
    expect(s.buildInfo).toContain('product="Warren"');
  });
});

describe('advertised server identity, overridden', () => {
  const broker = useBroker({ managementPort: 0, prometheusPort: 0, serverProduct: 'RabbitMQ', serverVersion: '3.13.7' });

  it('shows the override in connection.start, /api/overview and rabbitmq_build_info alike', async () => {
    expect.hasAssertions();
    const s = await seen(broker.current);
    expect([s.product, s.version]).toEqual(['RabbitMQ', '3.13.7']);
    expect(s.overview).toMatchObject({ product_name: 'RabbitMQ', product_version: '3.13.7', rabbitmq_version: '3.13.7', management_version: '3.13.7' });
    expect(s.buildInfo).toContain('rabbitmq_version="3.13.7"');
    expect(s.buildInfo).toContain('product="RabbitMQ"');
    expect(s.buildInfo).toContain('product_version="3.13.7"');
  });
});

describe('advertised server identity settings', () => {
  it('come from --server-product / --server-version, WARREN_SERVER_*, or product.name / product.version in rabbitmq.conf', () => {
    const dir = tempDir();
    const file = join(dir, 'rabbitmq.conf');
    writeFileSync(file, 'product.name = FromFile\nproduct.version = 9.9.9\n');
    const fromFile = resolveSettings({ config: file }, {});
    expect(fromFile.options).toMatchObject({ serverProduct: 'FromFile', serverVersion: '9.9.9' });
    // product.* are applied, not "accepted, no effect".
    expect(fromFile.notices).toEqual([]);
    const fromEnv = resolveSettings({ config: file }, { WARREN_SERVER_PRODUCT: 'RabbitMQ', WARREN_SERVER_VERSION: '3.12.0' });
    expect(fromEnv.options).toMatchObject({ serverProduct: 'RabbitMQ', serverVersion: '3.12.0' });
    const fromFlags = resolveSettings({ config: file, 'server-product': 'RabbitMQ', 'server-version': '3.13.7' }, { WARREN_SERVER_VERSION: '3.12.0' });
    expect(fromFlags.options).toMatchObject({ serverProduct: 'RabbitMQ', serverVersion: '3.13.7' });
    expect(() => resolveSettings({ 'server-product': '' }, {})).toThrow(/server-product/);
  });
});
