/** What a fault test registers for its `afterAll` to undo. */

/** Where a test registers what its `afterAll` undoes (the suites run them in reverse order). */
export interface CleanupList {
  push(cleanup: () => Promise<void> | void): unknown;
}
