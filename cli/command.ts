/**
 * What every command's runner shares: exit codes, the context main.ts hands it (language,
 * global options, output) and Ctrl+C handling. Each command lives in its own `run_*.ts`
 * module, which main.ts loads only when that command runs.
 *
 * @module
 */

import type { GlobalOptions } from "./options.ts";
import type { Lang } from "./messages.ts";
import type { Output } from "./output.ts";
import type { RenderStyle } from "./render.ts";

/** Exit codes, as documented in the README. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** What main.ts gives a command's runner. */
export interface CommandContext {
  /** The language of messages. */
  lang: Lang;
  /** `--json`, `--quiet`, `--trace`. */
  globals: GlobalOptions;
  /** How lines are rendered (language, colour). */
  style: RenderStyle;
  /** Where events and lines go. */
  out: Output;
  /** How sockit was started (e.g. `deno task sockit`), for messages that show a command. */
  prefix: () => string;
}

/**
 * Presses of Ctrl+C closer together than this are one press (see {@linkcode interruptible}):
 * long enough for the copy a busy machine delivers late, short enough that pressing again to quit
 * at once still works.
 */
const SAME_PRESS_MS = 400;

/**
 * Runs `work` with a signal that the first Ctrl+C (or SIGTERM) aborts; a second one exits at
 * once. The handlers are in place before `work` starts, so an early Ctrl+C still stops cleanly.
 * Under `deno task` one key press arrives twice (the terminal signals the whole process group and
 * deno task forwards its own copy), so a repeat within {@linkcode SAME_PRESS_MS} counts as the
 * same press; once the work has stopped, copies that still arrive are ignored while the process
 * exits with the work's own code.
 *
 * @example
 * ```ts
 * import { interruptible } from "./command.ts";
 * import { Output } from "./output.ts";
 * const out = new Output({ lang: "en", color: false }, false, false);
 * await interruptible(out, async (signal) => signal.aborted); // false, unless Ctrl+C came
 * ```
 */
export async function interruptible<T>(
  out: Output,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let first = 0;
  let done = false;
  const handler = () => {
    const now = performance.now();
    if (done) return;
    if (controller.signal.aborted) {
      if (now - first > SAME_PRESS_MS) Deno.exit(EXIT.interrupted);
      return;
    }
    first = now;
    out.note("net.stopping");
    controller.abort();
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, handler);
  try {
    return await work(controller.signal);
  } finally {
    done = true;
    // Removed a moment later, so a late copy of the press meets the handler, not the default
    // action (which would end the process with 130 after a clean stop).
    Deno.unrefTimer(setTimeout(() => {
      for (const signal of signals) Deno.removeSignalListener(signal, handler);
    }, SAME_PRESS_MS));
  }
}
