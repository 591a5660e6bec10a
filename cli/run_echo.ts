/**
 * `sockit echo-server` and `sockit echo`: the lesson's echo server and its client.
 *
 * @module
 */

import type { HostPort } from "../lib/net/address.ts";
import { DEFAULT_PORTS } from "../lib/net/address.ts";
import { SockitError } from "../lib/core/errors.ts";
import { startEchoServer } from "../lib/echo/server.ts";
import { runEcho, textLines } from "../lib/echo/client.ts";
import { renderEchoClientEvent, renderEchoServerEvent, renderPing } from "./render.ts";
import { TraceView } from "./render_trace.ts";
import { type CommandContext, EXIT, interruptible } from "./command.ts";

/** The options of `sockit echo-server`. */
export interface EchoServerOptions {
  /** `--host`. Default `0.0.0.0`. */
  host?: string;
  /** `--port`. Default {@linkcode DEFAULT_PORTS}.echo. */
  port?: number;
}

/** The options of `sockit echo`. */
export interface EchoOptions {
  /** `--to`. Default `127.0.0.1` on the echo port. */
  to?: HostPort;
  /** `--count`. Default 1. */
  count?: number;
  /** `--interval` in seconds. Default 1. */
  interval?: number;
  /** `--timeout` in seconds. Default 10. */
  timeout?: number;
}

/**
 * Runs `sockit echo-server` until Ctrl+C; resolves with the exit code.
 *
 * @example
 * ```ts
 * import { runEchoServer } from "./run_echo.ts";
 * import { Output } from "./output.ts";
 * const style = { lang: "en", color: false } as const;
 * const out = new Output(style, false, false);
 * const context = { lang: "en", globals: {}, style, out, prefix: () => "sockit" } as const;
 * await runEchoServer({ port: 9999 }, context); // serves until Ctrl+C
 * ```
 */
export async function runEchoServer(
  options: EchoServerOptions,
  { globals, style, out }: CommandContext,
): Promise<number> {
  const trace = new TraceView(style, "server", { recognise: false });
  await interruptible(out, (signal) =>
    startEchoServer({
      host: options.host ?? "0.0.0.0",
      port: options.port ?? DEFAULT_PORTS.echo,
      trace: globals.trace,
      signal,
      onEvent: (event) => out.event(event, renderEchoServerEvent(style, event, trace)),
    }).finished);
  return EXIT.ok;
}

/**
 * Runs `sockit echo`: sends `words` (or standard input's lines) and checks each reply.
 *
 * @example
 * ```ts
 * import { runEchoClient } from "./run_echo.ts";
 * import { Output } from "./output.ts";
 * const style = { lang: "en", color: false } as const;
 * const out = new Output(style, false, false);
 * const context = { lang: "en", globals: {}, style, out, prefix: () => "sockit" } as const;
 * const code = await runEchoClient(["안녕"], { count: 3 }, context);
 * ```
 * @throws {SockitError} `echo-mismatch` when a reply is missing or differs.
 */
export async function runEchoClient(
  words: string[],
  options: EchoOptions,
  { globals, style, out }: CommandContext,
): Promise<number> {
  const target = options.to ?? { host: "127.0.0.1", port: DEFAULT_PORTS.echo };
  const rounds = options.count ?? 1;
  const trace = new TraceView(style, "client", { recognise: false });
  // Typing at a terminal with no message: say what to do, or the cursor just blinks.
  if (words.length === 0 && Deno.stdin.isTerminal()) out.note("echo.type-lines");
  const messages = words.length > 0
    ? [words.join(" ")]
    : Deno.stdin.readable.pipeThrough(textLines({ skipEmpty: true }));
  const result = await interruptible(out, (signal) =>
    runEcho({
      ...target,
      messages,
      trace: globals.trace,
      count: rounds,
      intervalMs: rounds > 1 ? (options.interval ?? 1) * 1000 : 0,
      timeoutMs: (options.timeout ?? 10) * 1000,
      signal,
      onEvent: (event) => {
        const line = event.type === "reply" && rounds > 1
          ? renderPing(style, event)
          : renderEchoClientEvent(style, event, trace);
        out.event(event, line);
      },
    }));
  if (result.matched !== result.sent) {
    throw new SockitError("echo-mismatch", {
      ...target,
      replies: result.sent,
      intact: result.matched,
      sent: result.bytesSent,
      received: result.bytesReceived,
    });
  }
  return EXIT.ok;
}
