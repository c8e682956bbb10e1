// The disk's bound for group commit on this machine: appends `batch` records of `size` bytes in one write, then
// fdatasync, in a loop for 3 s, in the data directory's file system (/tmp); prints records/s and MB/s.
// usage: node fsync-bound.mjs [size=1100] [batch=1000]
import { openSync, writeSync, fdatasyncSync, closeSync, unlinkSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
const size = Number(process.argv[2] ?? 1100);
const batch = Number(process.argv[3] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'fsync-bound-'));
const path = join(dir, 'seg');
const fd = openSync(path, 'a');
const chunk = Buffer.alloc(size * batch, 0x62);
let records = 0, syncs = 0, written = 0;
const t0 = Date.now();
while (Date.now() - t0 < 3000) {
  writeSync(fd, chunk);
  fdatasyncSync(fd);
  records += batch; syncs++; written += chunk.length;
}
const s = (Date.now() - t0) / 1000;
console.log(`${size} B × ${batch} per write+fdatasync: ${Math.round(records / s).toLocaleString('en-US')} records/s, ${(records * size / s / 1e6).toFixed(0)} MB/s, ${(1e3 * s / syncs).toFixed(2)} ms per write+fdatasync`);
closeSync(fd); unlinkSync(path);
