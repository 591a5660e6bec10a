/**
 * What `sockit send` and `sockit receive` show: log lines for each file, and on a terminal
 * live progress lines (a bar per file and overall for the sender, a line per active transfer
 * for the receiver). Pure: views turn events into text; the CLI prints it.
 *
 * @module
 */

import { formatBytes, formatDuration, formatRate } from "../lib/core/format.ts";
import { CATALOGS } from "./messages.ts";
import type { MessageKey } from "./messages.ts";
import { REJECT_CODES } from "../lib/transfer/protocol.ts";
import type { RefusalProblem } from "../lib/transfer/protocol.ts";
import type { ReceiverEvent } from "../lib/transfer/receiver.ts";
import { message, paint, reachLine, renderTrace } from "./render.ts";
import type { Line, RenderStyle } from "./render.ts";
import type { SendEvent } from "../lib/transfer/sender.ts";

/**
 * Draws a progress bar with percentage, amounts, rate and time left.
 *
 * @example
 * ```ts
 * import { progressBar } from "./render_transfer.ts";
 * progressBar({ bytes: 512, size: 1024, ms: 1000, width: 10 });
 * // "[█████░░░░░]  50%  512 B/1.00 KiB  0.00 MB/s  ETA 1.0 s"
 * ```
 */
export function progressBar(
  p: { bytes: number; size: number; ms: number; width?: number },
): string {
  const width = p.width ?? 20;
  const fraction = p.size > 0 ? Math.min(1, p.bytes / p.size) : 1;
  const filled = Math.round(fraction * width);
  const rate = p.ms > 0 ? p.bytes / p.ms : 0;
  const eta = rate > 0 && p.bytes < p.size
    ? `  ETA ${formatDuration((p.size - p.bytes) / rate)}`
    : "";
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${percent}  ${
    formatBytes(p.bytes)
  }/${formatBytes(p.size)}  ${formatRate(p.bytes, p.ms)}${eta}`;
}

/** What a view wants shown after an event: lines to log, and the live lines to redraw. */
export interface ViewUpdate {
  /** Lines to print once (above the live area). */
  log: Line[];
  /** The live area's new content, or `undefined` when it did not change. */
  live?: string[];
}

/**
 * Translates why a file or connection failed: a reject code the receiver sent (with the name
 * problem behind it, when there is one), or an error code of our own side; anything else is
 * shown as it came.
 */
function reason(
  style: RenderStyle,
  event: { code: string; reason: string; problem?: RefusalProblem },
): string {
  const { code, reason: text, problem } = event;
  if ((REJECT_CODES as readonly string[]).includes(code)) {
    const why = message(style, `reject.${code}` as MessageKey);
    if (problem) return `${why} (${message(style, `name.${problem}`)})`;
    return why + (text ? ` (${text})` : "");
  }
  if (`why.${code}` in CATALOGS.en) {
    return message(style, `why.${code}` as MessageKey, { reason: text });
  }
  return text;
}

/**
 * Follows a sender's events and says what to show.
 *
 * @example
 * ```ts
 * import { SendView } from "./render_transfer.ts";
 * const view = new SendView({ lang: "en", color: false });
 * view.update({ type: "plan", files: 1, folders: 0, bytes: 10 }).log[0].text;
 * // "Sending 1 files (10 B) and 0 empty folders"
 * ```
 */
export class SendView {
  #style: RenderStyle;
  #now: () => number;
  #started: number;
  #fileStarted = 0;

  /** Creates a view; `now` is the clock in milliseconds (injectable for tests). */
  constructor(style: RenderStyle, now: () => number = () => performance.now()) {
    this.#style = style;
    this.#now = now;
    this.#started = now();
  }

  /** Returns what to show for `event`. */
  update(event: SendEvent): ViewUpdate {
    const s = this.#style;
    const info = (text: string): ViewUpdate => ({ log: [{ text, level: "info" }] });
    switch (event.type) {
      case "plan":
        return info(message(s, "send.plan", { ...event, bytes: formatBytes(event.bytes) }));
      case "connected":
        return info(message(s, "send.connected", { peer: event.peer }));
      case "file-start":
        this.#fileStarted = this.#now();
        return event.offset > 0
          ? info(message(s, "send.resume", { path: event.path, offset: formatBytes(event.offset) }))
          : { log: [] };
      case "retry":
        return {
          log: [{
            text: paint(
              s,
              "yellow",
              message(s, "send.retry", {
                reason: event.reason,
                seconds: (event.delayMs / 1000).toFixed(1),
                attempt: event.attempt,
                retries: event.retries,
              }),
            ),
            level: "error",
          }],
          live: [],
        };
      case "file-progress": {
        const now = this.#now();
        return {
          log: [],
          live: [
            `${event.path}  ${
              progressBar({ bytes: event.bytes, size: event.size, ms: now - this.#fileStarted })
            }`,
            `Σ  ${
              progressBar({
                bytes: event.totalBytes,
                size: event.totalSize,
                ms: now - this.#started,
              })
            }`,
          ],
        };
      }
      case "file-done": {
        const params = {
          path: event.path,
          stored: event.stored ?? "",
          size: formatBytes(event.size),
          rate: formatRate(event.size, event.ms),
        };
        const key = event.stored === null ? "send.file-done-classic" : "send.file-done";
        return {
          log: [{ text: paint(s, "green", message(s, key, params)), level: "result" }],
          live: [],
        };
      }
      case "file-rejected":
        return {
          log: [{
            text: paint(
              s,
              "red",
              message(s, "send.file-rejected", {
                path: event.path,
                reason: reason(s, event),
              }),
            ),
            level: "error",
          }],
        };
      case "folder":
        return info(message(s, "send.folder", { path: event.path }));
      case "classic-unverified":
        return {
          log: [{
            text: paint(s, "yellow", message(s, "send.classic-unverified")),
            level: "result",
          }],
        };
      case "done": {
        const log: Line[] = [{
          text: message(s, "send.summary", {
            files: event.files,
            bytes: formatBytes(event.bytes),
            duration: formatDuration(event.ms),
            rate: formatRate(event.bytes, event.ms),
          }),
          level: "result",
        }];
        if (event.rejected > 0) {
          log.push({
            text: paint(
              s,
              "red",
              message(s, "send.summary-rejected", { rejected: event.rejected }),
            ),
            level: "error",
          });
        }
        return { log, live: [] };
      }
      case "trace":
        return { log: [{ text: renderTrace(s, event), level: "info" }] };
    }
  }
}

/**
 * Follows a receiver's events and says what to show: a log line for every file and a live
 * line for each transfer in progress.
 *
 * @example
 * ```ts
 * import { ReceiveView } from "./render_transfer.ts";
 * const view = new ReceiveView({ lang: "en", color: false });
 * view.update({ type: "session", peer: "127.0.0.1:5000", protocol: "sockit" }).log.length; // 0
 * ```
 */
export class ReceiveView {
  #style: RenderStyle;
  #now: () => number;
  #active = new Map<number, { line: string; started: number }>();

  /** Creates a view; `now` is the clock in milliseconds (injectable for tests). */
  constructor(style: RenderStyle, now: () => number = () => performance.now()) {
    this.#style = style;
    this.#now = now;
  }

  /** The live lines, one per active transfer. */
  #live(): string[] {
    return [...this.#active.values()].map((a) => a.line);
  }

  /** Returns what to show for `event`. */
  update(event: ReceiverEvent): ViewUpdate {
    const s = this.#style;
    const info = (text: string): ViewUpdate => ({ log: [{ text, level: "info" }] });
    switch (event.type) {
      case "listening": {
        const target = event.reachable[0]?.replace(/:\d+$/, "") ?? "THIS_COMPUTER_IP";
        const command = event.port === 6000
          ? `sockit send FILE --to ${target}`
          : `sockit send FILE --to ${target}:${event.port}`;
        return info(
          [
            message(s, "recv.listening", { dir: event.dir, address: event.address }),
            reachLine(s, event.reachable),
            message(s, "recv.hint", { command }),
          ].join("\n"),
        );
      }
      case "session":
      case "session-end":
        return { log: [] };
      case "file-start":
        this.#active.set(event.id, { line: `${event.peer}  ${event.path}`, started: this.#now() });
        return {
          ...info(message(s, event.offset > 0 ? "recv.file-resume" : "recv.file-start", {
            ...event,
            size: formatBytes(event.size),
            offset: formatBytes(event.offset),
          })),
          live: this.#live(),
        };
      case "file-progress": {
        const active = this.#active.get(event.id);
        if (!active) return { log: [] };
        active.line = `${event.peer}  ${event.path}  ${
          progressBar({
            bytes: event.bytes,
            size: event.size,
            ms: this.#now() - active.started,
            width: 16,
          })
        }`;
        return { log: [], live: this.#live() };
      }
      case "file-done": {
        this.#active.delete(event.id);
        const key = event.classic ? "recv.file-done-classic" : "recv.file-done";
        const text = message(s, key, {
          stored: event.stored,
          peer: event.peer,
          size: formatBytes(event.size),
          duration: formatDuration(event.ms),
          rate: formatRate(event.size, event.ms),
          sha256: event.sha256,
        });
        return { log: [{ text: paint(s, "green", text), level: "result" }], live: this.#live() };
      }
      case "file-rejected":
        return {
          log: [{
            text: paint(
              s,
              "yellow",
              message(s, "recv.file-rejected", {
                ...event,
                reason: reason(s, event),
              }),
            ),
            level: "error",
          }],
        };
      case "file-failed":
        this.#active.delete(event.id);
        return {
          log: [{
            text: paint(
              s,
              "red",
              message(s, "recv.file-failed", {
                ...event,
                reason: reason(s, event),
              }),
            ),
            level: "error",
          }],
          live: this.#live(),
        };
      case "folder":
        return info(message(s, "recv.folder", event));
      case "session-error":
        return {
          log: [{
            text: message(s, "recv.session-error", {
              peer: event.peer,
              reason: reason(s, event),
            }),
            level: "error",
          }],
        };
      case "stopped":
        return {
          log: [{
            text: message(s, "recv.summary", { ...event, bytes: formatBytes(event.bytes) }),
            level: "result",
          }],
          live: [],
        };
      case "trace":
        return { log: [{ text: renderTrace(s, event), level: "info" }] };
    }
  }
}
