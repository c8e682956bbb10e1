// The access store: vhosts, users, permissions and limits as one JSON snapshot (access.json), replaced atomically.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFileSync } from './replace-file.js';
import type { AccessSnapshot, AccessStore } from '../broker/index.js';

export class AccessFile implements AccessStore {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'access.json');
  }

  load(): AccessSnapshot | undefined {
    if (!existsSync(this.path)) return undefined;
    let s: unknown;
    try {
      s = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (e) {
      throw new Error(`${this.path}: not valid JSON (${(e as Error).message}); fix or remove it (users, permissions and limits are kept there)`);
    }
    if (s === null || typeof s !== 'object' || (s as { version?: unknown }).version !== 1) throw new Error(`${this.path}: not an access snapshot Warren can read`);
    return s as AccessSnapshot;
  }

  /** Writes a temporary file, syncs it and renames it over the old one: a crash leaves one or the other, whole. */
  save(snapshot: AccessSnapshot): void {
    replaceFileSync(this.path, JSON.stringify(snapshot) + '\n');
  }
}
