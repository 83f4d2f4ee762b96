/**
 * How a run shows its progress: a progress bar per stage on a terminal, one JSON log line per event otherwise.
 */

/** Receives a run's progress. */
export interface ProgressReporter {
  /** A stage begins with `total` steps (views to compute, files to upload, …). */
  stage(name: string, total: number): void;
  /** `done` of the current stage's steps are finished; `detail` names the last one. */
  advance(done: number, detail?: string): void;
  /** Something worth a log line: `event` and its fields. */
  log(event: string, fields?: Readonly<Record<string, unknown>>): void;
  /** The run ended (its lock released); a bar on a terminal is finished. */
  end(): void;
}

/** Discards everything (tests, library use). */
export const silentProgress: ProgressReporter = {
  stage: () => {},
  advance: () => {},
  log: () => {},
  end: () => {},
};

/** Where progress is written: the stream's `write`, and whether it is a terminal (and how wide). */
export interface ProgressSink {
  write(text: string): void;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/**
 * One JSON object per line: `{"ts":"…","event":"stage","stage":"compute","total":4}`, for log collectors.
 *
 * @example
 * const progress = jsonLinesProgress({ write: (text) => process.stderr.write(text) }, Date.now);
 */
export function jsonLinesProgress(sink: ProgressSink, now: () => number = Date.now): ProgressReporter {
  let current = '';
  let total = 0;
  const line = (fields: Record<string, unknown>) =>
    sink.write(`${JSON.stringify({ ts: new Date(now()).toISOString(), ...fields })}\n`);
  return {
    stage(name, steps) {
      current = name;
      total = steps;
      line({ event: 'stage', stage: name, total: steps });
    },
    advance(done, detail) {
      line({ event: 'progress', stage: current, done, total, ...(detail === undefined ? {} : { detail }) });
    },
    log(event, fields = {}) {
      line({ event, ...fields });
    },
    end() {},
  };
}

/**
 * A bar redrawn in place on a terminal: `compute  [██████░░░░░░]  2/4  rides_by_city`.
 *
 * @example
 * const progress = terminalProgress(process.stderr);
 */
export function terminalProgress(sink: ProgressSink): ProgressReporter {
  let current = '';
  let total = 0;
  let drawn = false;
  const draw = (done: number, detail = '') => {
    const width = 24;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const text = `${current.padEnd(8)} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total} ${detail}`;
    sink.write(
      `\r${text.slice(0, Math.max(20, (sink.columns ?? 100) - 1)).padEnd((sink.columns ?? 100) - 1)}`,
    );
    drawn = true;
  };
  const finishLine = () => {
    if (drawn) sink.write('\n');
    drawn = false;
  };
  return {
    stage(name, steps) {
      finishLine();
      current = name;
      total = steps;
      draw(0);
    },
    advance(done, detail) {
      draw(done, detail);
    },
    log(event, fields = {}) {
      if (event === 'warning') {
        finishLine();
        sink.write(`warning: ${String(fields.message ?? '')}\n`);
      }
    },
    end: finishLine,
  };
}

/** The terminal bar when `sink` is a terminal, JSON lines otherwise. */
export function progressFor(sink: ProgressSink, now: () => number = Date.now): ProgressReporter {
  return sink.isTTY === true ? terminalProgress(sink) : jsonLinesProgress(sink, now);
}
