/**
 * Deterministic crash points for fault tests (docs/reliability.md, fault 2). A process started with
 * `OXBOW_FAILPOINT=<name>` kills itself with SIGKILL — no cleanup, no flush, like a power cut — the first time it
 * reaches the point of that name. With `OXBOW_FAILPOINT_DIR=<dir>` it first writes `<dir>/<name>.fired`, and a
 * point whose marker exists never fires again, so a test can restart the process with the same environment and
 * the fault happens exactly once across restarts. With `OXBOW_FAILPOINT_SIGNAL=SIGSTOP` the process freezes itself
 * there instead (a zombie: it goes on where it stopped when it gets SIGCONT; fault 6). Unset (production),
 * {@link failpoint} is one comparison.
 *
 * The points (where each app calls them is listed in docs/reliability.md):
 * - `mid-batch`: part of a batch is in the sink's buffers or staging area, nothing of it is visible yet;
 * - `after-sink-before-offset`: the batch's output is durable, the position recorded elsewhere (the speed layer's
 *   checkpoint, the archiver's group offsets) is not;
 * - `after-offset`: the batch and every position of it are recorded;
 * - `mid-file-publish`: a file's temporary copy is written and synced, not yet renamed into place (`file://`).
 */
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The names `OXBOW_FAILPOINT` accepts. */
export const FAILPOINT_NAMES = [
  'mid-batch',
  'after-sink-before-offset',
  'after-offset',
  'mid-file-publish',
] as const;

/** One crash point. */
export type FailpointName = (typeof FAILPOINT_NAMES)[number];

const armed = process.env.OXBOW_FAILPOINT ?? '';
const markerDir = process.env.OXBOW_FAILPOINT_DIR ?? '';
/** What the armed point does: SIGKILL (a crash, the default) or SIGSTOP (a freeze until SIGCONT). */
const signal = process.env.OXBOW_FAILPOINT_SIGNAL ?? 'SIGKILL';
let fired = false;

if (armed !== '' && !(FAILPOINT_NAMES as readonly string[]).includes(armed)) {
  throw new Error(`OXBOW_FAILPOINT=${armed} is not a failpoint (one of ${FAILPOINT_NAMES.join(', ')})`);
}
if (signal !== 'SIGKILL' && signal !== 'SIGSTOP') {
  throw new Error(`OXBOW_FAILPOINT_SIGNAL=${signal} is not SIGKILL or SIGSTOP`);
}

/**
 * Kills this process with SIGKILL (or freezes it with SIGSTOP, see `OXBOW_FAILPOINT_SIGNAL`) if `name` is the armed failpoint and it has not fired yet (in this process, or,
 * with `OXBOW_FAILPOINT_DIR`, in any earlier one); otherwise returns at once.
 *
 * @example
 * ```ts
 * await commit(batch);
 * failpoint('after-sink-before-offset');
 * await checkpoint(batch);
 * ```
 */
export function failpoint(name: FailpointName): void {
  if (armed !== name || fired) return;
  if (markerDir !== '') {
    const marker = join(markerDir, `${name}.fired`);
    if (existsSync(marker)) {
      fired = true;
      return;
    }
    mkdirSync(markerDir, { recursive: true });
    closeSync(openSync(marker, 'w'));
  }
  fired = true;
  // Synchronously: a pipe write still queued would die with the process.
  writeSync(2, `failpoint ${name}: ${signal} pid ${process.pid}\n`);
  process.kill(process.pid, signal);
}
