/**
 * A TCP connection as sockit uses it: buffered exact reads for protocol messages, web streams
 * for bulk data, an idle timeout, and a trace hook that sees every byte in both directions.
 *
 * @module
 */

import { SockitError, toSockitError } from "../core/errors.ts";
import type { ErrorDetails } from "../core/errors.ts";
import { within } from "../core/delay.ts";
import { DEFAULT_CHUNK_SIZE, recycle, takeBuffer } from "../core/streams.ts";
import { IdleWatchdog } from "./watchdog.ts";
import type { Deadline } from "./watchdog.ts";

/** Socket writes smaller than this (the lesson's `--chunk-size 1k`) stream with Nagle on. */
const GATHERED_WRITE_SIZE = 64 * 1024;

/**
 * Which way bytes went, seen from this side.
 *
 * @example
 * ```ts
 * import type { Direction } from "./wire.ts";
 * const direction: Direction = "received";
 * ```
 */
export type Direction = "sent" | "received";

/** Called with every chunk that crosses the wire (for `--trace`). Must not keep `bytes`. */
export type TraceHook = (direction: Direction, bytes: Uint8Array) => void;

export type { Deadline } from "./watchdog.ts";

/**
 * What a {@linkcode Wire} reads and writes: a TCP connection, or a byte stream layered on one
 * (the decrypted records of a paired session, `lib/transfer/record_conn.ts`).
 */
export type WireConn = Pick<
  Deno.Conn,
  "read" | "write" | "close" | "closeWrite" | "localAddr" | "remoteAddr" | typeof Symbol.dispose
>;

/** Options for {@linkcode Wire}. */
export interface WireOptions {
  /** Sees every chunk sent and received. */
  onTrace?: TraceHook;
  /** A read that waits longer than this fails with `timeout` and closes the connection. */
  idleTimeoutMs?: number;
  /** Size of the buffer for protocol reads; bulk reads use their own chunk size. Default 64 KiB. */
  bufferSize?: number;
  /** Host and port used in error messages. */
  context?: ErrorDetails;
}

/**
 * Wraps a `Deno.Conn` with buffered reads, a trace hook and an idle timeout.
 *
 * @example
 * ```ts
 * import { Wire } from "./wire.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = (listener.addr as Deno.NetAddr).port;
 * const client = new Wire(await Deno.connect({ hostname: "127.0.0.1", port }));
 * const server = new Wire(await listener.accept());
 * await client.write(new TextEncoder().encode("hello"));
 * console.log(new TextDecoder().decode(await server.readExact(5))); // "hello"
 * client.close();
 * server.close();
 * listener.close();
 * ```
 */
export class Wire {
  /** The underlying connection. */
  readonly conn: WireConn;
  #trace?: TraceHook;
  #context: ErrorDetails;
  /** Protocol read buffer; allocated on first use, so an idle connection holds none. */
  #buffer: Uint8Array = new Uint8Array(0);
  #bufferSize: number;
  #start = 0;
  #end = 0;
  #timedOut = false;
  #timeoutMs = 0;
  #closed = false;
  #closing = new AbortController();
  #pending?: Promise<Uint8Array | null>;
  /** Bytes {@linkcode Wire.queue}d, not yet written. */
  readonly #queued: Uint8Array[] = [];
  /** The idle timeout and the deadlines of reads, writes and streams ({@linkcode Wire.watch}). */
  #watchdog: IdleWatchdog;

  /** Wraps `conn`. */
  constructor(conn: WireConn, options: WireOptions = {}) {
    this.conn = conn;
    this.#trace = options.onTrace;
    this.#bufferSize = options.bufferSize ?? 64 * 1024;
    const remote = conn.remoteAddr as Deno.NetAddr;
    this.#context = options.context ?? { host: remote.hostname, port: remote.port };
    this.#watchdog = new IdleWatchdog(options.idleTimeoutMs ?? 0, (ms) => this.#expire(ms));
    // Once per connection: every write leaves at once (frames are written together with what
    // follows them, see writeParts; bulk writes are large anyway).
    this.#noDelay(true);
  }

