import type { ResolvedConfig } from './load.ts';
import { flagOf, SETTING_NAMES, settingSpec } from './schema.ts';

/** One row of the effective configuration, ready to print as a table or JSON. */
export interface ConfigEntry {
  readonly name: string;
  readonly env: string;
  readonly flag: string;
  readonly value: unknown;
  readonly source: string;
  readonly from: string;
  readonly description: string;
}

/** Secret settings, masked by {@link describeConfig} unless asked otherwise. */
const SECRET_SETTINGS: ReadonlySet<string> = new Set(['s3SecretKey', 'apiKeys']);

/**
 * Lists every setting with its effective value and origin, in table order. Secrets are masked unless
 * `showSecrets` is set.
 *
 * @example
 * for (const row of describeConfig(await loadConfig())) console.log(row.name, row.value, row.source);
 */
export function describeConfig(
  resolved: ResolvedConfig,
  options: { showSecrets?: boolean } = {},
): ConfigEntry[] {
  return SETTING_NAMES.map((name) => {
    const spec = settingSpec(name);
    const value = resolved.config[name];
    const masked =
      SECRET_SETTINGS.has(name) && !options.showSecrets && resolved.origins[name].source !== 'default';
    return {
      name,
      env: spec.env,
      flag: `--${flagOf(name)}`,
      value: masked ? '********' : value,
      source: resolved.origins[name].source,
      from: resolved.origins[name].from,
      description: spec.description,
    };
  });
}
