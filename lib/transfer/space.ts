/**
 * Free space on the receiving disk: a transfer is accepted only when the bytes still to come
 * fit with a margin to spare, counting the bytes promised to transfers already under way.
 *
 * @module
 */

import { statfsSync } from "node:fs";

/** Space kept free on the receiving disk by default: 64 MiB, or 1% of a smaller disk. */
export const DEFAULT_MIN_FREE_BYTES = 64 * 1024 * 1024;

/**
 * The size of the file system holding `dir` and the bytes available on it to this user. Asked
 * before every file: synchronous, like the receiver's other metadata calls (microseconds on a
 * local disk, where the asynchronous form waits for a thread of the runtime's pool).
 */
function disk(dir: string): { size: number; free: number } | undefined {
  try {
    const info = statfsSync(dir);
    const block = Number(info.bsize);
    return { size: Number(info.blocks) * block, free: Number(info.bavail) * block };
  } catch {
    return undefined;
  }
}

/**
 * Bytes available to this user on the file system holding `dir`, or `undefined` where the
 * system cannot tell (then nothing is refused for lack of space).
 *
 * @example
 * ```ts
 * import { freeBytes } from "./space.ts";
 * console.log(await freeBytes(".")); // e.g. 84894621696
 * ```
 */
export function freeBytes(dir: string): Promise<number | undefined> {
  return Promise.resolve(disk(dir)?.free);
}

/** The answer of {@linkcode SpaceLedger.reserve}. */
export interface Reservation extends Disposable {
  /** True when the bytes were reserved. */
  readonly granted: boolean;
  /** The bytes that could be promised when asked (`Infinity` when the system cannot tell). */
  readonly room: number;
}

/**
 * Promises of space: {@linkcode SpaceLedger.reserve} grants `bytes` only when the disk has
 * them free beyond the margin and beyond every reservation still held.
 *
 * @example
 * ```ts
 * import { SpaceLedger } from "./space.ts";
 * const ledger = new SpaceLedger(".");
 * using reservation = await ledger.reserve(1024);
 * if (!reservation.granted) console.log(`only ${reservation.room} bytes can be promised`);
 * ```
 */
export class SpaceLedger {
  readonly #dir: string;
  readonly #margin: number | undefined;
  #reserved = 0;

  /**
   * A ledger for the disk holding `dir` that always leaves `margin` bytes free (default: the
   * smaller of {@linkcode DEFAULT_MIN_FREE_BYTES} and 1% of the disk).
   */
  constructor(dir: string, margin?: number) {
    this.#dir = dir;
    this.#margin = margin;
  }

  /**
   * Reserves `bytes` if they fit; disposing the reservation gives them back. The answer is
   * worked out at once (one synchronous `statfs`) and handed back as a promise, as before.
   */
  reserve(bytes: number): Promise<Reservation> {
    const found = disk(this.#dir);
    const margin = this.#margin ?? Math.min(DEFAULT_MIN_FREE_BYTES, (found?.size ?? 0) / 100);
    const room = found === undefined ? Infinity : Math.max(0, found.free - margin - this.#reserved);
    if (bytes > room) return Promise.resolve({ granted: false, room, [Symbol.dispose]() {} });
    this.#reserved += bytes;
    let released = false;
    return Promise.resolve({
      granted: true,
      room,
      [Symbol.dispose]: () => {
        if (released) return;
        released = true;
        this.#reserved -= bytes;
      },
    });
  }
}
