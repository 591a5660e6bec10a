/**
 * The streaming SHA-256 of `sha256Stream` (`sha256.ts`) through `node:crypto`, in a module of its
 * own so that only a process that hashes this way loads `node:crypto` (see `sha256.ts`).
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Hash } from "node:crypto";
import { hashStream } from "./sha256.ts";
import type { StreamHash } from "./sha256.ts";

/**
 * A streaming SHA-256 through `node:crypto`; `sha256Stream` in `sha256.ts` is the way to get one.
 *
 * @example
 * ```ts
 * import { nodeSha256 } from "./sha256_node.ts";
 * const hash = nodeSha256();
 * hash.update(new TextEncoder().encode("abc"));
 * await hash.digest(); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 */
export function nodeSha256(): StreamHash {
  let hash: Hash = createHash("sha256");
  return hashStream({
    update: (bytes) => void hash.update(bytes),
    peek: () => Promise.resolve(hash.copy().digest("hex")),
    reset: () => void (hash = createHash("sha256")),
    digest: () => Promise.resolve(hash.digest("hex")),
  });
}
