/**
 * The timer of one connection: a single timer for the idle timeout of every read and write and
 * for every deadline, instead of a timer armed and cleared per read, per write or per frame (a
 * timer per call costs more than a small socket write, and a folder of small files makes
 * thousands of them).
 *
 * @module
 */

/** A running {@linkcode IdleWatchdog.deadline}: `cancel` (or disposing it) stops it. */
export interface Deadline extends Disposable {
  /** Stops the deadline; safe to call more than once. */
  cancel(): void;
}

/** One deadline: when it is due, and the length it was given (for the timeout's message). */
interface Due {
  at: number;
  ms: number;
}

/**
 * Watches a connection's reads and writes, and its deadlines, with one timer. The owner marks
 * when a read or write starts waiting ({@linkcode IdleWatchdog.readingSince},
 * {@linkcode IdleWatchdog.writingSince}; -1 when none is) while it {@linkcode IdleWatchdog.watch}es:
 * when the timer fires and one has been waiting for `idleMs` with no bytes moved either way
 * meanwhile ({@linkcode IdleWatchdog.movedAt}), or a deadline is due, it calls `expire`;
 * otherwise it re-arms for the earliest moment that could be due. A read that waits for the
 * peer's answer while this side's writes keep completing is not idle: the peer is taking the
 * bytes (a sender streaming a file for longer than the idle timeout waits that long for the
 * file's verdict).
 *
 * Starting and ending a watch or a deadline costs no timer call: the timer stays armed (never
 * earlier than needed) and, once it fires with nothing left to watch, is simply not armed again.
 * It never keeps the process alive by itself: whatever it watches is a pending read or write,
 * which does.
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
 * watchdog.stop();
 * ```
 */
export class IdleWatchdog {
  /** When the read in progress started waiting (-1: none). */
  readingSince = -1;
  /** When the write in progress started waiting (-1: none). */
  writingSince = -1;
  /** When bytes last moved on the connection, either way (`performance.now()`; -1: never). */
  movedAt = -1;
  readonly #idleMs: number;
  readonly #expire: (ms: number) => void;
  #timer?: ReturnType<typeof setTimeout>;
  /** When the armed timer fires. */
  #firesAt = Infinity;
  #watchers = 0;
  readonly #deadlines = new Set<Due>();
  #stopped = false;

  /** A watchdog that calls `expire(idleMs)` after `idleMs` of waiting (0: never). */
  constructor(idleMs: number, expire: (ms: number) => void) {
    this.#idleMs = idleMs;
    this.#expire = expire;
  }

  /** Starts watching for one reader or writer and returns its stop. */
  watch(): () => void {
    if (this.#idleMs <= 0 || this.#stopped) return () => {};
    this.#watchers++;
    this.#armBy(performance.now() + this.#idleMs);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      this.#watchers--;
    };
  }

  /** Calls `expire(ms)` in `ms` unless the returned deadline is cancelled first. */
  deadline(ms: number): Deadline {
    if (this.#stopped) return { cancel() {}, [Symbol.dispose]() {} };
    const due: Due = { at: performance.now() + ms, ms };
    this.#deadlines.add(due);
    this.#armBy(due.at);
    const cancel = () => void this.#deadlines.delete(due);
    return { cancel, [Symbol.dispose]: cancel };
  }

  /** Stops the timer for good (the connection closed). */
  stop(): void {
    this.#stopped = true;
    this.#deadlines.clear();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Makes sure the timer fires no later than `at`. */
  #armBy(at: number): void {
    if (this.#timer !== undefined) {
      if (this.#firesAt <= at) return;
      clearTimeout(this.#timer);
    }
    this.#firesAt = at;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - performance.now()));
    Deno.unrefTimer(this.#timer);
  }

  #fire(): void {
    this.#timer = undefined;
    this.#firesAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const due of this.#deadlines) {
      if (due.at <= now) {
        this.#deadlines.delete(due);
        return this.#expire(due.ms);
      }
      next = Math.min(next, due.at);
    }
    if (this.#watchers > 0) {
      const waits = [this.readingSince, this.writingSince].filter((t) => t >= 0);
      const since = waits.length ? Math.max(Math.min(...waits), this.movedAt) : now;
      if (now - since >= this.#idleMs) return this.#expire(this.#idleMs);
      next = Math.min(next, since + this.#idleMs);
    }
    if (next < Infinity) this.#armBy(next);
  }
}
