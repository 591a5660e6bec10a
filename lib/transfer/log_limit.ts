/**
 * Rate limiting of what one peer can make the receiver report: refusals and failures from one
 * address pass at a steady rate with a small burst; the rest are counted and summarised in
 * one event ("… and 1,412 more from 10.0.0.5"), so one hostile classmate cannot scroll every
 * real "Stored" line away, in the log or in `--json` output.
 *
 * @module
 */

/** Events from one address that pass per second, after the burst. */
export const LOG_RATE_PER_SECOND = 10;

/** Events from one address that may pass at once (three seconds' worth). */
export const LOG_BURST = 3 * LOG_RATE_PER_SECOND;

interface Bucket {
  tokens: number;
  at: number;
  suppressed: number;
}

/**
 * A token bucket per address.
 *
 * @example
 * ```ts
 * import { PeerLogLimiter } from "./log_limit.ts";
 * const limiter = new PeerLogLimiter({ rate: 1, burst: 2 });
 * limiter.allow("10.0.0.5"); // true
 * limiter.allow("10.0.0.5"); // true
 * limiter.allow("10.0.0.5"); // false: counted
 * limiter.flush("10.0.0.5"); // 1
 * ```
 */
export class PeerLogLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  /** A limiter passing `rate` events per second per address after a burst of `burst`. */
  constructor(
    options: { rate?: number; burst?: number; now?: () => number } = {},
  ) {
    this.#rate = options.rate ?? LOG_RATE_PER_SECOND;
    this.#burst = options.burst ?? LOG_BURST;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * True when an event from `address` may pass now; otherwise it is counted as held back
   * (unless `count` is false).
   */
  allow(address: string, count = true): boolean {
    if (this.#rate === Infinity) return true;
    const now = this.#now();
    let bucket = this.#buckets.get(address);
    if (!bucket) {
      this.#buckets.set(address, bucket = { tokens: this.#burst, at: now, suppressed: 0 });
    }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#rate / 1000);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens--;
      return true;
    }
    if (count) bucket.suppressed++;
    return false;
  }

  /** How many events from `address` were held back since the last flush (and forgets them). */
  flush(address: string): number {
    const bucket = this.#buckets.get(address);
    if (!bucket) return 0;
    const count = bucket.suppressed;
    bucket.suppressed = 0;
    // A full bucket with nothing held back is the same as none: forget the address.
    if (bucket.tokens >= this.#burst) this.#buckets.delete(address);
    return count;
  }

  /** Every address with events held back. */
  addresses(): string[] {
    return [...this.#buckets].filter(([, b]) => b.suppressed > 0).map(([address]) => address);
  }
}
