// One broker per data directory: an exclusive lock file holding the owner's pid, taken at boot, removed at close.
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const LOCK = 'warren.lock';
/** Held only while a stale lock is being replaced, so two starting brokers cannot both take it over. */
const TAKEOVER = 'warren.lock.takeover';

/** A refusal at boot, as one line. */
export class DataDirError extends Error {}

/** The process start time (clock ticks since boot, from /proc), so a reused pid is not taken for the old owner. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may hold spaces and parentheses, so count from its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

interface Owner {
  pid: number;
  started: string | undefined;
}

function readOwner(path: string): Owner | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const [pid, started] = text.trim().split(/\s+/);
  return { pid: Number(pid), started: started === '' ? undefined : started };
}

/** Whether the process that wrote the lock still runs (and is the same process, where /proc can tell). */
function alive(owner: Owner): boolean {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (owner.started === undefined) return true;
  const now = startTime(owner.pid);
  return now === undefined || now === owner.started;
}

/**
 * Creates `path` holding our pid, failing with EEXIST when it exists. Written aside and hard-linked into place, so
 * nobody ever reads a lock whose pid is not written yet (and takes it for stale).
 */
function create(path: string): void {
  const aside = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  const fd = openSync(aside, 'wx');
  try {
    writeSync(fd, `${process.pid} ${startTime(process.pid) ?? ''}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(aside, path);
  } finally {
    unlinkQuietly(aside);
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Makes the directory if missing; a path that exists and is not a directory is refused. */
export function ensureDataDir(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new DataDirError(`--data-dir ${dir} is not a directory`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new DataDirError(`--data-dir ${dir} is not a directory`);
    throw e;
  }
}

/** The lock of a data directory while this process holds it. */
export class DataDirLock {
  private held = true;

  private constructor(private readonly path: string) {}

  /**
   * Takes the directory's lock. Another live Warren's lock is refused naming its pid; the lock of a process that is
   * gone (killed) is replaced, under a second short-lived lock so that only one of several starting brokers does it.
   */
  static acquire(dir: string): DataDirLock {
    const path = join(dir, LOCK);
    const takeover = join(dir, TAKEOVER);
    for (let attempt = 0; ; attempt++) {
      try {
        create(path);
        return new DataDirLock(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const owner = readOwner(path);
      if (owner !== undefined && alive(owner)) {
        throw new DataDirError(`--data-dir ${dir} is in use by another Warren (pid ${owner.pid}); stop it or choose another --data-dir`);
      }
      if (attempt >= 50) throw new DataDirError(`--data-dir ${dir}: could not take over the stale lock ${path}`);
      try {
        create(takeover);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        // Someone else is replacing the stale lock; a takeover left by a killed process is itself stale.
        const other = readOwner(takeover);
        if (other !== undefined && !alive(other)) unlinkQuietly(takeover);
        else sleep(20);
        continue;
      }
      try {
        // Still the same stale owner (not a lock someone made meanwhile)? Then it is ours to remove. A lock that is
        // gone was replaced by a broker that may be creating its own right now: that one must not be removed.
        const again = readOwner(path);
        if (again !== undefined && owner !== undefined && again.pid === owner.pid && again.started === owner.started && !alive(again)) {
          unlinkQuietly(path);
        }
      } finally {
        unlinkQuietly(takeover);
      }
    }
  }

  /** Removes the lock (once). */
  release(): void {
    if (!this.held) return;
    this.held = false;
    unlinkQuietly(this.path);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
