import { setTimeout as sleep } from 'node:timers/promises';

/** Time as the stack sees it; injected so waits and timeouts can be driven by tests. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms) => {
    await sleep(ms);
  },
};