  /** Bytes already read from the socket but not yet consumed. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** True once the idle timeout closed the connection. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /**
   * Waits at most `ms` for more bytes to arrive and buffers them. Resolves to `"data"` when
   * bytes arrived, `"quiet"` when none did in time (the read stays pending and its bytes are
   * returned by the next read), or `"end"` when the peer closed.
   */
  async waitForMore(ms: number): Promise<"data" | "quiet" | "end"> {
    const pending = this.#pending ??= this.#startRead(new Uint8Array(this.#bufferSize));
    const outcome = await within(pending.then(() => "done" as const), ms);
    if (outcome === undefined) return "quiet";
    return await this.#takePending() ? "data" : "end";
  }

  /**
   * Waits until bytes are buffered (true; they stay there for the next read) or the peer
   * closes (false). A socket read it starts asks for at most `max` bytes (what waiting costs).
   */
  async fill(max: number = this.#bufferSize): Promise<boolean> {
    if (this.buffered > 0) return true;
    this.#pending ??= this.#startRead(new Uint8Array(max));
    return await this.#takePending();
  }

  /**
   * The socket read in flight, starting one into `target()` when there is none. Such a read
   * has no timer of its own: the stream reading it keeps a {@linkcode Wire.watch} running.
   * Whoever takes its bytes calls {@linkcode Wire.forgetPending}; until then every read of
   * this wire gets them first.
   */
  pendingRead(target: () => Uint8Array): Promise<Uint8Array | null> {
    return this.#pending ??= this.#startRead(target(), false);
  }

  /** Forgets the pending read, whose bytes (or failure) the caller of `pendingRead` took. */
  forgetPending(): void {
    this.#pending = undefined;
  }

