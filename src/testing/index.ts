// warren/testing: Warren in a test suite: a broker for the run, a vhost per test file, purge/reset between tests.
export { startTestBroker, type TestBroker } from './test-broker.js';
export { isolatedVhost, type IsolatedVhost, type IsolatedVhostOptions } from './isolated-vhost.js';
export { purge, reset, type VhostTarget } from './vhost-reset.js';
