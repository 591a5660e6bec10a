/**
 * The pieces of the data path: a file as a `ReadableStream`, a file as a `WritableStream`, and
 * the transforms between them (progress; hashing is in `sha256.ts`). Sources read into large
 * buffers and sinks write each chunk fully, so a pipeline moves few, large chunks.
 *
 * @module
 */

import { SockitError, toSockitError } from "./errors.ts";
import type { StreamHash } from "./sha256.ts";

/** Default chunk size of the data path (measured fastest on loopback; see docs/performance.md). */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;

/**
 * Files of at most this many bytes (64 KiB) take the small-file path on both sides: one read,
 * one hash update and one write instead of a pipe of streams ({@linkcode copyToFile},
 * {@linkcode readWhole}), and the receiver keeps no resumable partial for them.
 */
export const SMALL_FILE_SIZE = 64 * 1024;

/** Most bytes of free buffers kept for reuse, per buffer size. */
const POOL_BYTES = 16 * 1024 * 1024;
const pools = new Map<number, Uint8Array[]>();
/** Buffers that came from {@linkcode takeBuffer}; only these are ever reused. */
const pooled = new WeakSet<ArrayBufferLike>();
/** Pooled buffers that are free right now (guards against recycling one twice). */
const free = new WeakSet<ArrayBufferLike>();

/**
 * A buffer of `size` bytes for a source to read into: a recycled one when there is one, so
 * a steady transfer allocates nothing per chunk (a fresh large buffer costs page faults and
 * garbage collection). Its old contents are not cleared.
 *
 * @example
 * ```ts
 * import { recycle, takeBuffer } from "./streams.ts";
 * const buffer = takeBuffer(1024);
 * recycle(buffer); // the next takeBuffer(1024) may return it
 * ```
 */
export function takeBuffer(size: number): Uint8Array {
  const buffer = pools.get(size)?.pop();
  if (buffer) {
    free.delete(buffer.buffer);
    return buffer;
  }
  const fresh = new Uint8Array(size);
  pooled.add(fresh.buffer);
  return fresh;
}

/**
 * Gives the buffer under `chunk` back for reuse, when it came from {@linkcode takeBuffer}.
 * Sinks call this once a chunk is fully written; nothing may use the chunk afterwards (which
 * is why sockit's sinks do not recycle while a trace hook sees the bytes).
 */
export function recycle(chunk: Uint8Array): void {
  const buffer = chunk.buffer;
  if (!pooled.has(buffer) || free.has(buffer)) return;
  const size = buffer.byteLength;
  let pool = pools.get(size);
  if (!pool) pools.set(size, pool = []);
  if ((pool.length + 1) * size > POOL_BYTES) return;
  free.add(buffer);
  pool.push(new Uint8Array(buffer));
}

/**
 * Streams a file from `offset` to its end in chunks of at most `chunkSize` bytes. With
 * `length`, the file must end exactly `length` bytes after `offset`: one that ends before or
 * goes on is a `file-changed` error (it changed since its size was taken). The file is closed
 * when the stream ends, errors or is cancelled.
 *
 * @example
 * ```ts
 * import { fileSource } from "./streams.ts";
 * const file = await Deno.open("deno.json");
 * for await (const chunk of fileSource(file, { chunkSize: 1024 })) console.log(chunk.length);
 * ```
 */
export function fileSource(
  file: Deno.FsFile,
  options: { chunkSize?: number; offset?: number; path?: string; length?: number } = {},
): ReadableStream<Uint8Array> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const path = options.path ?? "";
  let left = options.length ?? Infinity;
  let started = false;
  // Disposing, unlike close(), is quiet when the owner closed the file already.
  const close = () => file[Symbol.dispose]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!started) {
          started = true;
          if (options.offset) await file.seek(options.offset, Deno.SeekMode.Start);
        }
        const buffer = takeBuffer(chunkSize);
        const want = Math.min(chunkSize, left);
        let filled = 0;
        while (filled < want) {
          const n = await file.read(buffer.subarray(filled, want));
          if (n === null) break;
          filled += n;
        }
        left -= filled;
        if (filled > 0) {
          controller.enqueue(filled === chunkSize ? buffer : buffer.subarray(0, filled));
        } else recycle(buffer);
        if (filled < want && options.length !== undefined) {
          throw new SockitError("file-changed", { path });
        }
        if (left === 0 && await file.read(new Uint8Array(1)) !== null) {
          throw new SockitError("file-changed", { path });
        }
        if (filled < want || left === 0) {
          close();
          controller.close();
        }
      } catch (err) {
        close();
        throw toSockitError(err, "file", { path });
      }
    },
    cancel: close,
  }, { highWaterMark: 0 });
}

