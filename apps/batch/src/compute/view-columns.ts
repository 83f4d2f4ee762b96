/**
 * Which lake columns a view needs: its schema's event time, its key field, and the fields its functions (key,
 * filter, each aggregator's extractor or predicate) read. A function is read from its source text, and only when
 * that is cheap and sure: its one parameter is used solely as `p.field` (or destructured as `{ a, b }`).
 * Anything else — the event passed on whole (`helper(e)`), computed members (`e[name]`), `arguments`, native or
 * bound functions, an aggregator of a kind this module does not know — gives up and reads every event column of the schema, so a
 * view never sees an event with a field it reads missing.
 */
import type { AnyEvent, ViewDefinition } from '@oxbow/views';

/** The columns a view reads and whether they are fewer than the schema's event columns. */
export interface ViewColumns {
  /** Lake columns to read, in the schema's field order. */
  readonly columns: readonly string[];
  /** False when the analysis gave up and `columns` are all of the schema's event columns. */
  readonly pruned: boolean;
}

/** Aggregator kinds of `@oxbow/dataflow` whose only reads of an event are through their `inputs`. */
const KNOWN_KINDS: ReadonlySet<string> = new Set([
  'count',
  'sum',
  'hyperLogLog',
  'quantiles',
  'mean',
  'min',
  'max',
  'topK',
  'distinctSet',
]);

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The parameter list and body of a function's source, or `undefined` when it does not look like one. */
function splitFunction(source: string): { params: string; body: string } | undefined {
  const bare = /^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>([\s\S]*)$/.exec(source);
  if (bare !== null) return { params: bare[1] ?? '', body: bare[2] ?? '' };
  const open = source.indexOf('(');
  if (open < 0) return undefined;
  const prefix = source.slice(0, open).trim();
  if (!/^(?:async\s+)?(?:function\s*\*?\s*)?(?:[A-Za-z_$][\w$]*)?$/.test(prefix)) return undefined;
  let depth = 0;
  for (let index = open; index < source.length; index++) {
    const char = source[index];
    if (char === '(') depth++;
    else if (char === ')' && --depth === 0) {
      return { params: source.slice(open + 1, index), body: source.slice(index + 1) };
    }
  }
  return undefined;
}

/**
 * The event fields `fn` reads, or `undefined` when that cannot be told from its source for sure.
 *
 * @example
 * ```ts
 * fieldsReadBy((e) => e.status >= 500); // ['status']
 * fieldsReadBy(({ userId }) => userId); // ['userId']
 * fieldsReadBy((e) => helper(e)); // undefined: the event is passed on whole
 * ```
 */
export function fieldsReadBy(fn: unknown): string[] | undefined {
  if (typeof fn !== 'function') return undefined;
  const parts = splitFunction(Function.prototype.toString.call(fn).trim());
  if (parts === undefined || parts.body.includes('[native code]')) return undefined;
  const params = parts.params.trim();
  if (params === '') return [];
  if (/\barguments\b/.test(parts.body)) return undefined;
  const destructured = /^\{([^{}[\]()=.]*)\}$/.exec(params);
  if (destructured !== null) {
    const names: string[] = [];
    for (const entry of (destructured[1] ?? '').split(',')) {
      const name = entry.split(':')[0]?.trim() ?? '';
      if (name === '') continue;
      if (!IDENTIFIER.test(name)) return undefined;
      names.push(name);
    }
    return names;
  }
  if (!IDENTIFIER.test(params)) return undefined;
  const escaped = params.replaceAll('$', '\\$');
  const uses = new RegExp(`(?<![\\w$.])${escaped}(?![\\w$])`, 'g');
  const fields = new Set<string>();
  for (const use of parts.body.matchAll(uses)) {
    const after = parts.body.slice((use.index ?? 0) + params.length);
    const member = /^\s*\??\.\s*([A-Za-z_$][\w$]*)/.exec(after);
    if (member === null) return undefined;
    fields.add(member[1] ?? '');
  }
  return [...fields];
}

/**
 * The lake columns `view` needs (see the module comment); all of the schema's event columns when the analysis
 * gives up.
 *
 * @example
 * ```ts
 * columnsReadBy(project.view('fares_by_city')); // { columns: ['time', 'city', 'fareCents'], pruned: true }
 * ```
 */
export function columnsReadBy(
  view: Pick<ViewDefinition<AnyEvent>, 'schema' | 'keyField' | 'keyOf' | 'filter' | 'fields'>,
): ViewColumns {
  const schema = view.schema;
  const everything: ViewColumns = { columns: schema.eventColumns, pruned: false };
  const read = new Set<string>([schema.eventTime]);
  const add = (fields: readonly string[] | undefined): boolean => {
    if (fields === undefined) return false;
    for (const field of fields) read.add(field);
    return true;
  };
  if (view.keyField !== undefined) read.add(view.keyField);
  else if (!add(fieldsReadBy(view.keyOf))) return everything;
  if (view.filter !== undefined && !add(fieldsReadBy(view.filter))) return everything;
  for (const field of view.fields) {
    const aggregator = field.aggregator;
    if (!KNOWN_KINDS.has(aggregator.kind)) return everything;
    const inputs = aggregator.inputs ?? [];
    if (inputs.length === 0 && aggregator.kind !== 'count') return everything;
    for (const input of inputs) if (!add(fieldsReadBy(input))) return everything;
  }
  const columns = schema.eventColumns.filter((column) => read.has(column));
  return { columns, pruned: columns.length < schema.eventColumns.length };
}
