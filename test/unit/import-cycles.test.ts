// The only import cycles left in src/ are type-only: no module needs, when it loads, a module that (through others) needs it back.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runtimeCycles, sourceFiles } from '../support/source-files.js';

const SRC = join(import.meta.dirname, '..', '..', 'src');
const scratch = mkdtempSync(join(tmpdir(), 'warren-cycles-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes `modules` (name → source) into a fresh folder and returns the cycles found there, as file names. */
function cyclesOf(name: string, modules: Record<string, string>): string[][] {
  const dir = join(scratch, name);
  for (const [file, text] of Object.entries(modules)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return runtimeCycles(sourceFiles(dir)).map((c) => c.map((f) => relative(dir, f)));
}

describe('import cycles', () => {
  it('finds a cycle through value imports and re-exports, and none through type-only ones', () => {
    expect(cyclesOf('value', { 'a.ts': "import { b } from './b.js';\nexport const a = b;\n", 'b.ts': "export { c as b } from './c.js';\n", 'c.ts': "import { a } from './a.js';\nexport const c = 1; void a;\n" })).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    expect(cyclesOf('side-effect', { 'a.ts': "import './b.js';\n", 'b.ts': "import { type A } from './a.js';\nimport './a.js';\nexport type B = A;\n" })).toEqual([['a.ts', 'b.ts']]);
    expect(
      cyclesOf('types', {
        'a.ts': "import type { B } from './b.js';\nexport interface A { b: B }\n",
        'b.ts': "import { type A } from './a.js';\nexport type { A as C } from './a.js';\nexport interface B { a: A }\n",
        'd.ts': "import { type B } from './b.js';\nimport { e } from './e.js';\nexport const d = (x: B) => x && e;\n",
        'e.ts': "export { type B as E } from './b.js';\nexport const e = 1;\n",
      }),
    ).toEqual([]);
  });

  it('leaves only type-only cycles in src/', () => {
    const cycles = runtimeCycles(sourceFiles(SRC)).map((c) => c.map((f) => relative(SRC, f)).join(' → '));
    expect(cycles).toEqual([]);
  });
});
