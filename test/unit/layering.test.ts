// Dependencies point one way: cli → (src/index.ts) → http → server, shovel → broker → protocol (shovel also uses client); store implements broker's
// interfaces; client depends only on protocol; perf is a client tool that only cli uses; nothing imports cli; a
// shared-helpers folder may be imported by every layer. Every folder of src/ must have a rule: a new one fails here.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles as files } from '../support/source-files.js';

const SRC = join(import.meta.dirname, '..', '..', 'src');

/** Folders of shared helpers (version, listenTcp, Deque, TLS…): importable by every layer, importing none of them. */
const SHARED = ['shared'];

/**
 * What each folder of src/ may import besides itself and SHARED ('.' is the files directly in src/, i.e. index.ts).
 * A sub-folder with a rule of its own (the dashboard's browser code) is held to it instead of its parent's.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  protocol: [],
  broker: ['protocol'],
  store: ['broker', 'protocol'],
  definitions: ['broker', 'protocol'],
  client: ['protocol'],
  server: ['broker', 'protocol'],
  shovel: ['client', 'broker', 'protocol'],
  http: ['server', 'shovel', 'definitions', 'broker', 'protocol'],
  'http/dashboard/app': [],
  '.': ['http', 'server', 'shovel', 'definitions', 'store', 'broker', 'protocol'],
  perf: ['client', 'protocol'],
  testing: ['.'],
  cli: ['.', 'http', 'server', 'shovel', 'definitions', 'store', 'broker', 'client', 'perf', 'protocol'],
  ...Object.fromEntries(SHARED.map((s) => [s, []])),
};

/** Folders whose modules run in a browser: no node: or package imports, only their own relative ones. */
const BROWSER = ['http/dashboard/app'];


/** The rule a file falls under: the longest MAY_IMPORT key that contains it, or its top folder when none does. */
function layerOf(file: string): string {
  const dir = relative(SRC, dirname(file)) || '.';
  const keys = Object.keys(MAY_IMPORT).filter((k) => k !== '.' && (dir === k || dir.startsWith(k + '/')));
  if (keys.length) return keys.sort((a, b) => b.length - a.length)[0]!;
  return dir === '.' ? '.' : dir.split('/')[0]!;
}

/** Static imports (also split over lines), side-effect imports, re-exports and dynamic import('...'); not strings that merely contain "from '". */
const IMPORT_PATTERNS = [/^(?:import|export)\b[^'";]*?\bfrom\s+'([^']+)'/gm, /^import\s+'([^']+)'/gm, /\bimport\(\s*'([^']+)'\s*\)/g];
const importsOf = (file: string): string[] => {
  const text = readFileSync(file, 'utf8');
  return IMPORT_PATTERNS.flatMap((re) => [...text.matchAll(re)].map((m) => m[1]!));
};

describe('layering', () => {
  it('has a rule for every folder of src/', () => {
    const unknown = [...new Set(files(SRC).map(layerOf))].filter((l) => !(l in MAY_IMPORT));
    expect(unknown.map((l) => `src/${l} has no rule in MAY_IMPORT: say which folders it may import`)).toEqual([]);
  });

  it('has no module importing a layer its own may not', () => {
    const violations: string[] = [];
    for (const file of files(SRC)) {
      const layer = layerOf(file);
      const allowed = new Set([layer, ...(MAY_IMPORT[layer] ?? []), ...(SHARED.includes(layer) ? [] : SHARED)]);
      for (const spec of importsOf(file)) {
        const where = relative(SRC, file);
        if (!spec.startsWith('.')) {
          if (BROWSER.includes(layer)) violations.push(`${where} → ${spec} (browser code imports only its own modules)`);
          continue;
        }
        const target = join(dirname(file), spec);
        if (relative(SRC, target).startsWith('..')) {
          violations.push(`${where} → ${spec} (outside src/)`);
          continue;
        }
        const targetLayer = layerOf(target);
        if (!allowed.has(targetLayer)) violations.push(`${where} → ${spec} (${layer} may not import ${targetLayer})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('leaves exchange types behind ExchangeRouter: no module outside broker/exchanges tests for a concrete router', () => {
    const concrete = files(SRC)
      .filter((f) => !relative(SRC, f).startsWith('broker/exchanges/'))
      .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\binstanceof\s+(\w*Router)\b/g)].map((m) => `${relative(SRC, f)}: instanceof ${m[1]}`));
    expect(concrete).toEqual([]);
  });

  it('gives every module a comment line saying what it is for', () => {
    const missing = files(SRC).filter((f) => !readFileSync(f, 'utf8').startsWith('//'));
    expect(missing.map((f) => relative(SRC, f))).toEqual([]);
  });
});
