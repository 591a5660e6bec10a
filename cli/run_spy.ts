/**
 * `sockit spy`: a relay that shows the bytes passing between a client and a server.
 *
 * @module
 */

import { parseHostPort, parsePort } from "../lib/net/address.ts";
import { SockitError } from "../lib/core/errors.ts";
import { startSpy } from "../lib/spy/relay.ts";
import { translate } from "./messages.ts";
import { renderSpyEvent } from "./render_spy.ts";
import { type CommandContext, EXIT, interruptible } from "./command.ts";

/** The options of `sockit spy`. */
export interface SpyOptions {
  /** `--listen`: `[host:]port`; a bare port listens on 127.0.0.1. Required. */
  listen?: string;
  /** `--to`: `host:port` of the server. Required. */
  to?: string;
}

/**
 * Runs `sockit spy` until Ctrl+C; resolves with the exit code.
 *
 * @example
 * ```ts
 * import { runSpy } from "./run_spy.ts";
 * import { Output } from "./output.ts";
 * const style = { lang: "en", color: false } as const;
 * const out = new Output(style, false, false);
 * const context = { lang: "en", globals: {}, style, out, prefix: () => "sockit" } as const;
 * await runSpy({ listen: "9998", to: "127.0.0.1:9999" }, context); // relays until Ctrl+C
 * ```
 * @throws {SockitError} `bad-option` without both `--listen` and `--to`.
 */
export async function runSpy(
  options: SpyOptions,
  { lang, style, out, prefix }: CommandContext,
): Promise<number> {
  const needs = () =>
    new SockitError("bad-option", {
      reason: translate(lang, "usage.spy-needs", { command: prefix() }),
    });
  if (options.listen === undefined || options.to === undefined) throw needs();
  const listen = /^\d+$/.test(options.listen.trim())
    ? { host: "127.0.0.1", port: parsePort(options.listen) }
    : parseHostPort(options.listen, -1);
  const to = parseHostPort(options.to, -1);
  if (listen.port < 0 || to.port < 1) throw needs();
  await interruptible(out, async (signal) => {
    const spy = await startSpy({
      ...listen,
      to,
      signal,
      onEvent: (event) => out.event(event, renderSpyEvent(style, event)),
    });
    await spy.finished;
  });
  return EXIT.ok;
}
