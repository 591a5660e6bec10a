/**
 * The live progress area at the bottom of a terminal, and the column arithmetic it needs.
 * Loaded only when a terminal shows progress: measuring display width (string-width) is costly
 * to load, and `--quiet`, `--json` and piped output never need it.
 *
 * @module
 */

import stringWidth from "string-width";
import type { Line } from "./render.ts";
import type { LiveLine } from "./render_transfer.ts";

/**
 * Shortens `text` to at most `width` terminal columns, ending it with "…" when cut. Widths are
 * measured as the terminal draws them (a Korean syllable takes two columns), never by
 * `String.length`, and whole graphemes are kept.
 *
 * @example
 * ```ts
 * import { fitWidth } from "./live_region.ts";
 * fitWidth("과제-최종.py", 8); // "과제-최…"
 * fitWidth("abc", 8); // "abc"
 * ```
 */
export function fitWidth(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  if (width <= 0) return "";
  let out = "";
  let used = 0;
  for (const { segment } of new Intl.Segmenter().segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return out + "…";
}

/**
 * Lays out one live line in `columns`: the detail (bar and figures) whole where it fits, the
 * label shortened to the room left.
 *
 * @example
 * ```ts
 * import { layoutLine } from "./live_region.ts";
 * layoutLine({ label: "파일이름이아주긴과제.zip", detail: "[██░░]  50%" }, 24); // "파일이름이…  [██░░]  50%"
 * ```
 */
export function layoutLine(line: LiveLine, columns: number): string {
  if (!line.detail) return fitWidth(line.label, columns);
  const room = columns - stringWidth(line.detail) - 2;
  const label = fitWidth(line.label, Math.max(room, Math.min(12, columns)));
  return fitWidth(`${label}  ${line.detail}`, columns);
}

/**
 * The lines at the bottom of a terminal that progress redraws in place; log lines scroll
 * above them. Every line is fitted to the terminal's width (a wrapped line could not be
 * redrawn in place), and the block to its height, with a last line saying how many more
 * there are. Redraws at most every 100 ms unless lines are logged.
 */
export class LiveRegion {
  #lines: LiveLine[] = [];
  #drawn = 0;
  #last = 0;
  #encoder = new TextEncoder();
  #more: (count: number) => string;
  /** A redraw waiting for the 100 ms since the last one to pass. */
  #pending?: ReturnType<typeof setTimeout>;
  #size: () => { columns: number; rows: number };

  /**
   * `more` says how many lines did not fit (e.g. "+3 more transfers"); `size` is the
   * terminal's size (injectable for tests).
   */
  constructor(
    more: (count: number) => string,
    size: () => { columns: number; rows: number } = () => Deno.consoleSize(),
  ) {
    this.#more = more;
    this.#size = size;
  }

  /** The live lines as drawn in a terminal of `columns` × `rows`. */
  render(lines: LiveLine[], columns: number, rows: number): string[] {
    const width = Math.max(10, columns - 1);
    // Keep room for the line being typed and at least one log line above.
    const room = Math.max(1, rows - 2);
    const shown = lines.length > room ? lines.slice(0, room - 1) : lines;
    const out = shown.map((line) => layoutLine(line, width));
    if (shown.length < lines.length) {
      out.push(fitWidth(this.#more(lines.length - shown.length), width));
    }
    return out;
  }

  /**
   * Prints `log` above the live lines and redraws them (`live` replaces them when given). With
   * `final`, draws those lines one last time and leaves them, printing `log` below.
   */
  show(log: Line[], live?: LiveLine[], final?: LiveLine[]): void {
    if (live) this.#lines = live;
    const now = performance.now();
    if (!final && log.length === 0 && now - this.#last < 100 && live && live.length > 0) {
      // Too soon to redraw; the latest lines are drawn a little later unless something else
      // draws them first (so the last update of a burst is never left undrawn).
      if (this.#pending === undefined) {
        const timer = setTimeout(() => {
          this.#pending = undefined;
          this.show([]);
        }, 100 - (now - this.#last));
        Deno.unrefTimer(timer);
        this.#pending = timer;
      }
      return;
    }
    if (this.#pending !== undefined) clearTimeout(this.#pending);
    this.#pending = undefined;
    this.#last = now;
    const { columns, rows } = this.#size();
    let out = this.#drawn > 0 ? `\x1b[${this.#drawn}F\x1b[J` : "";
    if (final) {
      for (const line of this.render(final, columns, rows)) out += line + "\n";
      for (const line of log) out += line.text + "\n";
      this.#lines = [];
      this.#drawn = 0;
    } else {
      for (const line of log) out += line.text + "\n";
      const drawn = this.render(this.#lines, columns, rows);
      for (const line of drawn) out += line + "\n";
      this.#drawn = drawn.length;
    }
    Deno.stdout.writeSync(this.#encoder.encode(out));
  }
}
