/**
 * The one error base of Oxbow. Every library and app declares its own subclass with a closed set of codes
 * (`class ConfigError extends OxbowError<ConfigErrorCode> {}`); the CLI, the API and retry loops handle any of
 * them by `code` and `retriable`, whatever package raised it.
 */

/**
 * The brand every {@link OxbowError} carries. `Symbol.for` gives every copy of this module the same symbol, so
 * an error raised by one copy (a second install, a bundled duplicate) is still recognised by another.
 */
const BRAND: unique symbol = Symbol.for('@oxbow/contracts:OxbowError');

/** Options of an {@link OxbowError}. */
export interface OxbowErrorOptions {
  /**
   * True when the same call may succeed if tried again (a timeout, a torn read, a busy resource). Default: whether
   * the class lists the code in its `retriableCodes`.
   */
  readonly retriable?: boolean;
  /** The error this one wraps. */
  readonly cause?: unknown;
}

/** A constructor of some {@link OxbowError} subclass, as `is` sees its `this`. */
type OxbowErrorClass<T> = abstract new (...args: never[]) => T;

/**
 * An error with a machine-readable `code` (`OXBOW_*`), whether retrying may help, and the `cause`. `message` is
 * one line for humans; `name` is the class name.
 *
 * Subclasses only name their codes, and may list the codes that are retriable by default:
 *
 * @example
 * ```ts
 * type BatchErrorCode = 'OXBOW_BATCH_USAGE' | 'OXBOW_BATCH_LOCKED';
 * class BatchError extends OxbowError<BatchErrorCode> {
 *   static override readonly retriableCodes: readonly string[] = ['OXBOW_BATCH_LOCKED'];
 * }
 *
 * try { await run(); }
 * catch (error) {
 *   if (BatchError.is(error, 'OXBOW_BATCH_LOCKED')) retryLater(); // narrowed to BatchError
 *   else if (OxbowError.is(error) && error.retriable) retryNow(); // any Oxbow error, any package
 * }
 * ```
 */
export class OxbowError<Code extends string = string> extends Error {
  /** Codes raised as retriable unless the thrower says otherwise. Subclasses override it; none by default. */
  static readonly retriableCodes: readonly string[] = [];

  /** The machine-readable code, one of the class's closed set. */
  readonly code: Code;
  /** True when the same call may succeed if tried again. */
  readonly retriable: boolean;
  /** The error this one wraps, if any. */
  declare readonly cause?: unknown;

  constructor(code: Code, message: string, options: OxbowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const kind = new.target as typeof OxbowError;
    this.name = kind.name;
    this.code = code;
    this.retriable = options.retriable ?? kind.retriableCodes.includes(code);
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * True when `error` is an error of this class (or a subclass of it), with `code` when one is given; narrows
   * `error` accordingly. `OxbowError.is(error)` accepts an error of any Oxbow package.
   *
   * The check goes by brand and class name, not only `instanceof`: an error raised by a duplicated copy of a
   * module (two installs of one package) is recognised too.
   *
   * @example
   * ```ts
   * if (ConnectorError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) return undefined;
   * if (OxbowError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) return undefined; // same, without importing connectors
   * ```
   */
  static is<T extends OxbowError, C extends T['code'] = T['code']>(
    this: OxbowErrorClass<T>,
    error: unknown,
    code?: C,
  ): error is T & { readonly code: C } {
    if (!isBranded(error)) return false;
    if (code !== undefined && error.code !== code) return false;
    // biome-ignore lint/complexity/noThisInStatic: polymorphic on purpose: `ConfigError.is` checks for a ConfigError.
    return error instanceof this || descendsFromClassNamed(error, this.name);
  }
}

function isBranded(error: unknown): error is OxbowError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { readonly [BRAND]?: unknown })[BRAND] === true &&
    typeof (error as { readonly code?: unknown }).code === 'string'
  );
}

/** Whether a class named `name` is on the prototype chain of `error` (below `Error`). */
function descendsFromClassNamed(error: object, name: string): boolean {
  for (
    let prototype: unknown = Object.getPrototypeOf(error);
    prototype !== null && prototype !== Error.prototype && typeof prototype === 'object';
    prototype = Object.getPrototypeOf(prototype)
  ) {
    const owner = Object.hasOwn(prototype, 'constructor')
      ? (prototype as { readonly constructor: unknown }).constructor
      : undefined;
    if (typeof owner === 'function' && owner.name === name) return true;
  }
  return false;
}
