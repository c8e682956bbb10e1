// warren/testing/jest-setup: a jest globalSetup module: starts the run's broker and exports AMQP_URL, WARREN_MANAGEMENT_URL.
import { globalStart } from './test-broker.js';

export default async function setup(): Promise<void> {
  await globalStart();
}
