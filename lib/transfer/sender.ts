/**
 * The sender (`sockit send`): walks the given files and folders and sends them over one
 * connection, each verified by the receiver's SHA-256 verdict; or, with `classic`, speaks the
 * lesson's protocol to a lesson-style receiver.
 *
 * @module
 */

import { basename, join, resolve } from "node:path";
import { formatHostPort } from "../net/address.ts";
import { delay, onAbort, within } from "../core/delay.ts";
import { SockitError, toSockitError } from "../core/errors.ts";
import type { ErrorCode, ErrorDetails } from "../core/errors.ts";
import { connect } from "../net/socket.ts";
import {
  CLASSIC_READY,
  encodeFrame,
  encodePreface,
  PROTOCOL_VERSION,
  ProtocolError,
  readFrame,
  refusalProblem,
  writeFrame,
} from "./protocol.ts";
import type {
  AcceptFrame,
  HelloFrame,
  ReceiverFrame,
  RefusalProblem,
  RejectCode,
  RejectFrame,
  VerdictFrame,
} from "./protocol.ts";
import {
  DEFAULT_CHUNK_SIZE,
  fileSource,
  hashPrefix,
  progress,
  readWhole,
  SMALL_FILE_SIZE,
} from "../core/streams.ts";
import { gatheredSha256, sha256Stream } from "../core/sha256.ts";
import type { StreamHash } from "../core/sha256.ts";
import type { TraceEvent, TraceLayer } from "../net/trace.ts";
import type { PairingCode } from "../crypto/code.ts";
import { Wire } from "../net/wire.ts";

/**
 * One thing to send: a file or an (empty) folder, with its path as the receiver sees it.
 *
 * @example
 * ```ts
 * import { planSend } from "./sender.ts";
 * import type { SendItem } from "./sender.ts";
 * const items: SendItem[] = await planSend(["deno.json"]);
 * console.log(items[0].kind, items[0].path, items[0].size);
 * ```
 */
export interface SendItem {
  /** `file` or `folder`. */
  kind: "file" | "folder";
  /** Where it is on this machine. */
  source: string;
  /** Relative path sent on the wire, `/`-separated. */
  path: string;
  /** Size in bytes (0 for folders). */
  size: number;
  /** Modification time in milliseconds since the epoch. */
  mtime: number;
}

/**
 * Options for {@linkcode sendFiles}.
 *
 * @example
 * ```ts
 * import { sendFiles } from "./sender.ts";
 * import type { SendOptions } from "./sender.ts";
 * const options: SendOptions = { paths: ["homework.py"], host: "127.0.0.1", port: 6000, retries: 5 };
 * await sendFiles(options).catch((err) => console.log(err.code)); // "connection-refused" without a receiver
 * ```
 */
export interface SendOptions {
  /** Files and folders to send; folders are sent recursively with their structure. */
  paths: string[];
  /** Receiver host. Default `127.0.0.1`. */
  host?: string;
  /** Receiver port. Default 6000. */
  port?: number;
  /** Most bytes per socket write (files are read in blocks of at least 1 MiB). Default 1 MiB. */
  chunkSize?: number;
  /** Give up connecting or waiting for an answer after this many milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** Speak the lesson's classic protocol (one file per connection, no names, no verification). */
  classic?: boolean;
  /** Reconnect and resume this many times in a row after a dropped connection. Default 3. */
  retries?: number;
  /** Pause before the first retry; each further retry doubles it. Default 1 000 ms. */
  retryDelayMs?: number;
  /**
   * Pause before trying again when the receiver says it is busy; each further pause doubles it,
   * up to 10 s, with ±50% jitter so a class does not come back all at once. Short, since a
   * receiver is often busy only until a classmate's small file is in. Default 250 ms.
   */
  busyDelayMs?: number;
  /**
   * How long in all to keep trying again while the receiver says it is busy (see
   * `busyDelayMs`). These waits do not count against `retries`. Default 60 000 ms.
   */
  busyWaitMs?: number;
  /** Emit a `trace` event for every chunk in both directions. */
  trace?: boolean;
  /** Receives every event; the sender never prints. */
  onEvent?: (event: SendEvent) => void;
  /** Stops after the current file when aborted (the connection is closed at once). */
  signal?: AbortSignal;
  /**
   * The sender's display name, already checked (`sanitizeSenderName`); the receiver stores
   * the files under it. Default: none (the receiver files them as unnamed).
   */
  name?: string;
  /**
   * The pairing code, for a receiver that asks for one: the code, or a function called once,
   * when a receiver first asks (an interactive prompt). Without it such a receiver is a
   * `code-needed` error; with a code (not a function), a receiver that asks for none
   * (`receive --open`) is an `open-receiver` error, so that a code never silently goes unused.
   */
  code?: PairingCode | (() => Promise<PairingCode>);
  /**
   * Refuse a receiver that asks for no code (`receive --open`): it proves nothing about who it
   * is. The CLI sets this when the receiver was found by LAN discovery, where a beacon is only
   * a hint that anyone can send. Default false.
   */
  requirePairing?: boolean;
}

/**
 * What the sender reports.
 *
 * @example
 * ```ts
 * import type { SendEvent } from "./sender.ts";
 * const onEvent = (event: SendEvent) => {
 *   if (event.type === "file-done") console.log(`${event.path} stored as ${event.stored}`);
 *   if (event.type === "retry") console.log(`retrying in ${event.delayMs} ms: ${event.reason}`);
 * };
 * onEvent({ type: "folder", path: "project/empty" });
 * ```
 */
