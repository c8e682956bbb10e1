// Policies, operator policies, runtime and global parameters survive a restart and a kill -9 (the definitions log).
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiClient } from '../support/http.js';
import { cleanup, exitCode, startWarren, tempDir } from './cli-support.js';

afterEach(cleanup);

/** Starts bin/warren on `dataDir` (kept across starts); resolves with its management API once it is up. */
async function start(dataDir: string): Promise<{ child: ChildProcess; api: ReturnType<typeof apiClient> }> {
  const w = await startWarren([], { dataDir });
  return { child: w.child, api: apiClient(w.managementUrl) };
}

async function stopped(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  child.kill(signal);
  await exitCode(child);
}

describe('policies and parameters are durable', () => {
  it('come back after kill -9, deletions included, and after a clean restart; the cluster id stays', async () => {
    const dataDir = join(tempDir(), 'data');
    const first = await start(dataDir);
    const api = first.api;
    expect((await api.put('/api/vhosts/pv')).status).toBe(201);
    expect((await api.put('/api/policies/pv/dlx', { pattern: '^work\\.', definition: { 'dead-letter-exchange': 'dlx', 'message-ttl': 5000 }, priority: 2, 'apply-to': 'queues' })).status).toBe(201);
    expect((await api.put('/api/policies/%2F/gone', { pattern: '.', definition: { 'max-length': 1 } })).status).toBe(201);
    expect((await api.del('/api/policies/%2F/gone')).status).toBe(204);
    expect((await api.put('/api/operator-policies/pv/cap', { pattern: '.', definition: { 'max-length': 100 } })).status).toBe(201);
    expect((await api.put('/api/operator-policies/pv/one', { pattern: '^len$', definition: { 'max-length': 1 }, priority: 5 })).status).toBe(201);
    expect((await api.put('/api/queues/pv/len', { durable: true })).status).toBe(201);
    expect((await api.put('/api/parameters/federation-upstream/pv/up', { value: { uri: 'amqp://elsewhere' } })).status).toBe(201);
    expect((await api.put('/api/global-parameters/cluster_name', { value: 'durable-cluster' })).status).toBe(201);
    const id = (await api.get('/api/global-parameters/internal_cluster_id')).json.value as string;
    expect(id).toMatch(/^rabbitmq-cluster-id-/);
    await stopped(first.child, 'SIGKILL');

    const second = await start(dataDir);
    const expectState = async (a: typeof api) => {
      expect((await a.get('/api/policies')).json).toEqual([
        { vhost: 'pv', name: 'dlx', pattern: '^work\\.', 'apply-to': 'queues', definition: { 'dead-letter-exchange': 'dlx', 'message-ttl': 5000 }, priority: 2 },
      ]);
      expect((await a.get('/api/operator-policies/pv/cap')).json.definition).toEqual({ 'max-length': 100 });
      // The policy in force on a recovered queue acts at once: max-length 1 keeps the last message only.
      expect((await a.get('/api/queues/pv/len')).json).toMatchObject({ operator_policy: 'one', effective_policy_definition: { 'max-length': 1 } });
      for (const payload of ['a', 'b']) {
        expect((await a.post('/api/exchanges/pv/amq.default/publish', { routing_key: 'len', payload, payload_encoding: 'string', properties: {} })).json).toEqual({ routed: true });
      }
      expect((await a.get('/api/queues/pv/len')).json.messages).toBe(1);
      expect((await a.post('/api/queues/pv/len/get', { count: 5, ackmode: 'ack_requeue_false', encoding: 'auto' })).json.map((m: { payload: string }) => m.payload)).toEqual(['b']);
      expect((await a.get('/api/parameters/federation-upstream/pv/up')).json).toEqual({ value: { uri: 'amqp://elsewhere' }, vhost: 'pv', component: 'federation-upstream', name: 'up' });
      expect((await a.get('/api/overview')).json.cluster_name).toBe('durable-cluster');
      expect((await a.get('/api/global-parameters/internal_cluster_id')).json.value).toBe(id);
    };
    await expectState(second.api);
    await stopped(second.child, 'SIGTERM');
    const third = await start(dataDir);
    await expectState(third.api);
    // Deleting the vhost takes its policies and parameters along, for good.
    expect((await third.api.del('/api/vhosts/pv')).status).toBe(204);
    expect((await third.api.get('/api/operator-policies')).json).toEqual([]);
    await stopped(third.child, 'SIGKILL');
    const fourth = await start(dataDir);
    expect((await fourth.api.get('/api/policies')).json).toEqual([]);
    expect((await fourth.api.get('/api/parameters')).json).toEqual([]);
  });
});
