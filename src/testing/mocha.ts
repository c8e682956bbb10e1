// warren/testing/mocha: for `mocha --require warren/testing/mocha`: mocha's global fixtures start and stop the broker.
import { globalStart, globalStop } from './test-broker.js';

export async function mochaGlobalSetup(): Promise<void> {
  await globalStart();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await globalStop();
}
