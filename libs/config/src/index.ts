export { type ConfigEntry, describeConfig } from './describe.ts';
export { ConfigError, type ConfigErrorCode } from './errors.ts';
export { CONFIG_FILE_NAMES } from './file.ts';
export {
  type ConfigSource,
  type LoadConfigOptions,
  loadConfig,
  type ResolvedConfig,
  type ValueOrigin,
} from './load.ts';
export {
  flagOf,
  isSettingName,
  type OxbowConfig,
  SETTING_NAMES,
  SETTINGS,
  type SettingName,
  type SettingSpec,
  type SettingType,
  settingSpec,
} from './schema.ts';
