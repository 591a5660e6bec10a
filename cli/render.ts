/**
 * Turning library events into what the CLI prints: translated lines for people, JSON lines
 * for scripts. Pure functions; printing is the CLI's job.
 *
 * @module
 */

import type { EchoClientEvent } from "../lib/echo/client.ts";
import type { EchoServerEvent } from "../lib/echo/server.ts";
import { SockitError } from "../lib/core/errors.ts";
import { formatBytes } from "../lib/core/format.ts";
import { CATALOGS, translate } from "./messages.ts";
import type { Lang, MessageKey, MessageParams } from "./messages.ts";
import { printable, renderBytes, TRACE_PREVIEW_BYTES } from "../lib/net/trace.ts";
import type { TraceView } from "./render_trace.ts";

/** How lines are rendered. */
export interface RenderStyle {
  /** Message language. */
  lang: Lang;
  /** Use ANSI colours (only on a TTY and never with `NO_COLOR`). */
  color: boolean;
}

/** A rendered line and where it goes. */
export interface Line {
  /** The text, without a trailing newline. */
  text: string;
  /** `info` lines are dropped by `--quiet`; `result` and `error` lines are always shown. */
  level: "info" | "result" | "error";
}

const ANSI = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;

/** Wraps `text` in an ANSI colour when `style.color` is on. */
export function paint(style: RenderStyle, color: keyof typeof ANSI, text: string): string {
  return style.color ? `\x1b[${ANSI[color]}m${text}\x1b[0m` : text;
}

/**
 * Translates `key` for `style.lang`, escaping every parameter with {@linkcode printable} so
 * that text from the network can never put control sequences on the terminal.
 *
 * @example
 * ```ts
 * import { message } from "./render.ts";
 * message({ lang: "en", color: false }, "echo.connected", { peer: "127.0.0.1:5000" });
 * // "Connected by 127.0.0.1:5000"
 * ```
 */
export function message(style: RenderStyle, key: MessageKey, params: MessageParams = {}): string {
  const safe: MessageParams = {};
  for (const [name, value] of Object.entries(params)) {
    safe[name] = typeof value === "string" ? printable(value) : value;
  }
  return translate(style.lang, key, safe);
}

/**
 * Renders an error as the one line the CLI prints.
 *
 * @example
 * ```ts
 * import { SockitError } from "../lib/core/errors.ts";
 * import { renderError } from "./render.ts";
 * renderError({ lang: "en", color: false }, new SockitError("bad-port", { value: "x" }));
 * // "sockit: 'x' is not a valid port. Use a number from 1 to 65535."
 * ```
 */
export function renderError(style: RenderStyle, error: SockitError): string {
  const details = { ...error.details };
  // "{host}:{port}" must read [::1]:6099 for IPv6, as users type it back.
  if (typeof details.host === "string" && details.host.includes(":")) {
    details.host = `[${details.host}]`;
  }
  // A receiver's refusal carries a reject code: say it in the user's language.
  const rejectKey = `reject.${details.code}`;
  if (error.code === "rejected" && rejectKey in CATALOGS.en) {
    const said = String(details.reason ?? "");
    details.reason = message(style, rejectKey as MessageKey) + (said ? ` (${said})` : "");
  }
  if (typeof details.problem === "string") details.problem = problemText(style, error);
  const key = error.code === "not-on-roster" && !details.closest
    ? "error.not-on-roster-none"
    : `error.${error.code}` as MessageKey;
  const text = message(style, key, details);
  return paint(style, "red", `sockit: ${text}`);
}

/**
 * Says an error's `problem` in words: a pairing code's (`code.<problem>`), a name problem
 * (`name.<problem>`), and for a class list its own problems (`roster.<problem>`) or, for a name
 * on it, which line and why.
 */
function problemText(style: RenderStyle, error: SockitError): string {
  const { problem } = error.details;
  // A refused pairing code names its problem too.
  if (error.code === "bad-code") {
    return message(style, `code.${problem}` as MessageKey, error.details);
  }
  const nameKey = `name.${problem}`;
  if (error.code === "bad-roster") {
    if (`roster.${problem}` in CATALOGS.en) {
      return message(style, `roster.${problem}` as MessageKey, error.details);
    }
    if (nameKey in CATALOGS.en) {
      return message(style, "roster.bad-name", {
        ...error.details,
        reason: message(style, nameKey as MessageKey),
      });
    }
  }
  return nameKey in CATALOGS.en ? message(style, nameKey as MessageKey) : String(problem);
}

