/** The closed set of codes a {@link CliError} carries. */
export type CliErrorCode =
  | 'OXBOW_USAGE'
  | 'OXBOW_PORT_IN_USE'
  | 'OXBOW_JAVA_MISSING'
  | 'OXBOW_JAVA_TOO_OLD'
  | 'OXBOW_MAVEN_MISSING'
  | 'OXBOW_FETCH_FAILED'
  | 'OXBOW_BINARY_MISSING'
  | 'OXBOW_SERVICE_START_FAILED'
  | 'OXBOW_SERVICE_UNHEALTHY'
  | 'OXBOW_DEMO_FAILED';

/** Options of a {@link CliError}. */
export interface CliErrorOptions {
  cause?: unknown;
  retriable?: boolean;
}

/**
 * An error the `oxbow` command reports to its user as one line (`oxbow: <message>`) with a non-zero exit.
 *
 * @example
 * throw new CliError('OXBOW_USAGE', 'unknown command "stak" (run oxbow --help)');
 */
export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly retriable: boolean;

  constructor(code: CliErrorCode, message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }

  /** The process exit code for this error: 2 for usage errors, 1 otherwise. */
  get exitCode(): number {
    return this.code === 'OXBOW_USAGE' ? 2 : 1;
  }
}
