/**
 * Decides whether a user function can run in another thread or process. JavaScript cannot ship a closure's
 * captured variables, so a function is shippable only when its source text alone defines it: every identifier it
 * reads is its own parameter or local, or a standard ECMAScript global. The source is parsed (acorn) and
 * scoped properly (block scopes, hoisting, destructuring, nested functions); `this` and `arguments` outside a
 * function of its own, `super`, and native or bound functions make it unshippable.
 */
import { type Node, parse } from 'acorn';

/** How a shippable function is rebuilt from its source. */
export interface FunctionSource {
  /** `expression`: `(${source})` evaluates to the function; `method`: `({ ${source} })[name]` does. */
  readonly form: 'expression' | 'method';
  readonly source: string;
  readonly name: string;
}

/** The verdict on one function. */
export type Shippability =
  | { readonly shippable: true; readonly source: FunctionSource }
  | { readonly shippable: false; readonly reason: string };

/** Standard globals a shipped function may read; the same in every worker. */
const SAFE_GLOBALS = new Set([
  'undefined', 'NaN', 'Infinity', 'globalThis',
  'Math', 'JSON', 'Number', 'String', 'Boolean', 'Array', 'Object', 'Symbol', 'BigInt', 'Date', 'RegExp',
  'Map', 'Set', 'WeakMap', 'WeakSet', 'Promise', 'Reflect', 'Proxy', 'Intl', 'Atomics',
  'Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError',
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array',
  'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
  'parseInt', 'parseFloat', 'isNaN', 'isFinite', 'encodeURIComponent', 'decodeURIComponent', 'encodeURI',
  'decodeURI', 'structuredClone', 'TextEncoder', 'TextDecoder', 'URL', 'URLSearchParams', 'console', 'Buffer',
]); // biome-ignore format: a word list reads better packed

const verdicts = new WeakMap<object, Shippability>();

/** Analyses `fn` (memoized per function object). */
// biome-ignore lint/complexity/noBannedTypes: any user function.
export function analyzeFunction(fn: Function): Shippability {
  const known = verdicts.get(fn);
  if (known) return known;
  const verdict = analyzeSource(fn);
  verdicts.set(fn, verdict);
  return verdict;
}

// biome-ignore lint/complexity/noBannedTypes: any user function.
function analyzeSource(fn: Function): Shippability {
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    return { shippable: false, reason: `${describe(fn)} is a native or bound function` };
  }
  const parsed = parseFunction(source);
  if (!parsed) return { shippable: false, reason: `${describe(fn)} has a source that cannot be parsed` };
  const free = freeIdentifiers(parsed.root);
  const captured = [...free].filter((name) => !SAFE_GLOBALS.has(name));
  if (captured.length > 0) {
    return {
      shippable: false,
      reason: `${describe(fn)} reads ${captured.map((n) => `'${n}'`).join(', ')} from its enclosing scope`,
    };
  }
  return { shippable: true, source: { form: parsed.form, source, name: fn.name } };
}

// biome-ignore lint/complexity/noBannedTypes: any user function.
function describe(fn: Function): string {
  const text = Function.prototype.toString.call(fn).replace(/\s+/g, ' ');
  return `the function ${fn.name ? `${fn.name} ` : ''}(${text.length > 60 ? `${text.slice(0, 57)}...` : text})`;
}

function parseFunction(source: string): { root: Node; form: FunctionSource['form'] } | undefined {
  const options = { ecmaVersion: 'latest', sourceType: 'module' } as const;
  try {
    const program = parse(`(${source})`, options) as unknown as { body: Array<{ expression: Node }> };
    const expression = program.body[0]?.expression;
    if (expression) return { root: expression, form: 'expression' };
  } catch {
    // Not an expression: maybe a method written in shorthand, `name(x) { … }`.
  }
  try {
    const program = parse(`({${source}})`, options) as unknown as {
      body: Array<{ expression: { properties: Array<{ value: Node }> } }>;
    };
    const method = program.body[0]?.expression.properties[0]?.value;
    if (method) return { root: method, form: 'method' };
  } catch {
    return undefined;
  }
  return undefined;
}

type AnyNode = Node & Record<string, unknown>;

class Scope {
  readonly names = new Set<string>();
  readonly parent: Scope | undefined;
  /** True for function scopes (where `var` lands and `this`/`arguments` are bound, unless an arrow). */
  readonly isFunction: boolean;
  readonly bindsThis: boolean;

