/**
 * Trace events (`--trace`): what crossed the wire, and a readable rendering of it.
 *
 * @module
 */

import type { Direction } from "./wire.ts";

/**
 * One chunk that crossed the wire.
 *
 * @example
 * ```ts
 * import type { TraceEvent } from "./trace.ts";
 * const event: TraceEvent = {
 *   type: "trace",
 *   peer: "127.0.0.1:6000",
 *   direction: "sent",
 *   bytes: new Uint8Array([0x53, 0x4b, 0x49, 0x54, 0x01]),
 * };
 * ```
 */
export interface TraceEvent {
  /** Always `"trace"`. */
  type: "trace";
  /** The peer's address. */
  peer: string;
  /** `sent` or `received`, seen from this side. */
  direction: Direction;
  /** The bytes. Listeners that keep them must copy them. */
  bytes: Uint8Array;
}

/** How many bytes of a chunk {@linkcode renderBytes} shows before it summarises. */
export const TRACE_PREVIEW_BYTES = 64;

/**
 * Renders bytes for a human: printable ASCII as is, common escapes (`\n`, `\r`, `\t`) as
 * escapes, any other byte as `\xNN`, complete UTF-8 characters (such as Korean) as
 * themselves. Long chunks are cut after `limit` bytes with a note of how many were left out.
 * The result never contains a control character, so it is safe to print to a terminal.
 *
 * @example
 * ```ts
 * import { renderBytes } from "./trace.ts";
 * renderBytes(new TextEncoder().encode("ready\n")); // "ready\\n"
 * renderBytes(new Uint8Array([0x53, 0x4b, 0x01])); // "SK\\x01"
 * ```
 */
export function renderBytes(bytes: Uint8Array, limit = TRACE_PREVIEW_BYTES): string {
  const shown = bytes.subarray(0, limit);
  let out = "";
  let i = 0;
  while (i < shown.length) {
    const b = shown[i];
    const width = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 1;
    if (width > 1 && i + width <= shown.length) {
      const text = new TextDecoder("utf-8", { fatal: false }).decode(shown.subarray(i, i + width));
      if (!text.includes("\uFFFD") && !/[\p{Cc}\p{Cf}]/u.test(text)) {
        out += text;
        i += width;
        continue;
      }
    }
    out += escapeByte(b);
    i++;
  }
  if (bytes.length > limit) out += ` … (+${bytes.length - limit} B)`;
  return out;
}

function escapeByte(b: number): string {
  if (b === 0x0a) return "\\n";
  if (b === 0x0d) return "\\r";
  if (b === 0x09) return "\\t";
  if (b === 0x5c) return "\\\\";
  if (b >= 0x20 && b < 0x7f) return String.fromCharCode(b);
  return `\\x${b.toString(16).padStart(2, "0")}`;
}

/**
 * Makes text from the network safe to show in a terminal: control and format characters
 * (escape sequences, bidi overrides) are replaced by visible `\u{…}` escapes.
 *
 * @example
 * ```ts
 * import { printable } from "./trace.ts";
 * printable("a\x1b[2Jb"); // "a\\u{1b}[2Jb"
 * ```
 */
export function printable(text: string): string {
  return text.replace(
    /[\p{Cc}\p{Cf}\u2028\u2029]/gu,
    (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`,
  );
}
