/**
 * `sockit spy`: a relay between TCP clients and one server that forwards every byte unchanged
 * in both directions and reports each chunk, annotated, as an event.
 *
 * Each side is closed the way the other side closed: an orderly close (FIN) is passed on as a
 * FIN (a half close, so the other direction keeps flowing), a reset (RST) as a reset. Deno's
 * own `Deno.Conn` cannot send a reset (it has no `SO_LINGER`; closing with unread data did not
 * reset in our tests), so the relay uses the `node:net` sockets built into Deno, whose
 * `resetAndDestroy()` sends a real RST.
 *
 * @module
 */

import net from "node:net";
import { SockitError } from "../core/errors.ts";
import type { ErrorCode, ErrorDetails } from "../core/errors.ts";
import { formatHostPort } from "../net/address.ts";
import type { HostPort } from "../net/address.ts";
import { Annotator } from "./annotate.ts";
import type { AnnotatedChunk, RunSummary, Side } from "./annotate.ts";

/** Fields every event about one connection carries. */
export interface ConnectionFields {
  /** The connection's number, from 1 in the order clients connected. */
  conn: number;
  /** When it happened, milliseconds since the epoch. */
  time: number;
}

/** How one side ended its sending. */
export type EndHow = "fin" | "reset" | "error";

/** What the spy reports while it runs. */
export type SpyEvent =
  | { type: "listening"; address: string; target: string }
  | ({ type: "open"; client: string; server: string } & ConnectionFields)
  | (
    & { type: "connect-failed"; client: string; code: ErrorCode; details: ErrorDetails }
    & ConnectionFields
  )
  | (AnnotatedChunk & ConnectionFields)
  | (RunSummary & ConnectionFields)
  | (
    & {
      type: "end";
      /** The side that stopped sending. */
      from: Side;
      /** `fin`: it closed normally; `reset`: its connection was reset; `error`: another error. */
      how: EndHow;
      /** The error, for `error`. */
      reason?: string;
      /** What the spy did to the other side: the same close, or nothing (already closed). */
      passed: "fin" | "reset" | "none";
    }
    & ConnectionFields
  )
  | ({ type: "closed"; client: number; server: number } & ConnectionFields)
  | { type: "stopped"; connections: number; bytes: number };

/** Options for {@linkcode startSpy}. */
export interface SpyOptions {
  /** Where the real server is. */
  to: HostPort;
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Receives every event; the spy never prints. */
  onEvent?: (event: SpyEvent) => void;
  /** Stops the spy when aborted. */
  signal?: AbortSignal;
  /** Give up connecting to the server after this many milliseconds. Default 10 000. */
  connectTimeoutMs?: number;
}

/** A running spy. */
export interface Spy {
  /** The address it listens on (with the real port when 0 was asked for). */
  readonly addr: HostPort;
  /** Resolves once the spy has stopped (by `close` or the signal). */
  readonly finished: Promise<void>;
  /** Stops listening, closes every connection, and resolves once all are closed. */
  close(): Promise<void>;
}

/** Node's error codes, as sockit's. */
const NODE_CODES: Record<string, ErrorCode> = {
  EADDRINUSE: "address-in-use",
  EACCES: "bind-permission",
  EADDRNOTAVAIL: "address-unavailable",
  ECONNREFUSED: "connection-refused",
  ECONNRESET: "connection-reset",
  ETIMEDOUT: "timeout",
  EHOSTUNREACH: "unreachable",
  ENETUNREACH: "unreachable",
  ENOTFOUND: "host-not-found",
  EAI_NONAME: "host-not-found",
};

function sockitError(err: unknown, host: string, port: number, seconds = 0): SockitError {
  const code = NODE_CODES[(err as { code?: string }).code ?? ""] ?? "internal";
  const reason = err instanceof Error ? err.message : String(err);
  return new SockitError(code, { host, port, seconds, reason }, { cause: err });
}

/**
 * Starts a spy listening on `host:port` that relays every client to `to`. Rejects with a
 * {@linkcode SockitError} when it cannot listen; everything afterwards is an event.
 *
 * @example
 * ```ts
 * import { startSpy } from "./relay.ts";
 * const spy = await startSpy({
 *   to: { host: "127.0.0.1", port: 9999 },
 *   port: 0,
 *   onEvent: (event) => console.log(event.type),
 * });
 * console.log(spy.addr.port);
 * await spy.close();
 * ```
 */
