/**
 * One HTTP connection on the receiver (the connection opened with `GET `, `HEAD `, `POST ` or
 * `PUT `): the upload page, uploads from it (a raw body per file from the page's script, or a
 * multipart form without JavaScript), the pairing-code check, and the downloads of sockit
 * itself. One request per connection; every upload goes through the same storage path as a
 * sockit transfer (temporary file, size limit, hostile-name rules, never overwriting).
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";
import { delay } from "../core/delay.ts";
import { toSockitError } from "../core/errors.ts";
import type { SockitError } from "../core/errors.ts";
import { fileSink, fileSource, progress } from "../core/streams.ts";
import { sha256Stream } from "../core/sha256.ts";
import { parseCode } from "../crypto/code.ts";
import type { PairingCode } from "../crypto/code.ts";
import type { Wire } from "../net/wire.ts";
import { HttpError, readRequest, respond, responseHead } from "../web/http.ts";
import type { HttpRequest } from "../web/http.ts";
import { formParts } from "../web/multipart.ts";
import { sanitizePath } from "./names.ts";
import type { RefusalProblem } from "./protocol.ts";
import { checkFolder, commitFile, openTemp } from "./storage.ts";
import { SenderRefusal } from "../collect/senders.ts";
import type { SenderIdentity } from "../collect/senders.ts";
import {
  BUSY_MESSAGE,
  describe,
  inFolder,
  problemField,
  problemOf,
  reasonOf,
  rejectCodeOf,
} from "./receive_context.ts";
import type { Opening, ReceiverContext } from "./receive_context.ts";
import type { ReceiverFileInfo } from "./receiver.ts";

/** A file the page offers for download: sockit itself. */
export interface WebDownload {
  /** The file name, also its address: `/get/<name>`. ASCII letters, digits, `.`, `-`, `_`. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** SHA-256, lower-case hex. */
  sha256: string;
  /** The bytes (served from memory) or the path of the file (streamed from disk). */
  source: Uint8Array | string;
}

/** What the page is rendered for. */
export interface WebPageRequest {
  /** The request's `Accept-Language`, or the `lang` query parameter when given. */
  language: string;
  /** The request's `Host` header (hostile: check before use), if any. */
  host?: string;
  /** True when uploads need the pairing code. */
  codeRequired: boolean;
  /** Largest file accepted, in bytes (`undefined`: no limit). */
  maxSize: number | undefined;
  /** What the page offers for download. */
  downloads: readonly WebDownload[];
  /** After an upload with the no-JavaScript form: what happened. */
  outcome?: WebOutcome;
}

/** The receipt of one uploaded file, as the receiver computed it. */
export interface WebReceipt {
  /** The name the browser gave. */
  path: string;
  /** Where it was stored, relative to the receiving folder. */
  stored: string;
  /** Bytes stored. */
  size: number;
  /** SHA-256 of the stored bytes, lower-case hex. */
  sha256: string;
  /** The receiver's time, ISO 8601. */
  time: string;
}

/** Why a request or a file was refused: a code the page translates, and details. */
export interface WebRefusal {
  /** HTTP status. */
  status: number;
  /** `wrong-code`, `bad-name`, `name-conflict`, `too-large`, `bad-request`, … */
  code: string;
  /** For `bad-name` and `name-conflict`: the name's problem. */
  problem?: RefusalProblem;
  /** The file concerned, if any. */
  path?: string;
  /** A short English explanation (the page shows its own translation of `code`). */
  message: string;
}

/** The result of a no-JavaScript upload. */
export interface WebOutcome {
  /** Files stored. */
  receipts: WebReceipt[];
  /** Files or the whole request refused. */
  refusals: WebRefusal[];
}

/** Options for the receiver's web page ({@linkcode ReceiverOptions.web}). */
export interface WebOptions {
  /** Renders the page (HTML); the CLI provides it in the visitor's language. */
  page(request: WebPageRequest): string;
  /** The page's script, served as `/page.js`. */
  script: string;
  /**
   * sockit itself, offered for download: asked for by every page and download served (not at
   * start, so a receiver whose page nobody opens never reads them). Default none.
   */
  downloads?: () => Promise<readonly WebDownload[]>;
}

