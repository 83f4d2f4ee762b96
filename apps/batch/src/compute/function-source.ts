/**
 * Reads a view function (key, filter, an aggregator's extractor or predicate) from its source text into a small
 * expression tree, so the SQL compiler (`sql-expression.ts`) can translate it. Only the forms a view function takes
 * are understood: one parameter (`(e) => …`, `e => …`, `function (e) { return …; }`) or a destructured one
 * (`({ a, b: renamed }) => …`), and a body that is a single expression over the parameter's fields, literals,
 * comparisons, `!`, `&&`, `||`, arithmetic and `? :`. Anything else (calls, computed members, statements, template
 * substitutions, `this`, closures' variables) gives `undefined`: the caller then evaluates the function itself.
 */

/** An expression of a view function's body. */
export type SourceExpression =
  | { readonly type: 'literal'; readonly value: string | number | boolean | null | undefined }
  | { readonly type: 'field'; readonly name: string }
  | { readonly type: 'unary'; readonly operator: '!' | '-' | '+'; readonly operand: SourceExpression }
  | {
      readonly type: 'binary';
      readonly operator: BinaryOperator;
      readonly left: SourceExpression;
      readonly right: SourceExpression;
    }
  | {
      readonly type: 'conditional';
      readonly test: SourceExpression;
      readonly then: SourceExpression;
      readonly otherwise: SourceExpression;
    };

/** The binary operators the reader accepts. */
export type BinaryOperator =
  | '==='
  | '!=='
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '&&'
  | '||'
  | '??'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%';

type Token =
  | { readonly kind: 'identifier'; readonly text: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'punctuator'; readonly text: string };

const PUNCTUATORS = [
  '===',
  '!==',
  '...',
  '=>',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '?.',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  '.',
  ',',
  ';',
  ':',
  '?',
  '!',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '=',
];

const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
  "'": "'",
  '"': '"',
  '\\': '\\',
};

class Unsupported extends Error {}

function fail(): never {
  throw new Unsupported();
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const char = source[index] as string;
    if (/\s/.test(char)) {
      index++;
      continue;
    }
    if (char === '/' && (source[index + 1] === '/' || source[index + 1] === '*')) {
      const end = source[index + 1] === '/' ? source.indexOf('\n', index) : source.indexOf('*/', index + 2);
      index = end < 0 ? source.length : end + (source[index + 1] === '/' ? 1 : 2);
      continue;
    }
    const identifier = /^[A-Za-z_$][\w$]*/.exec(source.slice(index, index + 256));
    if (identifier !== null) {
      tokens.push({ kind: 'identifier', text: identifier[0] });
      index += identifier[0].length;
      continue;
    }
    const number = /^(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?/.exec(
      source.slice(index, index + 64),
    );
    if (number !== null) {
      if (/^0\d/.test(number[0]) || /[A-Za-z_$]/.test(source[index + number[0].length] ?? '')) fail();
      tokens.push({ kind: 'number', value: Number(number[0].replaceAll('_', '')) });
      index += number[0].length;
      continue;
    }
    if (char === '"' || char === "'" || char === '`') {
      let value = '';
      index++;
      for (;;) {
        const next = source[index];
        if (next === undefined || next === '\n') fail();
        index++;
        if (next === char) break;
        if (char === '`' && next === '$' && source[index] === '{') fail();
        if (next !== '\\') {
          value += next;
          continue;
        }
        const escaped = source[index++];
        if (escaped === undefined) fail();
        if (escaped === 'u') {
          const hex = /^[0-9a-fA-F]{4}/.exec(source.slice(index, index + 4));
          if (hex === null) fail();
          value += String.fromCharCode(Number.parseInt(hex[0], 16));
          index += 4;
        } else if (escaped === 'x') {
          const hex = /^[0-9a-fA-F]{2}/.exec(source.slice(index, index + 2));
          if (hex === null) fail();
          value += String.fromCharCode(Number.parseInt(hex[0], 16));
          index += 2;
        } else {
          const mapped = ESCAPES[escaped];
          if (mapped === undefined || (escaped === '0' && /\d/.test(source[index] ?? ''))) fail();
          value += mapped;
        }
      }
      tokens.push({ kind: 'string', value });
      continue;
    }
    const punctuator = PUNCTUATORS.find((candidate) => source.startsWith(candidate, index));
    if (punctuator === undefined) fail();
    tokens.push({ kind: 'punctuator', text: punctuator });
    index += punctuator.length;
  }
  return tokens;
}

