import { describe, expect, it } from 'vitest';
import { isLoopbackHost, listenProblem } from './listen-guard.ts';

const names = { app: 'the test app would be open', hostSetting: 'OXBOW_TEST_HOST' };

describe('the listen guard', () => {
  it('knows the loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '::ffff:10.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('refuses an open non-loopback listen, unless keys are configured or the operator allows it', () => {
    expect(listenProblem('0.0.0.0', { apiKeys: 'none', apiAllowOpen: 'no' }, names)).toMatchObject({
      code: 'OXBOW_INSECURE_LISTEN',
      message: expect.stringContaining('OXBOW_TEST_HOST'),
    });
    expect(listenProblem('127.0.0.1', { apiKeys: 'none', apiAllowOpen: 'no' }, names)).toBeUndefined();
    expect(
      listenProblem('0.0.0.0', { apiKeys: 'reader-key-0001:read', apiAllowOpen: 'no' }, names),
    ).toBeUndefined();
    expect(listenProblem('0.0.0.0', { apiKeys: 'none', apiAllowOpen: 'yes' }, names)).toBeUndefined();
    expect(listenProblem('127.0.0.1', { apiKeys: 'none', apiAllowOpen: 'maybe' }, names)).toMatchObject({
      code: 'OXBOW_BAD_SETTING',
    });
  });
});
