// A record's CRC is zlib's CRC-32 at every length (the JS loop for short records included), and records written with a
// changing exchange and routing key (their encoded form is reused while they repeat) read back as written.
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Message } from '../../src/broker/message.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import { QueueFiles } from '../../src/store/queue-files.js';
import { recordCrc } from '../../src/store/record-crc.js';
import { storeDir, synced } from '../support/store-helpers.js';

describe('record CRC', () => {
  it("equals zlib's CRC-32 for every length from 0 to 300 bytes, at any offset", () => {
    const buf = Buffer.alloc(1024);
    let seed = 12345;
    for (let i = 0; i < buf.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      buf[i] = seed >>> 24;
    }
    for (let len = 0; len <= 300; len++) {
      for (const start of [0, 1, 7, 500]) expect(recordCrc(buf, start, start + len), `${len} bytes at ${start}`).toBe(crc32(buf.subarray(start, start + len)));
    }
  });

  it('lets recovery read back records whose exchange, routing key and properties change from one to the next', async () => {
    const dir = storeDir('warren-crc-');
    const gc = new GroupCommit(() => {});
    const { files } = QueueFiles.recover(dir, gc, () => {});
    const routes: Array<[string, string]> = [['', 'q'], ['', 'q'], ['orders', 'eu.créé'], ['orders', 'eu.créé'], ['', 'q'], ['x', ''], ['', 'q'.repeat(255)]];
    routes.forEach(([exchange, key], seq) => files.append(seq, new Message(exchange, key, Buffer.from([0x10, 0, 2]), Buffer.alloc(seq * 40, seq)), 0));
    expect(await synced(gc)).toBeUndefined();
    gc.close();
    files.closeFiles();
    const again = new GroupCommit(() => {});
    const back = QueueFiles.recover(dir, again, () => {}).recovered.read(100, Infinity);
    expect(back.map((r) => [r.message.exchange, r.message.routingKey, r.message.body.length, r.message.propertiesRaw.toString('hex')])).toEqual(
      routes.map(([exchange, key], seq) => [exchange, key, seq * 40, '100002']),
    );
    again.close();
  });
});
