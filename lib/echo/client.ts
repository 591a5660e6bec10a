/**
 * The echo client (the lesson's example 1 client): sends a message, reads back exactly as
 * many bytes as it sent, and checks they match.
 *
 * @module
 */

import { formatHostPort } from "../net/address.ts";
import { delay } from "../core/delay.ts";
import { connect } from "../net/socket.ts";
import type { TraceEvent } from "../net/trace.ts";
import { Wire } from "../net/wire.ts";

/**
 * Options for {@linkcode EchoClient.connect}.
 *
 * @example
 * ```ts
 * import type { EchoClientOptions } from "./client.ts";
 * const options: EchoClientOptions = { host: "127.0.0.1", port: 9999, timeoutMs: 5000 };
 * ```
 */
export interface EchoClientOptions {
  /** Server host. Default `127.0.0.1`. */
  host?: string;
  /** Server port. Default 9999. */
  port?: number;
  /** Give up connecting or waiting for an echo after this many milliseconds. Default 10 000. */
  timeoutMs?: number;
  /** Receives a `trace` event for every chunk in both directions. */
  onTrace?: (event: TraceEvent) => void;
}

/**
 * One message's round trip.
 *
 * @example
 * ```ts
 * import type { EchoReply } from "./client.ts";
 * const reply: EchoReply = { text: "hi", bytes: 2, rttMs: 0.3, matched: true };
 * ```
 */
export interface EchoReply {
  /** The echoed bytes decoded as UTF-8. */
  text: string;
  /** Number of bytes sent (and read back). */
  bytes: number;
  /** Round-trip time in milliseconds, from the first byte sent to the last byte read. */
  rttMs: number;
  /** True when the echo is byte-for-byte what was sent. */
  matched: boolean;
}

/**
 * A connection to an echo server.
 *
 * @example
 * ```ts
 * import { startEchoServer } from "./server.ts";
 * import { EchoClient } from "./client.ts";
 * const server = startEchoServer({ host: "127.0.0.1", port: 0 });
 * const client = await EchoClient.connect({ host: "127.0.0.1", port: server.addr.port });
 * const reply = await client.echo("안녕");
 * console.log(reply.text, reply.matched); // "안녕" true
 * client.close();
 * await server.close();
 * ```
 */
export class EchoClient implements Disposable {
  /** The server's address as `HOST:PORT`. */
  readonly peer: string;
  #wire: Wire;

  private constructor(wire: Wire, peer: string) {
    this.#wire = wire;
    this.peer = peer;
  }

  /**
   * Connects to an echo server.
   *
   * @throws {import("../core/errors.ts").SockitError} `connection-refused` ("start the server first"), `timeout`, …
   */
  static async connect(options: EchoClientOptions = {}): Promise<EchoClient> {
    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? 9999;
    const timeoutMs = options.timeoutMs ?? 10_000;
    const conn = await connect({ host, port, timeoutMs });
    const peer = formatHostPort({ host, port });
    const onTrace = options.onTrace;
    const wire = new Wire(conn, {
      idleTimeoutMs: timeoutMs,
      context: { host, port },
      onTrace: onTrace
        ? (direction, bytes) => onTrace({ type: "trace", peer, direction, bytes })
        : undefined,
    });
    return new EchoClient(wire, peer);
  }

