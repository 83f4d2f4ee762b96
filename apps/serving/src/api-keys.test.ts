import { describe, expect, it } from 'vitest';
import { authorize, parseApiKeys, presentedKey } from './api-keys.ts';

describe('API keys', () => {
  it('parses KEY:SCOPE lists; none means no keys', () => {
    expect(parseApiKeys('none').size).toBe(0);
    expect([...parseApiKeys('reader-0001:read, admin-00001:admin')]).toEqual([
      ['reader-0001', 'read'],
      ['admin-00001', 'admin'],
    ]);
    expect(() => parseApiKeys('short:read')).toThrow(/at least 8 characters/);
    expect(() => parseApiKeys('reader-0001:write')).toThrow(/scope read or admin/);
  });

  it('checks scopes: admin includes read', () => {
    const keys = parseApiKeys('reader-0001:read,admin-00001:admin');
    expect(() => authorize(keys, undefined, 'read')).toThrow(/API key is required/);
    expect(() => authorize(keys, 'guess-0001', 'read')).toThrow(/unknown API key/);
    expect(() => authorize(keys, 'reader-0001', 'admin')).toThrow(/needs admin/);
    expect(() => authorize(keys, 'reader-0001', 'read')).not.toThrow();
    expect(() => authorize(keys, 'admin-00001', 'read')).not.toThrow();
    expect(() => authorize(new Map(), undefined, 'admin')).not.toThrow();
  });

  it('reads x-api-key or a bearer token', () => {
    expect(presentedKey({ 'x-api-key': 'k' })).toBe('k');
    expect(presentedKey({ authorization: 'Bearer k2' })).toBe('k2');
    expect(presentedKey({ authorization: 'Basic abc' })).toBeUndefined();
  });
});
