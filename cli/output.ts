/**
 * Where rendered events go: standard output and error, as text or JSON lines, with a live
 * progress area at the bottom of a terminal.
 *
 * @module
 */

import type { SockitError } from "../lib/core/errors.ts";
import type { MessageKey } from "./messages.ts";
import { jsonLine, message, renderError } from "./render.ts";
import type { Line, RenderStyle } from "./render.ts";
import type { ViewUpdate } from "./render_transfer.ts";

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
    if (live && !this.quiet) live.show(lines, update.live);
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
 * The lines at the bottom of a terminal that progress redraws in place; log lines scroll
 * above them. Redraws at most every 100 ms unless lines are logged.
 */
export class LiveRegion {
  #lines: string[] = [];
  #drawn = 0;
  #last = 0;
  #encoder = new TextEncoder();

  /** Prints `log` above the live lines and redraws them (`live` replaces them when given). */
  show(log: Line[], live?: string[]): void {
    if (live) this.#lines = live;
    const now = performance.now();
    if (log.length === 0 && now - this.#last < 100 && live && live.length > 0) return;
    this.#last = now;
    const columns = Deno.consoleSize().columns;
    let out = this.#drawn > 0 ? `\x1b[${this.#drawn}F\x1b[J` : "";
    for (const line of log) out += line.text + "\n";
    for (const line of this.#lines) out += line.slice(0, Math.max(10, columns - 1)) + "\n";
    this.#drawn = this.#lines.length;
    Deno.stdout.writeSync(this.#encoder.encode(out));
  }
}

/** A live progress area on a terminal; none with --json, --quiet or when output is piped. */
export function liveRegion(globals: { json?: boolean; quiet?: boolean }): LiveRegion | null {
  return !globals.json && !globals.quiet && Deno.stdout.isTerminal() ? new LiveRegion() : null;
}
