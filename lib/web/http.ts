/**
 * The small part of HTTP/1.1 (RFC 9112) the receiver's web page needs, read from a
 * {@linkcode Wire} that already holds the bytes the receiver sniffed: one request line and its
 * header fields, strictly parsed and bounded, a body only by `Content-Length` (no chunked
 * request bodies, no upgrades, no pipelining), and responses that close the connection.
 * Everything from the network is hostile: a request that breaks a rule is answered with its
 * 4xx status and the connection closed.
 *
 * @module
 */

import type { Wire } from "../net/wire.ts";
import { ProtocolError } from "../transfer/protocol.ts";
import type { RefusalProblem, RejectCode } from "../transfer/protocol.ts";

/** The methods the receiver answers. */
export const HTTP_METHODS: readonly string[] = ["GET", "HEAD", "POST", "PUT"];

/** Most bytes of a request line with its header fields (the blank line included). */
export const MAX_HEAD_BYTES = 16 * 1024;

/** Most header fields in one request. */
export const MAX_HEADER_FIELDS = 64;

/**
 * True when `byte`, the first byte of a connection, may start an HTTP request (`G`, `H`, `P`,
 * the first letters of {@linkcode HTTP_METHODS}): neither a sockit preface (`S`) nor a classic
 * size (a digit) starts so. The request line itself is checked by {@linkcode readRequest}.
 *
 * @example
 * ```ts
 * import { isHttpStart } from "./http.ts";
 * isHttpStart("GET /".charCodeAt(0)); // true
 * isHttpStart("SKIT".charCodeAt(0)); // false
 * ```
 */
export function isHttpStart(byte: number | undefined): boolean {
  return byte !== undefined && HTTP_METHODS.some((method) => method.charCodeAt(0) === byte);
}

/** A request refused by status code; the message is for the log and the page. */
export class HttpError extends ProtocolError {
  /** The status to answer with. */
  readonly status: number;
  /** For `bad-name` and `name-conflict`: the name's problem. */
  readonly problem?: RefusalProblem;

  /** An error answered with `status`. */
  constructor(
    status: number,
    reason: string,
    reject: RejectCode = "bad-header",
    problem?: RefusalProblem,
  ) {
    super(reason, reject);
    this.name = "HttpError";
    this.status = status;
    this.problem = problem;
  }
}

/** A parsed request head. */
export interface HttpRequest {
  /** `GET`, `HEAD`, `POST` or `PUT`. */
  method: string;
  /** The path of the target, percent-decoded (always starts with `/`). */
  path: string;
  /** The query of the target. */
  query: URLSearchParams;
  /** Header fields by lower-case name (repeated fields joined with `, `). */
  headers: Map<string, string>;
  /** The body's length in bytes (0 without a `Content-Length`). */
  contentLength: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// deno-lint-ignore no-control-regex
const FIELD_VALUE = /^[^\x00-\x08\x0a-\x1f\x7f]*$/;

/**
 * Reads one request head from `wire`, waiting for bytes as needed. Resolves `null` when the
 * peer closed before sending anything. The caller bounds the time (a wire deadline).
 *
 * @example
 * ```ts
 * import { readRequest } from "./http.ts";
 * import { Wire } from "../net/wire.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * await client.write(new TextEncoder().encode("GET /?a=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
 * using wire = new Wire(await listener.accept());
 * const request = await readRequest(wire);
 * console.log(request?.path, request?.query.get("a")); // "/" "1"
 * client.close();
 * listener.close();
 * ```
 * @throws {HttpError} 400 (malformed), 414/431 (too long), 501 (chunked body), 505 (version).
 */
export async function readRequest(wire: Wire): Promise<HttpRequest | null> {
  let end: number;
  while ((end = headEnd(wire.peek())) < 0) {
    if (wire.buffered >= MAX_HEAD_BYTES) {
      throw new HttpError(431, `request head longer than ${MAX_HEAD_BYTES} bytes`);
    }
    const more = await wire.waitForMore(24 * 60 * 60 * 1000);
    if (more === "end") {
      if (wire.buffered === 0) return null;
      throw new HttpError(400, "the request ended inside its head");
    }
  }
  if (end > MAX_HEAD_BYTES) {
    throw new HttpError(431, `request head longer than ${MAX_HEAD_BYTES} bytes`);
  }
  const head = await wire.readExact(end);
  return parseHead(head);
}

/** The length of the head (through the blank line) in `bytes`, or -1 when not all there. */
function headEnd(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++) {
    if (
      bytes[i] === 0x0a && bytes[i - 1] === 0x0d && bytes[i - 2] === 0x0a && bytes[i - 3] === 0x0d
    ) return i + 1;
  }
  return -1;
}

