/**
 * Where rendered events go: standard output and error, as text or JSON lines, with a live
 * progress area at the bottom of a terminal ({@linkcode liveRegion}).
 *
 * @module
 */

import type { SockitError } from "../lib/core/errors.ts";
import type { MessageKey } from "./messages.ts";
import { jsonLine, message, renderError } from "./render.ts";
import type { Line, RenderStyle } from "./render.ts";
import type { ViewUpdate } from "./render_transfer.ts";
import type { LiveRegion } from "./live_region.ts";

/** Prints rendered events and errors according to `--json` and `--quiet`. */
export class Output {
  /** Prints as text in `style`, or as JSON lines; `quiet` drops info lines. */
  constructor(readonly style: RenderStyle, readonly json: boolean, readonly quiet: boolean) {}

  /** Prints one event with its rendered line. */
  event(event: object, line: Line | null): void {
    if (this.json) return console.log(jsonLine(event));
    if (!line || (this.quiet && line.level === "info")) return;
    if (line.level === "error") console.error(line.text);
    else console.log(line.text);
  }

  /** Prints a note to standard error (not in JSON or quiet mode). */
  note(key: MessageKey): void {
    if (!this.json && !this.quiet) console.error(message(this.style, key));
  }

  /** Shows a view's update: log lines, and on a terminal the live progress lines. */
  view(event: object, update: ViewUpdate, live: LiveRegion | null): void {
    if (this.json) return console.log(jsonLine(event));
    const lines = update.log.filter((line) => !(this.quiet && line.level === "info"));
    if (live && !this.quiet) live.show(lines, update.live, update.final);
    else for (const line of lines) this.event(event, line);
  }

  /** Prints an error: one line, and a JSON event with `--json`. */
  error(error: SockitError): void {
    if (this.json) {
      console.log(jsonLine({ type: "error", code: error.code, details: error.details }));
    }
    console.error(renderError(this.style, error));
  }
}

/**
 * A live progress area on a terminal; none with --json, --quiet or when output is piped (then
 * the live region's module, and string-width with it, is never loaded).
 */
export async function liveRegion(
  globals: { json?: boolean; quiet?: boolean },
  style: RenderStyle,
): Promise<LiveRegion | null> {
  if (globals.json || globals.quiet || !Deno.stdout.isTerminal()) return null;
  const { LiveRegion } = await import("./live_region.ts");
  return new LiveRegion((count) => message(style, "progress.more", { count }));
}
