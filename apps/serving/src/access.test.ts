import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ADMIN_KEY_FILE,
  apiAccessOf,
  assertListenAllowed,
  isLoopbackHost,
  loadOrCreateAdminKey,
  StartRefusedError,
} from './access.ts';

const dirs: string[] = [];
const stateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'oxbow-access-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the admin key', () => {
  it('is generated once, kept with mode 0600, reported only when created', () => {
    const dir = stateDir();
    const created: string[] = [];
    const first = apiAccessOf({ apiKeys: 'none', stateDir: dir }, (key) => created.push(key));
    expect(first.keysConfigured).toBe(false);
    expect(created).toHaveLength(1);
    const key = created[0] ?? '';
    expect(key).toMatch(/^[\w-]{43}$/);
    const file = join(dir, ADMIN_KEY_FILE);
    expect(first.adminKeyFile).toBe(file);
    expect(readFileSync(file, 'utf8')).toBe(`${key}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'serving')).mode & 0o077).toBe(0);
    expect(first.keys.get(key)).toBe('admin');
    expect(first.keys.size).toBe(1);
    // The next start reads it and says nothing.
    const second = apiAccessOf({ apiKeys: 'reader-0001:read', stateDir: dir }, (again) =>
      created.push(again),
    );
    expect(created).toHaveLength(1);
    expect(second.keysConfigured).toBe(true);
    expect(second.keys.get(key)).toBe('admin');
    expect(second.keys.get('reader-0001')).toBe('read');
  });

  it('is not made when an admin key is configured', () => {
    const dir = stateDir();
    const access = apiAccessOf({ apiKeys: 'admin-00001:admin', stateDir: dir }, () => {
      throw new Error('no key should be generated');
    });
    expect(access.adminKeyFile).toBeUndefined();
    expect(access.keys.size).toBe(1);
    expect(() => statSync(join(dir, ADMIN_KEY_FILE))).toThrow();
  });

  it('refuses a key file that holds no usable key', () => {
    const dir = stateDir();
    loadOrCreateAdminKey(dir);
    writeFileSync(join(dir, ADMIN_KEY_FILE), 'short\n');
    expect(() => loadOrCreateAdminKey(dir)).toThrow(/admin key file .*holds no key of at least 8 characters/);
    try {
      loadOrCreateAdminKey(dir);
    } catch (error) {
      expect(StartRefusedError.is(error, 'OXBOW_ADMIN_KEY_FILE')).toBe(true);
    }
  });
});

describe('the listen host', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['example.com', false],
    ['128.0.0.1', false],
  ])('%s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('refuses a non-loopback host without keys, unless allowed', () => {
    expect(() => assertListenAllowed('0.0.0.0', { apiKeys: 'none', apiAllowOpen: 'no' })).toThrow(
      /refusing to listen on 0\.0\.0\.0 without API keys.*OXBOW_API_KEYS/,
    );
    try {
      assertListenAllowed('::', { apiKeys: ' ', apiAllowOpen: 'no' });
    } catch (error) {
      expect(StartRefusedError.is(error, 'OXBOW_INSECURE_LISTEN')).toBe(true);
    }
    expect(() => assertListenAllowed('127.0.0.1', { apiKeys: 'none', apiAllowOpen: 'no' })).not.toThrow();
    expect(() =>
      assertListenAllowed('0.0.0.0', { apiKeys: 'reader-0001:read', apiAllowOpen: 'no' }),
    ).not.toThrow();
    expect(() => assertListenAllowed('0.0.0.0', { apiKeys: 'none', apiAllowOpen: 'yes' })).not.toThrow();
    expect(() => assertListenAllowed('127.0.0.1', { apiKeys: 'none', apiAllowOpen: 'true' })).toThrow(
      /apiAllowOpen .* expected yes or no/,
    );
  });
});
