/**
 * Deterministic hash codes for keys, equal in every process. For strings, 32-bit integers, doubles and
 * booleans they follow the JVM's `hashCode`, so a `HashPartitioner` places those keys in the same partition
 * as Apache Spark does; other keys (arrays, objects, bigints) get a stable structural hash of our own.
 */

const float64 = new Float64Array(1);
const float64Words = new Int32Array(float64.buffer);

/** Java's `String.hashCode` over UTF-16 code units. */
export function stringHashCode(value: string): number {
  let hash = 0;
  for (let i = 0; i < value.length; i++) {
    hash = (Math.imul(hash, 31) + value.charCodeAt(i)) | 0;
  }
  return hash;
}

/** Java's `Integer.hashCode` for int32 values, `Double.hashCode` for every other number. */
export function numberHashCode(value: number): number {
  if (Number.isInteger(value) && value >= -2147483648 && value <= 2147483647 && !Object.is(value, -0)) {
    return value | 0;
  }
  float64[0] = Number.isNaN(value) ? Number.NaN : value;
  return (float64Words[0] ?? 0) ^ (float64Words[1] ?? 0);
}

/** A deterministic 32-bit hash code of any key value. `null` and `undefined` hash to 0, as in Spark. */
export function hashCode(key: unknown): number {
  switch (typeof key) {
    case 'string':
      return stringHashCode(key);
    case 'number':
      return numberHashCode(key);
    case 'boolean':
      return key ? 1231 : 1237;
    case 'bigint':
      return stringHashCode(key.toString()) ^ 0x5bd1e995;
    case 'undefined':
      return 0;
    case 'object': {
      if (key === null) return 0;
      if (Array.isArray(key)) {
        let hash = 0x3c6ef372;
        for (const item of key) hash = (Math.imul(hash, 31) + hashCode(item)) | 0;
        return hash;
      }
      if (key instanceof Date) return numberHashCode(key.getTime());
      let hash = 0x1b873593;
      for (const name of Object.keys(key).sort()) {
        hash = (Math.imul(hash, 31) + stringHashCode(name)) | 0;
        hash = (Math.imul(hash, 31) + hashCode((key as Record<string, unknown>)[name])) | 0;
      }
      return hash;
    }
    default:
      return stringHashCode(String(key));
  }
}

/** `x mod n` in `[0, n)`, like Spark's `Utils.nonNegativeMod`. */
export function nonNegativeMod(x: number, n: number): number {
  const r = x % n;
  return r < 0 ? r + n : r;
}
