/**
 * Who may call what: the configured API keys, plus an admin key the server makes itself when none is configured.
 *
 * Admin routes (`POST /v1/batch/runs`, `GET /v1/batch/runs/:id`) and live views marked `personal` always need an
 * `admin` key. When the `apiKeys` setting names no admin key, the first start writes a random one to
 * `<stateDir>/serving/admin.key` (mode 0600, directory 0700) and prints it once to stderr; later starts read it.
 * Read-only routes stay open while no keys are configured — which {@link assertListenAllowed} allows on a loopback
 * host only.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OxbowError } from '@oxbow/contracts';
import {
  type ApiKeys,
  hashApiKeys,
  listenProblem,
  MIN_API_KEY_LENGTH,
  parseApiKeyEntries,
} from '@oxbow/http-auth';

export { isLoopbackHost } from '@oxbow/http-auth';

/** Codes of a refused start of the serving API. */
export type StartRefusedCode = 'OXBOW_INSECURE_LISTEN' | 'OXBOW_BAD_SETTING' | 'OXBOW_ADMIN_KEY_FILE';

/**
 * The serving API refuses to start: a non-loopback host without API keys (`OXBOW_INSECURE_LISTEN`), a setting
 * out of its values (`OXBOW_BAD_SETTING`), an admin key file that cannot be read or written
 * (`OXBOW_ADMIN_KEY_FILE`). Raised at start, never in answer to a request.
 *
 * @example
 * if (StartRefusedError.is(error, 'OXBOW_INSECURE_LISTEN')) console.error(error.message);
 */
export class StartRefusedError extends OxbowError<StartRefusedCode> {}

/** Where the generated admin key is kept, relative to the state directory. */
export const ADMIN_KEY_FILE = join('serving', 'admin.key');

/** The API keys a server checks, and whether any were configured. */
export interface ApiAccess {
  /** Configured keys and, when none of them is an admin key, the generated one (digests only). */
  readonly keys: ApiKeys;
  /** Whether the `apiKeys` setting lists keys: then every `/v1` route needs one, else only admin ones do. */
  readonly keysConfigured: boolean;
  /** The generated admin key's file, when the setting names no admin key. */
  readonly adminKeyFile: string | undefined;
}

/** What {@link apiAccessOf} reads. */
export interface ApiAccessSettings {
  readonly apiKeys: string;
  readonly stateDir: string;
}

/** Called once when an admin key was generated (default: prints it to stderr). */
export type AdminKeyCreated = (key: string, file: string) => void;

const printAdminKey: AdminKeyCreated = (key, file) => {
  process.stderr.write(
    `serving: no admin API key is configured (OXBOW_API_KEYS), so one was generated for the admin routes and personal live views; it is kept in ${file} and shown only this once:\n  ${key}\nsend it as "x-api-key: <key>" (or "authorization: Bearer <key>")\n`,
  );
};

/**
 * Reads the admin key of `stateDir`, creating it (32 random bytes, base64url) when there is none.
 *
 * @example
 * const { key, created } = loadOrCreateAdminKey('/var/lib/oxbow');
 */
export function loadOrCreateAdminKey(stateDir: string): { key: string; file: string; created: boolean } {
  const file = join(stateDir, ADMIN_KEY_FILE);
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const key = randomBytes(32).toString('base64url');
    try {
      // `wx`: of two servers starting at once, one writes and the other reads.
      writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
      return { key, file, created: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    chmodSync(file, 0o600);
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length < MIN_API_KEY_LENGTH || /[\s,]/.test(stored)) {
      throw new Error(
        `it holds no key of at least ${MIN_API_KEY_LENGTH} characters without spaces or commas (delete it to make a new one)`,
      );
    }
    return { key: stored, file, created: false };
  } catch (error) {
    throw new StartRefusedError(
      'OXBOW_ADMIN_KEY_FILE',
      `admin key file ${file}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/**
 * The keys a server checks: the `apiKeys` setting, plus the generated admin key ({@link loadOrCreateAdminKey})
 * when the setting names no admin key.
 *
 * @example
 * const access = apiAccessOf(config);
 * authorize(access.keys, presentedKey(request.headers), 'admin');
 */
export function apiAccessOf(
  settings: ApiAccessSettings,
  onAdminKeyCreated: AdminKeyCreated = printAdminKey,
): ApiAccess {
  const entries = parseApiKeyEntries(settings.apiKeys);
  const keysConfigured = entries.size > 0;
  let adminKeyFile: string | undefined;
  if (![...entries.values()].includes('admin')) {
    const admin = loadOrCreateAdminKey(settings.stateDir);
    adminKeyFile = admin.file;
    entries.set(admin.key, 'admin');
    if (admin.created) onAdminKeyCreated(admin.key, admin.file);
  }
  const keys = hashApiKeys(entries);
  entries.clear();
  return { keys, keysConfigured, adminKeyFile };
}

/**
 * Refuses to listen on a host other machines can reach while no API keys are configured (every view would be
 * open to the network), unless `apiAllowOpen` is `yes` (`listenProblem` of `@oxbow/http-auth`, shared with the
 * ingest gateway).
 *
 * @example
 * assertListenAllowed('0.0.0.0', { apiKeys: 'none', apiAllowOpen: 'no' }); // throws OXBOW_INSECURE_LISTEN
 */
export function assertListenAllowed(
  host: string,
  settings: { readonly apiKeys: string; readonly apiAllowOpen: string },
): void {
  const problem = listenProblem(host, settings, {
    app: 'every view would be readable by anyone who reaches the port',
    hostSetting: 'OXBOW_API_HOST',
  });
  if (problem !== undefined) throw new StartRefusedError(problem.code, problem.message);
}
