// Publisher confirms: confirm.select, basic.ack with delivery tags counted per channel from 1,
// waitForConfirms on a batch, basic.return ahead of the ack for unroutable mandatory messages,
// and RabbitMQ 3.10's refusal to mix confirm and tx modes on one channel.
import type { ConfirmChannel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { connect, uniqueName } from '../support/amqp.js';
import { confirmChannel, cleanUpAfterEach, trackNames } from '../support/fixtures.js';
import {
  ArgsReader,
  FRAME_BODY,
  FRAME_HEADER,
  args,
  encodeHeaderPayload,
  rawConnect,
  type RawConnection,
} from '../support/raw.js';

const { declareQueue } = cleanUpAfterEach(trackNames(), { raw: true, strict: true });

interface AckFields {
  deliveryTag: number;
  multiple: boolean;
}

/** Resolves with the publish callback's argument: null for an ack, an Error for a nack. */
function publishConfirmed(ch: ConfirmChannel, exchange: string, rk: string, body: string, opts: Parameters<ConfirmChannel['publish']>[3] = {}) {
  return new Promise<unknown>((resolve) => {
    ch.publish(exchange, rk, Buffer.from(body), opts, (err) => resolve(err));
  });
}

// Raw helpers --------------------------------------------------------------------------------

function rawPublish(c: RawConnection, channel: number, exchange: string, rk: string, body: string, mandatory = false): void {
  c.sendMethod(channel, 60, 40, args().short(0).shortstr(exchange).shortstr(rk).bits(mandatory, false).build());
  c.sendFrame(FRAME_HEADER, channel, encodeHeaderPayload(60, Buffer.byteLength(body)));
  c.sendFrame(FRAME_BODY, channel, Buffer.from(body));
}

async function expectAck(c: RawConnection, channel: number): Promise<{ deliveryTag: bigint; multiple: boolean }> {
  const f = await c.expectMethod(60, 80);
  expect(f.channel).toBe(channel);
  const r = new ArgsReader(f.method!.args);
  return { deliveryTag: r.longlong(), multiple: (r.octet() & 1) === 1 };
}

const confirmSelect = (c: RawConnection, channel: number) => c.sendMethod(channel, 85, 10, args().bits(false).build());
const txSelect = (c: RawConnection, channel: number) => c.sendMethod(channel, 90, 10);

describe('confirm.select', () => {
  it('answers confirm.select with select-ok, and again when repeated', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    await c.openChannel(1);
    confirmSelect(c, 1);
    const ok = await c.expectMethod(85, 11);
    expect(ok.channel).toBe(1);
    expect(ok.method!.args.length).toBe(0);
    confirmSelect(c, 1);
    await expect(c.expectMethod(85, 11)).resolves.toBeDefined();
    await c.close();
  });

  it('acks each publish with delivery tags 1, 2, 3… counted on the channel from confirm.select', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const q = await declareQueue(await conn.createChannel(), 'confirm-tags');
    const c = await rawConnect();
    await c.openChannel(1);
    // Publishes before confirm.select are not counted.
    rawPublish(c, 1, '', q, 'before-1');
    rawPublish(c, 1, '', q, 'before-2');
    confirmSelect(c, 1);
    await c.expectMethod(85, 11);
    for (const n of [1n, 2n, 3n]) {
      rawPublish(c, 1, '', q, `m${n}`);
      expect(await expectAck(c, 1)).toEqual({ deliveryTag: n, multiple: false });
    }
    // Another channel counts on its own.
    await c.openChannel(2);
    confirmSelect(c, 2);
    await c.expectMethod(85, 11);
    rawPublish(c, 2, '', q, 'other');
    expect(await expectAck(c, 2)).toEqual({ deliveryTag: 1n, multiple: false });
    await c.close();
    expect((await (await conn.createChannel()).checkQueue(q)).messageCount).toBe(6);
  });

  it('acks a burst of publishes with strictly increasing tags ending at the count (multiple allowed)', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await confirmChannel(conn);
    const q = await declareQueue(ch, 'confirm-burst');
    const acks: AckFields[] = [];
    const nacks: AckFields[] = [];
    ch.on('ack', (f: AckFields) => acks.push(f));
    ch.on('nack', (f: AckFields) => nacks.push(f));
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => publishConfirmed(ch, '', q, `m${i}`)));
    expect(results.every((r) => r === null)).toBe(true);
    expect(nacks).toEqual([]);
    const tags = acks.map((a) => a.deliveryTag);
    for (let i = 1; i < tags.length; i++) expect(tags[i]).toBeGreaterThan(tags[i - 1]!);
    expect(tags[tags.length - 1]).toBe(50);
    // A gap between two acks is only allowed when the later one is multiple.
    let prev = 0;
    for (const a of acks) {
      if (a.deliveryTag !== prev + 1) expect(a.multiple).toBe(true);
      prev = a.deliveryTag;
    }
  });

  it('waitForConfirms resolves once 1000 publishes are all acked, and all 1000 are enqueued', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await confirmChannel(conn);
    const q = await declareQueue(ch, 'confirm-1000');
    let acked = 0;
    let nacked = 0;
    for (let i = 0; i < 1000; i++) {
      ch.sendToQueue(q, Buffer.from(`m${i}`), {}, (err) => (err ? nacked++ : acked++));
    }
    await ch.waitForConfirms(); // rejects if any publish was nacked
    expect({ acked, nacked }).toEqual({ acked: 1000, nacked: 0 });
    expect((await ch.checkQueue(q)).messageCount).toBe(1000);
  });

  it('acks an unroutable message published without mandatory (no basic.return)', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await confirmChannel(conn);
    const returns: unknown[] = [];
    ch.on('return', (m: unknown) => returns.push(m));
    await expect(publishConfirmed(ch, 'amq.direct', uniqueName('nowhere'), 'lost')).resolves.toBeNull();
    await ch.waitForConfirms();
    expect(returns).toEqual([]);
  });

  it('returns an unroutable mandatory message (312 NO_ROUTE) before acking it', async () => {
    expect.hasAssertions();
    const conn = await connect();
    const ch = await confirmChannel(conn);
    const rk = uniqueName('no-route');
    const events: string[] = [];
    let returned: { fields: Record<string, unknown>; content: Buffer } | undefined;
    ch.on('return', (m: { fields: Record<string, unknown>; content: Buffer }) => {
      events.push('return');
      returned = m;
    });
    const confirmed = publishConfirmed(ch, 'amq.direct', rk, 'bounce', { mandatory: true }).then((err) => {
      events.push(err ? 'nack' : 'ack');
    });
    await confirmed;
    expect(events).toEqual(['return', 'ack']);
    expect(returned!.fields).toEqual({ replyCode: 312, replyText: 'NO_ROUTE', exchange: 'amq.direct', routingKey: rk });
    expect(returned!.content.toString()).toBe('bounce');
  });

  it('sends basic.return, its content, then basic.ack, in that order on the wire', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    await c.openChannel(1);
    confirmSelect(c, 1);
    await c.expectMethod(85, 11);
    const rk = uniqueName('no-route-raw');
    rawPublish(c, 1, 'amq.direct', rk, 'bounce', true);
    const ret = await c.expectMethod(60, 50);
    const r = new ArgsReader(ret.method!.args);
    expect({ code: r.short(), text: r.shortstr(), exchange: r.shortstr(), rk: r.shortstr() }).toEqual({
      code: 312,
      text: 'NO_ROUTE',
      exchange: 'amq.direct',
      rk,
    });
    const header = await c.nextNonHeartbeat();
    expect(header.type).toBe(FRAME_HEADER);
    const body = await c.nextNonHeartbeat();
    expect(body.type).toBe(FRAME_BODY);
    expect(body.payload.toString()).toBe('bounce');
    expect(await expectAck(c, 1)).toEqual({ deliveryTag: 1n, multiple: false });
    await c.close();
  });

  it('closes the channel with 404 NOT_FOUND, sending no ack, for a confirmed publish to a missing exchange', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    await c.openChannel(1);
    confirmSelect(c, 1);
    await c.expectMethod(85, 11);
    const missing = uniqueName('missing-exchange');
    rawPublish(c, 1, missing, 'rk', 'x');
    expect(await c.expectChannelClose(1)).toEqual({
      replyCode: 404,
      replyText: `NOT_FOUND - no exchange '${missing}' in vhost '/'`,
      classId: 60,
      methodId: 40,
    });
    await c.close();
  });
});

describe('confirm and tx modes do not mix', () => {
  it('refuses confirm.select on a transactional channel with 406 "cannot switch from tx to confirm mode"', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    await c.openChannel(1);
    txSelect(c, 1);
    await c.expectMethod(90, 11);
    confirmSelect(c, 1);
    expect(await c.expectChannelClose(1)).toEqual({
      replyCode: 406,
      replyText: 'PRECONDITION_FAILED - cannot switch from tx to confirm mode',
      classId: 85,
      methodId: 10,
    });
    // Only the channel closed.
    await c.openChannel(2);
    await c.close();
  });

  it('refuses tx.select on a confirm channel with 406 "cannot switch from confirm to tx mode"', async () => {
    expect.hasAssertions();
    const c = await rawConnect();
    await c.openChannel(1);
    confirmSelect(c, 1);
    await c.expectMethod(85, 11);
    txSelect(c, 1);
    expect(await c.expectChannelClose(1)).toEqual({
      replyCode: 406,
      replyText: 'PRECONDITION_FAILED - cannot switch from confirm to tx mode',
      classId: 90,
      methodId: 10,
    });
    await c.openChannel(2);
    await c.close();
  });
});
