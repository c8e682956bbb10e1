// warren/testing/vitest: a vitest globalSetup module (`globalSetup: ['warren/testing/vitest']`): one broker for the run.
import { globalStart, globalStop } from './test-broker.js';

export default async function setup(): Promise<() => Promise<void>> {
  await globalStart();
  return globalStop;
}
