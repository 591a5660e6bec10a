/**
 * QR codes on the terminal: drawn with Unicode half blocks (two rows of modules per line), small
 * enough for an 80×24 terminal.
 *
 * @module
 */

import { renderUnicodeCompact } from "uqr";

/** Largest QR version drawn: 37×37 modules, 41 columns by 21 lines with the quiet zone. */
export const MAX_QR_VERSION = 5;

/**
 * Draws `text` as a QR code, one string per terminal line, or returns `null` when it does not
 * fit in {@linkcode MAX_QR_VERSION}. Light modules are full blocks, so the code reads on a dark
 * terminal; with `color`, the lines are painted white on black so it reads on any background.
 *
 * @example
 * ```ts
 * import { qrLines } from "./qr.ts";
 * const lines = qrLines("192.168.0.12:6000", false)!;
 * console.log(lines.length); // 13
 * ```
 */
export function qrLines(text: string, color: boolean): string[] | null {
  let drawn: string;
  try {
    drawn = renderUnicodeCompact(text, { ecc: "L", border: 2, maxVersion: MAX_QR_VERSION });
  } catch {
    return null;
  }
  const lines = drawn.split("\n").filter((line) => line !== "");
  return color ? lines.map((line) => `\x1b[97;40m${line}\x1b[0m`) : lines;
}