const encoder = new TextEncoder();

/**
 * Renders an echo server event, or `null` for events people do not need to see. Received text
 * is shown in the one byte-display style of `--trace`; `trace` renders the trace events.
 */
export function renderEchoServerEvent(
  style: RenderStyle,
  event: EchoServerEvent,
  trace: TraceView,
): Line | null {
  const info = (text: string): Line => ({ text, level: "info" });
  switch (event.type) {
    case "listening":
      return info(
        message(style, "echo.listening", { address: event.address }) + "\n" +
          reachLine(style, event.reachable),
      );
    case "connected":
      return info(message(style, "echo.connected", { peer: event.peer }));
    case "received":
      return info(message(style, "echo.received", {
        peer: event.peer,
        text: renderBytes(encoder.encode(event.text), Infinity),
      }));
    case "disconnected": {
      const runs = trace.end(event.peer);
      return info(
        (runs ? runs + "\n" : "") +
          message(style, event.reason === "reset" ? "echo.reset" : "echo.closed", {
            peer: event.peer,
            bytes: formatBytes(event.bytes),
          }),
      );
    }
    case "client-error":
      return { text: message(style, "echo.client-error", event), level: "error" };
    case "stopped":
      return {
        text: message(style, "echo.summary", {
          connections: event.connections,
          bytes: formatBytes(event.bytes),
        }),
        level: "result",
      };
    case "trace":
      return info(trace.render(event));
  }
}

/** Renders an echo client event; `trace` renders the trace events. */
export function renderEchoClientEvent(
  style: RenderStyle,
  event: EchoClientEvent,
  trace: TraceView,
): Line | null {
  switch (event.type) {
    case "connected":
      return null;
    case "reply":
      return {
        text: event.matched
          ? message(style, "echo.reply", { text: event.text })
          : paint(style, "red", message(style, "echo.reply", { text: event.text })),
        level: "result",
      };
    case "stats":
      return {
        text: message(style, "echo.stats", {
          sent: event.sent,
          matched: event.matched,
          min: event.min.toFixed(3),
          avg: event.avg.toFixed(3),
          max: event.max.toFixed(3),
        }),
        level: "result",
      };
    case "trace":
      return { text: trace.render(event), level: "info" };
  }
}

/** Renders one ping-style line for a reply when `--count` is used. */
export function renderPing(
  style: RenderStyle,
  event: Extract<EchoClientEvent, { type: "reply" }>,
): Line {
  return {
    text: message(style, "echo.ping", {
      bytes: event.bytes,
      peer: event.peer,
      seq: event.seq,
      ms: event.rttMs.toFixed(3),
    }),
    level: event.matched ? "result" : "error",
  };
}

/** The "classmates can reach this machine at" line. */
export function reachLine(style: RenderStyle, reachable: readonly string[]): string {
  return reachable.length
    ? message(style, "net.reach", { addresses: reachable.join(", ") })
    : message(style, "net.reach-none");
}

/**
 * What JSON leaves raw but a terminal or a log reader must not see raw: DEL, the C1 controls,
 * the bidirectional formatting characters (which can make a name read backwards), and the
 * Unicode line and paragraph separators.
 */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Serialises an event as one JSON line. Byte arrays become `{ "length", "hex", "text" }` (the
 * first 64 bytes, so a trace stays readable); errors become `{ code, details }`. Besides what
 * JSON escapes, DEL, C1 controls, bidirectional formatting characters and U+2028/U+2029 are
 * written as `\uXXXX`, so a hostile name cannot reach the terminal raw (the parsed value is
 * unchanged).
 *
 * @example
 * ```ts
 * import { jsonLine } from "./render.ts";
 * jsonLine({ type: "connected", peer: "127.0.0.1:5000" });
 * // '{"type":"connected","peer":"127.0.0.1:5000"}'
 * ```
 */
export function jsonLine(event: object): string {
  return JSON.stringify(event, (_key, value) => {
    if (value instanceof Uint8Array) {
      return {
        length: value.length,
        hex: hex(value.subarray(0, TRACE_PREVIEW_BYTES)),
        text: renderBytes(value),
      };
    }
    if (value instanceof SockitError) return { code: value.code, details: value.details };
    return value;
  }).replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
