// Dependencies point one way: cli → http → server → broker → protocol; nothing imports cli.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');
const ORDER = ['protocol', 'broker', 'server', 'http', 'cli'];

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
      const layer = layerOf(file);
      const rank = ORDER.indexOf(layer ?? '');
      if (rank < 0) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import) '(\.[^']+)'/g)) {
        const target = layerOf(join(file, '..', m[1]!));
        const targetRank = ORDER.indexOf(target ?? '');
        if (targetRank > rank) violations.push(`${relative(SRC, file)} → ${m[1]}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('gives every module a comment line saying what it is for', () => {
    const missing = files(SRC).filter((f) => !readFileSync(f, 'utf8').startsWith('//'));
    expect(missing.map((f) => relative(SRC, f))).toEqual([]);
  });
});
