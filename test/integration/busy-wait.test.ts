// --busy-wait: after AMQP input the broker's event loop keeps polling for the window (it uses CPU meanwhile), a
// heartbeat alone does not start it, and 0 turns it off. Observed through the real process's CPU time in /proc.
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, runWarren, startWarren } from './cli-support.js';

const TICK_MS = 10; // USER_HZ is 100 on Linux
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HEARTBEAT = Buffer.from([8, 0, 0, 0, 0, 0, 0, 0xce]);
const connections: amqp.ChannelModel[] = [];

afterEach(async () => {
  for (const c of connections.splice(0)) await c.close().catch(() => {});
  cleanup();
});

/** CPU the broker used in the 400 ms after `act`, in ms. */
async function cpuAfter(pid: number, act: () => void): Promise<number> {
  const before = cpuMs(pid);
  act();
  await sleep(400);
  return cpuMs(pid) - before;
}

describe('busy wait (--busy-wait)', () => {
  it('spins for the window after a publish, not after a heartbeat alone', async () => {
    const w = await startWarren(['--busy-wait', '300000']);
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${w.port}?heartbeat=0`);
    connections.push(conn);
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await sleep(500); // the handshake's own window passes
    const socket = (conn.connection as unknown as { stream: Socket }).stream;
    const afterHeartbeat = await cpuAfter(w.child.pid!, () => socket.write(HEARTBEAT));
    const afterPublish = await cpuAfter(w.child.pid!, () => ch.sendToQueue(queue, Buffer.from('x')));
    expect(afterHeartbeat).toBeLessThan(60);
    // A 300 ms spin: even with the cores shared with other test files it takes far more than an idle loop.
    expect(afterPublish).toBeGreaterThanOrEqual(80);
    expect((await ch.checkQueue(queue)).messageCount).toBe(1);
  });

  it('0 turns it off: a publish then costs the broker next to nothing', async () => {
    const w = await startWarren(['--busy-wait', '0']);
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${w.port}?heartbeat=0`);
    connections.push(conn);
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await sleep(200);
    expect(await cpuAfter(w.child.pid!, () => ch.sendToQueue(queue, Buffer.from('x')))).toBeLessThan(60);
  });

  it('refuses a value that is not a count of microseconds, naming the flag', async () => {
    const r = await runWarren(['--busy-wait', 'lots', '--port', '0', '--management-port', 'off', '--prometheus-port', 'off']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/busy-wait.*'lots'/);
  });
});
