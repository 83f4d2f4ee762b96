import { parseArgs } from 'node:util';
import { flagOf, SETTING_NAMES, type SettingName } from '@oxbow/config';
import { CliError } from './errors.ts';

/** A parsed command line: the command words, their flags, and setting overrides from flags. */
export interface ParsedArgs {
  readonly command: readonly string[];
  readonly flags: {
    readonly json: boolean;
    readonly follow: boolean;
    readonly help: boolean;
    readonly version: boolean;
    readonly showSecrets: boolean;
    readonly lines: number | undefined;
    readonly with: readonly string[];
    readonly config: string | undefined;
    /** `oxbow produce` flags, as given (validated by the command). */
    readonly topic: string | undefined;
    readonly schema: string | undefined;
    readonly count: string | undefined;
    readonly rate: string | undefined;
    readonly seed: string | undefined;
    readonly lateFraction: string | undefined;
    /** `oxbow produce --file`: a JSON-lines file to replay. */
    readonly file: string | undefined;
    /** `oxbow serve --port`, as given (validated by the command). */
    readonly port: string | undefined;
    /** `oxbow batch` flags, as given (validated by the command). */
    readonly views: string | undefined;
    readonly untilEpoch: string | undefined;
    readonly engine: string | undefined;
    readonly cron: string | undefined;
    /** `oxbow batch run --full`: recompute every view from every sealed epoch. */
    readonly full: boolean;
    /** `oxbow batch run --index I`: part I of a split run, as given (validated by the command). */
    readonly index: string | undefined;
    /** `oxbow sql` flags, as given (validated by the command): the row limit and the time limit. */
    readonly limit: string | undefined;
    readonly timeoutMs: string | undefined;
  };
  /** Setting overrides (`--kafka-port 39092`), keyed by setting name. */
  readonly settings: Partial<Record<SettingName, string>>;
  /** Command-specific flags that were given, for per-command validation. */
  readonly given: ReadonlySet<string>;
}

const COMMAND_FLAGS = {
  json: { type: 'boolean' },
  follow: { type: 'boolean', short: 'f' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  'show-secrets': { type: 'boolean' },
  lines: { type: 'string', short: 'n' },
  with: { type: 'string', multiple: true },
  config: { type: 'string' },
  topic: { type: 'string' },
  schema: { type: 'string' },
  count: { type: 'string' },
  rate: { type: 'string' },
  seed: { type: 'string' },
  'late-fraction': { type: 'string' },
  file: { type: 'string' },
  port: { type: 'string' },
  views: { type: 'string' },
  'until-epoch': { type: 'string' },
  engine: { type: 'string' },
  cron: { type: 'string' },
  full: { type: 'boolean' },
  index: { type: 'string' },
  limit: { type: 'string' },
  'timeout-ms': { type: 'string' },
} as const;

/**
 * Parses `oxbow` arguments. Every setting has a flag (`--kafka-brokers`, `--epoch-ms`, …) accepted by every
 * command; unknown flags and malformed values are `OXBOW_USAGE` errors.
 *
 * @example
 * parseCommandLine(['stack', 'status', '--json']).command; // ['stack', 'status']
 */
export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  const settingOptions = Object.fromEntries(
    SETTING_NAMES.map((name) => [flagOf(name), { type: 'string' as const }]),
  );
  let parsed: ReturnType<
    typeof parseArgs<{ options: typeof COMMAND_FLAGS; allowPositionals: true; strict: true }>
  >;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...settingOptions, ...COMMAND_FLAGS },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new CliError('OXBOW_USAGE', describeParseError(error));
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const settings: Partial<Record<SettingName, string>> = {};
  for (const name of SETTING_NAMES) {
    const value = values[flagOf(name)];
    if (typeof value === 'string') settings[name] = value;
  }
  let lines: number | undefined;
  if (typeof values.lines === 'string') {
    lines = Number(values.lines);
    if (!Number.isSafeInteger(lines) || lines < 0) {
      throw new CliError('OXBOW_USAGE', `--lines ${values.lines}: expected a non-negative integer`);
    }
  }
  const given = new Set(
    Object.keys(COMMAND_FLAGS).filter(
      (flag) => flag !== 'help' && flag !== 'version' && flag !== 'config' && values[flag] !== undefined,
    ),
  );
  return {
    command: parsed.positionals,
    flags: {
      json: values.json === true,
      follow: values.follow === true,
      help: values.help === true,
      version: values.version === true,
      showSecrets: values['show-secrets'] === true,
      lines,
      with: Array.isArray(values.with) ? values.with : [],
      config: typeof values.config === 'string' ? values.config : undefined,
      topic: stringFlag(values.topic),
      schema: stringFlag(values.schema),
      count: stringFlag(values.count),
      rate: stringFlag(values.rate),
      seed: stringFlag(values.seed),
      lateFraction: stringFlag(values['late-fraction']),
      file: stringFlag(values.file),
      port: stringFlag(values.port),
      views: stringFlag(values.views),
      untilEpoch: stringFlag(values['until-epoch']),
      engine: stringFlag(values.engine),
      cron: stringFlag(values.cron),
      full: values.full === true,
      index: stringFlag(values.index),
      limit: stringFlag(values.limit),
      timeoutMs: stringFlag(values['timeout-ms']),
    },
    settings,
    given,
  };
}

function stringFlag(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const option = /'(-{1,2}[^']+)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown flag ${option ?? message} (run oxbow --help)`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return `flag ${option?.split(' ')[0] ?? ''} ${message.includes('argument missing') ? 'needs a value' : 'takes no value'} (run oxbow --help)`.replace(
      '  ',
      ' ',
    );
  }
  return message.split('\n')[0] ?? message;
}

/** Throws `OXBOW_USAGE` when a command-specific flag was given to a command that does not take it. */
export function assertFlags(args: ParsedArgs, commandName: string, allowed: readonly string[]): void {
  for (const flag of args.given) {
    if (!allowed.includes(flag)) {
      throw new CliError(
        'OXBOW_USAGE',
        `flag --${flag} does not apply to "oxbow ${commandName}" (run oxbow --help)`,
      );
    }
  }
}