/**
 * A sink that writes every chunk fully to `file`, then {@linkcode recycle}s it. It does not
 * close the file: the owner decides whether the bytes are kept.
 *
 * @example
 * ```ts
 * import { fileSink } from "./streams.ts";
 * const file = await Deno.open(await Deno.makeTempFile(), { write: true });
 * await ReadableStream.from([new Uint8Array([1, 2, 3])]).pipeTo(fileSink(file));
 * file.close();
 * ```
 */
export function fileSink(file: Deno.FsFile, path = ""): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      await writeWhole(file, chunk, path);
      recycle(chunk);
    },
  });
}

/**
 * Writes all of `bytes` to `file` (a `write-failed` or `disk-full` error names `path`). With
 * `sync` (default false), through synchronous writes: for a small file's bytes (at most
 * {@linkcode SMALL_FILE_SIZE}), which go to the page cache in microseconds, where an
 * asynchronous write waits for a thread of the runtime's pool and back.
 *
 * @example
 * ```ts
 * import { writeWhole } from "./streams.ts";
 * using file = await Deno.open(await Deno.makeTempFile(), { write: true });
 * await writeWhole(file, new Uint8Array([1, 2, 3]));
 * ```
 */
export async function writeWhole(
  file: Deno.FsFile,
  bytes: Uint8Array,
  path = "",
  { sync = false }: { sync?: boolean } = {},
): Promise<void> {
  try {
    let offset = 0;
    while (offset < bytes.length) {
      const rest = bytes.subarray(offset);
      offset += sync ? file.writeSync(rest) : await file.write(rest);
    }
  } catch (err) {
    throw toSockitError(err, "file", { path });
  }
}

/**
 * Reads the rest of `file`, which must be `size` bytes, into one new buffer (a small file, or
 * its rest after a resume), with synchronous reads: `size` is at most
 * {@linkcode SMALL_FILE_SIZE}, which the page cache gives in microseconds, where an asynchronous
 * read waits for a thread of the runtime's pool and back. A file that ends before or goes on is
 * a `file-changed` error: it changed since its size was taken.
 *
 * @example
 * ```ts
 * import { readWhole } from "./streams.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hello");
 * using file = Deno.openSync(path);
 * const bytes = readWhole(file, 5, path); // all 5 bytes
 * ```
 */
