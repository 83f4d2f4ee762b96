import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { ContractError } from './contract-error.ts';
import { OxbowError } from './oxbow-error.ts';

type DiskCode = 'OXBOW_DISK_FULL' | 'OXBOW_DISK_BUSY';
class DiskError extends OxbowError<DiskCode> {
  static override readonly retriableCodes: readonly string[] = ['OXBOW_DISK_BUSY'];
}
class LocalDiskError extends DiskError {}
class NetError extends OxbowError<'OXBOW_NET_DOWN'> {}

/** Loads a second, independent copy of the module, like a package installed twice. */
async function duplicatedModule(): Promise<typeof import('./oxbow-error.ts')> {
  vi.resetModules();
  return import('./oxbow-error.ts');
}

describe('OxbowError', () => {
  it('carries code, retriable, cause and the class name', () => {
    const cause = new Error('ENOSPC');
    const error = new DiskError('OXBOW_DISK_FULL', 'disk full', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'DiskError', code: 'OXBOW_DISK_FULL', retriable: false, cause });
    expect(error.message).toBe('disk full');
    expect(new LocalDiskError('OXBOW_DISK_FULL', 'x').name).toBe('LocalDiskError');
    expect('cause' in new DiskError('OXBOW_DISK_FULL', 'x')).toBe(false);
  });

  it('defaults retriable from the class list, and the thrower may override it', () => {
    expect(new DiskError('OXBOW_DISK_BUSY', 'busy').retriable).toBe(true);
    expect(new DiskError('OXBOW_DISK_BUSY', 'busy', { retriable: false }).retriable).toBe(false);
    expect(new DiskError('OXBOW_DISK_FULL', 'full', { retriable: true }).retriable).toBe(true);
    expect(new LocalDiskError('OXBOW_DISK_BUSY', 'busy').retriable).toBe(true);
    expect(new NetError('OXBOW_NET_DOWN', 'down').retriable).toBe(false);
  });

  it('is() checks the class (subclasses included) and the code', () => {
    const full = new LocalDiskError('OXBOW_DISK_FULL', 'full');
    expect(DiskError.is(full)).toBe(true);
    expect(LocalDiskError.is(full)).toBe(true);
    expect(DiskError.is(full, 'OXBOW_DISK_FULL')).toBe(true);
    expect(DiskError.is(full, 'OXBOW_DISK_BUSY')).toBe(false);
    expect(LocalDiskError.is(new DiskError('OXBOW_DISK_FULL', 'x'))).toBe(false);
    expect(NetError.is(full)).toBe(false);
    expect(OxbowError.is(full)).toBe(true);
    expect(OxbowError.is(full, 'OXBOW_DISK_FULL')).toBe(true);
    expect(OxbowError.is(new ContractError('OXBOW_LAKE_LAYOUT', 'x'), 'OXBOW_LAKE_LAYOUT')).toBe(true);
  });

  it('is() rejects look-alikes that lack the brand', () => {
    const lookAlike = Object.assign(new Error('x'), { name: 'DiskError', code: 'OXBOW_DISK_FULL' });
    for (const value of [lookAlike, { code: 'OXBOW_DISK_FULL' }, null, undefined, 'OXBOW_DISK_FULL', 7]) {
      expect(OxbowError.is(value)).toBe(false);
      expect(DiskError.is(value)).toBe(false);
    }
  });

  it('is() recognises errors raised by a duplicated copy of the module', async () => {
    const copy = await duplicatedModule();
    expect(copy.OxbowError).not.toBe(OxbowError);
    class CopiedDiskError extends copy.OxbowError<DiskCode> {}
    Object.defineProperty(CopiedDiskError, 'name', { value: 'DiskError' });
    const foreign = new CopiedDiskError('OXBOW_DISK_FULL', 'full');
    expect(foreign).not.toBeInstanceOf(OxbowError);
    expect(OxbowError.is(foreign)).toBe(true);
    expect(DiskError.is(foreign, 'OXBOW_DISK_FULL')).toBe(true);
    expect(NetError.is(foreign)).toBe(false);
    expect(copy.OxbowError.is(new DiskError('OXBOW_DISK_BUSY', 'busy'))).toBe(true);
  });

  it('narrows the type to the class and the code', () => {
    const error: unknown = new DiskError('OXBOW_DISK_BUSY', 'busy');
    if (DiskError.is(error, 'OXBOW_DISK_BUSY')) {
      expectTypeOf(error).toExtend<DiskError>();
      expectTypeOf(error.code).toEqualTypeOf<'OXBOW_DISK_BUSY'>();
    }
    if (DiskError.is(error)) expectTypeOf(error.code).toEqualTypeOf<DiskCode>();
    if (OxbowError.is(error)) expectTypeOf(error.code).toEqualTypeOf<string>();
    if (OxbowError.is(error, 'OXBOW_STORAGE_NOT_FOUND'))
      expectTypeOf(error.code).toEqualTypeOf<'OXBOW_STORAGE_NOT_FOUND'>();
  });
});
