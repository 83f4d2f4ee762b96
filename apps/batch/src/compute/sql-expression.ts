/**
 * Translates a parsed view function (`function-source.ts`) into a DuckDB SQL expression over the lake's columns
 * that gives exactly what the JavaScript function gives for every event the schema admits, or refuses.
 *
 * JavaScript semantics kept: an absent optional field is `undefined` (SQL `NULL`), never `null`; comparisons with
 * `undefined` or `NaN` are false; `===` between different types is false; `!x` is falsiness (`0`, `NaN`, `''`,
 * `false`, `undefined`); numbers are doubles (integer columns are cast to `DOUBLE`, as `eventOfRow` makes them
 * numbers); `/` and `%` only by a non-zero literal (DuckDB gives `NULL` where JavaScript gives `Infinity`).
 * Refused: string ordering (JavaScript compares UTF-16 code units, DuckDB bytes), loose equality between
 * different types, `??`, `&&`/`||` over non-booleans, and anything the reader does not parse.
 */
import type { AnyEvent, Schema } from '@oxbow/views';
import { type BinaryOperator, parseViewFunction, type SourceExpression } from './function-source.ts';

/** The JavaScript type of a compiled expression's value. */
export type ValueType = 'number' | 'string' | 'boolean' | 'undefined' | 'null';

/** A compiled expression: its SQL, the type of its value, and whether it may be `undefined` (`NULL`). */
export interface TypedSql {
  readonly sql: string;
  readonly type: ValueType;
  /** True when the value may be `undefined` (an absent optional field). */
  readonly nullable: boolean;
  /** True when a number may be `NaN` (arithmetic can make one; fields never hold one). */
  readonly maybeNaN: boolean;
}

class Refused extends Error {}

function refuse(): never {
  throw new Refused();
}

/** A double-quoted SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL string literal; `undefined` for a string with a lone surrogate (not valid UTF-8). */
export function stringLiteral(value: string): string | undefined {
  if (!value.isWellFormed()) return undefined;
  return `'${value.replaceAll("'", "''")}'`;
}

/** A SQL `DOUBLE` literal equal to `value` (its shortest round-trip decimal, parsed by DuckDB). */
export function doubleLiteral(value: number): string {
  if (Number.isNaN(value)) return "CAST('NaN' AS DOUBLE)";
  if (!Number.isFinite(value)) return `CAST('${value > 0 ? 'Infinity' : '-Infinity'}' AS DOUBLE)`;
  return `CAST('${Object.is(value, -0) ? '-0.0' : String(value)}' AS DOUBLE)`;
}

const TRUE: TypedSql = { sql: 'TRUE', type: 'boolean', nullable: false, maybeNaN: false };
const FALSE: TypedSql = { sql: 'FALSE', type: 'boolean', nullable: false, maybeNaN: false };

function bool(sql: string): TypedSql {
  return { sql, type: 'boolean', nullable: false, maybeNaN: false };
}

/** JavaScript truthiness as a non-null SQL boolean. */
export function truthy(value: TypedSql): string {
  switch (value.type) {
    case 'boolean':
      return value.nullable ? `coalesce(${value.sql}, FALSE)` : value.sql;
    case 'number':
      return value.maybeNaN
        ? `coalesce(${value.sql} <> 0 AND NOT isnan(${value.sql}), FALSE)`
        : value.nullable
          ? `coalesce(${value.sql} <> 0, FALSE)`
          : `(${value.sql} <> 0)`;
    case 'string':
      return value.nullable ? `coalesce(${value.sql} <> '', FALSE)` : `(${value.sql} <> '')`;
    default:
      return 'FALSE';
  }
}

class Compiler {
  readonly #schema: Schema<AnyEvent>;

  constructor(schema: Schema<AnyEvent>) {
    this.#schema = schema;
  }

  compile(expression: SourceExpression): TypedSql {
    switch (expression.type) {
      case 'literal':
        return this.literal(expression.value);
      case 'field':
        return this.field(expression.name);
      case 'unary':
        return this.unary(expression.operator, this.compile(expression.operand));
      case 'binary':
        return this.binary(
          expression.operator,
          this.compile(expression.left),
          this.compile(expression.right),
          expression,
        );
      case 'conditional': {
        const test = truthy(this.compile(expression.test));
        const then = this.compile(expression.then);
        const otherwise = this.compile(expression.otherwise);
        if (then.type !== otherwise.type || then.type === 'undefined' || then.type === 'null') refuse();
        return {
          sql: `(CASE WHEN ${test} THEN ${then.sql} ELSE ${otherwise.sql} END)`,
          type: then.type,
          nullable: then.nullable || otherwise.nullable,
          maybeNaN: then.maybeNaN || otherwise.maybeNaN,
        };
      }
    }
  }

