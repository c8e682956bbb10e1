// Black-box AMQP 0-9-1 conformance suite.
//   npx vitest run --config conformance/vitest.config.ts                 (in-process Warren from dist/)
//   AMQP_URL=amqp://guest:guest@localhost:5672 npx vitest run --config conformance/vitest.config.ts
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  test: {
    root: here('..'),
    include: ['conformance/cases/**/*.test.ts'],
    globalSetup: [here('./setup.ts')],
    reporters: ['default', here('./summary-reporter.ts')],
    // One broker, many connections: run files one at a time so cases don't race on broker-wide
    // limits or names, and so a failing case's broker log is easy to read.
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    teardownTimeout: 20_000,
  },
});
