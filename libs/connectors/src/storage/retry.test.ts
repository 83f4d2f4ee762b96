import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors.ts';
import { withRetry } from './retry.ts';

function failing(times: number, retriable: boolean) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    operation: async () => {
      calls++;
      if (calls <= times) throw new ConnectorError('OXBOW_STORAGE_IO', `failure ${calls}`, { retriable });
      return 'ok';
    },
  };
}

describe('withRetry', () => {
  it('retries retriable errors with exponential, capped, jittered backoff', async () => {
    const sleeps: number[] = [];
    const target = failing(4, true);
    const result = await withRetry(target.operation, {
      maxAttempts: 5,
      baseDelayMs: 100,
      maxDelayMs: 500,
      random: () => 0.5,
      sleep: async (millis) => {
        sleeps.push(millis);
      },
    });
    expect(result).toBe('ok');
    expect(target.calls).toBe(5);
    expect(sleeps).toEqual([50, 100, 200, 250]);
  });

  it('gives up after maxAttempts and rethrows the last error', async () => {
    const target = failing(10, true);
    await expect(withRetry(target.operation, { maxAttempts: 3, sleep: async () => {} })).rejects.toThrow(
      'failure 3',
    );
    expect(target.calls).toBe(3);
  });

  it('does not retry non-retriable or foreign errors', async () => {
    const target = failing(1, false);
    await expect(withRetry(target.operation, { sleep: async () => {} })).rejects.toThrow('failure 1');
    expect(target.calls).toBe(1);
    let calls = 0;
    const foreign = async () => {
      calls++;
      throw new TypeError('bug');
    };
    await expect(withRetry(foreign, { sleep: async () => {} })).rejects.toThrow(TypeError);
    expect(calls).toBe(1);
  });
});
