import { isAbsolute, resolve } from 'node:path';
import type { SettingSpec } from './schema.ts';

/** A raw value as found in a config file, the environment or a flag. */
export type RawValue = string | number | boolean | readonly unknown[] | Record<string, unknown> | null;

/** The outcome of parsing one raw value: the typed value, or the expected form when it does not parse. */
export type ParseResult = { ok: true; value: unknown } | { ok: false; expected: string };

const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$/;

/**
 * Parses and validates a raw value against a setting's type and bounds.
 * Relative paths resolve against `baseDir` (the cwd, or the config file's directory).
 *
 * @example
 * parseValue(SETTINGS.epochMs, '60000', '/repo'); // { ok: true, value: 60000 }
 */
export function parseValue(spec: SettingSpec, raw: RawValue, baseDir: string): ParseResult {
  switch (spec.type) {
    case 'string':
      return typeof raw === 'string' && (raw.length > 0 || spec.allowEmpty === true)
        ? { ok: true, value: raw }
        : { ok: false, expected: spec.allowEmpty === true ? 'a string' : 'a non-empty string' };
    case 'integer':
    case 'port':
      return parseInteger(spec, raw);
    case 'url':
      return parseUrl(spec, raw);
    case 'path':
      return typeof raw === 'string' && raw.length > 0
        ? { ok: true, value: isAbsolute(raw) ? raw : resolve(baseDir, raw) }
        : { ok: false, expected: 'a file system path' };
    case 'hostPortList':
      return parseHostPortList(raw);
  }
}

function parseInteger(spec: SettingSpec, raw: RawValue): ParseResult {
  const min = spec.type === 'port' ? 1 : spec.min;
  const max = spec.type === 'port' ? 65535 : spec.max;
  const expected = `an integer${rangeText(min, max)}`;
  let value: number;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw)) value = Number(raw);
  else return { ok: false, expected };
  if (!Number.isSafeInteger(value)) return { ok: false, expected };
  if ((min !== undefined && value < min) || (max !== undefined && value > max))
    return { ok: false, expected };
  return { ok: true, value };
}

function rangeText(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` between ${min} and ${max}`;
  if (min !== undefined) return ` ≥ ${min}`;
  if (max !== undefined) return ` ≤ ${max}`;
  return '';
}

function parseUrl(spec: SettingSpec, raw: RawValue): ParseResult {
  const schemes = spec.schemes ?? [];
  const expected = `a URL${schemes.length ? ` (${schemes.map((s) => `${s}://`).join(', ')})` : ''}`;
  if (typeof raw !== 'string') return { ok: false, expected };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, expected };
  }
  if (schemes.length && !schemes.includes(url.protocol.slice(0, -1))) return { ok: false, expected };
  return { ok: true, value: raw };
}

function parseHostPortList(raw: RawValue): ParseResult {
  const expected = 'comma-separated host:port pairs, e.g. 127.0.0.1:29092';
  const items =
    typeof raw === 'string'
      ? raw.split(',').map((item) => item.trim())
      : Array.isArray(raw) && raw.every((item) => typeof item === 'string')
        ? (raw as string[])
        : undefined;
  if (!items || items.length === 0) return { ok: false, expected };
  for (const item of items) {
    if (!HOST_PORT.test(item)) return { ok: false, expected };
    const portNumber = Number(item.slice(item.lastIndexOf(':') + 1));
    if (portNumber < 1 || portNumber > 65535) return { ok: false, expected };
  }
  return { ok: true, value: items };
}
