/**
 * Long work on the event loop in slices: `await pacer.slice()` inside a loop gives the loop back to other
 * requests every few milliseconds, and stops the work (with the signal's reason) once its signal is aborted —
 * how a request's time limit cancels a ranking it started, and how loading a batch version never holds up the
 * requests answered meanwhile from the previous one.
 */

/** Milliseconds of work between two yields by default. */
export const DEFAULT_SLICE_MS = 4;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Yields to the event loop when the current slice is used up; throws the abort reason once aborted.
 *
 * @example
 * const pacer = new Pacer(signal);
 * for (const cell of cells) { fold(cell); await pacer.slice(); }
 */
export class Pacer {
  readonly #signal: AbortSignal | undefined;
  readonly #sliceMs: number;
  #started = performance.now();
  #calls = 0;

  constructor(signal?: AbortSignal, sliceMs = DEFAULT_SLICE_MS) {
    this.#signal = signal;
    this.#sliceMs = sliceMs;
  }

  /** Throws the signal's reason when aborted. */
  check(): void {
    this.#signal?.throwIfAborted();
  }

  /**
   * Yields when the slice is over (checked every 64 calls, so calling it per item is cheap). Resolves
   * synchronously-fast otherwise.
   */
  async slice(): Promise<void> {
    if ((++this.#calls & 63) !== 0) return;
    if (performance.now() - this.#started < this.#sliceMs) return;
    await yieldToLoop();
    this.check();
    this.#started = performance.now();
  }

  /** Whether the current slice is used up (for loops that yield by hand, without an await per item). */
  due(): boolean {
    return (++this.#calls & 63) === 0 && performance.now() - this.#started >= this.#sliceMs;
  }

  /** Yields now and starts a new slice. */
  async yield(): Promise<void> {
    await yieldToLoop();
    this.check();
    this.#started = performance.now();
  }
}