  constructor(parent: Scope | undefined, isFunction: boolean, bindsThis: boolean) {
    this.parent = parent;
    this.isFunction = isFunction;
    this.bindsThis = bindsThis;
  }

  has(name: string): boolean {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.names.has(name)) return true;
    return false;
  }

  thisIsBound(): boolean {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.bindsThis) return true;
    return false;
  }

  functionScope(): Scope {
    let s: Scope = this;
    while (!s.isFunction && s.parent) s = s.parent;
    return s;
  }
}

/** Names a function reads that none of its scopes declare (`this`/`super`/`arguments` included when free). */
export function freeIdentifiers(root: Node): Set<string> {
  const free = new Set<string>();
  const visit = (node: AnyNode | null | undefined, scope: Scope): void => {
    if (!node || typeof node.type !== 'string') return;
    switch (node.type) {
      case 'Identifier':
        if (!scope.has(node.name as string)) free.add(node.name as string);
        return;
      case 'ThisExpression':
        if (!scope.thisIsBound()) free.add('this');
        return;
      case 'Super':
        free.add('super');
        return;
      case 'MetaProperty':
        free.add(`${(node.meta as AnyNode).name}.${(node.property as AnyNode).name}`);
        return;
      case 'FunctionExpression':
      case 'FunctionDeclaration':
      case 'ArrowFunctionExpression': {
        const isArrow = node.type === 'ArrowFunctionExpression';
        const inner = new Scope(scope, true, !isArrow);
        if (!isArrow) inner.names.add('arguments');
        if (node.type === 'FunctionExpression' && node.id)
          inner.names.add((node.id as AnyNode).name as string);
        for (const param of node.params as AnyNode[]) declarePattern(param, inner);
        const body = node.body as AnyNode;
        if (body.type === 'BlockStatement') {
          hoist(body, inner);
          declareBlock(body, inner);
          for (const param of node.params as AnyNode[]) visitPatternDefaults(param, inner);
          for (const statement of body.body as AnyNode[]) visit(statement, inner);
        } else {
          for (const param of node.params as AnyNode[]) visitPatternDefaults(param, inner);
          visit(body, inner);
        }
        return;
      }
      case 'ClassExpression':
      case 'ClassDeclaration': {
        const inner = new Scope(scope, false, true);
        if (node.id) inner.names.add((node.id as AnyNode).name as string);
        visit(node.superClass as AnyNode, scope);
        visit(node.body as AnyNode, inner);
        return;
      }
      case 'BlockStatement':
      case 'StaticBlock': {
        const inner = new Scope(scope, false, false);
        declareBlock(node, inner);
        for (const statement of node.body as AnyNode[]) visit(statement, inner);
        return;
      }
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement': {
        const inner = new Scope(scope, false, false);
        const head = (node.init ?? node.left) as AnyNode | null;
        if (head?.type === 'VariableDeclaration' && head.kind !== 'var') {
          for (const d of head.declarations as AnyNode[]) declarePattern(d.id as AnyNode, inner);
        }
        visitChildren(node, inner);
        return;
      }
      case 'CatchClause': {
        const inner = new Scope(scope, false, false);
        if (node.param) declarePattern(node.param as AnyNode, inner);
        visitPatternDefaults(node.param as AnyNode, inner);
        visit(node.body as AnyNode, inner);
        return;
      }
      case 'VariableDeclarator':
        visitPatternDefaults(node.id as AnyNode, scope);
        visit(node.init as AnyNode, scope);
        return;
      case 'MemberExpression':
        visit(node.object as AnyNode, scope);
        if (node.computed) visit(node.property as AnyNode, scope);
        return;
      case 'Property':
      case 'PropertyDefinition':
      case 'MethodDefinition':
        if (node.computed) visit(node.key as AnyNode, scope);
        visit(node.value as AnyNode, scope);
        return;
      case 'LabeledStatement':
        visit(node.body as AnyNode, scope);
        return;
      case 'BreakStatement':
      case 'ContinueStatement':
        return;
      case 'AssignmentPattern':
        visit(node.right as AnyNode, scope);
        visitPatternTargets(node.left as AnyNode, scope);
        return;
      case 'ImportExpression':
        free.add('import');
        return;
      default:
        visitChildren(node, scope);
    }
  };
  const visitChildren = (node: AnyNode, scope: Scope): void => {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'type' || key === 'start' || key === 'end' || key === 'loc' || key === 'range') continue;
      if (Array.isArray(value)) for (const item of value) visit(item as AnyNode, scope);
      else if (value && typeof value === 'object') visit(value as AnyNode, scope);
    }
  };
  /** In a pattern, default values and computed keys are expressions; plain targets were declared already. */
  const visitPatternDefaults = (pattern: AnyNode | null | undefined, scope: Scope): void => {
    if (!pattern) return;
    switch (pattern.type) {
      case 'AssignmentPattern':
        visit(pattern.right as AnyNode, scope);
        visitPatternDefaults(pattern.left as AnyNode, scope);
        return;
      case 'ObjectPattern':
        for (const property of pattern.properties as AnyNode[]) {
          if (property.type === 'RestElement') visitPatternDefaults(property.argument as AnyNode, scope);
          else {
            if (property.computed) visit(property.key as AnyNode, scope);
            visitPatternDefaults(property.value as AnyNode, scope);
          }
        }
        return;
      case 'ArrayPattern':
        for (const element of pattern.elements as Array<AnyNode | null>) visitPatternDefaults(element, scope);
        return;
      case 'RestElement':
        visitPatternDefaults(pattern.argument as AnyNode, scope);
        return;
      case 'MemberExpression':
        visit(pattern, scope);
        return;
      default:
        return;
    }
  };
  /** Assignment targets in expressions (`[a, b] = …`) read their names as references. */
  const visitPatternTargets = (pattern: AnyNode, scope: Scope): void => {
    if (pattern.type === 'Identifier') visit(pattern, scope);
    else visitPatternDefaults(pattern, scope);
    if (pattern.type === 'ObjectPattern' || pattern.type === 'ArrayPattern') {
      const names = new Set<string>();
      collectPatternNames(pattern, names);
      for (const name of names) if (!scope.has(name)) free.add(name);
    }
  };
  visit(root as AnyNode, new Scope(undefined, true, false));
  return free;
}

