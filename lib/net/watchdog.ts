/**
 * The idle watchdog of a connection's bulk streams: one timer for every read and write of a
 * stream (a timer per call costs more than a small socket write).
 *
 * @module
 */

/**
 * Watches the reads and writes of bulk streams: when its timer fires and a read or write has
 * been waiting for `idleMs`, it calls `expire`; otherwise it re-arms for the time left. The
 * owner marks when a read or write starts waiting ({@linkcode IdleWatchdog.readingSince},
 * {@linkcode IdleWatchdog.writingSince}; -1 when none is).
 *
 * @example
 * ```ts
 * import { IdleWatchdog } from "./watchdog.ts";
 * const watchdog = new IdleWatchdog(30_000, (ms) => console.log(`idle for ${ms} ms`));
 * const unwatch = watchdog.watch();
 * watchdog.readingSince = performance.now();
 * // … the read completes …
 * watchdog.readingSince = -1;
 * unwatch();
 * ```
 */
export class IdleWatchdog {
  /** When the read in progress started waiting (-1: none). */
  readingSince = -1;
  /** When the write in progress started waiting (-1: none). */
  writingSince = -1;
  readonly #idleMs: number;
  readonly #expire: (ms: number) => void;
  #timer?: ReturnType<typeof setTimeout>;
  #watchers = 0;
  #stopped = false;

  /** A watchdog that calls `expire(idleMs)` after `idleMs` of waiting (0: never). */
  constructor(idleMs: number, expire: (ms: number) => void) {
    this.#idleMs = idleMs;
    this.#expire = expire;
  }

  /** Starts watching for one stream and returns its stop; the timer runs while any watches. */
  watch(): () => void {
    if (this.#idleMs <= 0 || this.#stopped) return () => {};
    this.#watchers++;
    if (!this.#timer) this.#arm(this.#idleMs);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      if (--this.#watchers === 0) this.#disarm();
    };
  }

  /** Stops the timer for good (the connection closed). */
  stop(): void {
    this.#stopped = true;
    this.#disarm();
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const waits = [this.readingSince, this.writingSince].filter((t) => t >= 0);
      const waited = waits.length ? performance.now() - Math.min(...waits) : 0;
      if (waited >= this.#idleMs) return this.#expire(this.#idleMs);
      this.#arm(this.#idleMs - waited);
    }, ms);
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
