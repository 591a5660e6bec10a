/**
 * The TCP echo server (the lesson's examples 1 and 2): every client gets its own async task
 * that pipes what it sends straight back.
 *
 * @module
 */

import { formatAddr, reachableAddresses } from "../net/address.ts";
import { toSockitError } from "../core/errors.ts";
import type { ErrorCode } from "../core/errors.ts";
import { listen } from "../net/socket.ts";
import { serveConnections, stopOnce } from "../net/server.ts";
import type { TraceEvent } from "../net/trace.ts";
import type { Wire } from "../net/wire.ts";
import { endlessReadable, waitForBytes } from "../net/endless.ts";

/**
 * A client silent for this long gives up its stream pipeline (rebuilt on its next bytes), so
 * an idle connection costs a small pending read and no streams.
 */
const QUIET_MS = 50;

/**
 * What the echo server reports while it runs.
 *
 * @example
 * ```ts
 * import { startEchoServer } from "./server.ts";
 * import type { EchoServerEvent } from "./server.ts";
 * const onEvent = (event: EchoServerEvent) => {
 *   if (event.type === "received") console.log(`${event.peer}: ${event.text}`);
 * };
 * const server = startEchoServer({ host: "127.0.0.1", port: 0, onEvent });
 * await server.close();
 * ```
 */
export type EchoServerEvent =
  | { type: "listening"; address: string; reachable: string[] }
  | { type: "connected"; peer: string }
  | { type: "received"; peer: string; bytes: number; text: string }
  | { type: "disconnected"; peer: string; reason: "closed" | "reset"; bytes: number }
  | { type: "client-error"; peer: string; code: ErrorCode; reason: string }
  | ({ type: "stopped" } & EchoServerSummary)
  | TraceEvent;

/**
 * Totals reported when the server stops.
 *
 * @example
 * ```ts
 * import { startEchoServer } from "./server.ts";
 * import type { EchoServerSummary } from "./server.ts";
 * const server = startEchoServer({ host: "127.0.0.1", port: 0 });
 * const summary: EchoServerSummary = await server.close();
 * console.log(summary.connections); // 0
 * ```
 */
export interface EchoServerSummary {
  /** Connections accepted over the server's life. */
  connections: number;
  /** Bytes echoed back over all connections. */
  bytes: number;
}

/**
 * Options for {@linkcode startEchoServer}.
 *
 * @example
 * ```ts
 * import { startEchoServer } from "./server.ts";
 * import type { EchoServerOptions } from "./server.ts";
 * const options: EchoServerOptions = { host: "127.0.0.1", port: 0, chunkSize: 4096 };
 * await startEchoServer(options).close();
 * ```
 */
export interface EchoServerOptions {
  /** Address to listen on. Default `0.0.0.0` (every interface). */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 9999. */
  port?: number;
  /** Receives every event; the server never prints. */
  onEvent?: (event: EchoServerEvent) => void;
  /** Emit a `trace` event for every chunk in both directions. */
  trace?: boolean;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
  /** Largest chunk read from a client at once. Default 64 KiB. */
  chunkSize?: number;
}

/**
 * A running echo server.
 *
 * @example
 * ```ts
 * import { startEchoServer } from "./server.ts";
 * import type { EchoServer } from "./server.ts";
 * const server: EchoServer = startEchoServer({ host: "127.0.0.1", port: 0 });
 * console.log(server.addr.port);
 * await server.close();
 * ```
 */
export interface EchoServer {
  /** The address the server is bound to (with the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** Resolves with the totals once the server has stopped. */
  readonly finished: Promise<EchoServerSummary>;
  /** Closes the listener and every connection, then resolves with the totals. */
  close(): Promise<EchoServerSummary>;
}

/**
 * Starts an echo server. Listening errors (port in use, no permission) are thrown at once as
 * {@linkcode SockitError}; everything afterwards is reported through `onEvent`.
 *
 * @example
 * ```ts
 * import { startEchoServer } from "./server.ts";
 * const server = startEchoServer({ host: "127.0.0.1", port: 0, onEvent: (e) => console.log(e.type) });
 * console.log(server.addr.port);
 * await server.close();
 * ```
 */
export function startEchoServer(options: EchoServerOptions = {}): EchoServer {
  const emit = options.onEvent ?? (() => {});
  const listener = listen(options.host ?? "0.0.0.0", options.port ?? 9999);
  const addr = listener.addr as Deno.NetAddr;
  const summary: EchoServerSummary = { connections: 0, bytes: 0 };

  emit({
    type: "listening",
    address: formatAddr(addr),
    reachable: reachableAddresses(addr.hostname, addr.port),
  });

  async function serve(wire: Wire, peer: string): Promise<void> {
    summary.connections++;
    emit({ type: "connected", peer });
    const decoder = new TextDecoder();
    let bytes = 0;
    const echo = async () => {
      // The event comes before the echo: reporting it after the write (so that the client
      // need not wait for a printed line) measured faster with 100 clients but slower with
      // one (docs/performance.md), and one client is the lesson's case.
      const tap = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          controller.enqueue(chunk);
          emit({
            type: "received",
            peer,
            bytes: chunk.length,
            text: decoder.decode(chunk, { stream: true }),
          });
        },
      });
      const counter = new WritableStream<Uint8Array>({
        async write(chunk) {
          await wire.write(chunk);
          bytes += chunk.length;
          summary.bytes += chunk.length;
        },
      });
      await endlessReadable(wire, options.chunkSize ?? 64 * 1024, { quietMs: QUIET_MS })
        .pipeThrough(tap).pipeTo(counter);
    };
    try {
      // An idle client costs one small pending read and no streams: the pipeline is built when
      // bytes arrive and ends after QUIET_MS without any, to be built again on the next ones.
      while (await waitForBytes(wire)) await echo();
      emit({ type: "disconnected", peer, reason: "closed", bytes });
    } catch (err) {
      const error = toSockitError(err, "io");
      if (server.stopping) {
        emit({ type: "disconnected", peer, reason: "closed", bytes });
      } else if (error.code === "connection-reset" || error.code === "closed-early") {
        emit({ type: "disconnected", peer, reason: "reset", bytes });
      } else {
        emit({ type: "client-error", peer, code: error.code, reason: error.message });
      }
    }
  }

  const server = serveConnections(listener, {
    wire: (peer) => ({
      onTrace: options.trace
        ? (direction, bytes) => emit({ type: "trace", peer, direction, bytes })
        : undefined,
    }),
    handle: serve,
    onAcceptError: (err) =>
      emit({ type: "client-error", peer: "?", code: toSockitError(err).code, reason: String(err) }),
    signal: options.signal,
  });
  const { close, finished } = stopOnce(server, () => {
    emit({ type: "stopped", ...summary });
    return { ...summary };
  });
  return { addr, finished, close };
}