/** A body refused before it was read is still read and dropped up to this size. */
const DRAIN_LIMIT = 16 * 1024 * 1024;

/** The page's policy: nothing from elsewhere, scripts only from the receiver. */
const PAGE_HEADERS: Record<string, string> = {
  "Content-Type": "text/html; charset=utf-8",
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
};

const JSON_HEADERS: Record<string, string> = { "Content-Type": "application/json; charset=utf-8" };

/** Serves one HTTP request. */
export class WebConnection {
  readonly #context: ReceiverContext;
  readonly #web: WebOptions;
  readonly #wire: Wire;
  /** The browser's address. */
  readonly peer: string;
  #answered = false;
  /** True once the request's body is being read (a refusal then drains nothing itself). */
  #reading = false;

  /** A handler for the connection `wire` from `peer`, of the receiver `context`. */
  constructor(context: ReceiverContext, web: WebOptions, wire: Wire, peer: string) {
    this.#context = context;
    this.#web = web;
    this.#wire = wire;
    this.peer = peer;
  }

  /**
   * Reads the request head (within the `opening`'s deadline), takes a transfer slot (completing
   * the opening) and answers the request.
   */
  async serve(opening: Opening): Promise<void> {
    let request: HttpRequest | null = null;
    try {
      request = await readRequest(this.#wire);
      if (!request) return;
      using slot = opening.complete();
      // No slot: the opening reported the connection as busy.
      if (!slot) throw new HttpError(503, BUSY_MESSAGE, "busy");
      await this.#route(request);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      if (!this.#answered && !this.#wire.signal.aborted) {
        await this.#refuse(request, refusalOf(err)).catch(() => {});
      }
      // A page or file that is not there is no event, nor is a busy answer told already.
      if (err.status === 404 || err.status === 503) return;
      this.#context.emit({
        type: "session-error",
        peer: this.peer,
        code: err.status === 403 && err.reject === "bad-header" ? "wrong-code" : err.reject,
        reason: `HTTP ${err.status}: ${reasonOf(err)}`,
      });
    }
  }

  async #route(request: HttpRequest): Promise<void> {
    const { method, path } = request;
    const read = method === "GET" || method === "HEAD";
    if (path === "/" && read) return await this.#page(request);
    if (path === "/page.js" && read) {
      return await this.#answer(request, 200, {
        "Content-Type": "text/javascript; charset=utf-8",
      }, this.#web.script);
    }
    if (path.startsWith("/get/") && read) return await this.#download(request);
    if (path === "/check" && method === "POST") {
      await this.#checkCode(request.headers.get("x-sockit-code") ?? "");
      return await this.#answer(request, 204, {}, "");
    }
    if (path === "/upload" && method === "PUT") return await this.#rawUpload(request);
    if (path === "/upload" && method === "POST") return await this.#formUpload(request);
    throw new HttpError(404, `nothing at ${path.slice(0, 200)}`);
  }

  async #answer(
    request: HttpRequest | null,
    status: number,
    headers: Record<string, string>,
    body: string | Uint8Array,
  ): Promise<void> {
    this.#answered = true;
    await respond(this.#wire, request?.method ?? "GET", status, headers, body);
  }

  async #pageRequest(request: HttpRequest | null, outcome?: WebOutcome): Promise<WebPageRequest> {
    return {
      language: request?.query.get("lang") ?? request?.headers.get("accept-language") ?? "",
      host: request?.headers.get("host"),
      codeRequired: this.#context.code !== undefined,
      maxSize: this.#context.maxSize,
      downloads: await this.#web.downloads?.() ?? [],
      outcome,
    };
  }

  async #page(request: HttpRequest): Promise<void> {
    const page = this.#web.page(await this.#pageRequest(request));
    await this.#answer(request, 200, PAGE_HEADERS, page);
  }

  /** Answers a refused request: JSON for the page's script, the page for anything else. */
  async #refuse(request: HttpRequest | null, refusal: WebRefusal): Promise<void> {
    if (
      request && !this.#reading && request.contentLength <= DRAIN_LIMIT &&
      !this.#wire.signal.aborted
    ) {
      // Read what the browser is still sending, so that it sees the answer, not a reset.
      using _ = this.#wire.deadline(this.#context.headerTimeoutMs);
      await this.#wire.readable(request.contentLength, this.#context.chunkSize)
        .pipeTo(new WritableStream()).catch(() => {});
    }
    if (this.#wire.signal.aborted) return;
    if (request?.method === "PUT" || request?.path === "/check") {
      return await this.#answer(request, refusal.status, JSON_HEADERS, JSON.stringify(refusal));
    }
    const outcome = { receipts: [], refusals: [refusal] };
    await this.#answer(
      request,
      refusal.status,
      PAGE_HEADERS,
      this.#web.page(await this.#pageRequest(request, outcome)),
    );
  }

  async #download(request: HttpRequest): Promise<void> {
    const name = request.path.slice("/get/".length);
    const file = (await this.#web.downloads?.())?.find((d) => d.name === name);
    if (!file) throw new HttpError(404, `no download named ${name.slice(0, 200)}`);
    const headers = {
      "Content-Type": "application/octet-stream",
      "Content-Disposition": `attachment; filename="${file.name}"`,
    };
    if (typeof file.source !== "string") {
      return await this.#answer(request, 200, headers, file.source);
    }
    const path = file.source;
    // Closed at the end of the block, whatever happened (a second close is harmless).
    using opened = await Deno.open(path).catch((err) => {
      throw toSockitError(err, "file", { path });
    });
    this.#answered = true;
    await this.#wire.write(responseHead(200, headers, file.size));
    if (request.method === "HEAD") return;
    await fileSource(opened, { path }).pipeTo(this.#wire.writable());
  }

  /**
   * Promises `bytes` of the disk's free space to this request; when they do not fit,
   * `refuse` (default: throw) gets the `disk-full` error.
   */
  async #reserve(
    bytes: number,
    refuse: (error: SockitError) => never = (error) => {
      throw error;
    },
  ): Promise<Disposable> {
    const space = await this.#context.space.reserve(bytes);
    if (!space.granted) {
      refuse(
        new HttpError(507, `${bytes} bytes do not fit; ${space.room} bytes free`, "disk-full"),
      );
    }
    return space;
  }

  /**
   * Who the sender is, from the name the page sent (`undefined`: none); a name refused (not
   * on the class list with `--roster-only`, or unsafe) is a `403` naming the problem.
   */
  async #identify(name: string | undefined): Promise<SenderIdentity> {
    try {
      return await this.#context.identify(this.peer, name, "web");
    } catch (err) {
      if (!(err instanceof SenderRefusal)) throw err;
      const closest = err.closest.length > 0 ? ` (closest: ${err.closest.join(", ")})` : "";
      throw new HttpError(403, err.reason + closest, err.reject);
    }
  }

  /** Checks a code given with a request against the receiver's, within the guess limits. */
  async #checkCode(given: string): Promise<void> {
    const { code, guesses, emit } = this.#context;
    if (code === undefined) return;
    const address = hostOf(this.peer);
    const wait = guesses.delayFor(address);
    if (wait > 0) {
      emit({ type: "pairing-delayed", peer: this.peer, ms: wait });
      await delay(wait, this.#wire.signal);
    }
    this.#wire.signal.throwIfAborted();
    if (sameCode(given, code)) return guesses.succeeded(address);
    guesses.failed(address);
    throw new HttpError(403, "the code does not match");
  }

  async #rawUpload(request: HttpRequest): Promise<void> {
    const { headers, contentLength } = request;
    if (!headers.has("content-length")) throw new HttpError(411, "an upload needs Content-Length");
    const path = decodeField(headers.get("x-sockit-path"), "X-Sockit-Path");
    const name = headers.has("x-sockit-name")
      ? decodeField(headers.get("x-sockit-name"), "X-Sockit-Name")
      : undefined;
    await this.#checkCode(headers.get("x-sockit-code") ?? "");
    this.#context.emit({ type: "session", peer: this.peer, protocol: "web" });
    const sender = await this.#identify(name);
    const body = () => this.#wire.readable(contentLength, this.#context.chunkSize);
    const receipt = await this.#store(sender, path, contentLength, body);
    await this.#answer(request, 200, JSON_HEADERS, JSON.stringify(receipt));
  }

  async #formUpload(request: HttpRequest): Promise<void> {
    if (!request.headers.has("content-length")) {
      throw new HttpError(411, "an upload needs Content-Length");
    }
    const { maxSize, chunkSize } = this.#context;
    // The form's files are no larger in all than its body.
    using _space = await this.#reserve(request.contentLength);
    const outcome: WebOutcome = { receipts: [], refusals: [] };
    const fields = new Map<string, string>();
    let checked = false;
    let sender: SenderIdentity | undefined;
    /** A wrong code: the rest of a small form is read and dropped, so the browser sees the answer. */
    let refused: HttpError | undefined;
    this.#reading = true;
    const parts = formParts(
      this.#wire.readable(request.contentLength, chunkSize),
      request.headers.get("content-type") ?? "",
      { fileSize: maxSize === undefined ? undefined : maxSize + 1 },
    );
    for await (const part of parts) {
      if (part.kind === "field") {
        fields.set(part.name, part.value);
        continue;
      }
      if (!checked) {
        checked = true;
        try {
          // The form puts the code before the files; a file before it is checked as no code.
          await this.#checkCode(fields.get("code") ?? "");
          this.#context.emit({ type: "session", peer: this.peer, protocol: "web" });
          sender = await this.#identify(fields.get("name") || undefined);
        } catch (err) {
          if (!(err instanceof HttpError) || request.contentLength > DRAIN_LIMIT) throw err;
          refused = err;
        }
      }
      if (part.filename === "" || refused) {
        part.discard(); // a file input left empty
        continue;
      }
      try {
        outcome.receipts.push(
          await this.#store(sender!, part.filename, undefined, () => part.stream, part.truncated),
        );
      } catch (err) {
        if (!(err instanceof HttpError) || err.status >= 500) throw err;
        part.discard();
        outcome.refusals.push({ ...refusalOf(err), path: part.filename });
      }
    }
    if (refused) throw refused;
    if (!checked) await this.#checkCode(fields.get("code") ?? "");
    const status = outcome.refusals.length > 0 && outcome.receipts.length === 0 ? 400 : 200;
    await this.#answer(
      request,
      status,
      PAGE_HEADERS,
      this.#web.page(await this.#pageRequest(request, outcome)),
    );
  }

  /**
   * Stores one file from `body` (of `size` bytes when known) under the browser's `path`,
   * through the receiver's storage path; refusals are {@linkcode HttpError}s.
   */
  async #store(
    sender: SenderIdentity,
    path: string,
    size: number | undefined,
    body: () => ReadableStream<Uint8Array>,
    truncated: () => boolean = () => false,
  ): Promise<WebReceipt> {
    const context = this.#context;
    const { emit, maxSize } = context;
    const peer = this.peer;
    const refuse = (error: SockitError): never => {
      emit({
        type: "file-rejected",
        peer,
        sender: sender.name,
        classic: false,
        web: true,
        path,
        ...(size === undefined ? {} : { size }),
        code: rejectCodeOf(error),
        reason: describe(error),
        ...problemField(error),
      });
      throw httpErrorOf(error);
    };
    let segments: string[] = [];
    try {
      segments = sanitizePath(path);
      await checkFolder(context.dir, inFolder(sender, segments.slice(0, -1)));
    } catch (err) {
      refuse(toSockitError(err, "file", { path }));
    }
    if (maxSize !== undefined && size !== undefined && size > maxSize) {
      refuse(new HttpError(413, `${size} bytes is more than the limit of ${maxSize}`, "too-large"));
    }
    // A form's files are reserved for with the whole form.
    using _space = size === undefined ? undefined : await this.#reserve(size, refuse);
    await using temp = await openTemp(context.dir);
    const info: ReceiverFileInfo = {
      id: context.nextId(),
      peer,
      sender: sender.name,
      classic: false,
      web: true,
      path,
      size: size ?? 0,
    };
    const started = performance.now();
    let bytes = 0;
    try {
      emit({ type: "file-start", offset: 0, ...info });
      const hash = await sha256Stream();
      await body()
        .pipeThrough(hash.transform)
        .pipeThrough(progress((n) => {
          bytes = n;
          emit({ type: "file-progress", bytes: n, ...info });
        }, { total: size ?? Infinity }))
        .pipeTo(fileSink(temp.file, path));
      if (truncated() || (maxSize !== undefined && bytes > maxSize)) {
        throw new HttpError(413, `more than the limit of ${maxSize} bytes`, "too-large");
      }
      temp.file.close();
      const stored = await commitFile({
        dir: context.dir,
        tempPath: temp.path,
        segments: inFolder(sender, segments),
        overwrite: context.overwrite,
      });
      const sha256 = await hash.digest();
      const time = context.stored({ ...info, size: bytes }, stored.relative, sha256, started);
      return { path, stored: stored.relative, size: bytes, sha256, time };
    } catch (err) {
      const error = toSockitError(err, "file", { path });
      // Clean up before reporting, so whoever hears of the failure finds the folder settled.
      await temp[Symbol.asyncDispose]();
      emit({
        type: "file-failed",
        code: error.code,
        reason: describe(error),
        ...problemField(error),
        ...info,
      });
      throw httpErrorOf(error);
    }
  }
}

