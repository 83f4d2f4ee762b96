/**
 * `oxbow archiver`: runs the archiver (Kafka → the Parquet master dataset) in the foreground until SIGTERM or
 * SIGINT, then flushes open files, publishes, commits and exits 0.
 */
import { runArchiver } from '@oxbow/archiver';
import type { CommandEnvironment } from './stack-command.ts';

/** Runs the archiver with the resolved configuration; returns the exit code. */
export async function runArchiverCommand(env: CommandEnvironment): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGTERM', stop);
  env.signal?.addEventListener('abort', stop, { once: true });
  try {
    await runArchiver(env.config, controller.signal);
    return 0;
  } finally {
    process.off('SIGTERM', stop);
    env.signal?.removeEventListener('abort', stop);
  }
}
