/**
 * Guessing a file's type from its first bytes, for classic transfers, which carry no name.
 *
 * @module
 */

const SIGNATURES: readonly { ext: string; magic: readonly number[] }[] = [
  { ext: ".jpg", magic: [0xff, 0xd8, 0xff] },
  { ext: ".png", magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { ext: ".gif", magic: [0x47, 0x49, 0x46, 0x38, 0x37, 0x61] },
  { ext: ".gif", magic: [0x47, 0x49, 0x46, 0x38, 0x39, 0x61] },
  { ext: ".pdf", magic: [0x25, 0x50, 0x44, 0x46, 0x2d] },
  { ext: ".zip", magic: [0x50, 0x4b, 0x03, 0x04] },
  { ext: ".zip", magic: [0x50, 0x4b, 0x05, 0x06] },
];

/** How many leading bytes {@linkcode guessExtension} looks at. */
export const SNIFF_BYTES = 16;

/**
 * Returns the extension (with its dot) that the leading bytes identify — JPEG, PNG, GIF, PDF
 * or ZIP — or `""` when they identify nothing.
 *
 * @example
 * ```ts
 * import { guessExtension } from "./sniff.ts";
 * guessExtension(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])); // ".jpg"
 * guessExtension(new TextEncoder().encode("hello")); // ""
 * ```
 */
export function guessExtension(head: Uint8Array): string {
  const match = SIGNATURES.find(({ magic }) =>
    head.length >= magic.length && magic.every((b, i) => head[i] === b)
  );
  return match?.ext ?? "";
}
