/**
 * Trace events (`--trace`): what crossed the wire, and the one way sockit shows bytes to people
 * everywhere (trace, `sockit spy`, the echo server's log): hex, and text in which printable
 * ASCII and complete UTF-8 characters stand as themselves and every other byte is escaped
 * (`\n`, `\r`, `\t`, `\\`, `\xNN`).
 *
 * @module
 */

import type { Direction } from "./wire.ts";

/**
 * What a traced chunk is in a paired (encrypted) session: `handshake` bytes are the preface
 * and the plaintext frames before the keys exist; `record` bytes are the encrypted records on
 * the wire; `plaintext` bytes are what the records carried (the frames and file bytes).
 *
 * @example
 * ```ts
 * import type { TraceLayer } from "./trace.ts";
 * const layer: TraceLayer = "record"; // encrypted: shown by size only
 * ```
 */
export type TraceLayer = "handshake" | "record" | "plaintext";

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
  /** In a paired session, which layer the bytes belong to; absent without a pairing code. */
  layer?: TraceLayer;
}

/** How many bytes of a chunk {@linkcode renderBytes} shows before it summarises. */
export const TRACE_PREVIEW_BYTES = 64;

/** Bytes per row of a {@linkcode hexRows} dump (eight keep a row of escapes within 80 columns). */
export const ROW_BYTES = 8;

/** A piece of rendered text and the bytes it stands for. */
export interface ByteToken {
  /** Index of its first byte. */
  start: number;
  /** Index after its last byte. */
  end: number;
  /** How it is shown: the character itself or escapes. */
  text: string;
  /** The character, when the bytes are one complete multi-byte UTF-8 character shown as such. */
  char?: string;
}

const strict = new TextDecoder("utf-8", { fatal: true });

/**
 * Characters shown as escapes even when their UTF-8 is valid: those that would move the
 * cursor, hide text or reorder it on a terminal (controls, format characters, right-to-left
 * scripts), combine with their neighbour, or mean nothing (unassigned, private use). Random
 * binary bytes often decode to such characters; Korean, Latin and CJK text never does.
 */
const HIDDEN =
  /[\p{Cc}\p{Cf}\p{M}\p{Co}\p{Cn}\u2028\u2029\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;

/**
 * Splits bytes into what is shown for them: complete UTF-8 characters (such as Korean) as one
 * token each, every other byte as its own escaped token. An incomplete character at either end
 * (one split across two chunks) is shown byte by byte. With `utf8` false (for binary data, where
 * random bytes would read as stray characters) every byte above 0x7f is escaped.
 *
 * @example
 * ```ts
 * import { byteTokens } from "./trace.ts";
 * byteTokens(new Uint8Array([0x61, 0xec, 0x95, 0x88]));
 * // [{ start: 0, end: 1, text: "a" }, { start: 1, end: 4, text: "안", char: "안" }]
 * ```
 */
export function byteTokens(bytes: Uint8Array, utf8 = true): ByteToken[] {
  const tokens: ByteToken[] = [];
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const width = utf8 ? utf8Width(b) : 1;
    if (width > 1 && i + width <= bytes.length) {
      const char = decodeText(bytes.subarray(i, i + width));
      if (char !== undefined && !HIDDEN.test(char)) {
        tokens.push({ start: i, end: i + width, text: char, char });
        i += width;
        continue;
      }
    }
    tokens.push({ start: i, end: i + 1, text: escapeByte(b) });
    i++;
  }
  return tokens;
}

/**
 * Length of the UTF-8 sequence that `lead` starts (1 for ASCII and stray bytes).
 *
 * @example
 * ```ts
 * import { utf8Width } from "./trace.ts";
 * utf8Width(0xec); // 3 (the first byte of 안)
 * ```
 */
export function utf8Width(lead: number): number {
  return lead >= 0xf0 && lead <= 0xf4
    ? 4
    : lead >= 0xe0
    ? (lead < 0xf0 ? 3 : 1)
    : lead >= 0xc2
    ? 2
    : 1;
}

