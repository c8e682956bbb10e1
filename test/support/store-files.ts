// For store unit tests on the real file system: a node:fs that records syncs and can fail one fdatasync.
// Only a type import of node:fs here: the mock factory loads this module while node:fs is being mocked.
import type * as Fs from 'node:fs';

/** Paths whose next fdatasync fails with EIO (once each). */
export const failNextSync = new Set<string>();
/** Paths passed to fsyncSync, in order (directories included). */
export const fsynced: string[] = [];
const fdPaths = new Map<number, string>();

/**
 * node:fs with openSync, fdatasync and fsyncSync observed; use as
 * `vi.mock('node:fs', async (original) => (await import('../support/store-files.js')).observedFs(await original()))`.
 */
export function observedFs(fs: typeof Fs): typeof Fs {
  const openSync = ((path: string, ...rest: unknown[]) => {
    const fd = (fs.openSync as (...a: unknown[]) => number)(path, ...rest);
    fdPaths.set(fd, String(path));
    return fd;
  }) as typeof fs.openSync;
  const fdatasync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    const path = fdPaths.get(fd);
    if (path !== undefined && failNextSync.delete(path)) {
      setImmediate(() => cb(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' })));
      return;
    }
    fs.fdatasync(fd, cb);
  }) as typeof fs.fdatasync;
  const fsyncSync = ((fd: number) => {
    fsynced.push(fdPaths.get(fd) ?? `fd ${fd}`);
    fs.fsyncSync(fd);
  }) as typeof fs.fsyncSync;
  const patched = { openSync, fdatasync, fsyncSync };
  return { ...fs, ...patched, default: { ...fs, ...patched } } as typeof Fs;
}
