/**
 * A hand-driven protocol peer for tests: a raw TCP connection to a receiver that can send a
 * preface, frames or arbitrary bytes, and read the receiver's frames, each wait bounded.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { formatAddr } from "../lib/net/address.ts";
import {
  encodeFrame,
  encodePreface,
  FRAME_HEADER_SIZE,
  readFrame,
} from "../lib/transfer/protocol.ts";
import type { Frame, ReceiverFrame } from "../lib/transfer/protocol.ts";
import { Wire } from "../lib/net/wire.ts";

/**
 * A frame made by hand: the type (a letter or a byte), the u32 big-endian length (the payload's
 * own unless given), and the payload (text as UTF-8), so any of them may be wrong.
 */
export function rawFrame(
  type: string | number,
  payload: string | Uint8Array,
  length?: number,
): Uint8Array {
  const body = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  const out = new Uint8Array(FRAME_HEADER_SIZE + body.length);
  out[0] = typeof type === "number" ? type : type.charCodeAt(0);
  new DataView(out.buffer).setUint32(1, length ?? body.length);
  out.set(body, FRAME_HEADER_SIZE);
  return out;
}

/** A raw connection speaking (or abusing) the sockit protocol. */
export class RawPeer implements AsyncDisposable {
  /** The connection, buffered. */
  readonly wire: Wire;
  /** The id {@linkcode RawPeer.sendFile} gives its next offer. */
  nextId = 1;

  private constructor(wire: Wire) {
    this.wire = wire;
  }

  /** Connects to `port` on `host` (default 127.0.0.1); idle reads fail after `timeoutMs`. */
  static async connect(port: number, host = "127.0.0.1", timeoutMs = 10_000): Promise<RawPeer> {
    const conn = await Deno.connect({ hostname: host, port });
    conn.setNoDelay(true);
    return new RawPeer(new Wire(conn, { idleTimeoutMs: timeoutMs }));
  }

  /** Connects and completes the opening: preface out, hello frame back. */
  static async open(port: number, host = "127.0.0.1"): Promise<RawPeer> {
    const peer = await RawPeer.connect(port, host);
    await peer.send(encodePreface());
    const hello = await peer.frame();
    if (hello.type !== "H") throw new Error(`expected a hello frame, got ${JSON.stringify(hello)}`);
    return peer;
  }

  /** This side's address as the receiver names it in its events (`127.0.0.1:PORT`). */
  get name(): string {
    return formatAddr(this.wire.conn.localAddr);
  }

  /** Sends raw bytes (or text, as UTF-8). */
  send(bytes: Uint8Array | string): Promise<void> {
    return this.wire.write(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes);
  }

  /** Sends a frame. */
  sendFrame(frame: Frame): Promise<void> {
    return this.send(encodeFrame(frame));
  }

  /**
   * Reads the receiver's next frame. With `timeoutMs` the whole frame must arrive within that
   * time (else the connection is closed and the read fails with a timeout); without it, only
   * each read is bounded, by the idle timeout given to {@linkcode RawPeer.connect}.
   */
  async frame(timeoutMs?: number): Promise<ReceiverFrame> {
    const deadline = timeoutMs === undefined ? undefined : this.wire.deadline(timeoutMs);
    try {
      return await readFrame(this.wire, "receiver");
    } finally {
      deadline?.cancel();
    }
  }

  /** Resolves true when the receiver closes the connection within `ms` (after any frames). */
  async closedWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    try {
      while (Date.now() < deadline) {
        const outcome = await this.wire.waitForMore(deadline - Date.now());
        if (outcome === "end") return true;
        if (outcome === "data") await this.wire.readSome();
      }
    } catch {
      // A reset is a close too; this side's own idle timeout is not.
      return !this.wire.timedOut;
    }
    return false;
  }

  /**
   * Sends a whole file the proper way, one step at a time (F with the next id, then S at
   * offset 0, the bytes and E); resolves with the receiver's verdict or refusal. `sha256`
   * replaces the content's own hash in the E frame (a damaged transfer); `mtime` defaults to 0.
   */
  async sendFile(
    path: string,
    content: Uint8Array,
    options: { mtime?: number; sha256?: string } = {},
  ): Promise<ReceiverFrame> {
    const id = this.nextId++;
    await this.sendFrame({ type: "F", id, path, size: content.length, mtime: options.mtime ?? 0 });
    const reply = await this.frame();
    if (reply.type !== "A") return reply;
    await this.sendFrame({ type: "S", id, offset: 0 });
    await this.send(content);
    const sha256 = options.sha256 ?? createHash("sha256").update(content).digest("hex");
    await this.sendFrame({ type: "E", id, sha256 });
    return await this.frame();
  }

  /**
   * Ends the session the proper way: `Q`, the end of this direction, and the receiver's `Q`
   * (returned: its totals).
   */
  async quit(): Promise<ReceiverFrame> {
    await this.sendFrame({ type: "Q" });
    await this.wire.closeWrite();
    return await this.frame();
  }

  /** Closes the connection. */
  close(): void {
    this.wire.close();
  }

  /** Closes the connection. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