export type SendEvent =
  | { type: "plan"; files: number; folders: number; bytes: number }
  /** Folders left out of the plan (`.git`). */
  | { type: "skipped"; paths: string[] }
  /** Hidden files and folders that are being sent. */
  | { type: "hidden"; paths: string[] }
  | {
    type: "connected";
    peer: string;
    protocol: "sockit" | "classic";
    /** The name the sender goes by, or `undefined` (none given, or classic). */
    name?: string;
  }
  | { type: "file-start"; path: string; size: number; offset: number }
  | {
    type: "file-progress";
    path: string;
    size: number;
    bytes: number;
    totalBytes: number;
    totalSize: number;
  }
  | {
    type: "file-done";
    path: string;
    size: number;
    stored: string | null;
    sha256: string | null;
    ms: number;
    /** The receiver's time when it stored the file, when it says (the receipt's time). */
    time?: string;
  }
  | {
    type: "file-rejected";
    path: string;
    code: RejectCode;
    reason: string;
    /** For `bad-name` and `name-conflict`: which problem the name has (`reason` names it too). */
    problem?: RefusalProblem;
  }
  | {
    /** This side could not send it (`file-changed`); the run goes on with the other files. */
    type: "file-failed";
    path: string;
    code: ErrorCode;
    details: ErrorDetails;
  }
  | { type: "folder"; path: string }
  | {
    type: "retry";
    attempt: number;
    retries: number;
    delayMs: number;
    code: string;
    reason: string;
    /** True when the receiver said it is busy: the sender waits its turn (see `busyWaitMs`). */
    busy?: boolean;
  }
  | { type: "classic-unverified"; path: string }
  | {
    type: "interrupted";
    /** The file under way when the run was stopped, or `null` between files. */
    path: string | null;
    /** Bytes of it sent so far, a resumed start included: the receiver holds at most these. */
    sent: number;
    /** Its size. */
    size: number;
    /** True when sending again resumes it (sockit receivers keep partial files; classic ones do not). */
    resumable: boolean;
  }
  | ({ type: "done" } & SendResult)
  | TraceEvent;

/**
 * Totals of a send.
 *
 * @example
 * ```ts
 * import type { SendResult } from "./sender.ts";
 * const result: SendResult = {
 *   files: 2,
 *   bytes: 1024,
 *   rejected: 0,
 *   failed: 0,
 *   interrupted: false,
 *   ms: 35,
 * };
 * console.log(`${result.files} files in ${result.ms} ms`);
 * ```
 */
export interface SendResult {
  /** Files the receiver stored (and, unless classic, verified). */
  files: number;
  /** Bytes of those files. */
  bytes: number;
  /** Files the receiver refused. */
  rejected: number;
  /** Files this side could not send: they changed while they were sent (`file-failed`). */
  failed: number;
  /** True when the run was stopped through `signal` before the end. */
  interrupted: boolean;
  /** Wall time in milliseconds, without the time the user took to type the pairing code. */
  ms: number;
}

/**
 * What {@linkcode planSend} reports besides the items.
 *
 * @example
 * ```ts
 * import { planSend } from "./sender.ts";
 * import type { PlanNotes } from "./sender.ts";
 * const notes: PlanNotes = { onSkip: (path) => console.log(`left out: ${path}`) };
 * await planSend(["lib"], notes);
 * ```
 */
export interface PlanNotes {
  /** Called for each folder left out: Git's `.git` history folders, never sent. */
  onSkip?: (path: string) => void;
  /**
   * Called for each hidden entry that is sent (a name starting with `.`, or Python's
   * `__pycache__`), once for a hidden folder rather than for everything in it.
   */
  onHidden?: (path: string) => void;
}

/** Folders inside a sent folder that are never sent: version control history. */
const NEVER_SENT = new Set([".git"]);

/** True for names people usually do not see: dot files and Python's byte-code folders. */
function isHidden(name: string): boolean {
  return name.startsWith(".") || name === "__pycache__";
}

/**
 * Lists what sending `paths` means: each file under its base name, each folder recursively
 * under its own name, keeping empty folders. Symbolic links to files are followed; links to
 * folders are skipped (they could loop). Inside folders, `.git` is left out (`onSkip`) and
 * hidden entries are sent but reported (`onHidden`); paths named on the command line are sent
 * as asked.
 *
 * @example
 * ```ts
 * import { planSend } from "./sender.ts";
 * const items = await planSend(["deno.json"]);
 * console.log(items[0].path); // "deno.json"
 * ```
 * @throws {SockitError} `not-found`, `not-a-file`, `permission-denied` or `read-failed` for a
 * path that cannot be sent.
 */
// Synchronous inside (see statOrThrow); a promise for its callers, failures as rejections.
// deno-lint-ignore require-await
export async function planSend(
  paths: readonly string[],
  notes: PlanNotes = {},
): Promise<SendItem[]> {
  const items: SendItem[] = [];
  for (const path of paths) {
    const source = resolve(path);
    const info = statOrThrow(source, path);
    const name = basename(source);
    if (info.isFile) {
      checkReadable(source, path);
      items.push({ kind: "file", source, path: name, size: info.size, mtime: mtimeOf(info) });
    } else if (info.isDirectory) {
      walk(source, name, items, notes, false);
    } else {
      throw new SockitError("not-a-file", { path });
    }
  }
  return items;
}

