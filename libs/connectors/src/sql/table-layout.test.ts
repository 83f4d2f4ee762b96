import { describe, expect, it } from 'vitest';
import { SqlError } from './errors.ts';
import { cellsOf, inferLayout } from './table-layout.ts';

describe('inferLayout', () => {
  it('types object fields from their values, in first-seen order', () => {
    const layout = inferLayout('t', [
      { user: 'u1', ms: 12, ok: true },
      { user: 'u2', ms: 7.5, at: new Date(0), tags: ['a'], big: 2n ** 70n, raw: new Uint8Array([1]) },
      { user: null, id: 3n },
    ]);
    expect(layout).toEqual({
      shape: 'object',
      columns: [
        { name: 'user', type: 'VARCHAR' },
        { name: 'ms', type: 'DOUBLE' },
        { name: 'ok', type: 'BOOLEAN' },
        { name: 'at', type: 'TIMESTAMP' },
        { name: 'tags', type: 'JSON' },
        { name: 'big', type: 'HUGEINT' },
        { name: 'raw', type: 'BLOB' },
        { name: 'id', type: 'BIGINT' },
      ],
    });
  });

  it('names tuple positions _1, _2, … and plain values value', () => {
    expect(
      inferLayout('t', [
        ['a', 1],
        ['b', 2, true],
      ]).columns,
    ).toEqual([
      { name: '_1', type: 'VARCHAR' },
      { name: '_2', type: 'BIGINT' },
      { name: '_3', type: 'BOOLEAN' },
    ]);
    expect(inferLayout('t', [1, 2.5, null])).toEqual({
      shape: 'value',
      columns: [{ name: 'value', type: 'DOUBLE' }],
    });
  });

  it('keeps the columns of the previous layout, and uses it for an empty RDD', () => {
    const first = inferLayout('t', [{ a: 1, b: 'x' }]);
    expect(inferLayout('t', [{ a: 2 }], undefined, first).columns).toEqual([
      { name: 'a', type: 'BIGINT' },
      { name: 'b', type: 'VARCHAR' },
    ]);
    expect(inferLayout('t', [], undefined, first)).toBe(first);
  });

  it('takes a schema as given, and refuses what cannot be a table', () => {
    expect(inferLayout('t', [], { k: 'VARCHAR', n: 'BIGINT' }).columns).toEqual([
      { name: 'k', type: 'VARCHAR' },
      { name: 'n', type: 'BIGINT' },
    ]);
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        expect(SqlError.is(error, 'OXBOW_SQL_TABLE')).toBe(true);
        return (error as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(refusal(() => inferLayout('t', []))).toContain('no rows to infer columns from');
    expect(refusal(() => inferLayout('t', [{ a: 1 }, { a: 'x' }]))).toContain(
      'column a: values of mixed types (integers and strings)',
    );
    expect(refusal(() => inferLayout('t', [{ a: 1 }, [1]]))).toContain('different shapes');
    // biome-ignore lint/suspicious/noExplicitAny: an unknown type from untyped code.
    expect(refusal(() => inferLayout('t', [], { a: 'TEXT' as any }))).toContain('unknown type TEXT');
  });
});

describe('cellsOf', () => {
  it('converts values to the column types and names the row of a value that does not fit', () => {
    const layout = inferLayout('t', [], {
      n: 'BIGINT',
      at: 'TIMESTAMP',
      s: 'VARCHAR',
      j: 'JSON',
      d: 'DOUBLE',
    });
    const rows = [
      ...cellsOf('t', [{ n: 5n, at: 0, s: 12, j: { a: 1n, m: new Map([['k', 1]]) }, d: 3n }, {}], layout),
    ];
    expect(rows).toEqual([
      [5n, new Date(0), '12', '{"a":"1","m":{"k":1}}', 3],
      [null, null, null, null, null],
    ]);
    expect(() => [...cellsOf('t', [{ n: 1 }, { n: 1.5 }], layout)]).toThrow(
      'table t, column n, row 1: 1.5 is not a BIGINT value',
    );
  });

  it('fills tuple columns by position, whatever a schema names them', () => {
    const layout = inferLayout('t', [['a', 1]], { word: 'VARCHAR', n: 'BIGINT' });
    expect([...cellsOf('t', [['a', 1]], layout)]).toEqual([['a', 1]]);
  });
});
