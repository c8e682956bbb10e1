// Prints the plain closing line `N passed, N failed[, N skipped]` as the last line of the run,
// counting test cases. Counted in onTestRunEnd; printed in onFinished, which vitest calls after
// every reporter's onTestRunEnd, and — this reporter being listed after 'default' — after the
// default reporter has printed its (synchronous) summary.
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  private line: string | undefined;

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      let failedHere = 0;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failedHere++;
        else skipped++; // skipped, todo, or never run (pending)
      }
      // A file that failed to load or whose hooks failed has errors of its own: count it once
      // as a failure when none of its tests already carries the failure.
      if (failedHere === 0 && (mod.errors().length > 0 || mod.state() === 'failed')) failedHere = 1;
      failed += failedHere;
    }
    // Errors thrown outside any test (e.g. an unhandled rejection) fail the run: show that.
    failed += unhandledErrors.length;
    this.line = `${passed} passed, ${failed} failed` + (skipped > 0 ? `, ${skipped} skipped` : '');
  }

  onFinished(): void {
    if (this.line === undefined) return;
    process.stdout.write(`\n${this.line}\n`);
    this.line = undefined;
  }
}