  /**
   * Sends `message` (text is encoded as UTF-8) and reads back exactly as many bytes, however
   * many reads that takes, so a character split across reads survives.
   *
   * @throws {SockitError} `closed-early` if the server closes before echoing everything.
   */
  async echo(message: string | Uint8Array): Promise<EchoReply> {
    const sent = typeof message === "string" ? new TextEncoder().encode(message) : message;
    const started = performance.now();
    const [, back] = await Promise.all([this.#wire.write(sent), this.#wire.readExact(sent.length)]);
    const rttMs = performance.now() - started;
    const matched = back.length === sent.length && back.every((b, i) => b === sent[i]);
    return { text: new TextDecoder().decode(back), bytes: sent.length, rttMs, matched };
  }

  /** Closes the connection. */
  close(): void {
    this.#wire.close();
  }

  /** Closes the connection (what `using client = …` does at the end of its block). */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * What {@linkcode runEcho} reports.
 *
 * @example
 * ```ts
 * import type { EchoClientEvent } from "./client.ts";
 * const onEvent = (event: EchoClientEvent) => {
 *   if (event.type === "reply") console.log(`${event.seq}: ${event.text} (${event.rttMs} ms)`);
 * };
 * onEvent({ type: "connected", peer: "127.0.0.1:9999" });
 * ```
 */
export type EchoClientEvent =
  | { type: "connected"; peer: string }
  | {
    type: "reply";
    peer: string;
    seq: number;
    text: string;
    bytes: number;
    rttMs: number;
    matched: boolean;
  }
  | ({ type: "stats" } & EchoSessionResult)
  | TraceEvent;

/**
 * Options for {@linkcode runEcho}.
 *
 * @example
 * ```ts
 * import type { RunEchoOptions } from "./client.ts";
 * const options: RunEchoOptions = { port: 9999, messages: ["hello"], count: 4, intervalMs: 1000 };
 * ```
 */
export interface RunEchoOptions extends EchoClientOptions {
  /** The messages to echo, in order: an array, or lines read from standard input. */
  messages: Iterable<string> | AsyncIterable<string>;
  /** Echo each message this many times. Default 1. */
  count?: number;
  /** Pause between round trips, in milliseconds. Default 0 (1000 with `count` > 1 is typical). */
  intervalMs?: number;
  /** Emit a `trace` event for every chunk in both directions. */
  trace?: boolean;
  /** Receives every event. */
  onEvent?: (event: EchoClientEvent) => void;
  /** Stops after the current round trip when aborted. */
  signal?: AbortSignal;
}

/**
 * Totals of a {@linkcode runEcho} session.
 *
 * @example
 * ```ts
 * import type { EchoSessionResult } from "./client.ts";
 * const result: EchoSessionResult = {
 *   sent: 3,
 *   matched: 3,
 *   bytesSent: 6,
 *   bytesReceived: 6,
 *   min: 0.2,
 *   avg: 0.3,
 *   max: 0.5,
 * };
 * ```
 */
export interface EchoSessionResult extends RttStats {
  /** Round trips attempted. */
  sent: number;
  /** Round trips whose echo matched byte for byte. */
  matched: number;
  /** Bytes sent in all. */
  bytesSent: number;
  /** Bytes that came back in all, matching or not. */
  bytesReceived: number;
}

/**
 * Connects once and echoes every message (`count` times each), reporting each reply and, when
 * `count` is above 1, ping-style statistics.
 *
 * @example
 * ```ts
 * import { startEchoServer } from "./server.ts";
 * import { runEcho } from "./client.ts";
 * const server = startEchoServer({ host: "127.0.0.1", port: 0 });
 * const result = await runEcho({ port: server.addr.port, messages: ["hi"], count: 3 });
 * console.log(result.matched); // 3
 * await server.close();
 * ```
 */
export async function runEcho(options: RunEchoOptions): Promise<EchoSessionResult> {
  const emit = options.onEvent ?? (() => {});
  using client = await EchoClient.connect({
    ...options,
    onTrace: options.trace ? emit : undefined,
  });
  emit({ type: "connected", peer: client.peer });
  const count = options.count ?? 1;
  const times: number[] = [];
  let sent = 0;
  let matched = 0;
  let bytesSent = 0;
  let bytesReceived = 0;
  for await (const message of options.messages) {
    for (let i = 0; i < count && !options.signal?.aborted; i++) {
      if (sent > 0 && options.intervalMs) await delay(options.intervalMs, options.signal);
      if (options.signal?.aborted) break;
      const reply = await client.echo(message);
      sent++;
      bytesSent += reply.bytes;
      bytesReceived += reply.bytes;
      if (reply.matched) matched++;
      times.push(reply.rttMs);
      emit({ type: "reply", peer: client.peer, seq: sent, ...reply });
    }
    if (options.signal?.aborted) break;
  }
  const stats = rttStats(times);
  const result = { sent, matched, bytesSent, bytesReceived, ...stats };
  if (count > 1) emit({ type: "stats", ...result });
  return result;
}

/**
 * Round-trip statistics in milliseconds, like `ping`'s summary.
 *
 * @example
 * ```ts
 * import type { RttStats } from "./client.ts";
 * const stats: RttStats = { min: 0.2, avg: 0.3, max: 0.5 };
 * ```
 */
export interface RttStats {
  /** Fastest round trip. */
  min: number;
  /** Mean round trip. */
  avg: number;
  /** Slowest round trip. */
  max: number;
}

/**
 * Summarises round-trip times.
 *
 * @example
 * ```ts
 * import { rttStats } from "./client.ts";
 * rttStats([1, 2, 3]); // { min: 1, avg: 2, max: 3 }
 * ```
 */
export function rttStats(times: readonly number[]): RttStats {
  if (times.length === 0) return { min: 0, avg: 0, max: 0 };
  const sum = times.reduce((a, b) => a + b, 0);
  return { min: Math.min(...times), avg: sum / times.length, max: Math.max(...times) };
}

/**
 * Splits a byte stream into lines of text (without their `\n` or `\r\n`), decoding UTF-8
 * across chunk boundaries. A last line without a newline is kept; empty lines are kept unless
 * `skipEmpty` is set.
 *
 * @example
 * ```ts
 * import { textLines } from "./client.ts";
 * const input = ReadableStream.from([new TextEncoder().encode("a\r\nb")]);
 * console.log(await Array.fromAsync(input.pipeThrough(textLines()))); // ["a", "b"]
 * ```
 */
export function textLines(
  options: { skipEmpty?: boolean } = {},
): TransformStream<Uint8Array, string> {
  const decoder = new TextDecoder();
  let pending = "";
  return new TransformStream({
    transform(chunk, controller) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines.map((l) => l.replace(/\r$/, ""))) {
        if (line !== "" || !options.skipEmpty) controller.enqueue(line);
      }
    },
    flush(controller) {
      pending += decoder.decode();
      if (pending !== "") controller.enqueue(pending.replace(/\r$/, ""));
    },
  });
}
