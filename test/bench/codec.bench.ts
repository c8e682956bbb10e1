// Measures the generated codec against buffer-layout on the fixed-layout methods where buffer-layout can compete.
import * as layout from 'buffer-layout';
import { bench, describe } from 'vitest';
import { BASIC_ACK, CONNECTION_TUNE, decodeMethod, encodeMethod, Writer } from '../../src/protocol/index.js';

const w = new Writer(64);
encodeMethod(w, { id: BASIC_ACK, deliveryTag: 123456789, multiple: true });
const ackPayload = w.take();
encodeMethod(w, { id: CONNECTION_TUNE, channelMax: 2047, frameMax: 131072, heartbeat: 60 });
const tunePayload = w.take();

// buffer-layout has no exact u64 (only "near" u64 as a double) and no packed bits: the closest layouts.
const ackLayout = layout.struct([layout.u32be('id'), layout.nu64be('deliveryTag'), layout.u8('bits')]);
const tuneLayout = layout.struct([layout.u32be('id'), layout.u16be('channelMax'), layout.u32be('frameMax'), layout.u16be('heartbeat')]);

let sink = 0;

describe('decode basic.ack', () => {
  bench('generated codec', () => {
    const m = decodeMethod(ackPayload);
    if (m.id === BASIC_ACK) sink += m.deliveryTag ?? 0;
  });
  bench('buffer-layout', () => {
    const m = ackLayout.decode(ackPayload) as { deliveryTag: number; bits: number };
    sink += m.deliveryTag + (m.bits & 1);
  });
});

describe('decode connection.tune', () => {
  bench('generated codec', () => {
    const m = decodeMethod(tunePayload);
    if (m.id === CONNECTION_TUNE) sink += m.frameMax ?? 0;
  });
  bench('buffer-layout', () => {
    sink += (tuneLayout.decode(tunePayload) as { frameMax: number }).frameMax;
  });
});

describe('encode basic.ack', () => {
  const out = Buffer.alloc(64);
  bench('generated codec', () => {
    w.pos = 0;
    encodeMethod(w, { id: BASIC_ACK, deliveryTag: sink & 0xffff, multiple: true });
  });
  bench('buffer-layout', () => {
    ackLayout.encode({ id: BASIC_ACK, deliveryTag: sink & 0xffff, bits: 1 }, out);
  });
});
