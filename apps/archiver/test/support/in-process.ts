/** Runs an {@link Archiver} inside the test process (for tests that need its stats and no crash). */
import type { FileSystem } from '@oxbow/connectors';
import { WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { loadProject } from '@oxbow/views';
import { Archiver, type ArchiverLogEvent, type ArchiverStats, archiverTopicsOf } from '../../src/index.ts';
import { TEST_BROKERS } from './kafka.ts';

const project = await loadProject(WEB_ANALYTICS_PROJECT);

/** A running in-process archiver. */
export interface InProcessArchiver {
  readonly events: ArchiverLogEvent[];
  /** Stops gracefully and resolves with the run's stats. */
  stop(): Promise<ArchiverStats>;
  readonly stats: ArchiverStats;
  /** The error the run failed with, once it has failed. */
  readonly failure: () => unknown;
}

/**
 * Starts an archiver for `topic` (the example's `http_logs` schema) on `lake` with fast group timing and small
 * files, validating in the encoder threads as `runArchiver` does unless `validateOnMainThread`.
 */
export function startInProcess(
  lake: FileSystem,
  topic: string,
  options: {
    epochMs: number;
    groupId: string;
    rollMs?: number;
    deadLetterTopic?: string;
    /** Validate on the main thread instead of in the encoder threads (what `runArchiver` does). */
    validateOnMainThread?: boolean;
  },
): InProcessArchiver {
  const events: ArchiverLogEvent[] = [];
  const archiver = new Archiver({
    lake,
    brokers: TEST_BROKERS,
    topics: archiverTopicsOf(project, `${topic}:http_logs`),
    groupId: options.groupId,
    epochMs: options.epochMs,
    rollRows: 10_000,
    rollBytes: 64 << 20,
    rollMs: options.rollMs ?? 300,
    sealGraceMs: 200,
    sealCheckIntervalMs: 100,
    pollIntervalMs: 50,
    consumer: {
      sessionTimeoutMs: 2000,
      heartbeatIntervalMs: 300,
      rebalanceTimeoutMs: 3000,
      maxWaitTimeMs: 100,
    },
    ...(options.deadLetterTopic ? { deadLetterTopic: options.deadLetterTopic } : {}),
    ...(options.validateOnMainThread
      ? {}
      : { validateInEncoder: { project: WEB_ANALYTICS_PROJECT, topics: `${topic}:http_logs` } }),
    log: (event) => events.push(event),
  });
  const controller = new AbortController();
  const running = archiver.run(controller.signal);
  let failure: unknown;
  running.catch((error: unknown) => {
    failure = error;
  });
  return {
    events,
    stats: archiver.stats,
    failure: () => failure,
    stop: async () => {
      controller.abort();
      return running;
    },
  };
}
