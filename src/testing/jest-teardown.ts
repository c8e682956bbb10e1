// warren/testing/jest-teardown: a jest globalTeardown module: stops the broker jest-setup started.
import { globalStop } from './test-broker.js';

export default async function teardown(): Promise<void> {
  await globalStop();
}
