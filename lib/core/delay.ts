/**
 * Waiting with a bound: every timeout in sockit's library goes through {@linkcode within}, built
 * on `AbortSignal.timeout`, so nothing is left running once the wait is over (a finished
 * transfer never keeps the process alive, and a test with Deno's sanitizers sees no timer).
 *
 * @module
 */

/**
 * Calls `listener` once `signal` aborts (at once when it already has) and returns a
 * `Disposable` that removes it again: `using _ = onAbort(signal, () => conn.close())`.
 *
 * @example
 * ```ts
 * import { onAbort } from "./delay.ts";
 * const controller = new AbortController();
 * {
 *   using _ = onAbort(controller.signal, () => console.log("stopped"));
 * } // the listener is gone here
 * controller.abort(); // prints nothing
 * ```
 */
export function onAbort(signal: AbortSignal | undefined, listener: () => void): Disposable {
  if (!signal) return { [Symbol.dispose]() {} };
  if (signal.aborted) {
    listener();
    return { [Symbol.dispose]() {} };
  }
  signal.addEventListener("abort", listener, { once: true });
  return { [Symbol.dispose]: () => signal.removeEventListener("abort", listener) };
}

/**
 * Resolves with what `work` resolves to, or with `undefined` once `ms` milliseconds passed or
 * `signal` aborted, whichever comes first (a rejection of `work` in time passes through). The
 * timer is an `AbortSignal.timeout` whose listener is removed as soon as the race is decided,
 * so nothing is left running.
 *
 * @example
 * ```ts
 * import { within } from "./delay.ts";
 * const never = new Promise<string>(() => {});
 * console.log(await within(never, 10)); // undefined
 * console.log(await within(Promise.resolve("answer"), 1000)); // "answer"
 * ```
 */
export async function within<T>(
  work: Promise<T>,
  ms: number,
  signal?: AbortSignal,
): Promise<T | undefined> {
  const timeout = AbortSignal.timeout(Math.max(0, ms));
  const stop = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let over!: () => void;
  const expired = new Promise<undefined>((resolve) => over = () => resolve(undefined));
  using _ = onAbort(stop, over);
  return await Promise.race([work, expired]);
}

/**
 * Resolves after `ms` milliseconds, or at once when `signal` aborts (it never rejects).
 *
 * @example
 * ```ts
 * import { delay } from "./delay.ts";
 * await delay(10);
 * ```
 */
export async function delay(ms: number, signal?: AbortSignal): Promise<void> {
  await within(new Promise<never>(() => {}), ms, signal);
}
