/**
 * Numbers for people: byte counts, rates, durations, and sizes as users type them.
 *
 * @module
 */

import { SockitError } from "./errors.ts";

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/**
 * Formats a byte count with binary units.
 *
 * @example
 * ```ts
 * import { formatBytes } from "./format.ts";
 * formatBytes(1536); // "1.5 KiB"
 * formatBytes(12); // "12 B"
 * ```
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0
    ? `${value} B`
    : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${UNITS[unit]}`;
}

/**
 * Formats a transfer rate from bytes and milliseconds, in MB/s (10^6 bytes per second, as
 * network tools report it).
 *
 * @example
 * ```ts
 * import { formatRate } from "./format.ts";
 * formatRate(50_000_000, 500); // "100.0 MB/s"
 * ```
 */
export function formatRate(bytes: number, ms: number): string {
  const rate = ms > 0 ? bytes / 1000 / ms : 0;
  return `${rate.toFixed(rate < 10 ? 2 : 1)} MB/s`;
}

/**
 * Formats milliseconds as `850 ms`, `12.3 s` or `4m05s`.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./format.ts";
 * formatDuration(245_000); // "4m05s"
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}

/**
 * Parses a size such as `1024`, `1k`, `4M`, `1.5g` or `64KiB` (binary multiples).
 *
 * @example
 * ```ts
 * import { parseSize } from "./format.ts";
 * parseSize("1k"); // 1024
 * parseSize("4m"); // 4194304
 * ```
 * @throws {SockitError} `bad-size` for anything else, zero or negative values included.
 */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!match) throw new SockitError("bad-size", { value: text });
  const power = " kmgt".indexOf(match[2].toLowerCase() || " ");
  const value = Math.floor(Number(match[1]) * 1024 ** power);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new SockitError("bad-size", { value: text });
  }
  return value;
}