  /** Starts a read into `target` that resolves with the bytes read (`null` at the end). */
  #startRead(target: Uint8Array, timed = true): Promise<Uint8Array | null> {
    return this.#read(target, timed).then((n) => n === null ? null : target.subarray(0, n));
  }

  /** Moves the bytes of a pending read into the buffer; false at end of stream. */
  async #takePending(): Promise<boolean> {
    const pending = this.#pending;
    if (!pending) return true;
    this.#pending = undefined;
    const bytes = await pending;
    if (bytes === null) return false;
    this.#append(bytes);
    return true;
  }

  #append(bytes: Uint8Array): void {
    if (this.#start === this.#end) {
      // Nothing buffered: keep the read's own bytes instead of copying them.
      this.#buffer = bytes;
      this.#start = 0;
      this.#end = bytes.length;
      return;
    }
    const rest = this.#buffer.subarray(this.#start, this.#end);
    const merged = new Uint8Array(Math.max(this.#bufferSize, rest.length + bytes.length));
    merged.set(rest);
    merged.set(bytes, rest.length);
    this.#buffer = merged;
    this.#start = 0;
    this.#end = rest.length + bytes.length;
  }

  /** The buffered bytes, without consuming them. */
  peek(): Uint8Array {
    return this.#buffer.subarray(this.#start, this.#end);
  }

  /**
   * Consumes `n` buffered bytes that the caller took from {@linkcode Wire.peek} (at most what
   * is buffered): a message already in the buffer is read without a wait.
   *
   * @example
   * ```ts
   * import { Wire } from "./wire.ts";
   * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const port = (listener.addr as Deno.NetAddr).port;
   * using client = new Wire(await Deno.connect({ hostname: "127.0.0.1", port }));
   * using server = new Wire(await listener.accept());
   * await client.write(new Uint8Array([1, 2, 3]));
   * await server.fill();
   * const first = server.peek()[0]; // 1
   * server.consume(1);
   * listener.close();
   * ```
   */
  consume(n: number): void {
    this.#start += Math.max(0, Math.min(n, this.buffered));
  }

  /** Reads into `target` from the buffer or the socket; `null` at end of stream. */
  readInto(target: Uint8Array): Promise<number | null> {
    return this.#readInto(target, true, Infinity);
  }

  /**
   * Reads into `target`; a socket read asks for at most `max` bytes (a bulk stream's
   * `chunkSize`: the lesson's `--chunk-size 1k` reads like `recv(1024)`).
   */
  async #readInto(target: Uint8Array, timed: boolean, max: number): Promise<number | null> {
    if (this.#pending && this.buffered === 0 && !(await this.#takePending())) return null;
    // A small read (a frame's header, its payload, a small file's bytes) fills the buffer, so
    // the frames that arrived together are taken with one socket read rather than one each.
    const small = target.length < this.#bufferSize && this.#bufferSize <= max;
    if (this.buffered === 0 && small && !(await this.#refill(timed))) return null;
    if (this.buffered > 0) {
      const n = Math.min(target.length, this.buffered);
      target.set(this.#buffer.subarray(this.#start, this.#start + n));
      this.#start += n;
      return n;
    }
    return await this.#read(target, timed);
  }

  /**
   * Returns at most `max` bytes: what is buffered, or else the next read from the socket.
   * Resolves to `null` at end of stream.
   */
  async readSome(max: number = this.#bufferSize): Promise<Uint8Array | null> {
    if (this.#pending && this.buffered === 0 && !(await this.#takePending())) return null;
    if (this.buffered === 0 && !(await this.#refill(true))) return null;
    const n = Math.min(max, this.buffered);
    const out = this.#buffer.slice(this.#start, this.#start + n);
    this.#start += n;
    return out;
  }

  /** Reads from the socket into the (empty) buffer; false at end of stream. */
  async #refill(timed: boolean): Promise<boolean> {
    this.#start = 0;
    this.#end = 0;
    if (this.#buffer.length < this.#bufferSize) this.#buffer = new Uint8Array(this.#bufferSize);
    const n = await this.#read(this.#buffer, timed);
    if (n === null) return false;
    this.#end = n;
    return true;
  }

  /**
   * Reads exactly `n` bytes.
   *
   * @throws {SockitError} `closed-early` if the peer closes first.
   */
  async readExact(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const got = await this.readInto(out.subarray(filled));
      if (got === null) {
        throw new SockitError("closed-early", { ...this.#context, expected: n, got: filled });
      }
      filled += got;
    }
    return out;
  }

  /**
   * Writes all of `bytes` (after whatever is {@linkcode Wire.queue}d). A write that cannot
   * progress for the idle timeout (the peer stopped reading) fails with `timeout` and closes the
   * connection.
   */
  async write(bytes: Uint8Array): Promise<void> {
    await this.writeParts([bytes]);
  }

  /**
   * Writes `parts` back to back as one socket write: frames together with what follows them
   * (a small file's start frame, bytes and end frame; several offers), so that they leave in
   * one segment instead of one write and one segment each. Whatever is
   * {@linkcode Wire.queue}d goes first, in the same write.
   *
   * @example
   * ```ts
   * import { Wire } from "./wire.ts";
   * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const port = (listener.addr as Deno.NetAddr).port;
   * using client = new Wire(await Deno.connect({ hostname: "127.0.0.1", port }));
   * using server = new Wire(await listener.accept());
   * await client.writeParts([new Uint8Array([1]), new Uint8Array([2, 3])]);
   * console.log(await server.readExact(3)); // Uint8Array(3) [ 1, 2, 3 ]
   * listener.close();
   * ```
   */
  async writeParts(parts: readonly Uint8Array[]): Promise<void> {
    const all = this.#queued.length > 0 ? [...this.#queued.splice(0), ...parts] : parts;
    let bytes = all[0] ?? new Uint8Array(0);
    if (all.length > 1) {
      bytes = new Uint8Array(all.reduce((sum, part) => sum + part.length, 0));
      let at = 0;
      for (const part of all) {
        bytes.set(part, at);
        at += part.length;
      }
    }
    const unwatch = this.watch();
    try {
      await this.#writeInPieces(bytes, Infinity);
    } finally {
      unwatch();
    }
  }

  /**
   * Queues `bytes` to go out with this side's next write, or else right before its next
   * socket read: answers that become ready together (a receiver's accepts and verdicts for the
   * files that arrived in one read) leave in one write and wake the peer once, and none waits
   * while this side waits for the peer. For a connection whose reads and writes come from one
   * task in turn (the receiver's session); bytes still queued when the connection closes are
   * dropped.
   *
   * @example
   * ```ts
   * import { Wire } from "./wire.ts";
   * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const port = (listener.addr as Deno.NetAddr).port;
   * using client = new Wire(await Deno.connect({ hostname: "127.0.0.1", port }));
   * using server = new Wire(await listener.accept());
   * server.queue(new Uint8Array([1]));
   * server.queue(new Uint8Array([2]));
   * await server.write(new Uint8Array([3])); // one write of 1, 2, 3
   * console.log(await client.readExact(3)); // Uint8Array(3) [ 1, 2, 3 ]
   * listener.close();
   * ```
   */
  queue(bytes: Uint8Array): void {
    this.#queued.push(bytes);
  }

  /**
   * Writes whatever {@linkcode Wire.queue} holds now, before work that keeps this side from
   * reading or writing for a while (reads and writes send it first anyway).
   */
  async flush(): Promise<void> {
    if (this.#queued.length > 0) await this.writeParts([]);
  }

  /**
   * A stream of exactly `size` bytes from the connection (file data). No socket read asks for
   * more than `chunkSize` bytes.
   *
   * It reads into blocks of `max(chunkSize, DEFAULT_CHUNK_SIZE)` bytes, reused once a sink such
   * as `fileSink` has written them, so a transfer allocates nothing per chunk. It keeps filling
   * a block while reads come back full (the socket has more waiting), and passes a block on
   * after a short read, so bytes that arrived are never held back waiting for more (a cut
   * connection keeps everything that arrived). For the echo server's endless reading see
   * `endlessReadable` in `endless.ts`.
   *
   * It errors with `closed-early` when the peer closes before `size` bytes arrived (after
   * passing on the bytes that did). The idle timeout applies to each read, with one timer for
   * the whole stream.
   */
  readable(size: number, chunkSize: number): ReadableStream<Uint8Array> {
    let remaining = size;
    const block = Math.max(chunkSize, DEFAULT_CHUNK_SIZE);
    // A trace hook may look at the bytes later than the sink: never reuse them then.
    const reuse = !this.#trace;
    let failure: SockitError | undefined;
    let unwatch: (() => void) | undefined;
    const end = () => {
      unwatch?.();
      unwatch = undefined;
    };
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (remaining <= 0) {
          end();
          return controller.close();
        }
        unwatch ??= this.watch();
        try {
          if (failure) throw failure;
          const want = Math.min(block, remaining);
          const buffer = reuse ? takeBuffer(block) : new Uint8Array(want);
          let filled = 0;
          try {
            while (filled < want) {
              const room = buffer.subarray(filled, Math.min(want, filled + chunkSize));
              const n = await this.#readInto(room, false, chunkSize);
              if (n === null) {
                failure = new SockitError("closed-early", {
                  ...this.#context,
                  missing: remaining - filled,
                });
                if (filled === 0) throw failure;
                break;
              }
              filled += n;
              if (n < room.length) break;
            }
          } catch (err) {
            if (filled === 0) {
              recycle(buffer);
              throw err;
            }
            // Pass on what arrived; the next pull reports the error.
            failure = toSockitError(err, "io", this.#context);
          }
          remaining -= filled;
          controller.enqueue(buffer.subarray(0, filled));
          if (remaining <= 0) {
            end();
            controller.close();
          }
        } catch (err) {
          end();
          throw err;
        }
      },
      cancel: end,
    }, { highWaterMark: 0 });
  }

  /**
   * A sink that writes every chunk to the connection in socket writes of at most `writeSize`
   * bytes (the chunk size the user asked for), then recycles the chunk (unless a trace hook
   * sees the bytes). Closing it does not close the socket. The idle timeout applies to each
   * write, with one timer for the whole stream.
   *
   * Nagle's algorithm is off for the whole connection (set once, when the wire is made). Only a
   * stream of small socket writes (under 64 KiB: `--chunk-size 1k`) turns it on while it
   * streams, so the kernel may put many writes in one segment (a segment per 1 KiB write costs
   * more than the write), and off again at its end, which also sends the last bytes at once.
   */
  writable(writeSize: number = Infinity): WritableStream<Uint8Array> {
    const reuse = !this.#trace;
    const gather = writeSize < GATHERED_WRITE_SIZE;
    let unwatch: (() => void) | undefined;
    const end = () => {
      if (!unwatch) return;
      unwatch();
      unwatch = undefined;
      if (gather) this.#noDelay(true);
    };
    return new WritableStream<Uint8Array>({
      write: async (chunk) => {
        if (this.#queued.length > 0) await this.flush();
        if (!unwatch) {
          unwatch = this.watch();
          if (gather) this.#noDelay(false);
        }
        try {
          await this.#writeInPieces(chunk, writeSize);
        } catch (err) {
          end();
          throw err;
        }
        if (reuse) recycle(chunk);
      },
      close: end,
      abort: end,
    });
  }

  #noDelay(on: boolean): void {
    if (this.#closed || !("setNoDelay" in this.conn)) return;
    try {
      (this.conn as Deno.TcpConn).setNoDelay(on);
    } catch {
      // The socket is already gone; the next write reports it.
    }
  }

  async #writeInPieces(bytes: Uint8Array, piece: number): Promise<void> {
    let offset = 0;
    try {
      while (offset < bytes.length) {
        const start = offset;
        const stop = Math.min(bytes.length, offset + piece);
        this.#watchdog.writingSince = performance.now();
        while (offset < stop) {
          offset += await this.conn.write(bytes.subarray(offset, stop));
          this.#watchdog.movedAt = performance.now();
        }
        this.#trace?.("sent", bytes.subarray(start, stop));
      }
    } catch (err) {
      if (this.#timedOut) throw this.#timeout();
      throw toSockitError(err, "io", this.#context);
    } finally {
      this.#watchdog.writingSince = -1;
    }
  }

  /**
   * Keeps the idle timeout running for a bulk stream (its reads and writes have no timer of
   * their own) and returns its stop: a read or write of this wire that waits longer than the
   * idle timeout then expires the connection.
   */
  watch(): () => void {
    return this.#closed ? () => {} : this.#watchdog.watch();
  }

  /** Signals end of data to the peer while still reading its answers. */
  async closeWrite(): Promise<void> {
    try {
      if (this.#queued.length > 0) await this.flush();
      await this.conn.closeWrite();
    } catch {
      // The peer already closed; nothing is left to signal.
    }
  }

  /**
   * Closes the connection, so that pending and later reads fail with `timeout`, unless the
   * returned `cancel` is called within `ms`. Bounds how long a whole exchange (a header that
   * trickles in a byte at a time) may take, where the idle timeout bounds each read.
   */
  deadline(ms: number): Deadline {
    return this.#watchdog.deadline(ms);
  }

  #expire(ms: number): void {
    this.#timedOut = true;
    this.#timeoutMs = ms;
    this.close();
  }

  #timeout(): SockitError {
    return new SockitError("timeout", { ...this.#context, seconds: this.#timeoutMs / 1000 });
  }

  /**
   * Aborted once this side closed the connection (a timeout, a stop), with the `timeout` or
   * `closed-early` error as its reason: long work for this connection (hashing a resumed
   * prefix) can stop early.
   */
  get signal(): AbortSignal {
    return this.#closing.signal;
  }

  /** Closes the connection (what `using wire = …` does at the end of its block). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Closes the connection; safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watchdog.stop();
    this.#closing.abort(
      this.#timedOut ? this.#timeout() : new SockitError("closed-early", { ...this.#context }),
    );
    // Disposing, unlike close(), is quiet when the socket is already gone.
    this.conn[Symbol.dispose]();
  }

  /**
   * One socket read. A `timed` read watches the idle timeout itself; a bulk stream's reads are
   * watched by the stream ({@linkcode Wire.watch}). Either way the connection's one timer
   * (`watchdog.ts`) serves it: no timer is armed per read.
   */
  async #read(target: Uint8Array, timed = true): Promise<number | null> {
    if (this.#closed) {
      if (this.#timedOut) throw this.#timeout();
      return null;
    }
    // Answers queued for the peer go before this side waits for it.
    if (this.#queued.length > 0) await this.flush();
    const unwatch = timed ? this.watch() : undefined;
    this.#watchdog.readingSince = performance.now();
    let n: number | null;
    try {
      n = await this.conn.read(target);
    } catch (err) {
      if (this.#timedOut) throw this.#timeout();
      if (this.#closed) return null;
      throw toSockitError(err, "io", this.#context);
    } finally {
      unwatch?.();
      this.#watchdog.readingSince = -1;
    }
    if (this.#timedOut) throw this.#timeout();
    if (n !== null) {
      this.#watchdog.movedAt = performance.now();
      this.#trace?.("received", target.subarray(0, n));
    }
    return n;
  }
}
