import { describe, expect, it } from 'vitest';
import { validationIn } from './run-archiver.ts';

describe('validationIn', () => {
  it('follows OXBOW_ARCHIVER_VALIDATION, else validates in the encoder threads from four cores', () => {
    expect(validationIn('main', 16)).toBe('main');
    expect(validationIn('encoder', 2)).toBe('encoder');
    expect(validationIn(undefined, 2)).toBe('main');
    expect(validationIn('', 3)).toBe('main');
    expect(validationIn(undefined, 4)).toBe('encoder');
    expect(() => validationIn('worker', 4)).toThrow(/must be main or encoder/);
  });
});