function decodeText(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Renders bytes for a human in sockit's one byte-display style: printable ASCII as is, `\n`,
 * `\r`, `\t` and `\\` as escapes, any other byte as `\xNN`, complete UTF-8 characters (such
 * as Korean) as themselves. Long chunks are cut after `limit` bytes with a note of how many
 * were left out. The result never contains a control character, so it is safe to print.
 *
 * @example
 * ```ts
 * import { renderBytes } from "./trace.ts";
 * renderBytes(new TextEncoder().encode("ready\n")); // "ready\\n"
 * renderBytes(new Uint8Array([0x53, 0x4b, 0x01])); // "SK\\x01"
 * ```
 */
export function renderBytes(bytes: Uint8Array, limit = TRACE_PREVIEW_BYTES): string {
  const text = byteTokens(bytes.subarray(0, limit)).map((t) => t.text).join("");
  return bytes.length > limit ? `${text} … (+${bytes.length - limit} B)` : text;
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
 * Bytes as two-digit lower-case hex, separated by spaces.
 *
 * @example
 * ```ts
 * import { hexBytes } from "./trace.ts";
 * hexBytes(new TextEncoder().encode("안")); // "ec 95 88"
 * ```
 */
export function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/**
 * A hex dump in rows of {@linkcode ROW_BYTES}: offset (decimal), hex, and the text as
 * {@linkcode renderBytes} shows it. A character whose bytes run into the next row is shown on
 * the row where it starts. `utf8` is as for {@linkcode byteTokens}.
 *
 * @example
 * ```ts
 * import { hexRows } from "./trace.ts";
 * hexRows(new TextEncoder().encode("hi 안녕"));
 * // ["    0  68 69 20 ec 95 88 eb 85  hi 안녕", "    8  95"]
 * ```
 */
export function hexRows(bytes: Uint8Array, offset = 0, utf8 = true): string[] {
  const tokens = byteTokens(bytes, utf8);
  const rows: string[] = [];
  let t = 0;
  for (let start = 0; start < bytes.length; start += ROW_BYTES) {
    const end = Math.min(bytes.length, start + ROW_BYTES);
    let text = "";
    while (t < tokens.length && tokens[t].start < end) text += tokens[t++].text;
    const hex = hexBytes(bytes.subarray(start, end));
    const line = `${String(offset + start).padStart(5)}  ${hex.padEnd(ROW_BYTES * 3 - 1)}  ${text}`;
    rows.push(line.trimEnd());
  }
  return rows;
}

/**
 * True when `bytes` look like UTF-8 text: their first KiB decodes (an incomplete character at
 * its end aside). Binary data almost never does.
 *
 * @example
 * ```ts
 * import { looksLikeText } from "./trace.ts";
 * looksLikeText(new TextEncoder().encode("print('안녕')")); // true
 * looksLikeText(new Uint8Array([0x89, 0x50, 0x4e, 0x47])); // false
 * ```
 */
export function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 1024);
  return decodeText(head.subarray(0, head.length - incompleteTail(head))) !== undefined;
}

/**
 * How many bytes at the end of `bytes` start a UTF-8 character whose other bytes are missing
 * (0 when the end is complete): the part of a character split across two chunks.
 *
 * @example
 * ```ts
 * import { incompleteTail } from "./trace.ts";
 * incompleteTail(new Uint8Array([0x41, 0xec, 0x95])); // 2 (the start of 안)
 * incompleteTail(new TextEncoder().encode("안")); // 0
 * ```
 */
export function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= 3 && back <= bytes.length; back++) {
    const b = bytes[bytes.length - back];
    if (b >= 0x80 && b < 0xc0) continue;
    return utf8Width(b) > back ? back : 0;
  }
  return 0;
}

/**
 * The multi-byte characters in `bytes` with their UTF-8 bytes: what the lesson's `encode()`
 * turned each character into. Each character is listed once, in order of appearance.
 *
 * @example
 * ```ts
 * import { utf8Characters } from "./trace.ts";
 * utf8Characters(new TextEncoder().encode("안녕")); // [["안", "ec 95 88"], ["녕", "eb 85 95"]]
 * ```
 */
export function utf8Characters(bytes: Uint8Array): [string, string][] {
  const seen = new Map<string, string>();
  for (const token of byteTokens(bytes)) {
    if (token.char && !seen.has(token.char)) {
      seen.set(token.char, hexBytes(bytes.subarray(token.start, token.end)));
    }
  }
  return [...seen];
}

/**
 * Makes text from the network safe to show in a terminal, in the escape style of
 * {@linkcode renderBytes}: control and format characters (escape sequences, bidi overrides)
 * become `\n`, `\r`, `\t` or the `\xNN` escapes of their UTF-8 bytes. Backslashes stay as they
 * are, so paths read naturally.
 *
 * @example
 * ```ts
 * import { printable } from "./trace.ts";
 * printable("a\x1b[2Jb"); // "a\\x1b[2Jb"
 * printable("\u202e"); // "\\xe2\\x80\\xae"
 * ```
 */
export function printable(text: string): string {
  return text.replace(
    /[\p{Cc}\p{Cf}\u2028\u2029]/gu,
    (c) => Array.from(new TextEncoder().encode(c), escapeByte).join(""),
  );
}
