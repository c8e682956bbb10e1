// make bench-check's assertions on a small bench: bench-results.json has every run and a consistent spread, and readme-table.mjs put each row between the markers.
// Usage: node test/bench/check-smoke.mjs <bench-results.json> <README copy rewritten by readme-table.mjs>
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';

const [jsonPath, readmePath] = process.argv.slice(2);
const bench = JSON.parse(readFileSync(jsonPath, 'utf8'));
for (const key of ['date', 'commit', 'machine', 'versions', 'seconds', 'runs', 'brokers', 'results']) assert.ok(bench[key] !== undefined, `bench-results.json lacks ${key}`);
assert.ok(bench.machine.cpus > 0 && bench.machine.loadAverageBefore.length === 3, 'machine: cpus and load averages');
assert.equal(bench.versions.node, process.versions.node);
assert.ok(bench.results.length > 0, 'no scenario rows');
for (const r of bench.results) {
  for (const b of bench.brokers) {
    const s = r.brokers[b];
    if (b === 'Warren') assert.ok(s, `${r.scenario}: Warren has no result`);
    if (!s) continue;
    const runs = r.scenario.endsWith(', one run') ? 1 : bench.runs;
    assert.equal(s.runs.length, runs, `${r.scenario}, ${b}: ${s.runs.length} runs, not ${runs}`);
    assert.ok(s.min <= s.median && s.median <= s.max && s.min === Math.min(...s.runs) && s.max === Math.max(...s.runs), `${r.scenario}, ${b}: inconsistent spread`);
  }
}
const readme = readFileSync(readmePath, 'utf8');
const table = readme.slice(readme.indexOf('<!-- bench-table:start'), readme.indexOf('<!-- bench-table:end -->'));
assert.ok(table.includes(`at commit ${bench.commit}`), 'the table header names the commit');
for (const r of bench.results) assert.ok(table.includes(`| ${r.scenario}`) && table.includes(`| ${r.bodyBytes} B |`), `no README row for ${r.scenario}`);
console.log(`bench-check: ${bench.results.length} rows × ${bench.runs} runs each for ${bench.brokers.join(', ')}, README table rewritten`);
