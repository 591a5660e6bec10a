/**
 * What the receiver shows about a class: the header above the live lines (who has sent, who is
 * missing, who is sending now) and the summary table (on Ctrl+C and `sockit receive
 * --summary`). Pure: text from totals.
 *
 * @module
 */

import { formatBytes } from "../lib/core/format.ts";
import type { ClassTally } from "../lib/collect/tally.ts";
import { printable } from "../lib/net/trace.ts";
import { message } from "./render.ts";
import type { Line, RenderStyle } from "./render.ts";

/**
 * The live header: with a class list, how many on it have sent and how many are missing;
 * without one, how many have sent; and how many are sending now.
 *
 * @example
 * ```ts
 * import { ClassTally } from "../lib/collect/tally.ts";
 * import { liveHeader } from "./render_collect.ts";
 * liveHeader({ lang: "en", color: false }, new ClassTally(), 2);
 * // "0 senders so far · 2 sending now"
 * ```
 */
export function liveHeader(style: RenderStyle, tally: ClassTally, active: number): string {
  if (!tally.roster) {
    return message(style, "recv.live", { senders: tally.rows().length, active });
  }
  return message(style, "recv.live-roster", {
    sent: tally.sent().length,
    total: tally.roster.entries.length,
    missing: tally.missing().length,
    active,
  });
}

/**
 * The summary: a table of files, bytes and the last time per sender (the name last, so that
 * wide Korean names never break the columns), then with a class list who has not sent yet.
 *
 * @example
 * ```ts
 * import { ClassTally } from "../lib/collect/tally.ts";
 * import { summaryLines } from "./render_collect.ts";
 * summaryLines({ lang: "en", color: false }, new ClassTally(), "received")[0].text;
 * // "Nothing has been received in received yet."
 * ```
 */
export function summaryLines(style: RenderStyle, tally: ClassTally, dir: string): Line[] {
  const rows = tally.rows();
  const result = (text: string): Line => ({ text, level: "result" });
  const lines: Line[] = [];
  if (rows.every((row) => row.files === 0)) {
    lines.push(result(message(style, "summary.empty", { dir })));
  } else {
    const table = [
      ["summary.files", "summary.bytes", "summary.last", "summary.name"].map((key) =>
        message(style, key as "summary.files")
      ),
      ...rows.map((row) => [
        String(row.files),
        row.files > 0 ? formatBytes(row.bytes) : "-",
        row.last || "-",
        printable(row.name),
      ]),
    ];
    // Every column but the last is ASCII digits, units and times (headings may be Korean,
    // which is why headings are measured in display columns, counted as 2 for Hangul).
    const widths = [0, 1, 2].map((i) => Math.max(...table.map((cells) => columns(cells[i]))));
    lines.push(result(message(style, "summary.title", { dir })));
    for (const cells of table) {
      const padded = cells.slice(0, 3).map((
        cell,
        i,
      ) => (i < 2
        ? " ".repeat(widths[i] - columns(cell)) + cell
        : cell + " ".repeat(widths[i] - columns(cell)))
      );
      lines.push(result([...padded, cells[3]].join("  ")));
    }
  }
  if (tally.roster) {
    const missing = tally.missing();
    lines.push(result(
      missing.length === 0
        ? message(style, "summary.all-sent")
        : message(style, "summary.missing", {
          count: missing.length,
          names: missing.map((entry) => entry.name).join(", "),
        }),
    ));
  }
  return lines;
}

/** Terminal columns of a heading or cell: Hangul syllables and jamo take two. */
function columns(text: string): number {
  let width = 0;
  for (const char of text) width += /[\u1100-\u115F\uAC00-\uD7A3\u3130-\u318F]/.test(char) ? 2 : 1;
  return width;
}
