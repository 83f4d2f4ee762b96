import type { ArchiverErrorCode } from '@oxbow/archiver';
import type { BatchErrorCode } from '@oxbow/batch';
import type { ConfigErrorCode } from '@oxbow/config';
import { type ContractErrorCode, OxbowError } from '@oxbow/contracts';
import type { SpeedErrorCode } from '@oxbow/speed';
import type { ViewsErrorCode } from '@oxbow/views';

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

/**
 * An error the `oxbow` command reports to its user as one line (`oxbow: <message>`) with a non-zero exit.
 *
 * @example
 * throw new CliError('OXBOW_USAGE', 'unknown command "stak" (run oxbow --help)');
 */
export class CliError extends OxbowError<CliErrorCode> {}

/**
 * The codes, of any package, that mean the command line or the configuration is wrong: exit code 2. Checked
 * against the packages' code types, so a renamed code fails to compile here.
 */
const USAGE_CODES: ReadonlySet<string> = new Set([
  'OXBOW_USAGE',
  'OXBOW_CONFIG_INVALID',
  'OXBOW_CONFIG_UNKNOWN_SETTING',
  'OXBOW_CONFIG_FILE_NOT_FOUND',
  'OXBOW_CONFIG_FILE_UNREADABLE',
  'OXBOW_TOPIC_BINDING',
  'OXBOW_ARCHIVER_BAD_OPTIONS',
  'OXBOW_ARCHIVER_UNKNOWN_SCHEMA',
  'OXBOW_BATCH_USAGE',
  'OXBOW_BATCH_NO_SQL_PLAN',
  'OXBOW_SPEED_BAD_OPTIONS',
  'OXBOW_INVALID_PROJECT',
  'OXBOW_PROJECT_NOT_FOUND',
  'OXBOW_UNKNOWN_TOPIC',
] satisfies ReadonlyArray<
  | CliErrorCode
  | ConfigErrorCode
  | ContractErrorCode
  | ArchiverErrorCode
  | BatchErrorCode
  | SpeedErrorCode
  | ViewsErrorCode
>);

/**
 * The process exit code for an Oxbow error of any package: 2 when the command line or the configuration is wrong
 * (`OXBOW_USAGE`, the `OXBOW_CONFIG_*` codes, an app's bad options), 1 otherwise.
 *
 * @example
 * exitCodeOf(new CliError('OXBOW_USAGE', 'unknown flag --jsn')); // 2
 */
export function exitCodeOf(error: OxbowError): number {
  return USAGE_CODES.has(error.code) ? 2 : 1;
}
