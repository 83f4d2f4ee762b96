/** The closed set of codes a {@link ConfigError} carries. */
export type ConfigErrorCode =
  | 'OXBOW_CONFIG_INVALID'
  | 'OXBOW_CONFIG_UNKNOWN_SETTING'
  | 'OXBOW_CONFIG_FILE_NOT_FOUND'
  | 'OXBOW_CONFIG_FILE_UNREADABLE';

/** Options of a {@link ConfigError}. */
export interface ConfigErrorOptions {
  cause?: unknown;
  retriable?: boolean;
}

/**
 * A configuration problem: a value that does not parse, a setting that does not exist, a config file that
 * cannot be read. The message is one line naming the setting, where the value came from and the expected form.
 *
 * @example
 * try { await loadConfig({ env: { OXBOW_EPOCH_MS: 'soon' } }); }
 * catch (error) { if (ConfigError.is(error)) console.error(error.message); }
 */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly retriable: boolean;

  constructor(code: ConfigErrorCode, message: string, options: ConfigErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConfigError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }

  /** True when `error` is a {@link ConfigError} (optionally with the given code). */
  static is(error: unknown, code?: ConfigErrorCode): error is ConfigError {
    return error instanceof ConfigError && (code === undefined || error.code === code);
  }
}
