/**
 * The in-flight budget: how many records and bytes the gateway holds between receiving them and Kafka's
 * acknowledgement. A request or a source message that would exceed it is refused (HTTP 429, a dropped syslog or
 * MQTT message) instead of being buffered: memory stays bounded whatever the clients send and however slow Kafka
 * is.
 */

/** The limits of an {@link InFlightBudget}. */
export interface BudgetLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

/**
 * A share of the budget. It is released exactly once (further calls do nothing), by whoever holds it last: the
 * request handler when the request ends before its records are handed to Kafka, else the Kafka writer once Kafka
 * answered.
 */
export class Reservation {
  private readonly budget: InFlightBudget;
  private heldRecords: number;
  private heldBytes: number;
  private released = false;

  /** @internal Made by {@link InFlightBudget.tryReserve}. */
  constructor(budget: InFlightBudget, records: number, bytes: number) {
    this.budget = budget;
    this.heldRecords = records;
    this.heldBytes = bytes;
  }

  /** Records held. */
  get records(): number {
    return this.heldRecords;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Whether it was released. */
  get isReleased(): boolean {
    return this.released;
  }

  /**
   * Changes what is held to `records` and `bytes`: shrinking always succeeds, growing only within the budget.
   * Returns false (holding what it held) when growing does not fit.
   */
  resize(records: number, bytes: number): boolean {
    if (this.released) return false;
    if (!this.budget.adjust(records - this.heldRecords, bytes - this.heldBytes)) return false;
    this.heldRecords = records;
    this.heldBytes = bytes;
    return true;
  }

  /** Gives the share back (once). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.adjust(-this.heldRecords, -this.heldBytes);
  }
}

/**
 * Counts records and bytes in flight against fixed limits.
 *
 * @example
 * const budget = new InFlightBudget({ maxRecords: 100_000, maxBytes: 64 << 20 });
 * const share = budget.tryReserve(0, contentLength); // undefined: answer 429
 * share?.resize(acceptedRecords, acceptedBytes);
 * share?.release(); // once Kafka answered
 */
export class InFlightBudget {
  readonly limits: BudgetLimits;
  private records = 0;
  private bytes = 0;

  constructor(limits: BudgetLimits) {
    this.limits = limits;
  }

  /** Records held now. */
  get inFlightRecords(): number {
    return this.records;
  }

  /** Bytes held now. */
  get inFlightBytes(): number {
    return this.bytes;
  }

  /** A share of `records` and `bytes`, or `undefined` when it does not fit beside what is held. */
  tryReserve(records: number, bytes: number): Reservation | undefined {
    if (!this.adjust(records, bytes)) return undefined;
    return new Reservation(this, records, bytes);
  }

  /** @internal Moves the counters by the deltas; growth must fit within the limits. */
  adjust(records: number, bytes: number): boolean {
    const nextRecords = this.records + records;
    const nextBytes = this.bytes + bytes;
    const grows = records > 0 || bytes > 0;
    if (grows && (nextRecords > this.limits.maxRecords || nextBytes > this.limits.maxBytes)) return false;
    this.records = Math.max(0, nextRecords);
    this.bytes = Math.max(0, nextBytes);
    return true;
  }
}
