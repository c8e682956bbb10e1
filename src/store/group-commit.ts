// Group commit: buffered appends are written and fdatasync'ed in batches; callers wait for the batch covering them.
import { fdatasync, fdatasyncSync } from 'node:fs';
import { reportToConsole, type InternalErrorReporter } from '../broker/index.js';

/** A file with buffered appends; flush() writes them (synchronously, to the page cache). */
export interface BufferedFile {
  readonly fd: number;
  /** Named in the error a failed write or sync reports. */
  readonly path?: string;
  /** Called once its data is synced (a file retired at segment rollover closes then). */
  afterSync?(): void;
  /**
   * Its write or sync failed. True when it gives up on itself (a segment: what a sync did not cover may be gone from
   * the page cache, so later records go to a fresh file): it is then not written again, and what it had buffered is
   * dropped. False (or absent): it is written and synced again with the next batch.
   */
  failed?(err: Error): boolean;
  flush(): void;
}

export class GroupCommit {
  private dirty = new Set<BufferedFile>();
  /** Files whose last write or sync failed: they go again with the next batch (never on their own, no busy loop). */
  private readonly retry = new Set<BufferedFile>();
  private waiting: Array<(err: Error | undefined) => void> = [];
  private syncing = false;
  private scheduled = false;
  /** Set by noteAppend, cleared by takeDirty: tells a publisher its confirm must wait for a sync. */
  private dirtySincePublish = false;
  /** Reported once per distinct failure cause until a batch succeeds again, so a failing disk does not flood the log. */
  private readonly onError: (err: Error) => void;
  private lastErrorCode: string | undefined;
  /** Set by close(): nothing more is written (timers of a stopped broker must not touch a data dir reused by the next). */
  closed = false;

  /** Where a waiter that throws is reported (the broker's logger). */
  readonly reportInternalError: InternalErrorReporter;

  constructor(onError: (err: Error) => void, reportInternalError: InternalErrorReporter = reportToConsole) {
    this.onError = onError;
    this.reportInternalError = reportInternalError;
  }

  /** A file has buffered writes: they go out with the next batch (scheduled now). */
  markDirty(file: BufferedFile): void {
    if (this.closed) return;
    this.dirty.add(file);
    this.schedule();
  }

  /** A message was appended: the publisher's confirm must wait for the next sync. */
  noteAppend(): void {
    this.dirtySincePublish = true;
  }

  takeDirty(): boolean {
    const d = this.dirtySincePublish;
    this.dirtySincePublish = false;
    return d;
  }

  /** True while the file is waiting for a batch (written to since its last one, or failed and due again). */
  isPending(file: BufferedFile): boolean {
    return this.dirty.has(file) || this.retry.has(file);
  }

  /** Forgets a file (deleted); its pending data is dropped by its owner. */
  forget(file: BufferedFile): void {
    this.dirty.delete(file);
    this.retry.delete(file);
  }

  whenSynced(callback: (err: Error | undefined) => void): void {
    if (this.closed) {
      queueMicrotask(() => callback(new Error('message store closed')));
      return;
    }
    this.waiting.push(callback);
    this.schedule();
  }

  /** Clean shutdown: writes and syncs what is buffered now, then refuses further work. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    let failure: Error | undefined;
    const files = new Set([...this.dirty, ...this.retry]);
    this.dirty.clear();
    this.retry.clear();
    for (const f of files) {
      try {
        f.flush();
        fdatasyncSync(f.fd);
        f.afterSync?.();
      } catch (e) {
        // EBADF: closed meanwhile (deleted queue).
        if ((e as NodeJS.ErrnoException).code !== 'EBADF') {
          failure ??= e as Error;
          f.failed?.(e as Error);
        }
      }
    }
    if (failure) this.report(failure);
    const batch = this.waiting;
    this.waiting = [];
    release(batch, failure, this.reportInternalError);
  }

  private schedule(): void {
    if (this.syncing || this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  /** One batch: write every dirty file, fdatasync them all, then release every waiter of the batch. */
  private run(): void {
    this.scheduled = false;
    if (this.closed) return;
    const batch = this.waiting;
    const files = [...this.dirty];
    for (const f of this.retry) if (!this.dirty.has(f)) files.push(f);
    this.retry.clear();
    this.waiting = [];
    this.dirty = new Set();
    if (batch.length === 0 && files.length === 0) return;
    this.syncing = true;
    let failure: Error | undefined;
    const synced: BufferedFile[] = [];
    for (const f of files) {
      try {
        f.flush();
        synced.push(f);
      } catch (e) {
        failure ??= e as Error;
        if (!f.failed?.(e as Error)) this.retry.add(f);
      }
    }
    let left = synced.length;
    const finish = () => {
      this.syncing = false;
      if (failure) this.report(failure);
      else this.lastErrorCode = undefined;
      release(batch, failure, this.reportInternalError);
      if (this.waiting.length > 0 || this.dirty.size > 0) this.schedule();
    };
    if (left === 0) return finish();
    for (const f of synced) {
      fdatasync(f.fd, (err) => {
        // EBADF: the file was closed meanwhile (its queue deleted); nothing of it needs to survive.
        if (err && err.code !== 'EBADF') {
          if (f.path !== undefined) err.path ??= f.path;
          failure ??= err;
          if (f.failed?.(err)) {
            // It dropped what was appended to it while this sync ran: the publishers waiting for those records
            // (they wait for the next batch) are failed with this one. Records appended from now on go elsewhere.
            for (const cb of this.waiting.splice(0)) batch.push(cb);
          } else {
            this.retry.add(f);
          }
        } else if (!err) {
          f.afterSync?.();
        }
        if (--left === 0) finish();
      });
    }
  }

  private report(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code ?? err.message;
    if (code === this.lastErrorCode) return;
    this.lastErrorCode = code;
    this.onError(err);
  }
}

/**
 * Calls every waiter of a batch. They run from an I/O callback: one that throws must neither take the process down
 * nor leave the waiters after it (publishers' confirms) waiting for ever.
 */
function release(batch: ReadonlyArray<(err: Error | undefined) => void>, failure: Error | undefined, report: InternalErrorReporter): void {
  for (const cb of batch) {
    try {
      cb(failure);
    } catch (e) {
      report(e, 'a message store sync callback');
    }
  }
}
