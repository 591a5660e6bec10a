/**
 * What `sockit spy` prints: for every connection its opening, every chunk in each direction
 * (time, connection number, direction, byte count, bytes and what they are), folded runs, how
 * each side closed and how that was passed on, and a summary when the spy stops.
 *
 * @module
 */

import { formatBytes } from "../lib/core/format.ts";
import type { SpyEvent } from "../lib/spy/relay.ts";
import type { Side } from "../lib/spy/annotate.ts";
import type { MessageKey } from "./messages.ts";
import { message, paint } from "./render.ts";
import type { Line, RenderStyle } from "./render.ts";
import { count, renderChunk, renderRun } from "./render_trace.ts";

/**
 * Local wall-clock time with milliseconds.
 *
 * @example
 * ```ts
 * import { clock } from "./render_spy.ts";
 * clock(Date.now()); // e.g. "14:03:07.215"
 * ```
 */
export function clock(time: number): string {
  const d = new Date(time);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${
    String(d.getMilliseconds()).padStart(3, "0")
  }`;
}

const OTHER: Record<Side, Side> = { client: "server", server: "client" };

/**
 * Renders a spy event as the lines to print.
 *
 * @example
 * ```ts
 * import { renderSpyEvent } from "./render_spy.ts";
 * const style = { lang: "en" as const, color: false };
 * renderSpyEvent(style, { type: "stopped", connections: 2, bytes: 12 })?.text;
 * // "Spy stopped: 2 connections, 12 B relayed."
 * ```
 */
export function renderSpyEvent(style: RenderStyle, event: SpyEvent): Line | null {
  const info = (text: string): Line => ({ text, level: "info" });
  const m = (key: MessageKey, params = {}) => message(style, key, params);
  switch (event.type) {
    case "listening":
      return info(`${m("spy.listening", event)}\n${m("spy.hint", event)}`);
    case "open":
      return info(paint(style, "bold", m("spy.open", { ...event, time: clock(event.time) })));
    case "connect-failed":
      return {
        text: paint(
          style,
          "red",
          m("spy.connect-failed", {
            ...event,
            time: clock(event.time),
            reason: m(`error.${event.code}` as MessageKey, event.details),
          }),
        ),
        level: "error",
      };
    case "chunk":
    case "run": {
      const direction = m(
        event.from === "client" ? "spy.client-to-server" : "spy.server-to-client",
      );
      const head = `${clock(event.time)} #${event.conn} ${direction}`;
      const lines = event.type === "chunk"
        ? renderChunk(style, paint(style, "bold", `${head}  ${count(event.bytes.length)} B`), event)
        : renderRun(style, paint(style, "bold", head), event);
      return info(lines.join("\n"));
    }
    case "end": {
      const side = m(`spy.${event.from}`);
      const other = m(`spy.${OTHER[event.from]}`);
      const how = event.how === "fin"
        ? m("spy.end-fin", { side })
        : event.how === "reset"
        ? m("spy.end-reset", { side })
        : m("spy.end-error", { side, reason: event.reason });
      const passed = m(`spy.passed-${event.passed}`, { other });
      const text = `${clock(event.time)} #${event.conn} ${how} → ${passed}`;
      return info(event.how === "fin" ? text : paint(style, "yellow", text));
    }
    case "closed":
      return info(m("spy.closed", {
        time: clock(event.time),
        conn: event.conn,
        client: formatBytes(event.client),
        server: formatBytes(event.server),
      }));
    case "stopped":
      return {
        text: m("spy.summary", {
          connections: event.connections,
          bytes: formatBytes(event.bytes),
        }),
        level: "result",
      };
  }
}
