/**
 * A PID controller that estimates how many records per second a streaming job can take, after Spark's
 * `PIDRateEstimator` (org.apache.spark.streaming.scheduler.rate). Pure: time comes in with each update.
 */

/** Gains and floor of a {@link PidRateEstimator}; the defaults are Spark's. */
export interface PidRateEstimatorOptions {
  /** The batch interval in milliseconds (> 0). */
  batchIntervalMs: number;
  /** Weight of the current error (latest rate − processing rate). Default 1.0. */
  proportional?: number;
  /** Weight of the accumulated error (the backlog, from the scheduling delay). Default 0.2. */
  integral?: number;
  /** Weight of the error's rate of change. Default 0.0. */
  derivative?: number;
  /** The estimate never goes below this rate (records/s). Default 100. */
  minRate?: number;
}

/**
 * Estimates the ingestion rate (records/s, over all partitions) from each completed batch.
 *
 * The first update only records the observed processing rate and returns `undefined`; later updates return
 * `max(minRate, latestRate − P·error − I·historicalError − D·dError)` where `error = latestRate − processingRate`,
 * `historicalError = schedulingDelay · processingRate / batchInterval` and `dError` is the error's change per second.
 * Updates with no records, no processing time or a time not after the previous update are ignored.
 *
 * @example
 * const estimator = new PidRateEstimator({ batchIntervalMs: 1000 });
 * estimator.compute(1000, 500, 250, 0); // undefined (first run: 2000 rec/s observed)
 * estimator.compute(2000, 500, 500, 0); // 1000
 */
export class PidRateEstimator {
  private readonly batchIntervalMs: number;
  private readonly proportional: number;
  private readonly integral: number;
  private readonly derivative: number;
  private readonly minRate: number;
  private firstRun = true;
  private latestTime = -1;
  private latestRate = -1;
  private latestError = -1;

  constructor(options: PidRateEstimatorOptions) {
    this.batchIntervalMs = options.batchIntervalMs;
    this.proportional = options.proportional ?? 1.0;
    this.integral = options.integral ?? 0.2;
    this.derivative = options.derivative ?? 0.0;
    this.minRate = options.minRate ?? 100;
    const valid =
      this.batchIntervalMs > 0 &&
      this.proportional >= 0 &&
      this.integral >= 0 &&
      this.derivative >= 0 &&
      this.minRate > 0;
    if (!valid) {
      throw new RangeError(
        `PID rate estimator needs batchIntervalMs > 0, non-negative gains and minRate > 0; got ${JSON.stringify(options)}`,
      );
    }
  }

  /**
   * Feeds one completed batch and returns the new rate estimate in records/s, or `undefined` when this update
   * produces none.
   *
   * @param time when the batch completed (ms)
   * @param numElements records in the batch
   * @param processingDelayMs how long processing took
   * @param schedulingDelayMs how long the batch waited before processing started
   */
  compute(
    time: number,
    numElements: number,
    processingDelayMs: number,
    schedulingDelayMs: number,
  ): number | undefined {
    if (!(time > this.latestTime && numElements > 0 && processingDelayMs > 0)) return undefined;
    const delaySinceUpdate = (time - this.latestTime) / 1000;
    const processingRate = (numElements / processingDelayMs) * 1000;
    const error = this.latestRate - processingRate;
    const historicalError = (schedulingDelayMs * processingRate) / this.batchIntervalMs;
    const dError = (error - this.latestError) / delaySinceUpdate;
    const newRate = Math.max(
      this.latestRate -
        this.proportional * error -
        this.integral * historicalError -
        this.derivative * dError,
      this.minRate,
    );
    this.latestTime = time;
    if (this.firstRun) {
      this.latestRate = processingRate;
      this.latestError = 0;
      this.firstRun = false;
      return undefined;
    }
    this.latestRate = newRate;
    this.latestError = error;
    return newRate;
  }
}