/**
 * The walk's metadata calls are synchronous: each takes microseconds on a local disk, where the
 * asynchronous form waits for a thread of the runtime's pool and back (a folder of 1000 files
 * took 40–50 ms to plan that way, before anything was sent).
 */
function statOrThrow(source: string, shown: string): Deno.FileInfo {
  try {
    return Deno.statSync(source);
  } catch (err) {
    throw readError(err, shown);
  }
}

/**
 * What went wrong reading `path`: `not-found`, `permission-denied`, or `read-failed` with the
 * system's reason.
 */
function readError(err: unknown, path: string): SockitError {
  if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
    return new SockitError("permission-denied", { path });
  }
  if (err instanceof Deno.errors.NotFound) return new SockitError("not-found", { path });
  return new SockitError("read-failed", {
    path,
    reason: err instanceof Error ? err.message : String(err),
  });
}

/** Fails now, before anything is sent, for a file this user may not read. */
function checkReadable(source: string, shown: string): void {
  try {
    Deno.openSync(source, { read: true }).close();
  } catch (err) {
    throw readError(err, shown);
  }
}

function walk(
  folder: string,
  prefix: string,
  items: SendItem[],
  notes: PlanNotes,
  inHidden: boolean,
): void {
  const entries: Deno.DirEntry[] = [];
  try {
    for (const entry of Deno.readDirSync(folder)) entries.push(entry);
  } catch (err) {
    throw readError(err, folder);
  }
  entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const files = entries.length;
  if (files === 0) {
    const info = statOrThrow(folder, folder);
    items.push({ kind: "folder", source: folder, path: prefix, size: 0, mtime: mtimeOf(info) });
    return;
  }
  for (const entry of entries) {
    const source = join(folder, entry.name);
    const path = `${prefix}/${entry.name}`;
    if (NEVER_SENT.has(entry.name)) {
      notes.onSkip?.(path);
      continue;
    }
    const hidden = inHidden || isHidden(entry.name);
    if (hidden && !inHidden) notes.onHidden?.(path);
    if (entry.isDirectory) {
      walk(source, path, items, notes, hidden);
      continue;
    }
    const info = statOrThrow(source, source);
    if (info.isFile) {
      checkReadable(source, source);
      items.push({ kind: "file", source, path, size: info.size, mtime: mtimeOf(info) });
    }
    // Folders reached through links and special files (sockets, devices) are not sent.
  }
}

function mtimeOf(info: Deno.FileInfo): number {
  return info.mtime?.getTime() ?? Date.now();
}

/**
 * Sends files and folders to a receiver and resolves once the receiver has answered for every
 * one. Refused files are counted in `rejected`; a broken connection or protocol error throws.
 *
 * @example
 * ```ts
 * import { startReceiver } from "./receiver.ts";
 * import { sendFiles } from "./sender.ts";
 * const receiver = await startReceiver({ dir: await Deno.makeTempDir(), host: "127.0.0.1", port: 0 });
 * const result = await sendFiles({ paths: ["deno.json"], port: receiver.addr.port });
 * console.log(result.files); // 1
 * await receiver.close();
 * ```
 * @throws {SockitError} `connection-refused` (start the receiver first), `closed-early`, `protocol`, …
 */
export async function sendFiles(options: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const skipped: string[] = [];
  const hidden: string[] = [];
  const items = await planSend(options.paths, {
    onSkip: (path) => skipped.push(path),
    onHidden: (path) => hidden.push(path),
  });
  const emit = options.onEvent ?? (() => {});
  if (skipped.length > 0) emit({ type: "skipped", paths: skipped });
  if (hidden.length > 0) emit({ type: "hidden", paths: hidden });
  if (options.classic && items.some((i) => i.kind === "folder" || i.path.includes("/"))) {
    throw new SockitError("bad-option", {
      reason: "--classic sends single files only; it cannot carry folders",
    });
  }
  return await new SendRun(options, items, started).run();
}

/** Errors after which a new connection may succeed (and resume). */
const RETRYABLE = new Set(["closed-early", "connection-reset", "timeout", "unreachable"]);

/** The first pause, and the longest, between two tries while the receiver is busy. */
const BUSY_FIRST_PAUSE_MS = 250;
const BUSY_MAX_PAUSE_MS = 10_000;

/**
 * A send of at most this many files, none over {@linkcode GATHERED_MAX_BYTES}, hashes each file
 * with WebCrypto over a copy of its bytes ({@linkcode gatheredSha256}) and never loads
 * `node:crypto`, which costs every process about 20 ms of CPU: what a class of students starting
 * sockit at once pays once per student. A send of more files streams its hashes through
 * `node:crypto` (about 6 µs a small file against WebCrypto's 60).
 */
const GATHERED_MAX_FILES = 64;
/** The largest file hashed from a copy of its bytes (see {@linkcode GATHERED_MAX_FILES}). */
const GATHERED_MAX_BYTES = 16 * 1024 * 1024;

/** How long to wait for the classic receiver to close once every byte was sent. */
const CLASSIC_DRAIN_MS = 5000;

