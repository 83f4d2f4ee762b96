import { describe, expect, it } from 'vitest';
import { analyzeFunction } from './closure-analysis.ts';

const captured = 3;
const helper = (x: number): number => x + 1;

function reasonOf(fn: (...args: never[]) => unknown): string | undefined {
  const verdict = analyzeFunction(fn);
  return verdict.shippable ? undefined : verdict.reason;
}

describe('analyzeFunction', () => {
  it('ships functions that read only their parameters, locals and standard globals', () => {
    const shippable: Array<(...args: never[]) => unknown> = [
      (x: number) => x * 2,
      (a: number, b: number) => a + b,
      (line: string) => line.split(' ').map((w) => w.toLowerCase()),
      ([k, v]: [string, number]) => [k, Math.max(v, 0)],
      ({ a, b: { c = 1 } }: { a: number; b: { c?: number } }) => a + c,
      (xs: number[]) => {
        let total = 0;
        for (const x of xs) total += x;
        for (let i = 0; i < 2; i++) total += i;
        return JSON.stringify({ total, when: new Date(0), big: BigInt(total) });
      },
      function named(n: number): number {
        return n <= 1 ? 1 : n * named(n - 1);
      },
      (x: number) => {
        var hoisted = x;
        try {
          throw new Error('e');
        } catch (error) {
          return hoisted + String(error).length;
        }
      },
      (x: number) => {
        class Box {
          value = x;
          get doubled(): number {
            return this.value * 2;
          }
        }
        return new Box().doubled;
      },
      function (this: unknown, x: number) {
        // biome-ignore lint/complexity/noArguments: the analysis must accept a function reading its own arguments.
        return [this, arguments.length, x];
      },
    ];
    for (const fn of shippable) expect(reasonOf(fn), String(fn)).toBeUndefined();
  });

  it('refuses functions that capture driver state, naming the variable', () => {
    expect(reasonOf((x: number) => x + captured)).toContain("'captured'");
    expect(reasonOf((x: number) => helper(x))).toContain("'helper'");
    expect(reasonOf((x: number) => [x].map(() => captured))).toContain("'captured'");
    expect(
      reasonOf((x: number) => {
        {
          const captured = 1;
          void captured;
        }
        return x + captured;
      }),
    ).toContain("'captured'");
  });

  it('refuses native, bound and this-capturing arrow functions', () => {
    expect(reasonOf(Math.abs)).toContain('native');
    expect(reasonOf(((x: number) => x).bind(null))).toContain('native');
    const holder = {
      factor: 2,
      make() {
        return (x: number) => x * this.factor;
      },
    };
    expect(reasonOf(holder.make())).toContain("'this'");
  });

  it('ships method shorthand functions', () => {
    const object = {
      double(x: number) {
        return x * 2;
      },
    };
    const verdict = analyzeFunction(object.double);
    expect(verdict.shippable).toBe(true);
    if (verdict.shippable) expect(verdict.source.form).toBe('method');
  });
});