/** Binding powers of the binary operators (higher binds tighter), as in JavaScript. */
const PRECEDENCE: Readonly<Record<string, number>> = {
  '??': 1,
  '||': 2,
  '&&': 3,
  '===': 6,
  '!==': 6,
  '==': 6,
  '!=': 6,
  '<': 7,
  '<=': 7,
  '>': 7,
  '>=': 7,
  '+': 9,
  '-': 9,
  '*': 10,
  '/': 10,
  '%': 10,
};

class Parser {
  readonly #tokens: readonly Token[];
  #position = 0;
  /** Local name → the event field it stands for. */
  readonly #names: ReadonlyMap<string, string>;
  /** The parameter holding the whole event, when not destructured. */
  readonly #eventName: string | undefined;

  constructor(tokens: readonly Token[], eventName: string | undefined, names: ReadonlyMap<string, string>) {
    this.#tokens = tokens;
    this.#eventName = eventName;
    this.#names = names;
  }

  get done(): boolean {
    return this.#position >= this.#tokens.length;
  }

  peek(): Token | undefined {
    return this.#tokens[this.#position];
  }

  isPunctuator(text: string): boolean {
    const token = this.peek();
    return token?.kind === 'punctuator' && token.text === text;
  }

  expect(text: string): void {
    if (!this.isPunctuator(text)) fail();
    this.#position++;
  }

  take(): Token {
    const token = this.#tokens[this.#position++];
    if (token === undefined) fail();
    return token;
  }

  /** A full expression: `test ? then : otherwise` binds loosest. */
  expression(): SourceExpression {
    const test = this.conditionalFree();
    if (!this.isPunctuator('?')) return test;
    this.#position++;
    const then = this.expression();
    this.expect(':');
    const otherwise = this.expression();
    return { type: 'conditional', test, then, otherwise };
  }

  conditionalFree(minimum = 0): SourceExpression {
    let left = this.unary();
    for (;;) {
      const token = this.peek();
      if (token?.kind !== 'punctuator') return left;
      const precedence = PRECEDENCE[token.text];
      if (precedence === undefined || precedence <= minimum) return left;
      this.#position++;
      const right = this.conditionalFree(precedence);
      left = { type: 'binary', operator: token.text as BinaryOperator, left, right };
    }
  }

  unary(): SourceExpression {
    const token = this.peek();
    if (token?.kind === 'punctuator' && (token.text === '!' || token.text === '-' || token.text === '+')) {
      this.#position++;
      return { type: 'unary', operator: token.text, operand: this.unary() };
    }
    return this.member();
  }