/** The HTTP refusal of a storage or name error (other errors are kept as they are). */
function httpErrorOf(error: SockitError): SockitError {
  if (error instanceof HttpError) return error;
  const problem = problemOf(error);
  switch (error.code) {
    case "bad-name":
      return new HttpError(400, describe(error), "bad-name", problem);
    case "name-conflict":
      return new HttpError(409, describe(error), "name-conflict", problem);
    case "disk-full":
      return new HttpError(507, reasonOf(error), "disk-full");
    default:
      return error;
  }
}

/** What the browser is told about `error`. */
function refusalOf(error: SockitError): WebRefusal {
  const status = error instanceof HttpError ? error.status : 500;
  const problem = error instanceof HttpError ? error.problem : undefined;
  const code = error instanceof HttpError && error.reject !== "bad-header"
    ? error.reject
    : status === 403
    ? "wrong-code"
    : status >= 500
    ? "internal"
    : "bad-request";
  // The receiver's own paths and system messages stay in its log.
  const message = status >= 500 ? "" : reasonOf(error);
  return { status, code, ...(problem ? { problem } : {}), message };
}

/** A percent-encoded UTF-8 header value (as `encodeURIComponent` makes it). */
function decodeField(value: string | undefined, name: string): string {
  if (value === undefined || value === "") throw new HttpError(400, `${name} is missing`);
  try {
    return decodeURIComponent(value);
  } catch {
    throw new HttpError(400, `${name} is not percent-encoded UTF-8`);
  }
}

/** The host part of a `HOST:PORT` or `[IPv6]:PORT` peer. */
function hostOf(peer: string): string {
  return peer.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
}

/** True when `given` is the code `code` (its words; compared in constant time). */
function sameCode(given: string, code: PairingCode): boolean {
  let words: string[];
  try {
    words = parseCode(given).words;
  } catch {
    return false;
  }
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(words.join(" ")), digest(code.words.join(" ")));
}
