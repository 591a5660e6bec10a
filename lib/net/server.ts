/**
 * The accept loop both servers share: one async task per connection (the Deno counterpart of
 * the lesson's thread per client), a failed accept never stopping the server, and a stop that
 * closes the listener and every open connection, then waits for their tasks.
 *
 * @module
 */

import { formatAddr } from "./address.ts";
import { delay } from "../core/delay.ts";
import { Wire } from "./wire.ts";
import type { WireOptions } from "./wire.ts";

/** Pause after a failed accept (too many open files) before the next one. */
const ACCEPT_RETRY_MS = 50;

/** Options for {@linkcode serveConnections}. */
export interface ServeOptions {
  /** How to wrap each connection (idle timeout, trace hook), given the peer's `HOST:PORT`. */
  wire(peer: string): WireOptions;
  /** Serves one connection, which is closed afterwards; errors are the handler's to report. */
  handle(wire: Wire, peer: string): Promise<void>;
  /** Told about an accept that failed (e.g. too many open files); the loop goes on. */
  onAcceptError(error: unknown): void;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
}

/** A running accept loop. */
export interface ConnectionServer {
  /** True once {@linkcode ConnectionServer.stop} was called. */
  readonly stopping: boolean;
  /** How many connections are tracked (open) now. */
  readonly connections: number;
  /** Resolves when the server has stopped (by `stop`, the signal, or the listener closing). */
  readonly stopped: Promise<void>;
  /** Closes the listener and every tracked connection, and waits for every handler. */
  stop(): Promise<void>;
}

/**
 * Accepts connections on `listener` until stopped, running `handle` for each concurrently.
 *
 * @example
 * ```ts
 * import { serveConnections } from "./server.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const server = serveConnections(listener, {
 *   wire: () => ({}),
 *   handle: async (wire) => await wire.write(new TextEncoder().encode("hello")),
 *   onAcceptError: (err) => console.error(err),
 * });
 * await server.stop();
 * ```
 */
export function serveConnections(
  listener: Deno.TcpListener,
  options: ServeOptions,
): ConnectionServer {
  const wires = new Set<Wire>();
  const handlers = new Set<Promise<void>>();
  let stopping = false;

  async function acceptLoop(): Promise<void> {
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (stopping || err instanceof Deno.errors.BadResource) return;
        options.onAcceptError(err);
        await delay(ACCEPT_RETRY_MS);
        continue;
      }
      const peer = formatAddr(conn.remoteAddr);
      const wire = new Wire(conn, options.wire(peer));
      wires.add(wire);
      const handler = options.handle(wire, peer).catch(() => {}).finally(() => {
        wires.delete(wire);
        wire.close();
      });
      handlers.add(handler);
      handler.finally(() => handlers.delete(handler));
    }
  }

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      // Disposing, unlike close(), is quiet when the listener is already closed.
      listener[Symbol.dispose]();
      for (const wire of wires) wire.close();
      await loop;
      await Promise.allSettled([...handlers]);
    })();
    return stopped;
  };

  const loop = acceptLoop();
  if (options.signal?.aborted) stop();
  else options.signal?.addEventListener("abort", () => stop(), { once: true });
  const done = loop.then(() => stop());
  return {
    get stopping() {
      return stopping;
    },
    get connections() {
      return wires.size;
    },
    stopped: done,
    stop,
  };
}

/**
 * The `close` and `finished` of a server built on {@linkcode serveConnections}: both stop it
 * once and resolve with what `report` returns (a summary, after the final event).
 *
 * @example
 * ```ts
 * import { serveConnections, stopOnce } from "./server.ts";
 * const server = serveConnections(Deno.listen({ hostname: "127.0.0.1", port: 0 }), {
 *   wire: () => ({}),
 *   handle: async () => {},
 *   onAcceptError: () => {},
 * });
 * const { close } = stopOnce(server, () => "stopped");
 * console.log(await close()); // "stopped"
 * ```
 */
export function stopOnce<T>(
  server: ConnectionServer,
  report: () => T,
): { close(): Promise<T>; finished: Promise<T> } {
  let closed: Promise<T> | undefined;
  const close = () => closed ??= server.stop().then(report);
  return { close, finished: server.stopped.then(close) };
}
