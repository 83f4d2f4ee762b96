import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { ConfigError } from './errors.ts';
import { findConfigFile, readConfigFile } from './file.ts';
import { parseValue, type RawValue } from './parse.ts';
import {
  type DefaultContext,
  flagOf,
  isSettingName,
  type OxbowConfig,
  SETTING_NAMES,
  type SettingName,
  settingSpec,
} from './schema.ts';

/** Where a resolved value came from, lowest precedence first. */
export type ConfigSource = 'default' | 'file' | 'env' | 'flag';

/** The origin of one resolved value: its layer and, e.g., the file path, variable or flag that set it. */
export interface ValueOrigin {
  readonly source: ConfigSource;
  /** `default`, the config file path, `OXBOW_…` or `--…`. */
  readonly from: string;
}

/** The effective configuration and where each value came from. */
export interface ResolvedConfig {
  readonly config: OxbowConfig;
  readonly origins: { readonly [K in SettingName]: ValueOrigin };
  /** The config file that was read, if any. */
  readonly file: string | undefined;
}

/** Inputs of {@link loadConfig}; every field defaults to the current process. */
export interface LoadConfigOptions {
  readonly cwd?: string;
  readonly homeDir?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Values from command-line flags, keyed by setting name. */
  readonly flags?: Readonly<Partial<Record<SettingName, string>>>;
  /** An explicit config file (`--config PATH`); otherwise one is looked up in `cwd`. */
  readonly configPath?: string;
  /** Skip the config file lookup entirely (tests). */
  readonly noFile?: boolean;
}

/**
 * Resolves the configuration from its layers: defaults < config file < `OXBOW_*` environment < flags.
 * Throws a {@link ConfigError} naming the setting, its source and the expected form on the first bad value.
 *
 * @example
 * const { config, origins } = await loadConfig({ flags: { kafkaPort: '39092' } });
 * config.kafkaBrokers; // ['127.0.0.1:39092'], origins.kafkaBrokers.source === 'default'
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const flags = options.flags ?? {};
  const filePath = options.noFile ? undefined : findConfigFile(cwd, options.configPath);
  const file = filePath === undefined ? undefined : await readConfigFile(filePath);

  if (file) {
    for (const key of Object.keys(file.values)) {
      if (!isSettingName(key)) {
        throw new ConfigError(
          'OXBOW_CONFIG_UNKNOWN_SETTING',
          `config file ${file.path}: unknown setting "${key}"${suggestion(key)}`,
        );
      }
    }
  }
  for (const key of Object.keys(flags)) {
    if (!isSettingName(key))
      throw new ConfigError('OXBOW_CONFIG_UNKNOWN_SETTING', `unknown setting "${key}"`);
  }

  const values: Record<string, unknown> = {};
  const origins: Record<string, ValueOrigin> = {};
  const context: DefaultContext = { cwd, homeDir: options.homeDir ?? homedir(), get: (name) => values[name] };

  for (const name of SETTING_NAMES) {
    const spec = settingSpec(name);
    const flagValue = flags[name];
    const envValue = env[spec.env];
    let raw: RawValue;
    let origin: ValueOrigin;
    let baseDir = cwd;
    if (flagValue !== undefined) {
      raw = flagValue;
      origin = { source: 'flag', from: `--${flagOf(name)}` };
    } else if (envValue !== undefined && envValue !== '') {
      raw = envValue;
      origin = { source: 'env', from: spec.env };
    } else if (file && Object.hasOwn(file.values, name)) {
      raw = file.values[name] as RawValue;
      origin = { source: 'file', from: file.path };
      baseDir = dirname(file.path);
    } else {
      raw = typeof spec.default === 'function' ? spec.default(context) : spec.default;
      origin = { source: 'default', from: 'default' };
    }
    const parsed = parseValue(spec, raw, baseDir);
    if (!parsed.ok) {
      throw new ConfigError(
        'OXBOW_CONFIG_INVALID',
        `invalid ${name} = ${JSON.stringify(raw)} from ${describeOrigin(origin)}: expected ${parsed.expected}`,
      );
    }
    values[name] = parsed.value;
    origins[name] = origin;
  }

  return {
    config: Object.freeze(values) as OxbowConfig,
    origins: Object.freeze(origins) as ResolvedConfig['origins'],
    file: file?.path,
  };
}

function describeOrigin(origin: ValueOrigin): string {
  switch (origin.source) {
    case 'default':
      return 'the default';
    case 'file':
      return `config file ${origin.from}`;
    case 'env':
      return `environment variable ${origin.from}`;
    case 'flag':
      return `flag ${origin.from}`;
  }
}

function suggestion(key: string): string {
  const lower = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  const match = SETTING_NAMES.find(
    (name) =>
      name.toLowerCase() === lower ||
      settingSpec(name)
        .env.toLowerCase()
        .replace(/[^a-z0-9]/g, '') === lower,
  );
  return match ? ` (did you mean "${match}"?)` : ` (known settings: ${SETTING_NAMES.join(', ')})`;
}