export function readWhole(file: Deno.FsFile, size: number, path = ""): Uint8Array {
  const bytes = new Uint8Array(size);
  let filled = 0;
  let more: boolean;
  try {
    while (filled < size) {
      const n = file.readSync(bytes.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    // A byte after the end: it grew since its size was taken.
    more = filled === size && file.readSync(new Uint8Array(1)) !== null;
  } catch (err) {
    throw toSockitError(err, "file", { path });
  }
  if (filled < size || more) throw new SockitError("file-changed", { path });
  return bytes;
}

/** Where {@linkcode copyToFile} reads from: a connection (`Wire` is one). */
export interface ByteSource {
  /** Exactly `n` bytes (or a `closed-early` error). */
  readExact(n: number): Promise<Uint8Array>;
  /** A stream of exactly `size` bytes, read at most `chunkSize` at a time. */
  readable(size: number, chunkSize: number): ReadableStream<Uint8Array>;
}

/** Options for {@linkcode copyToFile}. */
export interface CopyOptions {
  /** Bytes to copy. */
  size: number;
  /** Largest read from the source at once. */
  chunkSize: number;
  /** Hashes every byte copied. */
  hash: StreamHash;
  /** Told the bytes copied so far plus `start` (see {@linkcode progress}); always at the end. */
  onProgress: (bytes: number) => void;
  /** Bytes the file held before (a resumed prefix), counted in progress. Default 0. */
  start?: number;
  /** The file's path, for error messages. */
  path?: string;
}

/**
 * Copies `size` bytes from `source` into `file`, hashing them and reporting progress. Up to
 * {@linkcode SMALL_FILE_SIZE} bytes (and no more than `chunkSize`) this is one read, one hash
 * update and one write; larger copies stream through a pipe (source → hash → progress → file),
 * so memory stays bounded whatever the size.
 *
 * @example
 * ```ts
 * import { copyToFile } from "./streams.ts";
 * import { sha256Stream } from "./sha256.ts";
 * const bytes = new TextEncoder().encode("abc");
 * const source = {
 *   readExact: () => Promise.resolve(bytes),
 *   readable: () => ReadableStream.from([bytes]),
 * };
 * using file = await Deno.open(await Deno.makeTempFile(), { write: true });
 * const hash = await sha256Stream();
 * await copyToFile(source, file, { size: 3, chunkSize: 1024, hash, onProgress: () => {} });
 * ```
 */
export async function copyToFile(
  source: ByteSource,
  file: Deno.FsFile,
  options: CopyOptions,
): Promise<void> {
  const { size, chunkSize, hash, onProgress, path = "" } = options;
  const start = options.start ?? 0;
  if (size <= SMALL_FILE_SIZE && size <= chunkSize) {
    const bytes = await source.readExact(size);
    hash.update(bytes);
    await writeWhole(file, bytes, path, { sync: true });
    onProgress(start + size);
    return;
  }
  await source.readable(size, chunkSize)
    .pipeThrough(hash.transform)
    .pipeThrough(progress(onProgress, { total: start + size, start }))
    .pipeTo(fileSink(file, path));
}

/**
 * Passes chunks through and calls `onProgress(bytesSoFar)` at most every `intervalMs`, and
 * always for the last chunk.
 *
 * @example
 * ```ts
 * import { progress } from "./streams.ts";
 * const stream = progress((bytes) => console.log(bytes), { total: 3 });
 * ```
 */
export function progress(
  onProgress: (bytes: number) => void,
  options: { total: number; start?: number; intervalMs?: number },
): TransformStream<Uint8Array, Uint8Array> {
  let bytes = options.start ?? 0;
  let last = -Infinity; // the first chunk is always reported
  const interval = options.intervalMs ?? 200;
  return new TransformStream({
    transform(chunk, controller) {
      controller.enqueue(chunk);
      bytes += chunk.length;
      const now = performance.now();
      if (now - last >= interval || bytes >= options.total) {
        last = now;
        onProgress(bytes);
      }
    },
  });
}

/**
 * Hashes the first `length` bytes of the file at `path` (a resumed prefix) into `hash`. When
 * `signal` is aborted, stops reading and throws its reason.
 *
 * @example
 * ```ts
 * import { hashPrefix } from "./streams.ts";
 * import { sha256Stream } from "./sha256.ts";
 * const hash = await sha256Stream();
 * await hashPrefix("deno.json", 10, hash);
 * ```
 */
export async function hashPrefix(
  path: string,
  length: number,
  hash: StreamHash,
  signal?: AbortSignal,
): Promise<void> {
  if (length === 0) return;
  // Closed by the stream at its end, or by disposal when the loop stops early.
  using file = await Deno.open(path);
  let left = length;
  for await (const chunk of fileSource(file, { path })) {
    signal?.throwIfAborted();
    hash.update(chunk.length <= left ? chunk : chunk.subarray(0, left));
    left -= chunk.length;
    recycle(chunk);
    if (left <= 0) break;
  }
  if (left > 0) throw toSockitError(new Deno.errors.UnexpectedEof(), "file", { path });
}
