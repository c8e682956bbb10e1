// globalSetup for the conformance suite: decides which broker the cases talk to.
// - AMQP_URL set: use that broker (e.g. a real RabbitMQ, to validate the cases themselves).
// - otherwise: start Warren in-process from the built dist/ on a free port with a fresh data dir.
// The URL reaches the test workers through provide()/inject('amqpUrl').
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    amqpUrl: string;
    /** The broker's management HTTP API (for cases that set up users and permissions), e.g. http://localhost:15672. */
    managementUrl: string;
  }
}

interface StartedBroker {
  port: number;
  url: string;
  managementPort?: number;
  close(): Promise<void>;
}

interface WarrenModule {
  startBroker(opts: { port: number; dataDir: string; logLevel: string; managementPort: number }): Promise<StartedBroker>;
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.AMQP_URL;
  if (external) {
    project.provide('amqpUrl', external);
    project.provide('managementUrl', process.env.MANAGEMENT_URL ?? `http://${new URL(external).hostname}:15672`);
    console.log(`conformance: testing the broker at ${redact(external)}`);
    return undefined;
  }

  let warren: WarrenModule;
  try {
    // @ts-ignore -- dist/ exists only after `npm run build`; resolved at run time.
    warren = (await import('../dist/src/index.js')) as WarrenModule;
  } catch (e) {
    throw new Error(
      `conformance: cannot load Warren from dist/src/index.js (run \`npm run build\` first, or set AMQP_URL): ${(e as Error).message}`,
    );
  }
  if (typeof warren.startBroker !== 'function') {
    throw new Error('conformance: dist/src/index.js does not export startBroker()');
  }

  const dataDir = await mkdtemp(join(tmpdir(), 'warren-conformance-'));
  let broker: StartedBroker;
  try {
    broker = await warren.startBroker({ port: 0, dataDir, logLevel: 'error', managementPort: 0 });
  } catch (e) {
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  const url = broker.url || `amqp://guest:guest@127.0.0.1:${broker.port}`;
  project.provide('amqpUrl', url);
  project.provide('managementUrl', `http://localhost:${broker.managementPort}`);
  console.log(`conformance: started Warren in-process at ${redact(url)} (data in ${dataDir})`);

  return async () => {
    try {
      // A broker that cannot close (e.g. a connection it waits on forever) must not hang the run.
      await Promise.race([
        broker.close(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('conformance: Warren did not close within 15 s')), 15_000).unref(),
        ),
      ]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  };
}

function redact(u: string): string {
  try {
    const p = new URL(u);
    if (p.password) p.password = '***';
    return p.toString();
  } catch {
    return u;
  }
}
