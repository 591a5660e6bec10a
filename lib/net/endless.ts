/**
 * The echo server's way of reading: an endless stream of whatever arrives, passed on as it
 * arrives, that ends once the connection has been quiet for a while, so an idle connection
 * holds no streams, only one small pending read.
 *
 * @module
 */

import type { Wire } from "./wire.ts";

/** First read size of an endless stream (echo); it grows while reads fill it. */
export const ENDLESS_FIRST_READ = 1024;

/** What the pending read is raced against once the stream has been quiet. */
const QUIET = Symbol("quiet");

/**
 * Waits until bytes arrive (true; they stay buffered for the next read) or the peer closes
 * (false), holding only a read of at most {@linkcode ENDLESS_FIRST_READ} bytes: what an idle
 * connection costs between two {@linkcode endlessReadable} streams.
 *
 * @example
 * ```ts
 * import { waitForBytes } from "./endless.ts";
 * import type { Wire } from "./wire.ts";
 * async function serve(wire: Wire) {
 *   while (await waitForBytes(wire)) console.log(await wire.readSome());
 * }
 * ```
 */
export function waitForBytes(wire: Wire): Promise<boolean> {
  return wire.fill(ENDLESS_FIRST_READ);
}

/**
 * A stream of whatever arrives on `wire` until the peer closes, each read passed on as it
 * arrives (copied out of one reused buffer that starts at {@linkcode ENDLESS_FIRST_READ}
 * bytes and doubles up to `chunkSize` while reads come back full). With `quietMs` it ends
 * (closes) once no byte came for that long, leaving its read pending for
 * {@linkcode waitForBytes} or the next stream. The wire's idle timeout applies to each read.
 *
 * @example
 * ```ts
 * import { endlessReadable } from "./endless.ts";
 * import type { Wire } from "./wire.ts";
 * async function echo(wire: Wire) {
 *   for await (const chunk of endlessReadable(wire, 64 * 1024, { quietMs: 100 })) {
 *     await wire.write(chunk);
 *   }
 * }
 * ```
 */
export function endlessReadable(
  wire: Wire,
  chunkSize: number,
  options: { quietMs?: number } = {},
): ReadableStream<Uint8Array> {
  let scratch: Uint8Array | undefined;
  let unwatch: (() => void) | undefined;
  // The quiet watchdog: one timer, re-armed for the time left, like the idle watchdog.
  const quietMs = options.quietMs ?? 0;
  let quietTimer: ReturnType<typeof setTimeout> | undefined;
  let quietNow: ((value: typeof QUIET) => void) | undefined;
  let waitingSince = -1;
  const quiet = quietMs > 0
    ? new Promise<typeof QUIET>((resolve) => quietNow = resolve)
    : undefined;
  const armQuiet = (ms: number) => {
    quietTimer = setTimeout(() => {
      const waited = waitingSince >= 0 ? performance.now() - waitingSince : 0;
      if (waitingSince >= 0 && waited >= quietMs) quietNow?.(QUIET);
      else armQuiet(quietMs - waited);
    }, ms);
  };
  const end = () => {
    unwatch?.();
    unwatch = undefined;
    if (quietTimer !== undefined) clearTimeout(quietTimer);
    quietTimer = undefined;
    quietNow = undefined;
  };
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      unwatch ??= wire.watch();
      try {
        if (wire.buffered > 0) {
          // Bytes that waitForBytes (or a protocol read) left buffered.
          controller.enqueue((await wire.readSome(Infinity))!);
          return;
        }
        // The read buffer is small while reads are small (an idle connection pins little),
        // doubling up to chunkSize while they come back full.
        scratch ??= new Uint8Array(Math.min(chunkSize, ENDLESS_FIRST_READ));
        const target = scratch;
        const pending = wire.pendingRead(() => target);
        if (quiet && quietTimer === undefined) armQuiet(quietMs);
        let bytes: Uint8Array | null | typeof QUIET;
        waitingSince = performance.now();
        try {
          bytes = quiet ? await Promise.race([pending, quiet]) : await pending;
        } catch (err) {
          wire.forgetPending();
          throw err;
        } finally {
          waitingSince = -1;
        }
        if (bytes === QUIET) {
          end();
          return controller.close();
        }
        wire.forgetPending();
        if (bytes === null) {
          end();
          return controller.close();
        }
        controller.enqueue(bytes.slice());
        if (bytes.length === bytes.buffer.byteLength && bytes.length < chunkSize) {
          scratch = new Uint8Array(Math.min(chunkSize, bytes.length * 2));
        }
      } catch (err) {
        end();
        throw err;
      }
    },
    cancel: end,
  }, { highWaterMark: 0 });
}
