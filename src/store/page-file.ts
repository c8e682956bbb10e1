// A queue's page file: ready messages beyond its memory window, appended in order and read back in batches.
import { closeSync, ftruncateSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Message, PageFile, QueueEntry, StoredMessages } from '../broker/index.js';
import { Writer } from '../protocol/index.js';
import { readMessage, u64 } from './message-record.js';

/** Bytes read from the file per batch (whole records only are used). */
const READ_CHUNK = 4 * 1024 * 1024;
/** Smallest read: below this a read costs its system call more than its bytes. */
const MIN_READ = 64 * 1024;
const REDELIVERED = 1;
const PERSISTED = 2;
/** The record holds no message, only its body size: the message is read back from the queue's own segments. */
const STORED = 4;

export class QueuePageFile implements PageFile {
  private readonly path: string;
  private fd = -1;
  private readonly w = new Writer(64 * 1024);
  /** Bytes on disk; the next read starts at readOffset. */
  private written = 0;
  private readOffset = 0;
  /** Records appended and not yet read, with their encoded size: sizes the next read. */
  private records = 0;
  private recordBytes = 0;

  /** The page files open now, so that a stopping broker can close them (they leave it when destroyed). */
  private readonly registry: Set<QueuePageFile> | undefined;
  /** Its broker stopped: nothing more is written (a stopped queue's timers must not reopen the file). */
  private closed = false;

  /** Opens a reader of the queue's stored messages (a durable queue's): persistent entries are kept as references. */
  private readonly openStored: (() => StoredMessages) | undefined;
  private stored: StoredMessages | undefined;
  /** References read whose message was gone, and their body bytes (see takeLost). */
  private lostCount = 0;
  private lostBytes = 0;

  constructor(path: string, registry?: Set<QueuePageFile>, stored?: () => StoredMessages) {
    this.path = path;
    this.registry = registry;
    this.openStored = stored;
    registry?.add(this);
  }

  takeLost(): { count: number; bytes: number } {
    const out = { count: this.lostCount, bytes: this.lostBytes };
    this.lostCount = 0;
    this.lostBytes = 0;
    return out;
  }

  append(e: QueueEntry): void {
    if (this.closed) return;
    if (this.fd < 0) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, 'w+');
    }
    const m = e.message;
    const w = this.w;
    const start = w.pos;
    // A persistent message of a durable queue is in the queue's segments already: only a reference is written
    // (1 GB of 1 KB messages was on disk twice). Its record there is the message as published (an entry's
    // delivery copy is never paged).
    const stored = e.persisted && this.openStored !== undefined;
    w.u32(0);
    w.u64(e.seq);
    w.u64(e.expiresAt);
    w.u64(e.enqueuedAt);
    w.u8((e.redelivered ? REDELIVERED : 0) | (e.persisted ? PERSISTED : 0) | (stored ? STORED : 0));
    w.u8(e.priority);
    w.u32(e.deliveryCount);
    if (stored) {
      w.u32(m.body.length);
    } else {
      w.shortstr(m.exchange);
      w.shortstr(m.routingKey);
      w.u32(m.propertiesRaw.length);
      w.raw(m.propertiesRaw);
      w.u32(m.body.length);
      w.raw(m.body);
    }
    w.buf.writeUInt32BE(w.pos - start - 4, start);
    this.records += 1;
    this.recordBytes += w.pos - start;
    if (w.pos >= 1024 * 1024) this.flush();
  }

  private flush(): void {
    if (this.w.pos === 0) return;
    let off = 0;
    while (off < this.w.pos) off += writeSync(this.fd, this.w.buf, off, this.w.pos - off, this.written + off);
    this.written += this.w.pos;
    this.w.pos = 0;
  }

  read(max: number, maxBytes: number): QueueEntry[] {
    const out: QueueEntry[] = [];
    if (this.fd < 0) return out;
    this.flush();
    let bytes = 0;
    const more = () => out.length < max && (out.length === 0 || bytes < maxBytes);
    while (more() && this.readOffset < this.written) {
      // About what `max` records take (by the average so far), so a small batch does not read megabytes.
      const estimate = this.records > 0 ? Math.ceil((this.recordBytes / this.records) * Math.min(max, this.records) * 1.1) : READ_CHUNK;
      const want = Math.min(READ_CHUNK, this.written - this.readOffset, Math.max(MIN_READ, estimate));
      const buf = Buffer.allocUnsafe(want);
      const got = readSync(this.fd, buf, 0, want, this.readOffset);
      let pos = 0;
      while (more() && pos + 4 <= got) {
        const len = buf.readUInt32BE(pos);
        let e: QueueEntry | undefined;
        if (pos + 4 + len > got) {
          if (pos !== 0) break;
          // One record larger than the chunk: read exactly it.
          const big = Buffer.allocUnsafe(4 + len);
          readSync(this.fd, big, 0, 4 + len, this.readOffset);
          e = this.decodeRecord(big.subarray(4));
        } else {
          e = this.decodeRecord(buf.subarray(pos + 4, pos + 4 + len));
        }
        this.records -= 1;
        this.recordBytes -= 4 + len;
        pos += 4 + len;
        if (e === undefined) continue;
        out.push(e);
        bytes += e.message.bodySize;
      }
      this.readOffset += pos;
      if (pos === 0) break;
    }
    if (this.readOffset >= this.written && this.w.pos === 0) this.clear();
    return out;
  }

  /** A record's entry; undefined for a reference whose stored message is gone (counted as lost). */
  private decodeRecord(p: Buffer): QueueEntry | undefined {
    if ((p[24]! & STORED) === 0) return decode(p, undefined);
    this.stored ??= this.openStored!();
    const message = this.stored.read(u64(p, 0));
    if (message === undefined) {
      this.lostCount += 1;
      this.lostBytes += p.readUInt32BE(30);
      return undefined;
    }
    return decode(p, message);
  }

  clear(): void {
    this.records = 0;
    this.recordBytes = 0;
    this.w.pos = 0;
    this.written = 0;
    this.readOffset = 0;
    if (this.fd >= 0) ftruncateSync(this.fd, 0);
  }

  destroy(): void {
    this.stored?.close();
    this.stored = undefined;
    this.registry?.delete(this);
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(this.path, { force: true });
  }

  /** The broker stops: the descriptor is closed (the file itself goes at the next start, with the pages directory). */
  close(): void {
    this.stored?.close();
    this.stored = undefined;
    this.registry?.delete(this);
    this.closed = true;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** A record's entry; `stored`: the message read back for a reference record. */
function decode(p: Buffer, stored: Message | undefined): QueueEntry {
  const seq = u64(p, 0);
  const expiresAt = u64(p, 8);
  const enqueuedAt = u64(p, 16);
  const flags = p[24]!;
  const priority = p[25]!;
  const deliveryCount = p.readUInt32BE(26);
  const message = stored ?? readMessage(p, 30, true);
  return {
    message,
    seq,
    priority,
    expiresAt,
    redelivered: (flags & REDELIVERED) !== 0,
    state: 'ready',
    deliveryCount,
    persisted: (flags & PERSISTED) !== 0,
    delivery: undefined,
    enqueuedAt,
  };
}
