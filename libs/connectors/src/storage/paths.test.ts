import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors.ts';
import { checkPath, checkPrefix, listingRootOf, temporarySiblingOf } from './paths.ts';

describe('checkPath', () => {
  it('accepts clean relative paths and rejects everything else with OXBOW_STORAGE_BAD_PATH', () => {
    expect(checkPath('a/b/c.parquet')).toBe('a/b/c.parquet');
    for (const bad of ['', '/abs', 'dir/', 'a//b', './a', 'a/../b', '..', 'a/\0']) {
      expect(() => checkPath(bad), bad).toThrow(ConnectorError);
    }
  });
});

describe('checkPrefix', () => {
  it('allows the empty prefix and a trailing slash', () => {
    expect(checkPrefix('')).toBe('');
    expect(checkPrefix('a/b/')).toBe('a/b/');
    expect(checkPrefix('a/b')).toBe('a/b');
    expect(() => checkPrefix('/a')).toThrow(/relative/);
    expect(() => checkPrefix('a/../')).toThrow(/bad segment/);
  });
});

describe('listingRootOf', () => {
  it('is the directory every match lives under', () => {
    expect(listingRootOf('a/b/pa')).toBe('a/b');
    expect(listingRootOf('a/b/')).toBe('a/b');
    expect(listingRootOf('pa')).toBe('');
  });
});

describe('temporarySiblingOf', () => {
  it('is a hidden, unique name in the same directory', () => {
    const one = temporarySiblingOf('x/y/file.parquet');
    expect(one).toMatch(/^x\/y\/\.file\.parquet\.oxbow-tmp-[0-9a-f]{12}$/);
    expect(temporarySiblingOf('x/y/file.parquet')).not.toBe(one);
    expect(temporarySiblingOf('top')).toMatch(/^\.top\.oxbow-tmp-/);
  });
});
