import { OxbowError } from '@oxbow/contracts';
import { describe, expect, it } from 'vitest';
import {
  AuthError,
  authorize,
  hashApiKeys,
  parseApiKeyEntries,
  parseApiKeys,
  presentedKey,
  scopeCovers,
} from './index.ts';

describe('API keys', () => {
  it('parses KEY:SCOPE lists; empty or none means no keys', () => {
    expect(parseApiKeys('none').size).toBe(0);
    expect(parseApiKeys(' ').size).toBe(0);
    const keys = parseApiKeys('reader-0001:read, loader-0001:ingest ,admin-00001:admin,with:colon-1:read');
    expect(keys.size).toBe(4);
    expect(keys.get('reader-0001')).toBe('read');
    expect(keys.get('loader-0001')).toBe('ingest');
    expect(keys.get('admin-00001')).toBe('admin');
    expect(keys.get('with:colon-1')).toBe('read');
    expect(keys.get('reader-0002')).toBeUndefined();
    expect(keys.get('')).toBeUndefined();
    expect(keys.has('admin-00001')).toBe(true);
    expect(keys.has('admin-0000')).toBe(false);
  });

  it('refuses malformed entries without repeating the key', () => {
    expect(() => parseApiKeys('short:read')).toThrow(/entry 1: .*at least 8 characters/);
    expect(() => parseApiKeys('reader-0001:read,secret-key-1:write')).toThrow(
      /entry 2: .*scope read, ingest or admin/,
    );
    expect(() => parseApiKeys('no-scope-at-all')).toThrow(AuthError);
    try {
      parseApiKeys('secret-key-1:write');
    } catch (error) {
      expect(AuthError.is(error, 'OXBOW_BAD_API_KEYS')).toBe(true);
      expect((error as Error).message).not.toContain('secret-key-1');
    }
  });

  it('gives the plain entries to hash, e.g. to see whether an admin key is configured', () => {
    const entries = parseApiKeyEntries('reader-0001:read,admin-00001:admin');
    expect([...entries]).toEqual([
      ['reader-0001', 'read'],
      ['admin-00001', 'admin'],
    ]);
    entries.set('generated-admin-key', 'admin');
    const keys = hashApiKeys(entries);
    expect(keys.size).toBe(3);
    expect(keys.get('generated-admin-key')).toBe('admin');
    expect(keys.get('generated-admin-ke')).toBeUndefined();
    expect(parseApiKeyEntries('none').size).toBe(0);
  });

  it('keeps digests only: the keys are not in the object', () => {
    const keys = parseApiKeys('reader-0001:read');
    const dump = JSON.stringify(keys);
    expect(dump).toContain('digest');
    expect(dump).not.toContain('reader-0001');
  });

  it('checks scopes: admin covers read and ingest; read and ingest are apart', () => {
    expect(scopeCovers('admin', 'read')).toBe(true);
    expect(scopeCovers('admin', 'ingest')).toBe(true);
    expect(scopeCovers('read', 'ingest')).toBe(false);
    expect(scopeCovers('ingest', 'read')).toBe(false);
    expect(scopeCovers('ingest', 'admin')).toBe(false);
    const keys = parseApiKeys('reader-0001:read,loader-0001:ingest,admin-00001:admin');
    expect(() => authorize(keys, undefined, 'read')).toThrow(/API key is required/);
    expect(() => authorize(keys, 'guess-0001', 'read')).toThrow(/unknown API key/);
    expect(() => authorize(keys, 'reader-0001', 'admin')).toThrow(
      /has the read scope; the route needs admin/,
    );
    expect(() => authorize(keys, 'reader-0001', 'ingest')).toThrow(/needs ingest/);
    expect(() => authorize(keys, 'loader-0001', 'read')).toThrow(
      /has the ingest scope; the route needs read/,
    );
    expect(() => authorize(keys, 'reader-0001', 'read')).not.toThrow();
    expect(() => authorize(keys, 'loader-0001', 'ingest')).not.toThrow();
    expect(() => authorize(keys, 'admin-00001', 'read')).not.toThrow();
    expect(() => authorize(keys, 'admin-00001', 'ingest')).not.toThrow();
    expect(() => authorize(parseApiKeys('none'), undefined, 'admin')).not.toThrow();
    expect(() => authorize(new Map(), undefined, 'admin')).not.toThrow();
  });

  it('raises errors an app answers by code: 401 and 403', () => {
    const keys = parseApiKeys('reader-0001:read');
    const codes = [undefined, 'guess-0001', 'reader-0001'].map((presented) => {
      try {
        authorize(keys, presented, 'admin');
        return 'passed';
      } catch (error) {
        return OxbowError.is(error) ? error.code : 'other';
      }
    });
    expect(codes).toEqual(['OXBOW_UNAUTHORIZED', 'OXBOW_UNAUTHORIZED', 'OXBOW_FORBIDDEN']);
  });

  it('reads x-api-key or a bearer token', () => {
    expect(presentedKey({ 'x-api-key': 'k' })).toBe('k');
    expect(presentedKey({ authorization: 'Bearer k2' })).toBe('k2');
    expect(presentedKey({ authorization: 'Basic abc' })).toBeUndefined();
    expect(presentedKey({ 'x-api-key': '' })).toBeUndefined();
  });
});
