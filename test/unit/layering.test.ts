// Dependencies point one way: cli → http → server → broker → protocol; nothing imports cli. perf (the load
// generator, a client) imports only protocol, and only cli imports perf. shared (version, listenTcp, Deque, TLS
// helpers) sits below them all: any layer may import it, and it imports none.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');
const ORDER = ['shared', 'protocol', 'perf', 'broker', 'server', 'http', 'cli'];
/** Layers that only the listed layers (besides themselves) may import: perf is a client, not part of the broker. */
const IMPORTED_ONLY_BY: Record<string, string[]> = { perf: ['cli'] };

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

function layerOf(file: string): string | undefined {
  return relative(SRC, file).split('/')[0];
}

describe('layering', () => {
  it('has no module importing a higher layer', () => {
    const violations: string[] = [];
    for (const file of files(SRC)) {
      const layer = layerOf(file) ?? '';
      const rank = ORDER.indexOf(layer);
      // Static imports, re-exports and dynamic import('...').
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from |import |import\()'(\.[^']+)'/g)) {
        const target = layerOf(join(file, '..', m[1]!)) ?? '';
        const targetRank = ORDER.indexOf(target);
        if (rank >= 0 && targetRank > rank) violations.push(`${relative(SRC, file)} → ${m[1]}`);
        const only = IMPORTED_ONLY_BY[target];
        if (only && target !== layer && !only.includes(layer)) violations.push(`${relative(SRC, file)} → ${m[1]}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('gives every module a comment line saying what it is for', () => {
    const missing = files(SRC).filter((f) => !readFileSync(f, 'utf8').startsWith('//'));
    expect(missing.map((f) => relative(SRC, f))).toEqual([]);
  });
});
