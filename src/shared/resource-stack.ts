// Resources opened in order and closed in reverse: a start that fails half-way closes what it had opened, once.

export class ResourceStack {
  private readonly closers: Array<() => void | Promise<void>> = [];

  /** Remembers how to close a resource just opened; it is closed before everything opened earlier. */
  defer(close: () => void | Promise<void>): void {
    this.closers.push(close);
  }

  /** Runs one opening step; when it throws, everything opened so far is closed and the step's error is raised. */
  async open<T>(step: () => T | Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (e) {
      await this.close().catch(() => {});
      throw e;
    }
  }

  /** Closes everything, newest first; every closer runs even when one fails, and the first failure is raised after. */
  async close(): Promise<void> {
    let failure: unknown;
    let failed = false;
    for (let c = this.closers.pop(); c; c = this.closers.pop()) {
      try {
        await c();
      } catch (e) {
        if (!failed) failure = e;
        failed = true;
      }
    }
    if (failed) throw failure;
  }
}
