import { OxbowError } from '@oxbow/contracts';

/** The closed set of codes a {@link ConfigError} carries. */
export type ConfigErrorCode =
  | 'OXBOW_CONFIG_INVALID'
  | 'OXBOW_CONFIG_UNKNOWN_SETTING'
  | 'OXBOW_CONFIG_FILE_NOT_FOUND'
  | 'OXBOW_CONFIG_FILE_UNREADABLE';

/**
 * A configuration problem: a value that does not parse, a setting that does not exist, a config file that
 * cannot be read. The message is one line naming the setting, where the value came from and the expected form.
 *
 * @example
 * try { await loadConfig({ env: { OXBOW_EPOCH_MS: 'soon' } }); }
 * catch (error) { if (ConfigError.is(error)) console.error(error.message); }
 */
export class ConfigError extends OxbowError<ConfigErrorCode> {}
