// rabbitmqadmin 3.10.8 (vendored in test/fixtures/rabbitmqadmin with its MPL-2.0 licence) against Warren: declare,
// list, publish, get, export, import and delete of every object type it knows that Warren has. The same script runs
// against the local RabbitMQ when its management API answers, and the two transcripts must be equal.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useBroker } from '../support/broker.js';
import { reachableRabbitMq } from '../support/http.js';

const ADMIN = join(import.meta.dirname, '..', 'fixtures', 'rabbitmqadmin', 'rabbitmqadmin');
const warren = useBroker({ managementPort: 0 });
const rabbit = await reachableRabbitMq();
const dir = mkdtempSync(join(tmpdir(), 'warren-rabbitmqadmin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Step {
  args: string[];
  code: number | null;
  out: string;
}

function run(port: number, args: string[]): Promise<Step> {
  const child = spawn('/usr/bin/python3', [ADMIN, '-H', 'localhost', '-P', String(port), '-u', 'guest', '-p', 'guest', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ args, code, out })));
}

/** Lines of a tsv listing, sorted (row order is not part of the API). */
const sorted = (s: Step): Step => ({ ...s, out: s.out.split('\n').filter((l) => l !== '').sort().join('\n') });

/**
 * The whole session against one broker, in a vhost and user of its own. `hasPolicies` adds policy, operator policy
 * and parameter steps once the broker serves those endpoints.
 */
