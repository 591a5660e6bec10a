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
import { refusalProblem, REJECT_CODES } from "../lib/transfer/protocol.ts";
import type { RefusalProblem } from "../lib/transfer/protocol.ts";
import type { ReceiverEvent } from "../lib/transfer/receiver.ts";
import { message, paint, reachLine, renderError } from "./render.ts";
import { SockitError } from "../lib/core/errors.ts";
import { TraceView } from "./render_trace.ts";
import type { Line, RenderStyle } from "./render.ts";
import type { SendEvent } from "../lib/transfer/sender.ts";
import { printable } from "../lib/net/trace.ts";
import { join } from "node:path";
import { LOG_FILE_NAME } from "../lib/collect/identity.ts";
import { logRowOf } from "../lib/collect/record.ts";
import { ClassTally } from "../lib/collect/tally.ts";
import type { Roster } from "../lib/collect/roster.ts";
import { liveHeader, summaryLines } from "./render_collect.ts";

/** Below this many bytes moved, or this many milliseconds, a rate says nothing useful. */
const RATE_MIN_BYTES = 1024 * 1024;
const RATE_MIN_MS = 1000;

/**
 * The rate of `moved` bytes in `ms`, or `undefined` when too little moved, or for too short a
 * time, for a rate to mean anything (a 2 KiB file, the first instant of a transfer).
 *
 * @example
 * ```ts
 * import { meaningfulRate } from "./render_transfer.ts";
 * meaningfulRate(50_000_000, 500); // undefined
 * meaningfulRate(50_000_000, 5_000); // "10.0 MB/s"
 * ```
 */
export function meaningfulRate(moved: number, ms: number): string | undefined {
  return moved >= RATE_MIN_BYTES && ms >= RATE_MIN_MS ? formatRate(moved, ms) : undefined;
}

/** Progress of one transfer, or of all of them. */
export interface Progress {
  /** Bytes present so far, a resumed start included. */
  bytes: number;
  /** Bytes in all. */
  size: number;
  /** Bytes moved by this run (without what a resume found already there), for the rate. */
  moved: number;
  /** Milliseconds this run has taken. */
  ms: number;
  /** Bar width in characters. Default 20. */
  width?: number;
}

/**
 * Draws a progress bar with percentage and amounts, and the rate and time left once they mean
 * something (see {@linkcode meaningfulRate}).
 *
 * @example
 * ```ts
 * import { progressBar } from "./render_transfer.ts";
 * const style = { lang: "en" as const, color: false };
 * progressBar(style, { bytes: 512, size: 1024, moved: 512, ms: 1000, width: 10 });
 * // "[█████░░░░░]  50%  512 B/1.00 KiB"
 * progressBar(style, { bytes: 2 ** 21, size: 2 ** 22, moved: 2 ** 21, ms: 1000, width: 10 });
 * // "[█████░░░░░]  50%  2.00 MiB/4.00 MiB  2.10 MB/s  1.0 s left"
 * ```
 */
export function progressBar(style: RenderStyle, p: Progress): string {
  const width = p.width ?? 20;
  const fraction = p.size > 0 ? Math.min(1, p.bytes / p.size) : 1;
  const filled = Math.round(fraction * width);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  let text = `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${percent}  ${
    formatBytes(p.bytes)
  }/${formatBytes(p.size)}`;
  const rate = meaningfulRate(p.moved, p.ms);
  if (rate) {
    text += `  ${rate}`;
    if (p.bytes < p.size) {
      const left = (p.size - p.bytes) / (p.moved / p.ms);
      text += `  ${message(style, "progress.left", { time: formatDuration(left) })}`;
    }
  }
  return text;
}

/**
 * "2.1 KiB", or "300 MiB in 2.7 s (112 MB/s)" when a rate means something: how much a finished
 * transfer moved.
 */
function amount(style: RenderStyle, size: number, moved: number, ms: number): string {
  const rate = meaningfulRate(moved, ms);
  return rate
    ? message(style, "progress.amount", {
      size: formatBytes(size),
      duration: formatDuration(ms),
      rate,
    })
    : formatBytes(size);
}

