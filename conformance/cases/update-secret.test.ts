// connection.update-secret (class 10, method 70: new-secret longstr, reason shortstr), the method a
// client uses to hand the broker a refreshed credential (e.g. an OAuth 2 token) without reconnecting.
// What RabbitMQ 3.10 does with its internal auth backend (checked against 3.10.8):
// - On channel 0 of an open connection it answers connection.update-secret-ok (10, 71, no
//   arguments) whatever the secret: the internal backend's state cannot expire, so the secret is not
//   checked (a wrong or empty one is accepted too). The connection and its channels keep working.
// - On an open channel other than 0: connection.close 503 "COMMAND_INVALID - unimplemented
//   method" (10, 70): the channel does not handle connection-class methods.
// - On a channel never opened: connection.close 504 "CHANNEL_ERROR - expected 'channel.open'"
//   (10, 70), as for any method there (see bad-input.test.ts).
import type { ChannelModel } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllAmqp, connect, uniqueName } from '../support/amqp.js';
import { args, destroyAllRaw, rawConnect, type RawConnection } from '../support/raw.js';

afterEach(async () => {
  destroyAllRaw();
  await closeAllAmqp();
});

function updateSecret(c: RawConnection, channel: number, secret: string, reason: string): void {
  c.sendMethod(channel, 10, 70, args().longstr(secret).shortstr(reason).build());
}

/** The next frame as {channel, class, method, argument bytes}, for exact comparisons. */
async function nextMethod(c: RawConnection): Promise<{ channel: number; method: [number, number] | undefined; args: string }> {
  const f = await c.nextNonHeartbeat(5_000, 'a method frame');
  return { channel: f.channel, method: f.method && [f.method.classId, f.method.methodId], args: f.method ? f.method.args.toString('hex') : '' };
}

/** basic.qos round trip on `channel`: proves the channel (and connection) still work. */
async function qosRoundTrip(c: RawConnection, channel: number): Promise<void> {
  c.sendMethod(channel, 60, 10, args().long(0).short(7).bits(false).build());
  const f = await c.expectMethod(60, 11);
  expect(f.channel).toBe(channel);
}

describe('connection.update-secret', () => {
  it('answers update-secret-ok (10,71, no arguments) on channel 0, and the connection keeps working', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    updateSecret(c, 0, 'guest', 'token refresh');
    expect(await nextMethod(c)).toEqual({ channel: 0, method: [10, 71], args: '' });
    await c.openChannel(1);
    await qosRoundTrip(c, 1);
    await c.close();
    expect(c.isClosed).toBe(true);
  });

  it('accepts a secret that is not the password, and an empty one, keeping already-open channels working', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    await c.openChannel(1);
    updateSecret(c, 0, 'not-the-password', 'rotated');
    expect(await nextMethod(c)).toEqual({ channel: 0, method: [10, 71], args: '' });
    await qosRoundTrip(c, 1);
    updateSecret(c, 0, '', '');
    expect(await nextMethod(c)).toEqual({ channel: 0, method: [10, 71], args: '' });
    await qosRoundTrip(c, 1);
    await c.openChannel(2);
    await qosRoundTrip(c, 2);
    await c.close();
  });

  it('answers each of several update-secrets sent back to back, in order', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    updateSecret(c, 0, 'one', 'r1');
    updateSecret(c, 0, 'two', 'r2');
    updateSecret(c, 0, 'three', 'r3');
    const got = [await nextMethod(c), await nextMethod(c), await nextMethod(c)];
    expect(got).toEqual([
      { channel: 0, method: [10, 71], args: '' },
      { channel: 0, method: [10, 71], args: '' },
      { channel: 0, method: [10, 71], args: '' },
    ]);
    await c.close();
  });

  it("resolves amqplib's updateSecret(), and the connection's channels keep working", async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await conn.createChannel();
    const q = uniqueName('update-secret');
    await ch.assertQueue(q, { exclusive: true });
    await (conn as ChannelModel & { updateSecret(secret: Buffer, reason: string): Promise<void> }).updateSecret(Buffer.from('guest'), 'refresh');
    ch.sendToQueue(q, Buffer.from('after update-secret'));
    let got: Awaited<ReturnType<typeof ch.get>> = false;
    for (let i = 0; i < 50 && got === false; i++) {
      got = await ch.get(q, { noAck: true });
      if (got === false) await new Promise((r) => setTimeout(r, 20));
    }
    expect(got !== false && got.content.toString()).toBe('after update-secret');
    await conn.close();
  });

  it('closes the connection with 503 COMMAND_INVALID - unimplemented method (10,70) for update-secret on an open channel other than 0', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    await c.openChannel(1);
    updateSecret(c, 1, 'guest', 'wrong channel');
    const f = await c.nextNonHeartbeat(5_000, 'connection.close');
    if (f.close && f.channel === 0 && !c.isClosed) c.sendMethod(0, 10, 51);
    expect({ channel: f.channel, method: f.method && [f.method.classId, f.method.methodId], close: f.close }).toEqual({
      channel: 0,
      method: [10, 50],
      close: { replyCode: 503, replyText: 'COMMAND_INVALID - unimplemented method', classId: 10, methodId: 70 },
    });
    await expect(c.waitForClose(5_000)).resolves.toBeUndefined();
  });

  it("closes the connection with 504 CHANNEL_ERROR - expected 'channel.open' (10,70) for update-secret on a channel never opened", async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    updateSecret(c, 3, 'guest', 'no such channel');
    const f = await c.nextNonHeartbeat(5_000, 'connection.close');
    if (f.close && f.channel === 0 && !c.isClosed) c.sendMethod(0, 10, 51);
    expect({ channel: f.channel, method: f.method && [f.method.classId, f.method.methodId], close: f.close }).toEqual({
      channel: 0,
      method: [10, 50],
      close: { replyCode: 504, replyText: "CHANNEL_ERROR - expected 'channel.open'", classId: 10, methodId: 70 },
    });
    await expect(c.waitForClose(5_000)).resolves.toBeUndefined();
  });
});
