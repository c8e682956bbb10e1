// Durable storage under --data-dir: the definitions log and per-queue message files behind one group commit.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MessagePersistence, QueueStore, RecoveredMessage } from '../broker/index.js';
import { DefinitionsLog } from './definitions-log.js';
import { GroupCommit } from './group-commit.js';
import { QueueFiles } from './queue-files.js';

export { DefinitionsLog } from './definitions-log.js';

export class FileStore implements MessagePersistence {
  readonly definitions: DefinitionsLog;
  private readonly commit: GroupCommit;
  private readonly messagesDir: string;

  private readonly warn: (msg: string, ctx: object) => void;

  constructor(dataDir: string, onError: (err: Error) => void, warn: (msg: string, ctx: object) => void = () => {}) {
    this.warn = warn;
    mkdirSync(dataDir, { recursive: true });
    this.messagesDir = join(dataDir, 'messages');
    mkdirSync(this.messagesDir, { recursive: true });
    this.definitions = new DefinitionsLog(dataDir);
    this.commit = new GroupCommit(onError);
  }

  openQueue(vhost: string, queue: string): { store: QueueStore; recovered: RecoveredMessage[] } {
    const id = createHash('sha256').update(vhost).update('\0').update(queue).digest('hex').slice(0, 32);
    const { files, recovered } = QueueFiles.recover(join(this.messagesDir, id), this.commit, (msg, ctx) =>
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
