/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for the tests that scrape the apps:
 * every sample belongs to a family declared with `# HELP` and `# TYPE` before it, names and labels are well
 * formed, values are numbers, counters end in `_total`, histograms have `_bucket` (with `le`, ending at `+Inf`),
 * `_sum` and `_count`. Written for the tests, sharing nothing with prom-client.
 */

/** One sample line. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric family: its type, help and samples. */
export interface MetricFamily {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  readonly help: string;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** A sample value as Prometheus reads it (Go's ParseFloat: `NaN` and `Inf` in any case, e.g. prom-client's `Nan`). */
function parseValue(text: string, line: string): number {
  if (/^\+?inf(inity)?$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(text)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`not a number "${text}": ${line}`);
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/.exec(rest);
    if (match === null) throw new Error(`malformed labels: ${line}`);
    const [all, name = '', value = ''] = match;
    if (!LABEL_NAME.test(name) || name in labels) throw new Error(`bad or repeated label ${name}: ${line}`);
    labels[name] = value.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(all.length);
  }
  return labels;
}

/** The family a sample name belongs to: itself, or a histogram's/summary's without its suffix. */
function familyOf(name: string, families: ReadonlyMap<string, MetricFamily>): MetricFamily | undefined {
  const own = families.get(name);
  if (own !== undefined) return own;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const family = families.get(name.slice(0, -suffix.length));
    if (family?.type === 'histogram' || (family?.type === 'summary' && suffix !== '_bucket')) return family;
  }
  return undefined;
}

/**
 * Parses an exposition; throws on the first line that breaks the format or the naming rules.
 *
 * @example
 * const families = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
 * families.get('oxbow_speed_records_total')?.type; // 'counter'
 */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const helps = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('# HELP ')) {
      const [, name = '', help = ''] = /^# HELP (\S+) ?(.*)$/.exec(line) ?? [];
      if (!NAME.test(name) || helps.has(name)) throw new Error(`bad or repeated HELP: ${line}`);
      helps.set(name, help);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, name = '', type = ''] = /^# TYPE (\S+) (\S+)$/.exec(line) ?? [];
      if (!NAME.test(name) || !TYPES.has(type) || families.has(name))
        throw new Error(`bad or repeated TYPE: ${line}`);
      if (!helps.has(name)) throw new Error(`TYPE without HELP before it: ${line}`);
      if (type === 'counter' && !name.endsWith('_total'))
        throw new Error(`a counter not named *_total: ${line}`);
      families.set(name, {
        name,
        type: type as MetricFamily['type'],
        help: helps.get(name) ?? '',
        samples: [],
      });
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (match === null) throw new Error(`malformed sample: ${line}`);
    const [, name = '', labelText = '', valueText = ''] = match;
    const family = familyOf(name, families);
    if (family === undefined) throw new Error(`sample of an undeclared family: ${line}`);
    const labels = parseLabels(labelText, line);
    if (family.type === 'histogram' && name.endsWith('_bucket') && labels.le === undefined) {
      throw new Error(`histogram bucket without le: ${line}`);
    }
    family.samples.push({ name, labels, value: parseValue(valueText, line) });
  }
  for (const family of families.values()) {
    if (family.type !== 'histogram') continue;
    const infinite = family.samples.filter((s) => s.name.endsWith('_bucket') && s.labels.le === '+Inf');
    const counts = family.samples.filter((s) => s.name === `${family.name}_count`);
    if (infinite.length !== counts.length)
      throw new Error(`histogram ${family.name}: +Inf buckets ≠ _count series`);
  }
  return families;
}

/** The value of the one sample of `name` whose labels include `labels` (NaN when there is none). */
export function sampleValue(
  families: ReadonlyMap<string, MetricFamily>,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  for (const family of families.values()) {
    const sample = family.samples.find(
      (candidate) =>
        candidate.name === name &&
        Object.entries(labels).every(([key, value]) => candidate.labels[key] === value),
    );
    if (sample !== undefined) return sample.value;
  }
  return Number.NaN;
}