/**
 * How long to wait for the receiver's reason after a failed write, or for the verdicts of the
 * files already sent when one of ours failed.
 */
const EXPLAIN_MS = 2000;

/** Failures of this side's own files, which the receiver has no reason to give for. */
const LOCAL_FAILURES = new Set(["file-changed", "read-failed", "permission-denied", "not-found"]);

/** One item as offered on one connection: its id there and what its answers brought. */
interface Slot {
  item: SendItem;
  /** Index in the run's items. */
  index: number;
  /** Offer id on this connection. */
  id: number;
  /** The receiver's `A` or `R`; rejected when the session fails first. */
  answer: PromiseWithResolvers<AcceptFrame | RejectFrame>;
  /** True once its `A` or `R` arrived. */
  replied: boolean;
  /** True once accepted until its verdict arrives. */
  awaitsVerdict: boolean;
  /** When its data started (for the verdict's `ms`). */
  started: number;
  /** The SHA-256 sent in its `E`. */
  sha256?: string;
  /** Settled once its verdict was taken (or the session failed first). */
  judged: PromiseWithResolvers<void>;
}

function slot(item: SendItem, index: number, id: number): Slot {
  const answer = Promise.withResolvers<AcceptFrame | RejectFrame>();
  answer.promise.catch(() => {});
  const judged = Promise.withResolvers<void>();
  judged.promise.catch(() => {});
  return { item, index, id, answer, replied: false, awaitsVerdict: false, started: 0, judged };
}

/**
 * One run of {@linkcode sendFiles}: the options, the items still to send, the running totals,
 * and the retry state, shared by every connection the run makes.
 */
