import { describe, expect, it } from 'vitest';
import { VERSION } from './index.ts';

describe('dataflow', () => {
  it('exports a version', () => {
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
