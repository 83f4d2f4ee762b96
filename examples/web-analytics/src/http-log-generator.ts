/**
 * A deterministic generator of realistic HTTP access logs: Zipf-distributed paths and users, a daily rate swing,
 * a few percent of 5xx responses, log-normal latencies and sizes, and a few percent of late events.
 */
import {
  ArrivalProcess,
  checkGeneratorOptions,
  type GeneratorOptions,
  SeededRandom,
  WeightedChoice,
  WeightedIndex,
} from '@oxbow/views';

/**
 * One HTTP access log record as produced to Kafka (what {@link generateHttpLogs} yields). A type alias, not an
 * interface, so that it is a `Record<string, unknown>` as the project's `EventGenerator` yields.
 */
export type HttpLog = {
  readonly ts: string;
  readonly host: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly bytes: number;
  readonly latencyMs: number;
  readonly userId: string;
  readonly country: string;
  readonly userAgent: string;
};

/** Options of {@link generateHttpLogs}. */
export interface HttpLogGeneratorOptions extends GeneratorOptions {
  /** Size of the user population; users are drawn by Zipf's law (default 20 000). */
  readonly users?: number;
}

/** The path catalogue, most popular first (paths are drawn by Zipf's law over this order). */
export const HTTP_PATHS: readonly string[] = [
  '/',
  '/search',
  '/cart',
  '/login',
  '/checkout',
  '/account',
  ...Array.from({ length: 200 }, (_, i) => `/products/${1000 + i}`),
  ...Array.from({ length: 60 }, (_, i) => `/blog/post-${i + 1}`),
  ...Array.from({ length: 30 }, (_, i) => `/api/v1/items/${i + 1}`),
  '/help',
  '/about',
];

const HOSTS = new WeightedChoice<string>([
  ['www.oxbow.example', 70],
  ['api.oxbow.example', 22],
  ['static.oxbow.example', 8],
]);

const METHODS = new WeightedChoice<string>([
  ['GET', 82],
  ['POST', 12],
  ['PUT', 3],
  ['DELETE', 2],
  ['HEAD', 1],
]);

const STATUSES = new WeightedChoice<number>([
  [200, 86],
  [201, 3],
  [204, 2],
  [301, 1.5],
  [304, 2.5],
  [400, 0.8],
  [403, 0.5],
  [404, 1.2],
  [500, 1.5],
  [502, 0.6],
  [503, 0.4],
]);

const COUNTRIES = new WeightedChoice<string>([
  ['US', 30],
  ['DE', 10],
  ['GB', 9],
  ['IN', 8],
  ['NL', 7],
  ['FR', 7],
  ['BR', 6],
  ['JP', 5],
  ['CA', 5],
  ['AU', 4],
  ['ES', 4],
  ['IT', 4],
  ['PL', 3],
  ['SE', 2],
]);

const USER_AGENTS = new WeightedChoice<string>([
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
    38,
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
    22,
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
    14,
  ],
  [
    'Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36',
    12,
  ],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 6],
  ['curl/8.11.0', 3],
  ['Googlebot/2.1 (+http://www.google.com/bot.html)', 5],
]);

/** A user's country and user agent stay the same across their events: drawn from a per-user seed. */
function userTraits(seed: number, rank: number): { country: string; userAgent: string } {
  const random = new SeededRandom(Math.imul(seed ^ 0x5bd1e995, 31) + Math.imul(rank + 1, 0x27d4eb2d));
  return { country: COUNTRIES.draw(random), userAgent: USER_AGENTS.draw(random) };
}

/**
 * Generates `count` HTTP access logs in production order. Same options, same records. Event times follow a
 * Poisson process at `ratePerSec` (swinging ±60 % over the day) from `startMs`; `lateFraction` of the events
 * carry an event time 30 s to 2 h before their production time. About 2.5 % are 5xx.
 *
 * @example
 * ```ts
 * for (const log of generateHttpLogs({ count: 1000, seed: 7, startMs: Date.UTC(2026, 10, 24) })) send(log);
 * ```
 */
export function* generateHttpLogs(options: HttpLogGeneratorOptions): Generator<HttpLog, void, undefined> {
  const checked = checkGeneratorOptions(options);
  const random = new SeededRandom(checked.seed);
  const arrivals = new ArrivalProcess(new SeededRandom(checked.seed ^ 0x68e31da4), checked);
  const users = WeightedIndex.zipf(options.users ?? 20_000, 1.05);
  const paths = WeightedIndex.zipf(HTTP_PATHS.length, 1.1);
  for (let index = 0; index < checked.count; index++) {
    const tsMs = arrivals.nextEventTime();
    const userRank = users.draw(random);
    const path = HTTP_PATHS[paths.draw(random)] as string;
    const status = STATUSES.draw(random);
    const slow = random.chance(0.02) ? 8 : 1;
    const latency =
      random.logNormal(path.startsWith('/api/') ? 20 : 45, 0.7) * slow * (status >= 500 ? 4 : 1);
    const { country, userAgent } = userTraits(checked.seed, userRank);
    yield {
      ts: new Date(tsMs).toISOString(),
      host: HOSTS.draw(random),
      method: METHODS.draw(random),
      path,
      status,
      bytes: status === 204 || status === 304 ? 0 : Math.round(random.logNormal(6000, 1.1)),
      latencyMs: Math.round(latency * 10) / 10,
      userId: `u${String(userRank + 1).padStart(6, '0')}`,
      country,
      userAgent,
    };
  }
}