  literal(value: string | number | boolean | null | undefined): TypedSql {
    if (value === undefined) return { sql: 'NULL', type: 'undefined', nullable: true, maybeNaN: false };
    if (value === null) return { sql: 'NULL', type: 'null', nullable: false, maybeNaN: false };
    if (typeof value === 'boolean') return value ? TRUE : FALSE;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) refuse();
      return { sql: doubleLiteral(value), type: 'number', nullable: false, maybeNaN: false };
    }
    const literal = stringLiteral(value);
    if (literal === undefined) refuse();
    return { sql: literal, type: 'string', nullable: false, maybeNaN: false };
  }

  field(name: string): TypedSql {
    const field = this.#schema.fields.find((candidate) => candidate.name === name);
    // A field the schema does not have reads as undefined in every event.
    if (field === undefined) return { sql: 'NULL', type: 'undefined', nullable: true, maybeNaN: false };
    const column = quoteIdentifier(name);
    const nullable = field.spec.optional;
    switch (field.spec.kind) {
      case 'string':
      case 'enum':
        return { sql: column, type: 'string', nullable, maybeNaN: false };
      case 'boolean':
        return { sql: column, type: 'boolean', nullable, maybeNaN: false };
      default:
        return { sql: `CAST(${column} AS DOUBLE)`, type: 'number', nullable, maybeNaN: false };
    }
  }

  unary(operator: '!' | '-' | '+', operand: TypedSql): TypedSql {
    if (operator === '!') return bool(`(NOT ${truthy(operand)})`);
    if (operand.type !== 'number' || operand.nullable) refuse();
    return operator === '-' ? { ...operand, sql: `(- ${operand.sql})` } : operand;
  }

  binary(operator: BinaryOperator, left: TypedSql, right: TypedSql, source: SourceExpression): TypedSql {
    switch (operator) {
      case '===':
      case '!==': {
        const equal = strictEquality(left, right);
        return operator === '===' ? equal : bool(`(NOT ${equal.sql})`);
      }
      case '==':
      case '!=': {
        const equal = looseEquality(left, right);
        return operator === '==' ? equal : bool(`(NOT ${equal.sql})`);
      }
      case '<':
      case '<=':
      case '>':
      case '>=': {
        if (left.type !== 'number' || right.type !== 'number') refuse();
        const nan = [left, right]
          .filter((side) => side.maybeNaN)
          .map((side) => ` AND NOT isnan(${side.sql})`);
        return bool(`coalesce(${left.sql} ${operator} ${right.sql}${nan.join('')}, FALSE)`);
      }
      case '&&':
      case '||':
        if (left.type !== 'boolean' || right.type !== 'boolean' || left.nullable || right.nullable) refuse();
        return bool(`(${left.sql} ${operator === '&&' ? 'AND' : 'OR'} ${right.sql})`);
      case '+':
        if (left.type === 'string' && right.type === 'string' && !left.nullable && !right.nullable) {
          return { sql: `(${left.sql} || ${right.sql})`, type: 'string', nullable: false, maybeNaN: false };
        }
        return arithmetic(operator, left, right);
      case '-':
      case '*':
        return arithmetic(operator, left, right);
      case '/':
      case '%': {
        // Only by a non-zero literal: DuckDB's x / 0 is NULL where JavaScript's is ±Infinity or NaN.
        const divisor = source.type === 'binary' ? source.right : undefined;
        if (divisor?.type !== 'literal' || typeof divisor.value !== 'number' || divisor.value === 0) refuse();
        return arithmetic(operator, left, right);
      }
      default:
        return refuse();
    }
  }
}

function arithmetic(operator: string, left: TypedSql, right: TypedSql): TypedSql {
  if (left.type !== 'number' || right.type !== 'number' || left.nullable || right.nullable) refuse();
  return { sql: `(${left.sql} ${operator} ${right.sql})`, type: 'number', nullable: false, maybeNaN: true };
}

function isNothing(value: TypedSql): boolean {
  return value.type === 'undefined' || value.type === 'null';
}

function strictEquality(left: TypedSql, right: TypedSql): TypedSql {
  if (isNothing(left) || isNothing(right)) {
    const [nothing, other] = isNothing(left) ? [left, right] : [right, left];
    if (other.type === nothing.type) return TRUE;
    // Events never hold `null` (an absent field is undefined), so `=== null` is false.
    if (nothing.type === 'null' || isNothing(other)) return FALSE;
    return other.nullable ? bool(`(${other.sql} IS NULL)`) : FALSE;
  }
  if (left.type !== right.type) {
    return left.nullable && right.nullable ? bool(`(${left.sql} IS NULL AND ${right.sql} IS NULL)`) : FALSE;
  }
  const nan = [left, right].filter((side) => side.maybeNaN).map((side) => ` AND NOT isnan(${side.sql})`);
  if (left.nullable || right.nullable) {
    // NaN only comes from arithmetic, which is never nullable: IS NOT DISTINCT FROM is safe here.
    return bool(`(${left.sql} IS NOT DISTINCT FROM ${right.sql})`);
  }
  return bool(`(${left.sql} = ${right.sql}${nan.join('')})`);
}

function looseEquality(left: TypedSql, right: TypedSql): TypedSql {
  if (isNothing(left) || isNothing(right)) {
    const other = isNothing(left) ? right : left;
    if (isNothing(other)) return TRUE;
    return other.nullable ? bool(`(${other.sql} IS NULL)`) : FALSE;
  }
  if (left.type !== right.type || left.nullable || right.nullable) refuse();
  return strictEquality(left, right);
}

/**
 * Compiles `fn` (a view function of one event) for `schema`, or `undefined` when it cannot be translated exactly.
 *
 * @example
 * ```ts
 * compileViewFunction((e) => e.status >= 500, httpLogs)?.sql;
 * // "coalesce(CAST(\"status\" AS DOUBLE) >= CAST('500' AS DOUBLE), FALSE)"
 * ```
 */
export function compileViewFunction(fn: unknown, schema: Schema<AnyEvent>): TypedSql | undefined {
  const parsed = parseViewFunction(fn);
  if (parsed === undefined) return undefined;
  try {
    return new Compiler(schema).compile(parsed.body);
  } catch (error) {
    if (error instanceof Refused) return undefined;
    throw error;
  }
}