async function session(port: number, id: string, hasPolicies: boolean): Promise<Step[]> {
  const v = `admin-${id}`;
  const u = `admin-user-${id}`;
  const file = join(dir, `${port}-${id}.json`);
  const steps: Step[] = [];
  const step = async (args: string[], sort = false) => {
    const s = await run(port, args);
    steps.push(sort ? sorted(s) : s);
    return s;
  };
  const inV = ['-V', v];
  /** A listing across the broker, narrowed to this session's rows (the brokers hold others). */
  const mine = async (args: string[]) => {
    const s = await run(port, args);
    steps.push({ ...s, out: s.out.split('\n').filter((l) => l.includes(id)).sort().join('\n') });
  };
  const listAll = async () => {
    await step([...inV, '-f', 'tsv', 'list', 'exchanges', 'name', 'type', 'durable', 'auto_delete', 'internal'], true);
    await step([...inV, '-f', 'tsv', 'list', 'queues', 'name', 'durable', 'auto_delete', 'type', 'arguments'], true);
    await step([...inV, '-f', 'tsv', 'list', 'bindings', 'source', 'destination', 'destination_type', 'routing_key', 'properties_key'], true);
    await mine(['-f', 'tsv', 'list', 'permissions', 'user', 'vhost', 'configure', 'write', 'read']);
    await mine(['-f', 'tsv', 'list', 'vhost_limits', 'vhost', 'value']);
  };

  await step(['declare', 'vhost', `name=${v}`]);
  await step(['declare', 'vhost', `name=${v}-tracing`, 'tracing=false']);
  await step(['declare', 'user', `name=${u}`, 'password=s3cret', 'tags=management,policymaker']);
  await step(['declare', 'permission', `vhost=${v}`, `user=${u}`, 'configure=^admin-.*', 'write=.*', 'read=.*']);
  await step([...inV, 'declare', 'exchange', 'name=orders', 'type=topic']);
  await step([...inV, 'declare', 'exchange', 'name=audit', 'type=fanout', 'durable=false', 'auto_delete=false', 'internal=true']);
  await step([...inV, 'declare', 'queue', 'name=invoices', 'durable=true', 'arguments={"x-max-length":100}']);
  await step([...inV, 'declare', 'queue', 'name=transient', 'durable=false', 'auto_delete=true']);
  await step([...inV, 'declare', 'queue', 'name=ledger', 'queue_type=quorum']);
  await step([...inV, 'declare', 'binding', 'source=orders', 'destination=invoices', 'routing_key=invoice.*']);
  await step([...inV, 'declare', 'binding', 'source=orders', 'destination=ledger', 'routing_key=#', 'arguments={"x-note":"all"}']);
  await step([...inV, 'declare', 'binding', 'source=orders', 'destination_type=exchange', 'destination=audit', 'routing_key=audit.#']);
  await step(['declare', 'vhost_limit', `vhost=${v}`, 'name=max-queues', 'value=50']);
  await step(['declare', 'vhost_limit', `vhost=${v}`, 'name=max-connections', 'value=10']);
  if (hasPolicies) {
    await step([...inV, 'declare', 'policy', 'name=cap', 'pattern=^invoices$', 'definition={"max-length":10}', 'apply-to=queues']);
    await step([...inV, 'declare', 'operator_policy', 'name=op-cap', 'pattern=^ledger$', 'definition={"max-length":1000}', 'priority=1']);
    await step(['-f', 'tsv', 'list', 'policies', 'vhost', 'name', 'pattern', 'apply-to', 'definition', 'priority'], true);
    // A runtime parameter: a shovel towards a port nothing listens on (kept and listed, it moves nothing).
    const shovel = { 'src-uri': 'amqp://localhost:1', 'src-queue': 'invoices', 'dest-uri': 'amqp://localhost:1', 'dest-queue': 'ledger' };
    await step([...inV, 'declare', 'parameter', 'component=shovel', 'name=relay', `value=${JSON.stringify(shovel)}`]);
    await mine(['-f', 'tsv', 'list', 'parameters', 'vhost', 'component', 'name']);
  }
  await mine(['-f', 'tsv', 'list', 'users', 'name', 'tags']);
  await mine(['-f', 'tsv', 'list', 'vhosts', 'name']);
  await listAll();

  await step([...inV, 'publish', 'exchange=orders', 'routing_key=invoice.42', 'payload=hello invoice']);
  await step([...inV, 'publish', 'exchange=orders', 'routing_key=invoice.43', 'payload=second', 'properties={"content_type":"text/plain","headers":{"n":1}}']);
  await step([...inV, 'publish', 'routing_key=transient', 'payload=via default']);
  await step([...inV, 'publish', 'exchange=orders', 'routing_key=nowhere.at.all', 'payload=lost']);
  await step([...inV, '-f', 'tsv', 'list', 'queues', 'name', 'messages'], true);
  await step([...inV, '-f', 'tsv', 'get', 'queue=invoices', 'count=1']);
  await step([...inV, '-f', 'raw_json', 'get', 'queue=invoices', 'count=2', 'ackmode=ack_requeue_false']);
  await step([...inV, '-f', 'tsv', 'get', 'queue=invoices', 'count=1']);
  await step([...inV, '-f', 'tsv', 'get', 'queue=transient', 'ackmode=reject_requeue_false', 'encoding=base64']);
  await step([...inV, 'purge', 'queue', 'name=ledger']);

  const exported = await run(port, [...inV, 'export', file]);
  steps.push({ ...exported, out: exported.out.replace(file, 'FILE') });
  const definitions = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown[]>;
  steps.push({ args: ['(exported objects)'], code: 0, out: JSON.stringify(['queues', 'exchanges', 'bindings', 'policies'].map((k) => [k, (definitions[k] ?? []).length])) });

  await step([...inV, 'delete', 'binding', 'source=orders', 'destination_type=queue', 'destination=invoices', 'properties_key=invoice.*']);
  await step([...inV, 'delete', 'binding', 'source=orders', 'destination_type=exchange', 'destination=audit', 'properties_key=audit.#']);
  await step([...inV, 'delete', 'queue', 'name=invoices']);
  await step([...inV, 'delete', 'queue', 'name=ledger']);
  await step([...inV, 'delete', 'exchange', 'name=audit']);
  await step([...inV, 'delete', 'exchange', 'name=orders']);
  await step(['delete', 'vhost_limit', `vhost=${v}`, 'name=max-queues']);
  if (hasPolicies) {
    await step([...inV, 'delete', 'policy', 'name=cap']);
    await step([...inV, 'delete', 'operator_policy', 'name=op-cap']);
    await step([...inV, 'delete', 'parameter', 'component=shovel', 'name=relay']);
    await mine(['-f', 'tsv', 'list', 'parameters', 'vhost', 'component', 'name']);
  }
  await listAll();

  const imported = await run(port, [...inV, 'import', file]);
  steps.push({ ...imported, out: imported.out.replace(file, 'FILE') });
  await listAll();

  await step([...inV, 'delete', 'queue', 'name=nope']);
  await step(['delete', 'permission', `vhost=${v}`, `user=${u}`]);
  await step(['delete', 'user', `name=${u}`]);
  await step(['delete', 'vhost', `name=${v}-tracing`]);
  await step(['delete', 'vhost', `name=${v}`]);
  await mine(['-f', 'tsv', 'list', 'vhosts', 'name']);
  return steps;
}

