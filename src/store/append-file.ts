// An append-only file whose writes are buffered until the group commit writes and syncs them (queue and stream segments, marks logs).
import { close, closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { Writer } from '../protocol/index.js';
import type { BufferedFile, GroupCommit } from './group-commit.js';

/** What an append file's owner is told. */
export interface AppendFileHooks {
  /**
   * Set for a segment: called when a write or sync of it fails, after which the file is given up (see failed()).
   * Without it (the marks log) a failed file is written and synced again with the next batch.
   */
  onGiveUp?: () => void;
  /** A sync succeeded: the file's first `size` bytes are on disk. */
  onSynced?: (size: number) => void;
}

/** An append-only file whose writes are buffered until the group commit flushes them. */
export class AppendFile implements BufferedFile {
  readonly fd: number;
  readonly path: string;
  size: number;
  private readonly w = new Writer(4096);
  private readonly commit: GroupCommit;
  private retiring = false;
  private closedFd = false;
  /** Size after the last complete flush, and the part of the file a successful sync has covered. */
  private flushedSize: number;
  private syncedSize: number;
  private readonly onGiveUp: (() => void) | undefined;
  private readonly onSynced: ((size: number) => void) | undefined;
  /** Given up after a failure: never written again. */
  gaveUp = false;
  /** Opening it failed: its first flush reports this (so the publishers get nacks) and it is given up. */
  private readonly openError: Error | undefined;

  constructor(path: string, size: number, commit: GroupCommit, hooks: AppendFileHooks = {}) {
    const onGiveUp = hooks.onGiveUp;
    this.path = path;
    let fd = -1;
    try {
      fd = openSync(path, 'a');
    } catch (e) {
      // A full disk can refuse a new file too: reported through the group commit like a failed write.
      if (!onGiveUp) throw e;
      this.openError = e as Error;
    }
    this.fd = fd;
    this.size = size;
    this.flushedSize = size;
    this.syncedSize = size;
    this.commit = commit;
    this.onGiveUp = onGiveUp;
    this.onSynced = hooks.onSynced;
  }

  get writer(): Writer {
    this.commit.markDirty(this);
    return this.w;
  }

  /**
   * Writes the buffer. A failure (disk full) can come after part of it went out: that part is dropped from the
   * buffer, so a retry continues where the file ends instead of writing a half record twice.
   */
  flush(): void {
    const n = this.w.pos;
    if (n === 0) return;
    if (this.openError) throw this.openError;
    let off = 0;
    try {
      while (off < n) off += writeSync(this.fd, this.w.buf, off, n - off);
    } catch (e) {
      (e as NodeJS.ErrnoException).path ??= this.path;
      throw e;
    } finally {
      this.size += off;
      if (off < n && off > 0) this.w.buf.copy(this.w.buf, 0, off, n);
      this.w.pos = n - off;
    }
    this.flushedSize = this.size;
  }

  /**
   * Left behind at segment rollover: closes once the group commit has written and synced it, so the confirms of
   * its last messages still wait for their sync.
   */
  retire(): void {
    this.retiring = true;
    if (this.commit.closed) this.close();
    else this.commit.markDirty(this);
  }

  afterSync(): void {
    this.syncedSize = this.flushedSize;
    this.onSynced?.(this.syncedSize);
    // A later batch may still hold writes made after this one's flush: the file closes after that batch.
    if (!this.retiring || this.closedFd || this.w.pos > 0 || this.commit.isPending(this)) return;
    this.closedFd = true;
    // In the background: once its messages are settled the segment is unlinked, and the last close of an unlinked
    // file frees its megabytes (1.8% of the event loop's CPU profile with persistent 1 KB messages, about 1 ms each).
    // Nothing uses the descriptor after this, so its number being reused once closed is harmless. At shutdown it
    // closes at once: a stopped broker leaves no file of its data directory open.
    if (this.commit.closed) closeSync(this.fd);
    else close(this.fd, ignoreCloseError);
  }

  /**
   * A write or sync failed. A segment is given up: after a failed fdatasync the kernel may have dropped the dirty
   * pages, and a later sync of the same file can succeed, so appending on would let later confirms cover a file
   * with a hole before their records (recovery cuts a segment at its first bad record). What was buffered is
   * dropped (its publishers get nacks), the file is cut back to what a sync covered (best effort: recovery cuts a
   * torn tail anyway), closed, and its owner puts later records in a fresh segment.
   */
  failed(): boolean {
    if (!this.onGiveUp) return false;
    if (this.gaveUp) return true;
    this.gaveUp = true;
    this.w.pos = 0;
    this.commit.forget(this);
    if (this.fd >= 0 && !this.closedFd) {
      try {
        ftruncateSync(this.fd, this.syncedSize);
        this.size = this.syncedSize;
      } catch {
        // The scan at the next boot cuts whatever is torn.
      }
      closeSync(this.fd);
    }
    this.closedFd = true;
    this.onGiveUp();
    return true;
  }

  /** Bytes written or waiting to be written. */
  get length(): number {
    return this.size + this.w.pos;
  }

  close(): void {
    if (this.closedFd) return;
    this.commit.forget(this);
    try {
      this.flush();
    } finally {
      this.closedFd = true;
      if (this.fd >= 0) closeSync(this.fd);
    }
  }
}

/** A background close has nobody to tell: the descriptor is gone either way. */
function ignoreCloseError(): void {}
