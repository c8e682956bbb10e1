// Heartbeats on the wire: the broker sends them at half the negotiated interval, drops a client
// that goes silent, and keeps one that heartbeats.
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllAmqp, openBystander } from '../support/amqp.js';
import { FRAME_HEARTBEAT, SocketClosedError, destroyAllRaw, rawConnect } from '../support/raw.js';

afterEach(async () => {
  destroyAllRaw();
  await closeAllAmqp();
});

describe('heartbeats', () => {
  it('sends empty heartbeat frames on channel 0 about every half interval (heartbeat 2 → ~1 s)', async () => {
    expect.hasAssertions();
    const c = await rawConnect({ tuneOk: { heartbeat: 2 } });
    // Keep the broker from timing us out meanwhile.
    const keepAlive = setInterval(() => c.sendFrame(FRAME_HEARTBEAT, 0, Buffer.alloc(0)), 500);
    try {
      const t0 = Date.now();
      const frames = [];
      while (frames.length < 3) frames.push(await c.nextFrame(3_000, 'a heartbeat'));
      const elapsed = Date.now() - t0;
      for (const f of frames) {
        expect(f.type).toBe(FRAME_HEARTBEAT);
        expect(f.channel).toBe(0);
        expect(f.payload.length).toBe(0);
      }
      // three frames at ~1 s spacing: well under 2 s apart each
      expect(elapsed).toBeLessThan(4_500);
    } finally {
      clearInterval(keepAlive);
    }
    await c.close();
  });

  it('closes the socket of a client that stays silent past the heartbeat timeout, without connection.close', async () => {
    expect.hasAssertions();
    const bystander = await openBystander();
    const c = await rawConnect({ tuneOk: { heartbeat: 2 } });
    const t0 = Date.now();
    const seen: number[] = [];
    let ended: Error | undefined;
    while (!ended) {
      try {
        const f = await c.nextFrame(15_000, 'the socket to close');
        seen.push(f.type);
      } catch (e) {
        ended = e as Error;
      }
    }
    const elapsed = Date.now() - t0;
    expect(ended).toBeInstanceOf(SocketClosedError);
    // only heartbeats came before the close: no connection.close
    expect(seen.every((t) => t === FRAME_HEARTBEAT)).toBe(true);
    // RabbitMQ closes after ~3 intervals (6 s for heartbeat 2); never before 2 intervals.
    expect(elapsed).toBeGreaterThanOrEqual(3_500);
    expect(elapsed).toBeLessThan(12_000);
    await bystander.assertStillWorks();
    await bystander.close();
  });

  it('keeps a connection open while the client sends heartbeats and nothing else', async () => {
    expect.hasAssertions();
    const c = await rawConnect({ tuneOk: { heartbeat: 2 } });
    const keepAlive = setInterval(() => c.sendFrame(FRAME_HEARTBEAT, 0, Buffer.alloc(0)), 1_000);
    try {
      await new Promise((r) => setTimeout(r, 7_000));
    } finally {
      clearInterval(keepAlive);
    }
    expect(c.isClosed).toBe(false);
    expect(c.received.every((f) => f.type === FRAME_HEARTBEAT)).toBe(true);
    await c.openChannel(1);
    await c.close();
    expect(c.isClosed).toBe(true);
  });
});