/**
 * A step as compared between the brokers: the export path (it names the port) and three known differences left out,
 * the amq.rabbitmq.trace exchange (RabbitMQ's firehose; Warren has no tracing), the hash part of a properties_key
 * with arguments (RabbitMQ hashes the Erlang term), and message counts, which RabbitMQ's listing shows seconds late.
 */
function comparable(s: Step): { args: string; code: number | null; out: string } {
  const args = s.args.map((a) => (a.endsWith('.json') ? 'FILE' : a)).join(' ');
  let out = s.out
    .split('\n')
    .filter((l) => !l.startsWith('amq.rabbitmq.trace\t'))
    .map((l) => l.replace(/~[A-Za-z0-9_-]+$/, '~HASH'))
    .join('\n');
  if (s.args.includes('messages')) out = '(message counts)';
  // JSON output compared as data (RabbitMQ lists message properties in its own key order).
  if (s.args.includes('raw_json')) out = JSON.stringify(sortKeys(JSON.parse(out)));
  return { args, code: s.code, out };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}

async function servesPolicies(port: number): Promise<boolean> {
  const r = await fetch(`http://localhost:${port}/api/policies`, { headers: { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') } });
  return r.status === 200;
}

describe('rabbitmqadmin 3.10.8', () => {
  it('declares, lists, publishes, gets, exports, imports and deletes every object type', async () => {
    expect.hasAssertions();
    const id = randomUUID().slice(0, 8);
    const port = warren.current.managementPort!;
    const steps = await session(port, id, await servesPolicies(port));
    const failed = steps.filter((s) => s.code !== 0 && !s.args.includes('name=nope'));
    expect(failed).toEqual([]);
    const text = (i: number) => steps[i]!.out.trim();
    expect(text(0)).toBe('vhost declared');
    const get = steps.find((s) => s.args.includes('raw_json') && s.args.includes('get'))!;
    expect((JSON.parse(get.out) as Array<{ payload: string }>).map((m) => m.payload)).toEqual(['hello invoice', 'second']);
    // The import brings back what the deletes removed: the listings after it are those before the deletes.
    const listings = steps.filter((s) => s.args.includes('queues') && s.args.includes('durable')).map((s) => s.out);
    expect(listings).toHaveLength(3);
    expect(listings[1]).not.toEqual(listings[0]);
    expect(listings[2]).toEqual(listings[0]);
    // The runtime parameter is listed once declared and gone once deleted.
    const shovels = steps.filter((s) => s.args.includes('parameters')).map((s) => s.out.split('\n').filter((l) => l.includes('\tshovel\t')));
    expect(shovels).toEqual([[`admin-${id}\tshovel\trelay`], []]);
    const counts = steps.find((s) => s.args.includes('messages'))!;
    expect(counts.out).toBe('invoices\t2\nledger\t3\nname\tmessages\ntransient\t1');
    if (rabbit) {
      // The shared RabbitMQ is sometimes busy with other sessions: a differing transcript is compared once more,
      // both sessions afresh, before it counts.
      const rabbitPort = Number(new URL(rabbit.base).port);
      const policies = await servesPolicies(port);
      let ours = steps.map(comparable);
      let theirs = (await session(rabbitPort, id, policies)).map(comparable);
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
        const differing = ours.filter((s, i) => JSON.stringify(s) !== JSON.stringify(theirs[i]));
        console.warn('rabbitmqadmin transcripts differ; comparing once more', JSON.stringify(differing).slice(0, 2000));
        const again = randomUUID().slice(0, 8);
        ours = (await session(port, again, policies)).map(comparable);
        theirs = (await session(rabbitPort, again, policies)).map(comparable);
      }
      expect(ours).toEqual(theirs);
    }
  }, 120_000);
});
