/**
 * Which receiver events become rows of the log (`DIR/sockit-log.csv`): every stored file,
 * every refused file or sender, every failed transfer, every sender turned away because the
 * receiver was busy, and how many of one address's refusals and failures were held back
 * (`suppressed`) when it sent too many too fast.
 *
 * @module
 */

import type { ReceiverEvent } from "../transfer/receiver.ts";
import { printable } from "../net/trace.ts";
import { peerHost } from "./identity.ts";
import { localTimestamp } from "./log.ts";
import type { LogRow } from "./log.ts";

/**
 * The log row for a receiver event, or `undefined` for events that are not logged (progress,
 * folders, connections). Rows of files that were not stored say in `reason` the code, why, and
 * the path as sent (`bad-name: dot-segment; ../x`); control characters in names and reasons
 * from the wire are written escaped.
 *
 * @example
 * ```ts
 * import { logRowOf } from "./record.ts";
 * logRowOf({ type: "session", peer: "127.0.0.1:5000", protocol: "sockit" }); // undefined
 * ```
 */
export function logRowOf(
  event: ReceiverEvent,
  now: () => Date = () => new Date(),
): LogRow | undefined {
  const row = rowOf(event, now);
  // Refused names and paths are raw from the wire: control characters are written escaped.
  return row && { ...row, name: printable(row.name), reason: printable(row.reason) };
}

function rowOf(event: ReceiverEvent, now: () => Date): LogRow | undefined {
  const base = (peer: string, name: string, protocol: LogRow["protocol"] = "sockit") => ({
    time: localTimestamp(now()),
    name,
    address: peerHost(peer),
    stored: "",
    size: 0,
    sha256: "",
    protocol,
  });
  const protocolOf = (event: { classic: boolean; web?: boolean }): LogRow["protocol"] =>
    event.classic ? "classic" : event.web ? "web" : "sockit";
  switch (event.type) {
    case "file-done":
      return {
        ...base(event.peer, event.sender, protocolOf(event)),
        time: event.time,
        stored: event.stored,
        size: event.size,
        sha256: event.sha256,
        outcome: "stored",
        reason: "",
      };
    case "file-rejected":
      return {
        ...base(event.peer, event.sender, protocolOf(event)),
        size: event.size ?? 0,
        outcome: "refused",
        reason: `${event.code}: ${event.reason}; ${event.path}`,
      };
    case "file-failed":
      return {
        ...base(event.peer, event.sender, protocolOf(event)),
        size: event.size,
        outcome: "failed",
        reason: `${event.code}: ${event.reason}; ${event.path}`,
      };
    case "sender-refused":
      return {
        ...base(event.peer, event.name, event.protocol),
        outcome: "refused",
        reason: `${event.code}: ${event.reason}`,
      };
    case "suppressed":
      return {
        ...base("", ""),
        // `from` is an address already, without a port.
        address: event.from,
        outcome: "suppressed",
        reason: `${event.count} more refusals or failures from this address, not listed one by one`,
      };
    case "session-error":
      return event.code === "busy"
        ? { ...base(event.peer, ""), outcome: "refused", reason: event.code }
        : undefined;
    default:
      return undefined;
  }
}
