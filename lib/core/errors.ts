/**
 * Typed errors for sockit. Every expected failure becomes a {@linkcode SockitError}
 * with a stable {@linkcode ErrorCode}; the CLI turns the code into one translated line.
 *
 * @module
 */

/**
 * Every {@linkcode ErrorCode}.
 *
 * @example
 * ```ts
 * import { ERROR_CODES } from "./errors.ts";
 * ERROR_CODES.includes("connection-refused"); // true
 * ```
 */
export const ERROR_CODES = [
  "connection-refused",
  "address-in-use",
  "address-unavailable",
  "bad-address",
  "bad-port",
  "bind-permission",
  "connection-reset",
  "closed-early",
  "unreachable",
  "host-not-found",
  "timeout",
  "echo-mismatch",
  "protocol",
  "rejected",
  "not-found",
  "not-a-file",
  "read-failed",
  "file-changed",
  "permission-denied",
  "write-failed",
  "dir-not-folder",
  "dir-not-writable",
  "disk-full",
  "bad-size",
  "bad-option",
  "unverified",
  "bad-name",
  "not-sockit",
  "name-conflict",
  "unsafe-folder",
  "bad-code",
  "code-needed",
  "open-receiver",
  "unpaired-receiver",
  "code-on-argv",
  "wrong-code",
  "record-tampered",
  "record-replayed",
  "record-reordered",
  "record-truncated",
  "no-receivers",
  "several-receivers",
  "no-matching-receiver",
  "bad-roster",
  "not-on-roster",
  "internal",
] as const;

/**
 * Stable machine-readable error codes. Each has a message in the catalog (`error.<code>`).
 *
 * @example
 * ```ts
 * import type { ErrorCode } from "./errors.ts";
 * const code: ErrorCode = "disk-full";
 * ```
 */
export type ErrorCode = typeof ERROR_CODES[number];

/**
 * Values substituted into an error's catalog message, e.g. `{ host: "10.0.0.5", port: 6000 }`.
 *
 * @example
 * ```ts
 * import { SockitError } from "./errors.ts";
 * import type { ErrorDetails } from "./errors.ts";
 * const details: ErrorDetails = { host: "10.0.0.5", port: 6000 };
 * const error = new SockitError("connection-refused", details);
 * ```
 */
export type ErrorDetails = Record<string, string | number>;

/**
 * An expected failure with a stable code and the facts needed to explain it.
 *
 * @example
 * ```ts
 * import { SockitError } from "./errors.ts";
 * const err = new SockitError("connection-refused", { host: "127.0.0.1", port: 9999 });
 * console.log(err.code); // "connection-refused"
 * ```
 */
export class SockitError extends Error {
  /** The stable code; the catalog key is `error.<code>`. */
  readonly code: ErrorCode;
  /** Values for the catalog message. */
  readonly details: ErrorDetails;

  /** Creates an error with a code, details, and optional underlying cause. */
  constructor(code: ErrorCode, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(`${code}${Object.keys(details).length ? " " + JSON.stringify(details) : ""}`, options);
    this.name = "SockitError";
    this.code = code;
    this.details = details;
  }
}

/** What was being done when an error happened; it decides how ambiguous OS errors read. */
export type Operation = "listen" | "connect" | "io" | "file";

/**
 * Converts anything thrown by Deno's networking or file APIs into a {@linkcode SockitError},
 * using `op` to read ambiguous OS errors and `details` (host, port, path) for the message.
 * Unknown errors become `internal`.
 *
 * @example
 * ```ts
 * import { toSockitError } from "./errors.ts";
 * try {
 *   await Deno.connect({ hostname: "127.0.0.1", port: 1 });
 * } catch (err) {
 *   console.log(toSockitError(err, "connect", { host: "127.0.0.1", port: 1 }).code);
 *   // "connection-refused"
 * }
 * ```
 */
export function toSockitError(
  err: unknown,
  op: Operation = "io",
  details: ErrorDetails = {},
): SockitError {
  if (err instanceof SockitError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string } | null)?.code;
  return new SockitError(classify(err, op, message, code), { ...details, reason: message }, {
    cause: err,
  });
}

function classify(err: unknown, op: Operation, message: string, code?: string): ErrorCode {
  const e = Deno.errors;
  if (err instanceof e.ConnectionRefused) return "connection-refused";
  if (err instanceof e.AddrInUse) return "address-in-use";
  if (err instanceof e.AddrNotAvailable) return "address-unavailable";
  if (err instanceof e.ConnectionReset || err instanceof e.ConnectionAborted) {
    return "connection-reset";
  }
  if (
    err instanceof e.BrokenPipe || err instanceof e.UnexpectedEof || err instanceof e.NotConnected
  ) return "closed-early";
  if (err instanceof e.TimedOut) return "timeout";
  if (err instanceof e.NetworkUnreachable || code === "EHOSTUNREACH") return "unreachable";
  if (/host is unreachable|no route to host/i.test(message)) return "unreachable";
  if (/lookup address|name or service not known|nodename nor servname/i.test(message)) {
    return "host-not-found";
  }
  if (code === "ENOSPC" || /no space left/i.test(message)) return "disk-full";
  if (err instanceof e.NotFound) return "not-found";
  if (err instanceof e.PermissionDenied || err instanceof e.NotCapable) {
    if (op === "listen") return "bind-permission";
    return op === "file" ? "write-failed" : "connection-refused";
  }
  if (op === "file") return "write-failed";
  return "internal";
}
