import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from './errors.ts';

/** The config file names looked up in the working directory, first match wins. */
export const CONFIG_FILE_NAMES = ['oxbow.config.json', 'oxbow.config.ts', 'oxbow.config.js'] as const;

/** A loaded config file: where it is and the object it holds. */
export interface ConfigFile {
  readonly path: string;
  readonly values: Record<string, unknown>;
}

/**
 * Finds the config file: `explicitPath` when given (it must exist), else the first of
 * {@link CONFIG_FILE_NAMES} in `cwd`, else none.
 */
export function findConfigFile(cwd: string, explicitPath?: string): string | undefined {
  if (explicitPath !== undefined) {
    const path = resolve(cwd, explicitPath);
    if (!existsSync(path)) {
      throw new ConfigError(
        'OXBOW_CONFIG_FILE_NOT_FOUND',
        `config file ${path} (from --config) does not exist`,
      );
    }
    return path;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const path = resolve(cwd, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/**
 * Reads a config file: JSON, or the default export of a `.ts`/`.js` module (an object, or a function
 * returning one). The result must be a plain object keyed by setting name.
 *
 * @example
 * const file = await readConfigFile('/repo/oxbow.config.json'); // { path, values: { epochMs: 60000 } }
 */
export async function readConfigFile(path: string): Promise<ConfigFile> {
  let values: unknown;
  try {
    if (path.endsWith('.json')) {
      values = JSON.parse(readFileSync(path, 'utf8'));
    } else {
      const module = (await import(pathToFileURL(path).href)) as { default?: unknown };
      values = typeof module.default === 'function' ? await module.default() : module.default;
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigError('OXBOW_CONFIG_FILE_UNREADABLE', `config file ${path} cannot be read: ${reason}`, {
      cause: error,
    });
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new ConfigError(
      'OXBOW_CONFIG_FILE_UNREADABLE',
      `config file ${path} must hold an object of settings (e.g. { "epochMs": 60000 })`,
    );
  }
  return { path, values: values as Record<string, unknown> };
}
