/**
 * Opening TCP listeners and connections with sockit's error mapping and timeouts.
 *
 * @module
 */

import { SockitError, toSockitError } from "../core/errors.ts";

/**
 * Listens on `host:port`, turning OS errors into {@linkcode SockitError}s
 * (`address-in-use`, `bind-permission`, `address-unavailable`, `bad-address`).
 *
 * @example
 * ```ts
 * import { listen } from "./socket.ts";
 * const listener = listen("127.0.0.1", 0);
 * console.log((listener.addr as Deno.NetAddr).port > 0); // true
 * listener.close();
 * ```
 */
export function listen(host: string, port: number): Deno.TcpListener {
  try {
    return Deno.listen({ hostname: host, port, transport: "tcp" });
  } catch (err) {
    const error = toSockitError(err, "listen", { host, port });
    if (error.code === "internal" || error.code === "host-not-found") {
      throw new SockitError("bad-address", { value: host, reason: error.message }, { cause: err });
    }
    throw error;
  }
}

/** Options for {@linkcode connect}. */
export interface ConnectOptions {
  /** Host name or IP address. */
  host: string;
  /** TCP port. */
  port: number;
  /** Give up after this many milliseconds. Default 10 000. */
  timeoutMs?: number;
  /** Cancels the attempt. */
  signal?: AbortSignal;
}

/**
 * Connects to `host:port` with a timeout and Nagle's algorithm off (sockit writes whole
 * messages, so small writes should leave at once).
 *
 * @example
 * ```ts
 * import { connect, listen } from "./socket.ts";
 * const listener = listen("127.0.0.1", 0);
 * const conn = await connect({ host: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port });
 * conn.close();
 * listener.close();
 * ```
 * @throws {SockitError} `connection-refused`, `timeout`, `unreachable`, `host-not-found`, …
 */
export async function connect(options: ConnectOptions): Promise<Deno.TcpConn> {
  const { host, port } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const conn = await Deno.connect({ hostname: host, port, transport: "tcp", signal });
    conn.setNoDelay(true);
    return conn;
  } catch (err) {
    if (timeout.aborted) {
      throw new SockitError("timeout", { host, port, seconds: timeoutMs / 1000 }, { cause: err });
    }
    throw toSockitError(err, "connect", { host, port });
  }
}
