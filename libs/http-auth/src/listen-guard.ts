/**
 * The listen guard of Oxbow's HTTP apps: a host other machines can reach is refused while no API keys are
 * configured (everything the app serves or accepts would be open to the network), unless the operator says the
 * boundary is trusted (`apiAllowOpen=yes`, e.g. a container port published on 127.0.0.1 only).
 */
import { isIP } from 'node:net';
import { parseApiKeyEntries } from './api-keys.ts';

/**
 * True for a host only this machine reaches: `localhost`, 127.0.0.0/8, `::1` (also bracketed or IPv4-mapped).
 *
 * @example
 * isLoopbackHost('127.0.0.1'); // true
 * isLoopbackHost('0.0.0.0'); // false
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  const v4 = bare.startsWith('::ffff:') ? bare.slice(7) : bare;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return isIP(bare) === 6 && /^(0{0,4}:){7}0{0,3}1$|^::1$/.test(bare);
}

/** Why listening was refused: an `apiAllowOpen` out of its values, or an open non-loopback listen. */
export interface ListenProblem {
  readonly code: 'OXBOW_BAD_SETTING' | 'OXBOW_INSECURE_LISTEN';
  readonly message: string;
}

/**
 * Why an app may not listen on `host` with these settings, or `undefined` when it may: `apiAllowOpen` must be
 * `yes` or `no`; a non-loopback host needs API keys unless `apiAllowOpen` is `yes`. `app` names the app and what
 * would be open, `hostSetting` the environment variable of its host, for the message.
 *
 * @example
 * listenProblem('0.0.0.0', { apiKeys: 'none', apiAllowOpen: 'no' }, {
 *   app: 'the ingest gateway (anyone could write to Kafka)', hostSetting: 'OXBOW_INGEST_HOST',
 * }); // { code: 'OXBOW_INSECURE_LISTEN', message: 'refusing to listen on 0.0.0.0 …' }
 */
export function listenProblem(
  host: string,
  settings: { readonly apiKeys: string; readonly apiAllowOpen: string },
  names: { readonly app: string; readonly hostSetting: string },
): ListenProblem | undefined {
  if (settings.apiAllowOpen !== 'yes' && settings.apiAllowOpen !== 'no') {
    return {
      code: 'OXBOW_BAD_SETTING',
      message: `apiAllowOpen (OXBOW_API_ALLOW_OPEN) is "${settings.apiAllowOpen}": expected yes or no`,
    };
  }
  if (isLoopbackHost(host) || settings.apiAllowOpen === 'yes') return undefined;
  if (parseApiKeyEntries(settings.apiKeys).size > 0) return undefined;
  return {
    code: 'OXBOW_INSECURE_LISTEN',
    message: `refusing to listen on ${host} without API keys: ${names.app}. Set OXBOW_API_KEYS (e.g. OXBOW_API_KEYS=<reader-key>:read,<admin-key>:admin), listen on 127.0.0.1 (${names.hostSetting}), or, behind a boundary you trust (a container port published on 127.0.0.1), OXBOW_API_ALLOW_OPEN=yes`,
  };
}