  member(): SourceExpression {
    const token = this.take();
    if (token.kind === 'number') return { type: 'literal', value: token.value };
    if (token.kind === 'string') return { type: 'literal', value: token.value };
    if (token.kind === 'punctuator') {
      if (token.text !== '(') fail();
      const inner = this.expression();
      this.expect(')');
      if (this.isPunctuator('.') || this.isPunctuator('?.') || this.isPunctuator('(')) fail();
      return inner;
    }
    const name = token.text;
    if (name === 'true' || name === 'false') return { type: 'literal', value: name === 'true' };
    if (name === 'null') return { type: 'literal', value: null };
    if (name === 'undefined' && !this.#names.has('undefined') && this.#eventName !== 'undefined') {
      return { type: 'literal', value: undefined };
    }
    let expression: SourceExpression;
    if (name === this.#eventName) {
      if (!this.isPunctuator('.') && !this.isPunctuator('?.')) fail();
      this.#position++;
      const field = this.take();
      if (field.kind !== 'identifier') fail();
      expression = { type: 'field', name: field.text };
    } else {
      const field = this.#names.get(name);
      if (field === undefined) fail();
      expression = { type: 'field', name: field };
    }
    // A member of a field (`e.path.length`) or a call (`e.path.startsWith(…)`) is beyond this reader.
    if (
      this.isPunctuator('.') ||
      this.isPunctuator('?.') ||
      this.isPunctuator('(') ||
      this.isPunctuator('[')
    ) {
      fail();
    }
    return expression;
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** A parsed view function: the expression its one parameter's fields are read in. */
export interface ParsedViewFunction {
  readonly body: SourceExpression;
}

function parameterNames(tokens: readonly Token[]): {
  eventName?: string;
  names: Map<string, string>;
} {
  if (tokens.length === 0) return { names: new Map() };
  if (tokens.length === 1 && tokens[0]?.kind === 'identifier') {
    return { eventName: tokens[0].text, names: new Map() };
  }
  const first = tokens[0];
  const last = tokens.at(-1);
  if (
    first?.kind !== 'punctuator' ||
    first.text !== '{' ||
    last?.kind !== 'punctuator' ||
    last.text !== '}'
  ) {
    fail();
  }
  const names = new Map<string, string>();
  let index = 1;
  while (index < tokens.length - 1) {
    const field = tokens[index++];
    if (field?.kind !== 'identifier') fail();
    let local = field.text;
    const next = tokens[index];
    if (next?.kind === 'punctuator' && next.text === ':') {
      const renamed = tokens[index + 1];
      if (renamed?.kind !== 'identifier') fail();
      local = renamed.text;
      index += 2;
    }
    names.set(local, field.text);
    const separator = tokens[index];
    if (separator?.kind === 'punctuator' && separator.text === ',') index++;
    else if (index !== tokens.length - 1) fail();
  }
  return { names };
}

/**
 * Parses `fn`'s source into an expression over event fields, or `undefined` when it is not of the simple forms
 * this module reads (see the module comment).
 *
 * @example
 * ```ts
 * parseViewFunction((e) => e.status >= 500)?.body;
 * // { type: 'binary', operator: '>=', left: { type: 'field', name: 'status' }, right: { type: 'literal', value: 500 } }
 * parseViewFunction((e) => helper(e)); // undefined
 * ```
 */
export function parseViewFunction(fn: unknown): ParsedViewFunction | undefined {
  if (typeof fn !== 'function') return undefined;
  const source = Function.prototype.toString.call(fn).trim();
  if (source.includes('[native code]')) return undefined;
  try {
    const tokens = tokenize(source);
    let index = 0;
    const at = (offset = 0) => tokens[index + offset];
    const isPunctuator = (token: Token | undefined, text: string) =>
      token?.kind === 'punctuator' && token.text === text;
    if (at()?.kind === 'identifier' && (at() as { text: string }).text === 'async') fail();
    let parameters: Token[];
    let named = false;
    if (at()?.kind === 'identifier' && (at() as { text: string }).text === 'function') {
      index++;
      if (at()?.kind === 'identifier') index++;
      named = true;
    }
    if (!named && at()?.kind === 'identifier' && isPunctuator(at(1), '=>')) {
      parameters = [at() as Token];
      index += 2;
    } else {
      if (!isPunctuator(at(), '(')) fail();
      let depth = 0;
      const start = index + 1;
      for (; index < tokens.length; index++) {
        if (isPunctuator(at(), '(')) depth++;
        else if (isPunctuator(at(), ')') && --depth === 0) break;
      }
      parameters = tokens.slice(start, index);
      index++;
      if (!named) {
        if (!isPunctuator(at(), '=>')) fail();
        index++;
      }
    }
    const { eventName, names } = parameterNames(parameters);
    if (eventName !== undefined && !IDENTIFIER.test(eventName)) fail();
    let body = tokens.slice(index);
    if (isPunctuator(body[0], '{')) {
      // A block body: exactly `{ return <expression>; }`.
      if (!isPunctuator(body.at(-1), '}')) fail();
      body = body.slice(1, -1);
      if (body[0]?.kind !== 'identifier' || body[0].text !== 'return') fail();
      body = body.slice(1);
      if (isPunctuator(body.at(-1), ';')) body = body.slice(0, -1);
    } else if (named) {
      fail();
    }
    const parser = new Parser(body, eventName, names);
    const expression = parser.expression();
    if (!parser.done) fail();
    return { body: expression };
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}
