/**
 * `sockit send`: sends files and folders to a receiver given with `--to`, or found on this
 * network. Kept light on purpose (many students start it at once): discovery, the pairing code's
 * word list and the live progress area load only when this run needs them.
 *
 * @module
 */

import type { HostPort } from "../lib/net/address.ts";
import { planSend, sendFiles } from "../lib/transfer/sender.ts";
import { message } from "./render.ts";
import { SendView } from "./render_transfer.ts";
import { liveRegion } from "./output.ts";
import { givenCode, promptCode } from "./pairing_code.ts";
import { chooseSenderName } from "./sender_name.ts";
import { type CommandContext, EXIT, interruptible } from "./command.ts";

/** The options of `sockit send`. */
export interface SendOptions {
  /** `--to`. Default: the receiver found on this network. */
  to?: HostPort;
  /** `--chunk-size`. Default: the library's. */
  chunkSize?: number;
  /** `--retries`. Default: the library's. */
  retries?: number;
  /** `--classic`: the lesson's protocol. */
  classic?: boolean;
  /** `--timeout` in seconds. Default 30. */
  timeout?: number;
  /** `--name`. Default: asked for or taken from the account. */
  name?: string;
  /** `--code-file`. Default: `SOCKIT_CODE`, or asked for when the receiver wants a code. */
  codeFile?: string;
}

/**
 * Runs `sockit send` for `paths`; resolves with the exit code (1 when a file was refused,
 * changed while it was sent, or the transfer was interrupted, or no receiver was found).
 *
 * @example
 * ```ts
 * import { runSend } from "./run_send.ts";
 * import { Output } from "./output.ts";
 * const style = { lang: "en", color: false } as const;
 * const out = new Output(style, false, false);
 * const context = { lang: "en", globals: {}, style, out, prefix: () => "sockit" } as const;
 * await runSend(["homework.py"], { to: { host: "127.0.0.1", port: 9000 } }, context);
 * ```
 */
export async function runSend(
  paths: string[],
  options: SendOptions,
  { globals, style, out }: CommandContext,
): Promise<number> {
  const given = options.to ?? null;
  const settings = {
    chunkSize: options.chunkSize,
    classic: options.classic === true,
    retries: options.retries,
    timeoutMs: (options.timeout ?? 30) * 1000,
    trace: globals.trace,
    name: options.classic === true ? undefined : await chooseSenderName(style, options.name),
  };
  const live = await liveRegion(globals, style);
  const view = new SendView(style, { classic: options.classic === true, live: live !== null });
  const result = await interruptible(out, async (signal) => {
    if (!given) await planSend(paths); // a missing file is said before listening
    // The pairing code: SOCKIT_CODE or --code-file, else asked (without echo) on a
    // terminal when a receiver wants one. Without --to, its nameplate picks the receiver
    // (only the number; the words never leave the code).
    const code = options.classic ? undefined : await givenCode({ codeFile: options.codeFile });
    const nameplate = given ? undefined : code?.nameplate;
    const target = given ??
      await (await import("./discover.ts")).findReceiver({
        out,
        nameplate,
        trace: globals.trace,
        signal,
      });
    if (!target) return null;
    const ask = Deno.stdin.isTerminal() && !globals.json
      ? () => promptCode(`${message(style, "send.code-prompt")} `)
      : undefined;
    return sendFiles({
      paths,
      ...target,
      ...settings,
      code: code ?? ask,
      // A receiver found by discovery must prove the code: a beacon is only a hint.
      requirePairing: !given && !options.classic,
      signal,
      onEvent: (event) => out.view(event, view.update(event), live),
    });
  });
  return !result || result.rejected > 0 || result.failed > 0 || result.interrupted
    ? EXIT.failure
    : EXIT.ok;
}