export async function startSpy(options: SpyOptions): Promise<Spy> {
  const emit = options.onEvent ?? (() => {});
  const host = options.host ?? "127.0.0.1";
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const target = formatHostPort(options.to);
  const sockets = new Set<net.Socket>();
  const open = new Set<Promise<void>>();
  let connections = 0;
  let total = 0;

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    const conn = ++connections;
    const done = relay(conn, client).finally(() => open.delete(done));
    open.add(done);
  });

  function relay(conn: number, client: net.Socket): Promise<void> {
    const clientName = formatHostPort({
      host: client.remoteAddress ?? "?",
      port: client.remotePort ?? 0,
    });
    const upstream = net.connect({
      host: options.to.host,
      port: options.to.port,
      allowHalfOpen: true,
    });
    sockets.add(client).add(upstream);
    const fields = () => ({ conn, time: Date.now() });
    const annotator = new Annotator();
    const counts: Record<Side, number> = { client: 0, server: 0 };
    return new Promise<void>((resolve) => {
      const timer = setTimeout(
        () =>
          upstream.destroy(Object.assign(new Error("connect timed out"), { code: "ETIMEDOUT" })),
        timeoutMs,
      );
      let connected = false;
      let closed = 0;
      const finish = () => {
        if (++closed < 2) return;
        sockets.delete(client);
        sockets.delete(upstream);
        if (connected) emit({ type: "closed", ...fields(), ...counts });
        resolve();
      };
      client.once("close", finish);
      upstream.once("close", finish);
      upstream.once("connect", () => {
        clearTimeout(timer);
        connected = true;
        emit({ type: "open", ...fields(), client: clientName, server: target });
        pipe("client", client, upstream);
        pipe("server", upstream, client);
        client.resume();
      });
      upstream.once("error", (err) => {
        if (connected) return;
        clearTimeout(timer);
        const error = sockitError(err, options.to.host, options.to.port, timeoutMs / 1000);
        emit({
          type: "connect-failed",
          ...fields(),
          client: clientName,
          code: error.code,
          details: error.details,
        });
        // The client is told the way a refused connection tells it: with a reset.
        client.resetAndDestroy();
      });
      client.on("error", () => {
        // Reported by its pipe once connected; before that the client is simply dropped.
        if (!connected) upstream.destroy();
      });
    });

    function pipe(from: Side, source: net.Socket, sink: net.Socket): void {
      const show = (events: (AnnotatedChunk | RunSummary)[]) => {
        for (const event of events) emit({ ...event, ...fields() });
      };
      let ended = false;
      const end = (how: EndHow, reason?: string) => {
        if (ended) return;
        ended = true;
        show(annotator.finish(from));
        let passed: "fin" | "reset" | "none" = "none";
        if (!sink.destroyed) {
          if (how === "fin") {
            passed = "fin";
            sink.end();
          } else {
            passed = "reset";
            sink.resetAndDestroy();
          }
        }
        emit({ type: "end", ...fields(), from, how, reason, passed });
      };
      source.on("data", (data: Uint8Array) => {
        counts[from] += data.length;
        total += data.length;
        // A plain Uint8Array view: a Buffer would serialise itself in JSON output.
        show(annotator.feed(from, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
        if (sink.destroyed || sink.writableEnded) return;
        if (!sink.write(data)) {
          source.pause();
          sink.once("drain", () => source.resume());
        }
      });
      source.on("end", () => end("fin"));
      source.on("error", (err: Error & { code?: string }) => {
        if (err.code === "ECONNRESET" || err.code === "EPIPE") end("reset");
        else end("error", err.message);
      });
      // Destroyed without an end or error of its own (the other side's reset destroyed it).
      source.on("close", () => {
        if (!ended) ended = true;
      });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(sockitError(err, host, options.port)));
    server.listen({ host, port: options.port }, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  const addr: HostPort = { host: address.address, port: address.port };
  emit({
    type: "listening",
    address: formatHostPort(addr),
    target,
  });

  let stopping: Promise<void> | undefined;
  let stopped: () => void;
  const finished = new Promise<void>((resolve) => stopped = resolve);
  const close = () =>
    stopping ??= (async () => {
      // The server's close waits for every connection: close them too.
      const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await listenerClosed;
      await Promise.allSettled([...open]);
      emit({ type: "stopped", connections, bytes: total });
      stopped();
    })();
  if (options.signal?.aborted) close();
  else options.signal?.addEventListener("abort", () => close(), { once: true });
  return { addr, finished, close };
}