/** Up to five paths, then how many more. */
function listed(style: RenderStyle, paths: readonly string[]): string {
  const shown = paths.slice(0, 5).join(", ");
  return paths.length > 5
    ? `${shown} ${message(style, "send.and-more", { count: paths.length - 5 })}`
    : shown;
}

/** One line of the live area: a label (a name, shortened to fit) and its progress. */
export interface LiveLine {
  /** What the line is about; shortened with "…" when the line is too wide. */
  label: string;
  /** The progress bar and figures, kept whole where they fit. */
  detail: string;
}

/** What a view wants shown after an event: lines to log, and the live lines to redraw. */
export interface ViewUpdate {
  /** Lines to print once (above the live area). */
  log: Line[];
  /** The live area's new content, or `undefined` when it did not change. */
  live?: LiveLine[];
  /** Leave these lines on the terminal as they are (the final bar), then print `log` below. */
  final?: LiveLine[];
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
 * const view = new SendView({ lang: "en", color: false }, { classic: false });
 * view.update({ type: "plan", files: 1, folders: 0, bytes: 10 }).log[0].text;
 * // "Sending 1 file (10 B)"
 * ```
 */
export class SendView {
  #style: RenderStyle;
  #trace: TraceView;
  #now: () => number;
  #classic: boolean;
  /** When the first file started: the total's rate leaves out connecting and typing the code. */
  #started?: number;
  #fileStarted = 0;
  #fileOffset = 0;
  /** Bytes that resumes found already at the receiver: present, but not moved by this run. */
  #resumed = 0;
  #files = 0;
  #lastPath = "";
  #last?: Extract<SendEvent, { type: "file-progress" }>;
  #live: boolean;

  /**
   * Creates a view. `classic` says the lesson's protocol is used (default false); `now` is the
   * clock in milliseconds (injectable for tests); `live: false` says no live area shows the
   * progress bars (`--quiet`, `--json`, output not a terminal), so none are drawn up for each
   * progress event (default true).
   */
  constructor(
    style: RenderStyle,
    options: { classic?: boolean; now?: () => number; live?: boolean } = {},
  ) {
    this.#style = style;
    this.#trace = new TraceView(style, "client");
    this.#now = options.now ?? (() => performance.now());
    this.#classic = options.classic ?? false;
    this.#live = options.live ?? true;
  }

  /** The live lines for the latest progress: the file, and all files when there are several. */
  #bars(event: Extract<SendEvent, { type: "file-progress" }>): LiveLine[] {
    const s = this.#style;
    const now = this.#now();
    const file: LiveLine = {
      label: event.path,
      detail: progressBar(s, {
        bytes: event.bytes,
        size: event.size,
        moved: event.bytes - this.#fileOffset,
        ms: now - this.#fileStarted,
      }),
    };
    if (this.#files <= 1) return [file];
    return [file, {
      label: message(s, "progress.total"),
      detail: progressBar(s, {
        bytes: event.totalBytes,
        size: event.totalSize,
        moved: event.totalBytes - this.#resumed,
        ms: now - (this.#started ?? now),
      }),
    }];
  }

  /** Returns what to show for `event`. */
  update(event: SendEvent): ViewUpdate {
    const s = this.#style;
    const info = (text: string): ViewUpdate => ({ log: [{ text, level: "info" }] });
    switch (event.type) {
      case "plan": {
        this.#files = event.files;
        const plan = info(
          message(s, event.folders > 0 ? "send.plan-folders" : "send.plan", {
            ...event,
            bytes: formatBytes(event.bytes),
          }),
        );
        // The lesson's receiver writes every file to the same name: say so before sending.
        if (this.#classic && event.files > 1) {
          plan.log.push({
            text: paint(s, "yellow", message(s, "send.classic-several", { files: event.files })),
            level: "error",
          });
        }
        return plan;
      }
      case "skipped":
        return info(message(s, "send.skipped", { paths: listed(s, event.paths) }));
      case "hidden":
        return info(message(s, "send.hidden", { paths: listed(s, event.paths) }));
      case "connected": {
        const update = info(
          event.name === undefined
            ? message(s, "send.connected", { peer: event.peer })
            : message(s, "send.connected-as", { peer: event.peer, name: event.name }),
        );
        return update;
      }
      case "file-start":
        this.#fileStarted = this.#now();
        this.#started ??= this.#fileStarted;
        this.#fileOffset = event.offset;
        this.#resumed += event.offset;
        return event.offset > 0
          ? info(message(s, "send.resume", { path: event.path, offset: formatBytes(event.offset) }))
          : { log: [] };
      case "retry":
        return {
          log: [{
            text: paint(
              s,
              "yellow",
              event.busy
                ? message(s, "send.busy", { seconds: (event.delayMs / 1000).toFixed(1) })
                // A timeout is no lost connection: the receiver went quiet.
                : message(s, event.code === "timeout" ? "send.retry-timeout" : "send.retry", {
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
      case "file-progress":
        this.#last = event;
        return this.#live ? { log: [], live: this.#bars(event) } : { log: [] };
      case "file-done": {
        this.#lastPath = event.path;
        const ms = event.ms;
        const params = {
          path: event.path,
          stored: event.stored ?? "",
          amount: amount(s, event.size, event.size - this.#fileOffset, ms),
        };
        // With the receiver's time (every receiver that sorts by sender sends it), a receipt.
        const text = event.stored === null
          ? message(s, "send.file-done-classic", params)
          : event.time === undefined
          ? message(s, "send.file-done", params)
          : message(s, "send.receipt", {
            path: event.path,
            stored: event.stored,
            size: formatBytes(event.size),
            sha256: event.sha256 ?? "",
            time: event.time,
          });
        return { log: [{ text: paint(s, "green", text), level: "result" }], live: [] };
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
      case "file-failed":
        // Its bar goes: it will not end, and the last bar shown at the end is another file's.
        if (this.#last?.path === event.path) this.#last = undefined;
        return {
          log: [{
            text: renderError(s, new SockitError(event.code, event.details)),
            level: "error",
          }],
          live: [],
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
      case "interrupted": {
        const params = {
          path: event.path ?? "",
          sent: formatBytes(event.sent),
          size: formatBytes(event.size),
        };
        const key = event.path === null
          ? "send.interrupted-between"
          : event.resumable
          ? "send.interrupted"
          : "send.interrupted-classic";
        return {
          log: [{ text: paint(s, "yellow", message(s, key, params)), level: "result" }],
          live: [],
        };
      }
      case "done": {
        const log: Line[] = [{
          text: message(s, event.interrupted ? "send.summary-interrupted" : "send.summary", {
            files: event.files,
            total: this.#files,
            amount: amount(s, event.bytes, event.bytes - this.#resumed, event.ms),
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
        if (event.failed > 0) {
          log.push({
            text: paint(s, "red", message(s, "send.summary-failed", { failed: event.failed })),
            level: "error",
          });
        }
        if (this.#classic && event.files > 1) {
          log.push({
            text: paint(s, "yellow", message(s, "send.classic-kept", { path: this.#lastPath })),
            level: "result",
          });
        }
        // The last bar stays on the terminal, at 100% when everything arrived.
        const last = this.#last;
        const final = last ? this.#bars(last).slice(-1) : [];
        return { log, live: [], final };
      }
      case "trace":
        return { log: [{ text: this.#trace.render(event), level: "info" }] };
    }
  }
}

/** A sender as file lines name it: its name and address. */
function who(event: { sender: string; peer: string }): string {
  return `${event.sender} (${event.peer})`;
}

/** Options for {@linkcode ReceiveView}. */
export interface ReceiveViewOptions {
  /** The clock in milliseconds (injectable for tests). Default `performance.now`. */
  now?: () => number;
  /** The class list, for the header's counts and the summary. Default: none. */
  roster?: Roster;
  /** Where the class list was read from, to say so on start. Default: not said. */
  rosterPath?: string;
  /** True when the receiver keeps its log (`sockit-log.csv`), to say so on start. */
  logged?: boolean;
  /**
   * The pairing code, shown once on the start-up line. Default: none, and the start-up line
   * says that anyone on the network can send (an open receiver).
   */
  code?: string;
  /**
   * False when no live area shows the senders (`--quiet`, `--json`, output not a terminal):
   * the live lines are then not drawn up for every file. Default true.
   */
  live?: boolean;
}

/** A sender connected now: its name, and the file it is sending, if any. */
interface ActiveSender {
  name: string;
  path?: string;
  bytes: number;
  size: number;
  offset: number;
  started: number;
}

/**
 * Follows a receiver's events and says what to show: a log line for every file and sender, and
 * live lines: a header (with a class list, who has sent and who is missing) and one line per
 * sender sending now (name, file, progress). On `stopped`, the summary table.
 *
 * @example
 * ```ts
 * import { ReceiveView } from "./render_transfer.ts";
 * const view = new ReceiveView({ lang: "en", color: false }, "sockit");
 * view.update({ type: "session", peer: "127.0.0.1:5000", protocol: "sockit" }).log.length; // 0
 * ```
 */
export class ReceiveView {
  #style: RenderStyle;
  #prefix: string;
  #trace: TraceView;
  #now: () => number;
  #options: ReceiveViewOptions;
  /** Who has sent what, fed with the rows the log gets. */
  readonly tally: ClassTally;
  /** Senders connected now, by address. */
  #active = new Map<string, ActiveSender>();
  #dir = "";

  /** Creates a view; `prefix` is how classmates run sockit (e.g. `sockit`, `deno task sockit`). */
  constructor(style: RenderStyle, prefix: string, options: ReceiveViewOptions = {}) {
    this.#style = style;
    this.#prefix = prefix;
    this.#trace = new TraceView(style, "server");
    this.#now = options.now ?? (() => performance.now());
    this.#options = options;
    this.tally = new ClassTally(options.roster);
  }

  /**
   * The live lines: the header, then one line per sender connected now. With a class list the
   * header stays (it says who is missing); without one the area is empty when nobody sends.
   */
  #live(): LiveLine[] {
    if (this.#options.live === false) return [];
    const s = this.#style;
    if (!this.tally.roster && this.#active.size === 0) return [];
    const senders = [...this.#active.values()].map((a): LiveLine => {
      if (a.path === undefined) return { label: printable(a.name), detail: "" };
      return {
        label: `${printable(a.name)}  ${printable(a.path)}`,
        detail: progressBar(s, {
          bytes: a.bytes,
          size: a.size,
          moved: a.bytes - a.offset,
          ms: this.#now() - a.started,
          width: 10,
        }),
      };
    });
    return [{ label: liveHeader(s, this.tally, this.#active.size), detail: "" }, ...senders];
  }

  /** Shows `name` connected from `peer`, sending nothing yet. */
  #idle(peer: string, name: string): void {
    this.#active.set(peer, { name, bytes: 0, size: 0, offset: 0, started: this.#now() });
  }

  /** Returns what to show for `event`. */
  update(event: ReceiverEvent): ViewUpdate {
    const row = logRowOf(event);
    if (row) this.tally.add(row);
    const s = this.#style;
    const info = (text: string): ViewUpdate => ({ log: [{ text, level: "info" }] });
    const warn = (text: string): ViewUpdate => ({
      log: [{ text: paint(s, "yellow", text), level: "error" }],
      live: this.#live(),
    });
    switch (event.type) {
      case "listening": {
        this.#dir = event.dir;
        const target = event.reachable[0]?.replace(/:\d+$/, "") ?? message(s, "recv.hint-ip");
        const to = event.port === 6000 ? target : `${target}:${event.port}`;
        const command = `${this.#prefix} send ${message(s, "recv.hint-file")} --to ${to}`;
        const { roster, rosterPath, logged, code } = this.#options;
        const start = info(
          [
            message(s, "recv.listening", { dir: event.dir, address: event.address }),
            reachLine(s, event.reachable),
            code ? message(s, "recv.code", { code }) : message(s, "recv.open"),
            message(s, code ? "recv.hint-code" : "recv.hint", { command }),
            ...(roster && rosterPath !== undefined
              ? [message(s, "recv.roster", { count: roster.entries.length, path: rosterPath })]
              : []),
            ...(logged ? [message(s, "recv.log", { path: join(event.dir, LOG_FILE_NAME) })] : []),
          ].join("\n"),
        );
        return { ...start, live: this.#live() };
      }
      case "pairing-delayed":
        return info(
          message(s, "recv.pairing-delayed", { peer: event.peer, seconds: event.ms / 1000 }),
        );
      case "guessing":
        return {
          log: [{ text: paint(s, "red", message(s, "recv.guessing", event)), level: "error" }],
        };
      case "classic-refused":
        return {
          log: [{ text: message(s, "recv.classic-refused", event), level: "error" }],
        };
      case "session":
        return { log: [] };
      case "sender": {
        this.#idle(event.peer, event.name);
        const params = { name: event.name, peer: event.peer };
        if (event.onRoster === false) return warn(message(s, "recv.sender-off-roster", params));
        return {
          ...info(message(s, event.named ? "recv.sender" : "recv.sender-unnamed", params)),
          live: this.#live(),
        };
      }
      case "sender-refused": {
        const why = event.code === "not-on-roster"
          ? event.closest.length > 0
            ? message(s, "recv.sender-closest", { closest: event.closest.join(", ") })
            : message(s, "reject.not-on-roster")
          : reason(s, { ...event, problem: refusalProblem(event.code, event.reason) });
        return warn(message(s, "recv.sender-refused", {
          name: event.name === "" ? message(s, "recv.no-name") : event.name,
          peer: event.peer,
          reason: why,
        }));
      }
      case "session-end": {
        this.#active.delete(event.peer);
        const runs = this.#trace.end(event.peer);
        return { log: runs ? [{ text: runs, level: "info" }] : [], live: this.#live() };
      }
      case "file-start":
        this.#active.set(event.peer, {
          name: event.sender,
          path: event.path,
          bytes: event.offset,
          size: event.size,
          offset: event.offset,
          started: this.#now(),
        });
        return {
          ...info(message(s, event.offset > 0 ? "recv.file-resume" : "recv.file-start", {
            path: event.path,
            peer: who(event),
            size: formatBytes(event.size),
            offset: formatBytes(event.offset),
          })),
          live: this.#live(),
        };
      case "file-progress": {
        const active = this.#active.get(event.peer);
        if (!active) return { log: [] };
        active.bytes = event.bytes;
        return { log: [], live: this.#live() };
      }
      case "file-done": {
        const offset = this.#active.get(event.peer)?.offset ?? 0;
        // A classic connection ends with its one file; a sockit sender may send more.
        if (event.classic) this.#active.delete(event.peer);
        else this.#idle(event.peer, event.sender);
        const key = event.classic ? "recv.file-done-classic" : "recv.file-done";
        const text = message(s, key, {
          stored: event.stored,
          peer: who(event),
          amount: amount(s, event.size, event.size - offset, event.ms),
          sha256: event.sha256,
        });
        return { log: [{ text: paint(s, "green", text), level: "result" }], live: this.#live() };
      }
      case "file-rejected":
        if (event.classic) this.#active.delete(event.peer);
        return {
          log: [{
            text: paint(
              s,
              "yellow",
              message(s, "recv.file-rejected", {
                path: event.path,
                peer: who(event),
                reason: reason(s, event),
              }),
            ),
            level: "error",
          }],
          live: this.#live(),
        };
      case "file-failed":
        if (event.classic) this.#active.delete(event.peer);
        else this.#idle(event.peer, event.sender);
        return {
          log: [{
            text: paint(
              s,
              "red",
              message(s, "recv.file-failed", {
                path: event.path,
                peer: who(event),
                reason: reason(s, event),
              }),
            ),
            level: "error",
          }],
          live: this.#live(),
        };
      case "folder":
        return info(message(s, "recv.folder", event));
      case "suppressed":
        return {
          log: [{
            text: message(s, "recv.suppressed", { from: event.from, count: event.count }),
            level: "error",
          }],
        };
      case "partial-dropped":
        return info(
          message(s, "recv.partial-dropped", { ...event, bytes: formatBytes(event.bytes) }),
        );
      case "session-error":
        this.#active.delete(event.peer);
        return {
          log: [{
            text: message(s, "recv.session-error", {
              peer: event.peer,
              reason: reason(s, event),
            }),
            level: "error",
          }],
          live: this.#live(),
        };
      case "stopped":
        this.#active.clear();
        return {
          log: [
            {
              text: message(s, "recv.summary", { ...event, bytes: formatBytes(event.bytes) }),
              level: "result",
            },
            ...summaryLines(s, this.tally, this.#dir),
          ],
          live: [],
        };
      case "trace":
        return { log: [{ text: this.#trace.render(event), level: "info" }] };
    }
  }
}
