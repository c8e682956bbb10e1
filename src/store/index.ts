// Durable storage under --data-dir: the definitions log and per-queue message files behind one group commit.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type {
  Broker,
  DelayedStore,
  MessagePersistence,
  PageFile,
  StoredMessages,
  PagingWindow,
  QueueStore,
  RecoveredDelayed,
  RecoveredMessages,
  StreamLog,
  StreamRetention,
} from '../broker/index.js';
import { reportToConsole, type InternalErrorReporter } from '../broker/index.js';
import { DataDirLock, ensureDataDir } from './data-dir-lock.js';
import { QueuePageFile } from './page-file.js';
import { DefinitionsLog } from './definitions-log.js';
import { GroupCommit } from './group-commit.js';
import { QueueFiles } from './queue-files.js';
import { StreamFiles } from './stream-files.js';

export { DefinitionsLog } from './definitions-log.js';

export class FileStore implements MessagePersistence {
  readonly definitions: DefinitionsLog;
  private readonly commit: GroupCommit;
  private readonly messagesDir: string;
  private readonly pagesDir: string;
  /** Persistent messages waiting in durable x-delayed-message exchanges, one directory per exchange. */
  private readonly delayedDir: string;
  /** Stream logs, one directory per stream. */
  private readonly streamsDir: string;
  /** Directories of stores open now (queues, delayed exchanges, streams); the others are leftovers. */
  private readonly open = new Map<string, QueueFiles | StreamFiles>();
  /** True while the definitions log is replayed: a replayed delete keeps the files (a later declare reopens them). */
  private replaying = false;
  readonly pagingWindow: PagingWindow;

  private readonly warn: (msg: string, ctx: object) => void;
  private readonly lock: DataDirLock;

  constructor(
    dataDir: string,
    onError: (err: Error) => void,
    warn: (msg: string, ctx: object) => void = () => {},
    pagingWindow: PagingWindow = { messages: 100_000, bytes: 32 * 1024 * 1024, idleMessages: 25_000, idleBytes: 8 * 1024 * 1024 },
    reportInternalError: InternalErrorReporter = reportToConsole,
  ) {
    this.warn = warn;
    this.pagingWindow = pagingWindow;
    ensureDataDir(dataDir);
    // First: another broker's pages and segments must not be touched.
    this.lock = DataDirLock.acquire(dataDir);
    try {
      this.pagesDir = join(dataDir, 'pages');
      // Pages only outlive a process by accident (a crash): persistent messages come back from their segments.
      rmSync(this.pagesDir, { recursive: true, force: true });
      this.messagesDir = join(dataDir, 'messages');
      mkdirSync(this.messagesDir, { recursive: true });
      this.delayedDir = join(dataDir, 'delayed');
      mkdirSync(this.delayedDir, { recursive: true });
      this.streamsDir = join(dataDir, 'streams');
      mkdirSync(this.streamsDir, { recursive: true });
      this.definitions = new DefinitionsLog(dataDir);
      this.commit = new GroupCommit(onError, reportInternalError);
    } catch (e) {
      this.lock.release();
      throw e;
    }
  }

  openPageFile(vhost: string, queue: string, stored?: () => StoredMessages): PageFile {
    return new QueuePageFile(join(this.pagesDir, `${queueId(vhost, queue)}-${this.instance}-${++this.pageFiles}.page`), this.openPages, stored);
  }
  private pageFiles = 0;
  /** Page files in use (not destroyed): closed when the broker stops. */
  private readonly openPages = new Set<QueuePageFile>();
  /** Page file names differ between broker instances: a stopped one's timers must not write into the next one's pages. */
  private readonly instance = randomBytes(4).toString('hex');

  openQueue(vhost: string, queue: string): { store: QueueStore; recovered: RecoveredMessages } {
    const dir = join(this.messagesDir, queueId(vhost, queue));
    const { files, recovered } = QueueFiles.recover(dir, this.commit, (msg, ctx) => this.warn(msg, { vhost, queue, ...ctx }), this.release);
    this.open.set(dir, files);
    return { store: files, recovered };
  }

  /** A delayed exchange's messages live in segment files as a queue's do: the id as sequence, the due time as expiry. */
  openDelayed(vhost: string, exchange: string): { store: DelayedStore; recovered: RecoveredDelayed[]; lastId: number } {
    const dir = join(this.delayedDir, queueId(vhost, exchange));
    const { files, recovered } = QueueFiles.recover(dir, this.commit, (msg, ctx) => this.warn(msg, { vhost, exchange, ...ctx }), this.release);
    this.open.set(dir, files);
    // Delayed messages all wait in memory (each has its timer): read them all now.
    const all = recovered.read(Infinity, Infinity);
    recovered.close();
    return { store: files, recovered: all.map((r) => ({ id: r.seq, message: r.message, dueAt: r.expiresAt })), lastId: recovered.lastSeq };
  }

  /** A stream's log lives in its own directory of segment files (see stream-files.ts). */
  openStream(vhost: string, queue: string, retention: StreamRetention, onCommit: () => void): StreamLog {
    const dir = join(this.streamsDir, queueId(vhost, queue));
    const log = StreamFiles.recover(dir, this.commit, retention, (msg, ctx) => this.warn(msg, { vhost, queue, ...ctx }), onCommit, this.release);
    this.open.set(dir, log);
    return log;
  }

  private readonly release = (dir: string): boolean => {
    this.open.delete(dir);
    return !this.replaying;
  };

  /**
   * Replays the definitions log. The files on disk are those of each queue's (and delayed exchange's) last
   * incarnation, so a delete followed by a re-declare in the log must not remove them: removal waits for the end,
   * where every directory no durable queue or exchange owns is deleted. Returns how many changes were replayed.
   */
  replay(broker: Broker): number {
    this.replaying = true;
    let changes: number;
    try {
      changes = this.definitions.replay(broker, (msg) => this.warn(msg, {}));
    } finally {
      this.replaying = false;
    }
    for (const root of [this.messagesDir, this.delayedDir, this.streamsDir]) {
      for (const name of readdirSync(root)) {
        const dir = join(root, name);
        if (!this.open.has(dir)) rmSync(dir, { recursive: true, force: true });
      }
    }
    return changes;
  }

  takeDirty(): boolean {
    return this.commit.takeDirty();
  }

  whenSynced(callback: (err: Error | undefined) => void): void {
    this.commit.whenSynced(callback);
  }

  /** Writes and syncs whatever is buffered; later writes (timers of the stopped broker) are ignored. */
  close(): void {
    this.commit.close();
    for (const files of this.open.values()) files.closeFiles();
    this.open.clear();
    for (const page of [...this.openPages]) page.close();
    this.definitions.close();
    this.lock.release();
  }
}

/** A file-system-safe id for a queue (names may hold any character and be 255 bytes long). */
function queueId(vhost: string, queue: string): string {
  return createHash('sha256').update(vhost).update('\0').update(queue).digest('hex').slice(0, 32);
}
