/** Polling helper of the source tests: waits (in real time) until `probe` returns something. */
import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves with the first value `probe` returns other than undefined; rejects after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Resolves once `condition()` holds. */
export function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<true> {
  return waitFor(() => (condition() ? true : undefined), timeoutMs, what);
}
