// Durable storage under --data-dir: the definitions log and per-queue message files behind one group commit.
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MessagePersistence, PageFile, PagingWindow, QueueStore, RecoveredMessage } from '../broker/index.js';
import { QueuePageFile } from './page-file.js';
import { DefinitionsLog } from './definitions-log.js';
import { GroupCommit } from './group-commit.js';
import { QueueFiles } from './queue-files.js';

export { DefinitionsLog } from './definitions-log.js';

export class FileStore implements MessagePersistence {
  readonly definitions: DefinitionsLog;
  private readonly commit: GroupCommit;
  private readonly messagesDir: string;
  private readonly pagesDir: string;
  readonly pagingWindow: PagingWindow;

  private readonly warn: (msg: string, ctx: object) => void;

  constructor(
    dataDir: string,
    onError: (err: Error) => void,
    warn: (msg: string, ctx: object) => void = () => {},
    pagingWindow: PagingWindow = { messages: 20_000, bytes: 32 * 1024 * 1024 },
  ) {
    this.warn = warn;
    this.pagingWindow = pagingWindow;
    this.pagesDir = join(dataDir, 'pages');
    // Pages only outlive a process by accident (a crash): persistent messages come back from their segments.
    rmSync(this.pagesDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    this.messagesDir = join(dataDir, 'messages');
    mkdirSync(this.messagesDir, { recursive: true });
    this.definitions = new DefinitionsLog(dataDir);
    this.commit = new GroupCommit(onError);
  }

  openPageFile(vhost: string, queue: string): PageFile {
    return new QueuePageFile(join(this.pagesDir, `${queueId(vhost, queue)}-${++this.pageFiles}.page`));
  }
  private pageFiles = 0;

  openQueue(vhost: string, queue: string): { store: QueueStore; recovered: RecoveredMessage[] } {
    const { files, recovered } = QueueFiles.recover(join(this.messagesDir, queueId(vhost, queue)), this.commit, (msg, ctx) =>
      this.warn(msg, { vhost, queue, ...ctx }),
    );
    return { store: files, recovered };
  }

  takeDirty(): boolean {
    return this.commit.takeDirty();
  }

  whenSynced(callback: (err: Error | undefined) => void): void {
    this.commit.whenSynced(callback);
  }

  close(): void {
    this.definitions.close();
  }
}

/** A file-system-safe id for a queue (names may hold any character and be 255 bytes long). */
function queueId(vhost: string, queue: string): string {
  return createHash('sha256').update(vhost).update('\0').update(queue).digest('hex').slice(0, 32);
}
