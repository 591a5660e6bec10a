/**
 * `sockit receivers`: lists the receivers announcing on this network.
 *
 * @module
 */

import { SockitError } from "../lib/core/errors.ts";
import { discoverReceivers } from "../lib/discovery/listener.ts";
import { DISCOVERY_PORT } from "../lib/discovery/beacon.ts";
import { renderDiscoveryEvent } from "./render_discovery.ts";
import { type CommandContext, EXIT, interruptible } from "./command.ts";

/**
 * Runs `sockit receivers`, listening `wait` seconds (default 3); resolves with the exit code.
 *
 * @example
 * ```ts
 * import { runReceivers } from "./run_receivers.ts";
 * import { Output } from "./output.ts";
 * const style = { lang: "en", color: false } as const;
 * const out = new Output(style, false, false);
 * const context = { lang: "en", globals: {}, style, out, prefix: () => "sockit" } as const;
 * await runReceivers({ wait: 1 }, context);
 * ```
 * @throws {SockitError} `no-receivers` when none announced itself in time.
 */
export async function runReceivers(
  options: { wait?: number },
  { globals, style, out }: CommandContext,
): Promise<number> {
  const timeoutMs = (options.wait ?? 3) * 1000;
  const found = await interruptible(out, (signal) =>
    discoverReceivers({
      timeoutMs,
      signal,
      onEvent: (event) => {
        const line = renderDiscoveryEvent(style, event, !!globals.trace);
        // The list is this command's result: shown with --quiet too.
        out.event(
          event,
          line && event.type === "receiver-found" ? { ...line, level: "result" } : line,
        );
      },
    }));
  if (found.length === 0) {
    throw new SockitError("no-receivers", { seconds: timeoutMs / 1000, port: DISCOVERY_PORT });
  }
  return EXIT.ok;
}
