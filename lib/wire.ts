/**
 * A TCP connection as sockit uses it: buffered exact reads for protocol messages, web streams
 * for bulk data, an idle timeout, and a trace hook that sees every byte in both directions.
 *
 * @module
 */

import { SockitError, toSockitError } from "./errors.ts";
import type { ErrorDetails } from "./errors.ts";

/** Which way bytes went, seen from this side. */
export type Direction = "sent" | "received";

/** Called with every chunk that crosses the wire (for `--trace`). Must not keep `bytes`. */
export type TraceHook = (direction: Direction, bytes: Uint8Array) => void;

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
 * const client = new Wire(await Deno.connect(listener.addr as Deno.NetAddr));
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
  readonly conn: Deno.Conn;
  #trace?: TraceHook;
  #idleMs: number;
  #context: ErrorDetails;
  #buffer: Uint8Array;
  #start = 0;
  #end = 0;
  #timedOut = false;
  #timeoutMs = 0;
  #closed = false;
  #closing = new AbortController();
  #pending?: Promise<Uint8Array | null>;

  /** Wraps `conn`. */
  constructor(conn: Deno.Conn, options: WireOptions = {}) {
    this.conn = conn;
    this.#trace = options.onTrace;
    this.#idleMs = options.idleTimeoutMs ?? 0;
    this.#buffer = new Uint8Array(options.bufferSize ?? 64 * 1024);
    const remote = conn.remoteAddr as Deno.NetAddr;
    this.#context = options.context ?? { host: remote.hostname, port: remote.port };
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
    if (!this.#pending) {
      const target = new Uint8Array(this.#buffer.length);
      this.#pending = this.#read(target).then((n) => n === null ? null : target.subarray(0, n));
    }
    const pending = this.#pending;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const quiet = new Promise<"quiet">((resolve) => timer = setTimeout(() => resolve("quiet"), ms));
    const outcome = await Promise.race([pending.then(() => "done" as const), quiet]);
    clearTimeout(timer);
    if (outcome === "quiet") return "quiet";
    return await this.#takePending() ? "data" : "end";
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
    const rest = this.#buffer.subarray(this.#start, this.#end);
    const merged = new Uint8Array(Math.max(this.#buffer.length, rest.length + bytes.length));
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

  /** Reads into `target` from the buffer or the socket; `null` at end of stream. */
  async readInto(target: Uint8Array): Promise<number | null> {
    if (this.#pending && this.buffered === 0 && !(await this.#takePending())) return null;
    if (this.buffered > 0) {
      const n = Math.min(target.length, this.buffered);
      target.set(this.#buffer.subarray(this.#start, this.#start + n));
      this.#start += n;
      return n;
    }
    const n = await this.#read(target);
    return n;
  }

  /**
   * Returns at most `max` bytes: what is buffered, or else the next read from the socket.
   * Resolves to `null` at end of stream.
   */
  async readSome(max: number = this.#buffer.length): Promise<Uint8Array | null> {
    if (this.#pending && this.buffered === 0 && !(await this.#takePending())) return null;
    if (this.buffered === 0) {
      this.#start = 0;
      this.#end = 0;
      const n = await this.#read(this.#buffer);
      if (n === null) return null;
      this.#end = n;
    }
    const n = Math.min(max, this.buffered);
    const out = this.#buffer.slice(this.#start, this.#start + n);
    this.#start += n;
    return out;
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
   * Writes all of `bytes`. A write that cannot progress for the idle timeout (the peer stopped
   * reading) fails with `timeout` and closes the connection.
   */
  async write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    try {
      while (offset < bytes.length) {
        const timer = this.#idleMs > 0
          ? setTimeout(() => this.#expire(this.#idleMs), this.#idleMs)
          : undefined;
        try {
          offset += await this.conn.write(bytes.subarray(offset));
        } finally {
          clearTimeout(timer);
        }
      }
    } catch (err) {
      if (this.#timedOut) throw this.#timeout();
      throw toSockitError(err, "io", this.#context);
    }
    this.#trace?.("sent", bytes);
  }

  /**
   * A stream of exactly `size` bytes from the connection, in chunks of at most `chunkSize`
   * (use `Infinity` for "until the peer closes"). It errors with `closed-early` when the
   * peer closes before `size` bytes arrived.
   */
  readable(size: number, chunkSize: number): ReadableStream<Uint8Array> {
    let remaining = size;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (remaining <= 0) return controller.close();
        const target = new Uint8Array(Math.min(chunkSize, remaining));
        const n = await this.readInto(target);
        if (n === null) {
          if (size === Infinity) return controller.close();
          throw new SockitError("closed-early", { ...this.#context, missing: remaining });
        }
        remaining -= n;
        controller.enqueue(n === target.length ? target : target.subarray(0, n));
      },
    }, { highWaterMark: 0 });
  }

  /** A sink that writes every chunk to the connection; closing it does not close the socket. */
  writable(): WritableStream<Uint8Array> {
    return new WritableStream<Uint8Array>({ write: (chunk) => this.write(chunk) });
  }

  /** Signals end of data to the peer while still reading its answers. */
  async closeWrite(): Promise<void> {
    try {
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
  deadline(ms: number): { cancel(): void } {
    const timer = setTimeout(() => this.#expire(ms), ms);
    return { cancel: () => clearTimeout(timer) };
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

  /** Closes the connection; safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort(
      this.#timedOut ? this.#timeout() : new SockitError("closed-early", { ...this.#context }),
    );
    try {
      this.conn.close();
    } catch {
      // Already closed by the peer or by a timeout.
    }
  }

  async #read(target: Uint8Array): Promise<number | null> {
    if (this.#closed) {
      if (this.#timedOut) throw this.#timeout();
      return null;
    }
    const timer = this.#idleMs > 0
      ? setTimeout(() => this.#expire(this.#idleMs), this.#idleMs)
      : undefined;
    let n: number | null;
    try {
      n = await this.conn.read(target);
    } catch (err) {
      if (this.#timedOut) throw this.#timeout();
      if (this.#closed) return null;
      throw toSockitError(err, "io", this.#context);
    } finally {
      clearTimeout(timer);
    }
    if (this.#timedOut) throw this.#timeout();
    if (n !== null) this.#trace?.("received", target.subarray(0, n));
    return n;
  }
}