class SendRun {
  readonly #options: SendOptions;
  readonly #items: SendItem[];
  readonly #emit: (event: SendEvent) => void;
  readonly #host: string;
  readonly #port: number;
  readonly #peer: string;
  /** When the run started, moved on by the time the user took to type the code. */
  #started: number;
  readonly #result: SendResult = {
    files: 0,
    bytes: 0,
    rejected: 0,
    failed: 0,
    interrupted: false,
    ms: 0,
  };
  /** The file under way and how much of it was sent, for the interruption report. */
  #current?: { item: SendItem; sent: number };
  /** Bytes sent of files confirmed or under way, and the bytes the run will send in all. */
  #totalBytes = 0;
  #totalSize: number;
  /** The pairing code, once known (asked at most once per run). */
  #code?: PairingCode;
  /** The trace layer of the bytes on the connection, in a paired session. */
  #layer?: TraceLayer;
  /** Items with a final answer (verdict, refusal, folder made): a reconnection skips them. */
  readonly #done: boolean[];
  /** Failed connections in a row. */
  #failures = 0;
  /** True once any connection reached the receiver's hello. */
  #connected = false;
  /** Times the receiver said busy since the last hello, and how long the run waited for it. */
  #busyTries = 0;
  #busyWaited = 0;
  /** Whether this run hashes from copies of its files (see {@linkcode GATHERED_MAX_FILES}). */
  readonly #gathered: boolean;

  constructor(options: SendOptions, items: SendItem[], started: number) {
    this.#options = options;
    this.#items = items;
    this.#emit = options.onEvent ?? (() => {});
    this.#host = options.host ?? "127.0.0.1";
    this.#port = options.port ?? 6000;
    this.#peer = formatHostPort({ host: this.#host, port: this.#port });
    this.#started = started;
    this.#totalSize = items.reduce((sum, i) => sum + (i.kind === "file" ? i.size : 0), 0);
    this.#done = items.map(() => false);
    const files = items.filter((i) => i.kind === "file");
    this.#gathered = files.length <= GATHERED_MAX_FILES &&
      files.every((i) => i.size <= GATHERED_MAX_BYTES);
  }

  async run(): Promise<SendResult> {
    const files = this.#items.filter((i) => i.kind === "file").length;
    this.#emit({
      type: "plan",
      files,
      folders: this.#items.length - files,
      bytes: this.#totalSize,
    });
    try {
      if (this.#options.classic) {
        for (const item of this.#items) {
          if (this.#signal?.aborted) break;
          await this.#classic(item);
        }
      } else {
        await this.#sendWithRetries();
      }
    } catch (err) {
      // Stopping closes the connection under whatever was under way: that is no failure.
      if (!this.#signal?.aborted) throw err;
    }
    if (this.#signal?.aborted) {
      this.#result.interrupted = true;
      const current = this.#current;
      this.#emit({
        type: "interrupted",
        path: current?.item.path ?? null,
        sent: current?.sent ?? 0,
        size: current?.item.size ?? 0,
        resumable: !this.#options.classic,
      });
    }
    this.#result.ms = performance.now() - this.#started;
    this.#emit({ type: "done", ...this.#result });
    return { ...this.#result };
  }

  get #signal(): AbortSignal | undefined {
    return this.#options.signal;
  }

  get #chunkSize(): number {
    return this.#options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  }

  /** Connects; the connection closes when the run is stopped, and when disposed. */
  async #open(): Promise<Wire> {
    const timeoutMs = this.#options.timeoutMs ?? 30_000;
    const conn = await connect({
      host: this.#host,
      port: this.#port,
      timeoutMs,
      signal: this.#signal,
    });
    const peer = this.#peer;
    this.#layer = undefined;
    return new Wire(conn, {
      idleTimeoutMs: timeoutMs,
      context: { host: this.#host, port: this.#port },
      onTrace: this.#options.trace
        ? (direction, bytes) => {
          const layer = this.#layer;
          this.#emit({ type: "trace", peer, direction, bytes, ...(layer ? { layer } : {}) });
        }
        : undefined,
    });
  }

  /**
   * Asks the user for the code; the time they take to type it is not the transfer's (neither in
   * its milliseconds nor in its rate).
   */
  async #ask(prompt: () => Promise<PairingCode>): Promise<PairingCode> {
    const asked = performance.now();
    try {
      return await prompt();
    } finally {
      this.#started += performance.now() - asked;
    }
  }

  /**
   * The session's wire after the hello: with `auth: "cpace"`, the pairing handshake on `raw`
   * and then the plaintext of the records; with `none`, `raw` itself.
   */
  async #secure(raw: Wire, hello: HelloFrame): Promise<Wire> {
    const given = this.#options.code;
    if (hello.auth === "none") {
      // A code the user gave would protect nothing here: say so. A prompt is simply not shown.
      if (given !== undefined && typeof given !== "function") {
        throw new SockitError("open-receiver", { host: this.#host, port: this.#port });
      }
      if (this.#options.requirePairing) {
        throw new SockitError("unpaired-receiver", { host: this.#host, port: this.#port });
      }
      return raw;
    }
    if (given === undefined) {
      throw new SockitError("code-needed", { host: this.#host, port: this.#port });
    }
    this.#code ??= typeof given === "function" ? await this.#ask(given) : given;
    this.#layer = "handshake";
    // Loaded only when pairing: the curve arithmetic is costly to load and an open receiver
    // never needs it.
    const [{ pairAsSender }, { RecordConn }] = await Promise.all([
      import("./pairing.ts"),
      import("./record_conn.ts"),
    ]);
    const keys = await pairAsSender(raw, this.#code);
    this.#layer = "record";
    const peer = this.#peer;
    return new Wire(new RecordConn(raw, keys), {
      idleTimeoutMs: this.#options.timeoutMs ?? 30_000,
      context: { host: this.#host, port: this.#port },
      onTrace: this.#options.trace
        ? (direction, bytes) =>
          this.#emit({ type: "trace", peer, direction, bytes, layer: "plaintext" })
        : undefined,
    });
  }

  /**
   * Sends the items, reconnecting after a dropped connection up to `retries` times in a row
   * (with doubling pauses) and resuming the interrupted file where the receiver stopped.
   */
  async #sendWithRetries(): Promise<void> {
    const retries = this.#options.retries ?? 3;
    const baseDelay = this.#options.retryDelayMs ?? 1000;
    while (true) {
      try {
        return await this.#session();
      } catch (err) {
        // Stopped by the user (Ctrl+C closes the connection at once): what was confirmed stays
        // counted, the receiver keeps the interrupted file for a resume, and no error is shown.
        if (this.#signal?.aborted) return;
        const error = toSockitError(err, "io");
        if (error.code === "file-changed" && this.#skip(error)) {
          if (this.#done.every(Boolean)) return;
          continue;
        }
        const reason = String(error.details.reason ?? error.code);
        if (error.code === "rejected" && error.details.code === "busy") {
          const delayMs = this.#busyDelay();
          if (delayMs === undefined) throw error;
          const attempt = this.#busyTries;
          this.#emit({
            type: "retry",
            attempt,
            retries,
            delayMs,
            code: error.code,
            reason,
            busy: true,
          });
          await delay(delayMs, this.#signal);
          continue;
        }
        // Reconnecting is worth it only once a receiver was there (it is restarting, or the
        // network dropped): before that, a timeout, a refusal or an unreachable host is the
        // answer, and retrying would multiply the --timeout the user asked for. A hang-up
        // before the hello then is a restarting receiver too.
        const transient = this.#connected &&
          (RETRYABLE.has(error.code) || ["connection-refused", "not-sockit"].includes(error.code));
        if (!transient || this.#failures >= retries) throw error;
        this.#failures++;
        const delayMs = Math.min(baseDelay * 2 ** (this.#failures - 1), 30_000);
        this.#emit({
          type: "retry",
          attempt: this.#failures,
          retries,
          delayMs,
          code: error.code,
          reason,
        });
        await delay(delayMs, this.#signal);
      }
    }
  }

  /**
   * Leaves out the file that changed while it was sent, so that a new connection goes on with
   * the others (the receiver keeps what arrived of it as a partial); false when `error` names
   * no file still to send.
   */
  #skip(error: SockitError): boolean {
    const index = this.#items.findIndex((item, i) =>
      !this.#done[i] && item.kind === "file" && item.source === error.details.path
    );
    if (index < 0) return false;
    const item = this.#items[index];
    this.#done[index] = true;
    this.#result.failed++;
    this.#totalSize -= item.size;
    if (this.#current?.item === item) this.#current = undefined;
    this.#emit({ type: "file-failed", path: item.path, code: error.code, details: error.details });
    return true;
  }

  /** The next pause while the receiver is busy, or `undefined` once `busyWaitMs` is used up. */
  #busyDelay(): number | undefined {
    const budget = this.#options.busyWaitMs ?? 60_000;
    if (this.#busyWaited >= budget) return undefined;
    const first = this.#options.busyDelayMs ?? BUSY_FIRST_PAUSE_MS;
    const step = Math.min(first * 2 ** this.#busyTries, BUSY_MAX_PAUSE_MS);
    const jittered = Math.round(step * (0.5 + Math.random()));
    const delayMs = Math.min(jittered, budget - this.#busyWaited);
    this.#busyTries++;
    this.#busyWaited += delayMs;
    return delayMs;
  }

  /**
   * One connection: the preface and hello, then every item not yet answered for, pipelined
   * (offers run ahead within the receiver's window while a reader matches the answers), then
   * `Q` both ways.
   */
  async #session(): Promise<void> {
    using raw = await this.#open();
    using _ = onAbort(this.#signal, () => raw.close());
    await raw.write(encodePreface(PROTOCOL_VERSION));
    const hello = await answer(raw).catch((err) => {
      // A receiver that answers the preface with something else, or hangs up, is not sockit's:
      // most likely the lesson's receiver (which wants --classic) or another program.
      const error = toSockitError(err, "io");
      // One that answered before and now hangs up is restarting (or a proxy in between found it
      // down): worth a retry, not "not sockit".
      if (this.#connected && error.code === "closed-early") throw error;
      if (error instanceof ProtocolError || error.code === "closed-early") {
        throw new SockitError("not-sockit", { host: this.#host, port: this.#port });
      }
      throw error;
    });
    if (hello.type !== "H") throw new ProtocolError(`expected a hello frame, got ${hello.type}`);
    const wire = await this.#secure(raw, hello);
    const name = this.#options.name;
    this.#emit({
      type: "connected",
      peer: this.#peer,
      protocol: "sockit",
      ...(name !== undefined ? { name } : {}),
    });
    this.#connected = true;
    this.#busyTries = 0;
    this.#busyWaited = 0;
    // What this connection offers: every item without a final answer, numbered from 1.
    const slots: Slot[] = [];
    this.#items.forEach((item, index) => {
      if (!this.#done[index]) slots.push(slot(item, index, slots.length + 1));
    });
    this.#totalBytes = this.#result.bytes;
    const reader = this.#readAnswers(wire, slots);
    reader.catch(() => {});
    try {
      await this.#writeAll(wire, slots, hello.window);
    } catch (err) {
      if (err instanceof SockitError && LOCAL_FAILURES.has(err.code)) {
        // The files sent before it may still have their verdicts on the way: take them before
        // the connection closes, or they would be offered (and stored) again.
        const sent = slots.filter((s) => s.awaitsVerdict && s.sha256 !== undefined);
        await within(Promise.allSettled(sent.map((s) => s.judged.promise)), EXPLAIN_MS);
        throw err;
      }
      // The receiver may have said why before closing (disk full, a bad name): prefer that.
      const why = await within(reader.then(() => undefined, (e) => e), EXPLAIN_MS);
      if (why instanceof SockitError && why.code === "rejected") throw why;
      throw err;
    }
    await reader;
  }

  /**
   * Writes offers ahead (at most `window` beyond the next file's data), and each file's data.
   * Offers and small files go out together in writes of about {@linkcode SMALL_FILE_SIZE}
   * bytes, and whatever is gathered goes at once when the writer must wait for an answer (the
   * receiver may need it to answer): a folder of small files costs a socket write (and a
   * packet, and a wake-up of the receiver) per few files rather than per file.
   */
  async #writeAll(wire: Wire, slots: Slot[], window: number): Promise<void> {
    let offered = 0;
    const batch = new WriteBatch(wire);
    // Who is sending goes first, in the same write as the first offers (no answer to wait for).
    const name = this.#options.name;
    if (name !== undefined) batch.add(encodeFrame({ type: "I", name }));
    for (let next = 0; next < slots.length; next++) {
      if (this.#signal?.aborted) return;
      for (; offered < slots.length && offered - next < window; offered++) {
        const { item, id } = slots[offered];
        batch.add(encodeFrame(
          item.kind === "folder"
            ? { type: "D", id, path: item.path }
            : { type: "F", id, path: item.path, size: item.size, mtime: item.mtime },
        ));
      }
      const current = slots[next];
      if (!current.replied) await batch.flush();
      const reply = await current.answer.promise;
      if (reply.type === "A" && current.item.kind === "file") {
        try {
          await this.#data(wire, current, reply, batch);
        } catch (err) {
          // The small files gathered before one of ours that failed are whole: they go, so
          // that their verdicts come before the connection closes (see #session).
          if (err instanceof SockitError && LOCAL_FAILURES.has(err.code)) {
            await batch.flush().catch(() => {});
          }
          throw err;
        }
      }
    }
    if (this.#signal?.aborted) return;
    // (With nothing to offer, the identity still goes first.)
    await batch.flush(encodeFrame({ type: "Q" }));
    await wire.closeWrite();
  }

  /**
   * Reads the receiver's answers as they come: accepts and refusals in offer order, verdicts
   * in data order, then the receiver's `Q` and the end of its direction. Throws on an `X`, a
   * failed verdict or anything out of order, which also wakes a writer waiting for an answer.
   */
  async #readAnswers(wire: Wire, slots: Slot[]): Promise<void> {
    let answered = 0;
    let judged = 0;
    try {
      while (true) {
        const frame = await answer(wire, this.#options.name);
        if (frame.type === "A" || frame.type === "R") {
          const current = slots[answered++];
          if (current?.id !== frame.id) throw new ProtocolError(`an answer for offer ${frame.id}`);
          current.replied = true;
          this.#answered(current, frame);
          current.answer.resolve(frame);
        } else if (frame.type === "V") {
          while (judged < slots.length && !slots[judged].awaitsVerdict) judged++;
          const current = slots[judged++];
          if (current?.id !== frame.id || current.sha256 === undefined) {
            throw new ProtocolError(`a verdict for file ${frame.id}`);
          }
          this.#verdict(current, frame);
          current.judged.resolve();
        } else if (frame.type === "Q") {
          if (answered < slots.length || slots.some((s) => s.awaitsVerdict)) {
            throw new ProtocolError("the receiver ended the session before answering every file");
          }
          if (await wire.readSome(1) !== null) throw new ProtocolError("bytes after the end");
          return;
        } else {
          throw new ProtocolError(`unexpected frame ${frame.type}`);
        }
      }
    } catch (err) {
      for (const current of slots) {
        current.answer.reject(err);
        current.judged.reject(err);
      }
      throw err;
    }
  }

  /** An offer's answer arrived: a refusal or a folder made is final. */
  #answered(current: Slot, reply: AcceptFrame | RejectFrame): void {
    const { item } = current;
    if (reply.type === "R") {
      if (item.kind === "file") this.#totalSize -= item.size;
      this.#rejected(item, reply);
    } else if (item.kind === "folder") {
      this.#emit({ type: "folder", path: item.path });
    } else {
      current.awaitsVerdict = true;
      return;
    }
    this.#finished(current);
  }

  /** An item has its final answer: a new connection does not offer it again. */
  #finished(current: Slot): void {
    this.#done[current.index] = true;
    this.#failures = 0;
  }

  #verdict(current: Slot, verdict: VerdictFrame): void {
    const { item } = current;
    current.awaitsVerdict = false;
    if (!verdict.ok) {
      throw new SockitError("unverified", {
        path: item.path,
        reason: verdict.message ?? verdict.code ?? "",
      });
    }
    if (verdict.sha256 !== current.sha256) {
      throw new SockitError("unverified", {
        path: item.path,
        reason: "the receiver reported a different SHA-256",
      });
    }
    this.#finished(current);
    this.#result.files++;
    this.#result.bytes += item.size;
    if (this.#current?.item === item) this.#current = undefined;
    this.#emit({
      type: "file-done",
      path: item.path,
      size: item.size,
      stored: verdict.stored ?? null,
      sha256: current.sha256,
      ms: performance.now() - current.started,
      ...(verdict.time !== undefined ? { time: verdict.time } : {}),
    });
  }

  #rejected(item: SendItem, reply: RejectFrame): void {
    const problem = refusalProblem(reply.code, reply.message);
    this.#result.rejected++;
    this.#emit({
      type: "file-rejected",
      path: item.path,
      code: reply.code,
      reason: reply.message,
      ...(problem ? { problem } : {}),
    });
  }

  /** A progress transform for `item`, counting into the run's totals from `start`. */
  #progress(item: SendItem, start: number): TransformStream<Uint8Array, Uint8Array> {
    return progress(this.#onProgress(item, start), { total: item.size, start });
  }

  /** Reports the progress of `item` (bytes sent so far, from `start`) into the run's totals. */
  #onProgress(item: SendItem, start: number): (bytes: number) => void {
    const before = this.#totalBytes;
    this.#current = { item, sent: start };
    return (bytes) => {
      this.#totalBytes = before + bytes;
      this.#current = { item, sent: bytes };
      this.#emit({
        type: "file-progress",
        path: item.path,
        size: item.size,
        bytes,
        totalBytes: this.#totalBytes,
        totalSize: this.#totalSize,
      });
    };
  }

  /** Streams the file from `offset` to the connection; `file` is closed when it ends. */
  async #stream(
    wire: Wire,
    item: SendItem,
    file: Deno.FsFile,
    offset: number,
    hash?: StreamHash,
  ): Promise<void> {
    // Large file reads; socket writes of the chunk size asked for (see wire.writable).
    const source = fileSource(file, {
      chunkSize: Math.max(this.#chunkSize, DEFAULT_CHUNK_SIZE),
      offset,
      length: item.size - offset,
      path: item.source,
    });
    await (hash ? source.pipeThrough(hash.transform) : source)
      .pipeThrough(this.#progress(item, offset))
      .pipeTo(wire.writable(this.#chunkSize));
  }

  /**
   * Sends an accepted file's `S`, bytes and `E` (the verdict comes to the reader) after what
   * `batch` holds. A small file is read at once, hashed and framed into the batch; a larger one
   * goes after the batch, streamed.
   */
  async #data(wire: Wire, current: Slot, reply: AcceptFrame, batch: WriteBatch): Promise<void> {
    const { item, id } = current;
    current.started = performance.now();
    const hash = this.#gathered ? gatheredSha256(item.size) : await sha256Stream();
    const offset = await resumeOffset(item, reply, hash);
    this.#emit({ type: "file-start", path: item.path, size: item.size, offset });
    using file = openSource(item);
    // (With a small --chunk-size, which the lesson uses to show writes, every file streams.)
    if (item.size - offset <= SMALL_FILE_SIZE && this.#chunkSize >= SMALL_FILE_SIZE) {
      if (offset > 0) file.seekSync(offset, Deno.SeekMode.Start);
      const bytes = readWhole(file, item.size - offset, item.source);
      hash.update(bytes);
      current.sha256 = await hash.digest();
      batch.add(
        encodeFrame({ type: "S", id, offset }),
        bytes,
        encodeFrame({ type: "E", id, sha256: current.sha256 }),
      );
      if (batch.full) await batch.flush();
      // Counted as sent once gathered: the batch leaves before the writer next waits, and a
      // small file is not resumed, so nothing relies on its bytes being out already.
      this.#onProgress(item, offset)(item.size);
      return;
    }
    await batch.flush(encodeFrame({ type: "S", id, offset }));
    await this.#stream(wire, item, file, offset, hash);
    current.sha256 = await hash.digest();
    await writeFrame(wire, { type: "E", id, sha256: current.sha256 });
  }

  /** The lesson's protocol: size digits, wait for `ready`, the bytes, close. */
  async #classic(item: SendItem): Promise<void> {
    using wire = await this.#open();
    using _ = onAbort(this.#signal, () => wire.close());
    this.#emit({ type: "connected", peer: this.#peer, protocol: "classic" });
    await wire.write(new TextEncoder().encode(String(item.size)));
    const ready = await wire.readExact(CLASSIC_READY.length).catch((err) => {
      throw toSockitError(err, "io", { host: this.#host, port: this.#port });
    });
    if (!ready.every((b, i) => b === CLASSIC_READY[i])) {
      throw new ProtocolError(
        `the receiver answered ${JSON.stringify(new TextDecoder().decode(ready))}, not "ready"`,
      );
    }
    const started = performance.now();
    this.#emit({ type: "file-start", path: item.path, size: item.size, offset: 0 });
    const before = this.#totalBytes;
    using file = openSource(item);
    await this.#stream(wire, item, file, 0);
    await wire.closeWrite();
    // The lesson's receiver closes once it has every byte; wait (bounded) for that.
    await within(drain(wire), CLASSIC_DRAIN_MS);
    this.#result.files++;
    this.#result.bytes += item.size;
    this.#totalBytes = before + item.size;
    this.#current = undefined;
    this.#emit({
      type: "file-done",
      path: item.path,
      size: item.size,
      stored: null,
      sha256: null,
      ms: performance.now() - started,
    });
    this.#emit({ type: "classic-unverified", path: item.path });
  }
}

/**
 * Frames and small files' bytes gathered to go out in one socket write: once they reach
 * {@linkcode SMALL_FILE_SIZE} bytes, or when the writer flushes them before it waits.
 */
class WriteBatch {
  readonly #wire: Wire;
  readonly #parts: Uint8Array[] = [];
  #bytes = 0;

  constructor(wire: Wire) {
    this.#wire = wire;
  }

  /** True once the batch holds enough for one write. */
  get full(): boolean {
    return this.#bytes >= SMALL_FILE_SIZE;
  }

  add(...parts: Uint8Array[]): void {
    for (const part of parts) {
      this.#parts.push(part);
      this.#bytes += part.length;
    }
  }

  /** Writes what is gathered, then `last`, in one write. */
  async flush(...last: Uint8Array[]): Promise<void> {
    this.add(...last);
    if (this.#parts.length === 0) return;
    const parts = this.#parts.splice(0);
    this.#bytes = 0;
    await this.#wire.writeParts(parts);
  }
}

/** Reads the receiver's next answer, turning an `X` frame into an error. */
async function answer(wire: Wire, name?: string): Promise<ReceiverFrame> {
  const frame = await readFrame(wire, "receiver");
  if (frame.type === "X" && frame.code === "not-on-roster") {
    // The receiver's class list has no such name: it says which names come closest.
    throw new SockitError("not-on-roster", {
      name: name ?? "",
      closest: (frame.closest ?? []).join(", "),
    });
  }
  if (frame.type === "X") throw sessionError(frame.code, frame.message);
  return frame;
}

function sessionError(code: RejectCode, message: string): SockitError {
  return new SockitError("rejected", { code, reason: message });
}

/**
 * Decides where to start: at the receiver's offer when the bytes it holds hash the same as the
 * start of our file (then `hash` already covers them), else from 0.
 */
async function resumeOffset(item: SendItem, offer: AcceptFrame, hash: StreamHash): Promise<number> {
  if (offer.offset === 0 || offer.offset > item.size || !offer.prefixSha256) return 0;
  try {
    await hashPrefix(item.source, offer.offset, hash);
    if (await hash.peek() === offer.prefixSha256) return offer.offset;
  } catch {
    // The file changed or cannot be read twice: start over.
  }
  hash.reset();
  return 0;
}

/**
 * Opens a file to send, with one synchronous call: an open takes microseconds on a local disk,
 * where the asynchronous form waits for a thread of the runtime's pool and back (per small file,
 * that wait was a good part of what it cost).
 */
function openSource(item: SendItem): Deno.FsFile {
  try {
    return Deno.openSync(item.source, { read: true });
  } catch (err) {
    throw readError(err, item.source);
  }
}

/** Reads and drops whatever the peer still sends, until it closes. */
async function drain(wire: Wire): Promise<void> {
  try {
    while (await wire.readSome() !== null) continue;
  } catch {
    // A reset after the bytes were sent ends the wait just the same.
  }
}
