/**
 * The sockit version, read from `deno.json` at build time (imported, so a bundled or
 * compiled program carries it without reading any file).
 *
 * @module
 */

import config from "../../deno.json" with { type: "json" };

/** The sockit version, e.g. `0.1.0`. */
export const VERSION: string = config.version;

/**
 * The line `sockit --version` prints: sockit's version, Deno's, and the target triple.
 *
 * @example
 * ```ts
 * import { versionLine } from "./version.ts";
 * versionLine(); // e.g. "sockit 0.1.0 (Deno 2.9.6, x86_64-unknown-linux-gnu)"
 * ```
 */
export function versionLine(): string {
  return `sockit ${VERSION} (Deno ${Deno.version.deno}, ${Deno.build.target})`;
}
