// withLongHeader adds one long header to raw properties in place of a decode and re-encode: the same properties result.
import { describe, expect, it } from 'vitest';
import { decodeProperties, encodeProperties, long, Writer, type BasicProperties, type FieldTable } from '../../src/protocol/index.js';
import { withLongHeader } from '../../src/protocol/header-splice.js';

const raw = (p: BasicProperties) => {
  const w = new Writer(256);
  encodeProperties(w, p);
  return w.take();
};

describe('withLongHeader', () => {
  it.for<[string, BasicProperties]>([
    ['no properties', {}],
    ['content type only', { contentType: 'text/plain' }],
    ['type and encoding, no headers', { contentType: 'application/json', contentEncoding: 'gzip', deliveryMode: 2 }],
    ['headers and everything after', {
      contentType: 'a/b',
      contentEncoding: 'x',
      headers: new Map([['n', long(5)], ['s', { type: 'S', value: 'v' }]]) as FieldTable,
      deliveryMode: 2,
      priority: 3,
      correlationId: 'c',
      replyTo: 'r',
      expiration: '100',
      messageId: 'm',
      timestamp: 12345,
      type: 't',
      userId: 'guest',
      appId: 'app',
    }],
    ['empty headers', { headers: new Map() as FieldTable, messageId: 'id' }],
  ])('gives the same properties as adding the header and re-encoding: %s', ([, props]) => {
    const spliced = withLongHeader(raw(props), 'x-stream-offset', 2 ** 40 + 7)!;
    const expected: BasicProperties = { ...props, headers: new Map([...(props.headers ?? []), ['x-stream-offset', long(2 ** 40 + 7)]]) as FieldTable };
    const got = decodeProperties(spliced, 0, spliced.length);
    expect(got).toEqual(decodeProperties(raw(expected), 0, raw(expected).length));
  });
});