function declarePattern(pattern: AnyNode, scope: Scope): void {
  collectPatternNames(pattern, scope.names);
}

function collectPatternNames(pattern: AnyNode | null | undefined, into: Set<string>): void {
  if (!pattern) return;
  switch (pattern.type) {
    case 'Identifier':
      into.add(pattern.name as string);
      return;
    case 'AssignmentPattern':
      collectPatternNames(pattern.left as AnyNode, into);
      return;
    case 'RestElement':
      collectPatternNames(pattern.argument as AnyNode, into);
      return;
    case 'ArrayPattern':
      for (const element of pattern.elements as Array<AnyNode | null>) collectPatternNames(element, into);
      return;
    case 'ObjectPattern':
      for (const property of pattern.properties as AnyNode[]) {
        collectPatternNames(
          (property.type === 'RestElement' ? property.argument : property.value) as AnyNode,
          into,
        );
      }
      return;
    default:
      return;
  }
}

/** Declares a block's own `let`/`const`/`class` and function declarations. */
function declareBlock(block: AnyNode, scope: Scope): void {
  for (const statement of block.body as AnyNode[]) {
    if (statement.type === 'VariableDeclaration' && statement.kind !== 'var') {
      for (const d of statement.declarations as AnyNode[]) declarePattern(d.id as AnyNode, scope);
    } else if (
      (statement.type === 'FunctionDeclaration' || statement.type === 'ClassDeclaration') &&
      statement.id
    ) {
      scope.names.add((statement.id as AnyNode).name as string);
    }
  }
}

/** Declares every `var` of a function body (they are function-scoped wherever they stand). */
function hoist(node: AnyNode, functionScope: Scope): void {
  const walk = (n: AnyNode | null | undefined): void => {
    if (!n || typeof n.type !== 'string') return;
    if (
      n.type === 'FunctionExpression' ||
      n.type === 'FunctionDeclaration' ||
      n.type === 'ArrowFunctionExpression'
    ) {
      return;
    }
    if (n.type === 'VariableDeclaration' && n.kind === 'var') {
      for (const d of n.declarations as AnyNode[]) declarePattern(d.id as AnyNode, functionScope);
    }
    for (const [key, value] of Object.entries(n)) {
      if (key === 'type') continue;
      if (Array.isArray(value)) for (const item of value) walk(item as AnyNode);
      else if (value && typeof value === 'object') walk(value as AnyNode);
    }
  };
  walk(node);
}
