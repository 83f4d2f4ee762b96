/**
 * A map keyed by value, not identity: `[1, 'a']` and another `[1, 'a']` are one key, as Scala tuples are.
 * Primitive keys use a native `Map` directly; arrays, plain objects and dates are keyed by a canonical string
 * kept in a second map, so a string key can never collide with a composite one.
 */
export class KeyMap<K, V> {
  private readonly primitives = new Map<unknown, V>();
  private readonly composites = new Map<string, { key: K; value: V }>();

  get size(): number {
    return this.primitives.size + this.composites.size;
  }

  get(key: K): V | undefined {
    return isComposite(key) ? this.composites.get(canonicalKey(key))?.value : this.primitives.get(key);
  }

  has(key: K): boolean {
    return isComposite(key) ? this.composites.has(canonicalKey(key)) : this.primitives.has(key);
  }

  set(key: K, value: V): this {
    if (isComposite(key)) this.composites.set(canonicalKey(key), { key, value });
    else this.primitives.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    return isComposite(key) ? this.composites.delete(canonicalKey(key)) : this.primitives.delete(key);
  }

  clear(): void {
    this.primitives.clear();
    this.composites.clear();
  }

  /** Entries in insertion order within each kind: primitive keys first, then composite keys. */
  *entries(): IterableIterator<[K, V]> {
    for (const entry of this.primitives) yield entry as [K, V];
    for (const { key, value } of this.composites.values()) yield [key, value];
  }
}

function isComposite(key: unknown): key is object {
  return typeof key === 'object' && key !== null;
}

/** A canonical text of a composite key: equal for structurally equal keys, distinct otherwise. */
export function canonicalKey(key: unknown): string {
  return JSON.stringify(toCanonical(key));
}

function toCanonical(value: unknown): unknown {
  switch (typeof value) {
    case 'undefined':
      return { u: 1 };
    case 'bigint':
      return { b: value.toString() };
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? value : { n: String(value) };
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) return { a: value.map(toCanonical) };
      if (value instanceof Date) return { d: value.getTime() };
      const record = value as Record<string, unknown>;
      return {
        o: Object.keys(record)
          .sort()
          .map((name) => [name, toCanonical(record[name])]),
      };
    }
    default:
      return value;
  }
}