/**
 * Parses a request head (request line, fields, blank line) strictly: CRLF line ends, token
 * field names, no folded lines, no control characters, one consistent `Content-Length`.
 *
 * @example
 * ```ts
 * import { parseHead } from "./http.ts";
 * const head = parseHead(new TextEncoder().encode("PUT /upload HTTP/1.1\r\nContent-Length: 5\r\n\r\n"));
 * console.log(head.method, head.contentLength); // "PUT" 5
 * ```
 * @throws {HttpError} as {@linkcode readRequest}.
 */
export function parseHead(head: Uint8Array): HttpRequest {
  // Latin-1: every byte is one character, so nothing is lost before the checks.
  const text = new TextDecoder("latin1").decode(head);
  const lines = text.slice(0, -4).split("\r\n");
  if (lines.some((line) => line.includes("\r") || line.includes("\n"))) {
    throw new HttpError(400, "a line of the request ends with a bare CR or LF");
  }
  const parts = lines[0].split(" ");
  if (parts.length !== 3) throw new HttpError(400, "malformed request line");
  const [method, target, version] = parts;
  if (!HTTP_METHODS.includes(method)) throw new HttpError(405, `method ${method} not allowed`);
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
    throw new HttpError(505, `version ${version} not supported`);
  }
  if (!target.startsWith("/")) throw new HttpError(400, "the target is not a path");
  if (target.length > 8 * 1024) throw new HttpError(414, "the target is too long");
  const fields = lines.slice(1);
  if (fields.length > MAX_HEADER_FIELDS) {
    throw new HttpError(431, `more than ${MAX_HEADER_FIELDS} header fields`);
  }
  const headers = new Map<string, string>();
  for (const field of fields) {
    const colon = field.indexOf(":");
    const name = field.slice(0, colon);
    if (colon <= 0 || !TOKEN.test(name)) throw new HttpError(400, "malformed header field");
    const value = field.slice(colon + 1).trim();
    if (!FIELD_VALUE.test(value)) throw new HttpError(400, "control character in a header field");
    const key = name.toLowerCase();
    const before = headers.get(key);
    headers.set(key, before === undefined ? value : `${before}, ${value}`);
  }
  if (headers.has("transfer-encoding")) {
    throw new HttpError(501, "chunked request bodies are not supported; send Content-Length");
  }
  let contentLength = 0;
  const length = headers.get("content-length");
  if (length !== undefined) {
    const values = new Set(length.split(",").map((v) => v.trim()));
    const [only] = values;
    if (values.size !== 1 || !/^\d{1,16}$/.test(only)) {
      throw new HttpError(400, "malformed Content-Length");
    }
    contentLength = Number(only);
  }
  const question = target.indexOf("?");
  const rawPath = question < 0 ? target : target.slice(0, question);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw new HttpError(400, "malformed percent-encoding in the target");
  }
  const query = new URLSearchParams(question < 0 ? "" : target.slice(question + 1));
  return { method, path, query, headers, contentLength };
}

/** The reason phrases of the statuses sockit answers with. */
const REASONS: Record<number, string> = {
  200: "OK",
  204: "No Content",
  303: "See Other",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  411: "Length Required",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
  507: "Insufficient Storage",
};

/** Header fields every response carries: no caching of uploads, no framing, no sniffing. */
const COMMON_HEADERS: Record<string, string> = {
  "Connection": "close",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

/**
 * Writes a response head; the connection closes after the response (`Connection: close`).
 * `length` is the body's `Content-Length`.
 *
 * @example
 * ```ts
 * import { responseHead } from "./http.ts";
 * new TextDecoder().decode(responseHead(204, {}, 0)).split("\r\n")[0]; // "HTTP/1.1 204 No Content"
 * ```
 */
export function responseHead(
  status: number,
  headers: Record<string, string>,
  length: number,
): Uint8Array {
  const all = { ...COMMON_HEADERS, ...headers, "Content-Length": String(length) };
  const lines = [`HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}`];
  for (const [name, value] of Object.entries(all)) lines.push(`${name}: ${value}`);
  return new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n");
}

/**
 * Writes a whole response with `body` (omitted for `HEAD`) and closes nothing: the handler's
 * end closes the connection.
 *
 * @example
 * ```ts
 * import { respond } from "./http.ts";
 * import type { Wire } from "../net/wire.ts";
 * async function hello(wire: Wire) {
 *   await respond(wire, "GET", 200, { "Content-Type": "text/plain" }, "hello");
 * }
 * ```
 */
export async function respond(
  wire: Wire,
  method: string,
  status: number,
  headers: Record<string, string>,
  body: Uint8Array | string = "",
): Promise<void> {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const head = responseHead(status, headers, bytes.length);
  if (method === "HEAD" || bytes.length === 0) return await wire.write(head);
  const whole = new Uint8Array(head.length + bytes.length);
  whole.set(head);
  whole.set(bytes, head.length);
  await wire.write(whole);
}
