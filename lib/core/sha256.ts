/**
 * The whole-file SHA-256 both sides compute while bytes pass, in two forms behind one
 * interface: streaming through `node:crypto` (any size, about 6 µs a small file), and
 * gathering the bytes for one WebCrypto digest at the end (a file of known, bounded size).
 * `node:crypto` is loaded by the first streaming hash, not before: loading it costs a process
 * about 20 ms of CPU, which a `sockit send` of a few files does not need to pay
 * (docs/performance.md, "Start-up").
 *
 * @module
 */

/** A SHA-256 computed while the bytes stream past. */
export interface StreamHash {
  /** Passes chunks through unchanged, hashing each. */
  readonly transform: TransformStream<Uint8Array, Uint8Array>;
  /** Adds bytes that did not pass through the transform (a resumed prefix). */
  update(bytes: Uint8Array): void;
  /** The lower-case hex digest of everything so far, without ending the hash. */
  peek(): Promise<string>;
  /** Forgets everything hashed so far (a resume that starts over). */
  reset(): void;
  /** The lower-case hex digest; call once, after the stream ended. */
  digest(): Promise<string>;
}

/**
 * A {@linkcode StreamHash} over `hash`, whose transform (made when first asked for) hands each
 * chunk to `hash.update`.
 *
 * @example
 * ```ts
 * import { hashStream } from "./sha256.ts";
 * let bytes = 0;
 * const counter = hashStream({
 *   update: (chunk) => void (bytes += chunk.length),
 *   peek: () => Promise.resolve(String(bytes)),
 *   reset: () => void (bytes = 0),
 *   digest: () => Promise.resolve(String(bytes)),
 * });
 * ```
 */
export function hashStream(hash: Omit<StreamHash, "transform">): StreamHash {
  // Made when first asked for: a small file is hashed with one update and needs no stream.
  let transform: TransformStream<Uint8Array, Uint8Array> | undefined;
  return {
    get transform() {
      return transform ??= new TransformStream({
        transform(chunk, controller) {
          hash.update(chunk);
          controller.enqueue(chunk);
        },
      });
    },
    update: (bytes) => hash.update(bytes),
    peek: () => hash.peek(),
    reset: () => hash.reset(),
    digest: () => hash.digest(),
  };
}

/** `sha256_node.ts`, once asked for: a receiver asks for a hash per file. */
let nodeHashing: Promise<typeof import("./sha256_node.ts")> | undefined;

/**
 * A SHA-256 that hashes what flows through its transform, for any number of bytes (through
 * `node:crypto`, loaded by the first call).
 *
 * @example
 * ```ts
 * import { sha256Stream } from "./sha256.ts";
 * const hash = await sha256Stream();
 * await ReadableStream.from([new TextEncoder().encode("abc")]).pipeThrough(hash.transform)
 *   .pipeTo(new WritableStream());
 * await hash.digest(); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 */
export async function sha256Stream(): Promise<StreamHash> {
  return (await (nodeHashing ??= import("./sha256_node.ts"))).nodeSha256();
}

/**
 * A SHA-256 of a file of about `size` bytes that keeps a copy of the bytes and digests them
 * with WebCrypto at the end: no `node:crypto`, at the price of holding the file in memory
 * and of one WebCrypto call (a hop to a runtime thread, about 60 µs) per digest. For a
 * sender of a few files of bounded size; more bytes than `size` are taken too (the buffer
 * grows).
 *
 * @example
 * ```ts
 * import { gatheredSha256 } from "./sha256.ts";
 * const hash = gatheredSha256(3);
 * hash.update(new TextEncoder().encode("abc"));
 * await hash.digest(); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 */
export function gatheredSha256(size: number): StreamHash {
  let bytes = new Uint8Array(size);
  let length = 0;
  const digest = async () =>
    new Uint8Array(await crypto.subtle.digest("SHA-256", bytes.subarray(0, length))).toHex();
  return hashStream({
    update(chunk) {
      if (length + chunk.length > bytes.length) {
        const grown = new Uint8Array(Math.max(2 * bytes.length, length + chunk.length));
        grown.set(bytes.subarray(0, length));
        bytes = grown;
      }
      bytes.set(chunk, length);
      length += chunk.length;
    },
    peek: digest,
    reset: () => void (length = 0),
    digest,
  });
}
