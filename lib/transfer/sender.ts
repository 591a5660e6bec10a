/**
 * The sender (`sockit send`): walks the given files and folders and sends them over one
 * connection, each verified by the receiver's SHA-256 verdict; or, with `classic`, speaks the
 * lesson's protocol to a lesson-style receiver.
 *
 * @module
 */

import { basename, join, resolve } from "node:path";
import { formatHostPort } from "../net/address.ts";
import { delay } from "../core/delay.ts";
import { SockitError, toSockitError } from "../core/errors.ts";
import { connect } from "../net/socket.ts";
import {
  CLASSIC_READY,
  encodePreface,
  PROTOCOL_VERSION,
  ProtocolError,
  readFrame,
  writeFrame,
} from "./protocol.ts";
import type { AcceptFrame, ReceiverFrame, RejectCode } from "./protocol.ts";
import {
  DEFAULT_CHUNK_SIZE,
  fileSource,
  hashPrefix,
  progress,
  sha256Stream,
} from "../core/streams.ts";
import type { StreamHash } from "../core/streams.ts";
import type { TraceEvent } from "../net/trace.ts";
import { Wire } from "../net/wire.ts";

/** One thing to send: a file or an (empty) folder, with its path as the receiver sees it. */
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

/** Options for {@linkcode sendFiles}. */
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
  /** Emit a `trace` event for every chunk in both directions. */
  trace?: boolean;
  /** Receives every event; the sender never prints. */
  onEvent?: (event: SendEvent) => void;
  /** Stops after the current file when aborted (the connection is closed at once). */
  signal?: AbortSignal;
}

/** What the sender reports. */
export type SendEvent =
  | { type: "plan"; files: number; folders: number; bytes: number }
  | { type: "connected"; peer: string; protocol: "sockit" | "classic" }
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
  }
  | { type: "file-rejected"; path: string; code: RejectCode; reason: string }
  | { type: "folder"; path: string }
  | {
    type: "retry";
    attempt: number;
    retries: number;
    delayMs: number;
    code: string;
    reason: string;
  }
  | { type: "classic-unverified"; path: string }
  | ({ type: "done" } & SendResult)
  | TraceEvent;

/** Totals of a send. */
export interface SendResult {
  /** Files the receiver stored (and, unless classic, verified). */
  files: number;
  /** Bytes of those files. */
  bytes: number;
  /** Files the receiver refused. */
  rejected: number;
  /** Wall time in milliseconds. */
  ms: number;
}

/**
 * Lists what sending `paths` means: each file under its base name, each folder recursively
 * under its own name, keeping empty folders. Symbolic links to files are followed; links to
 * folders are skipped (they could loop).
 *
 * @example
 * ```ts
 * import { planSend } from "./sender.ts";
 * const items = await planSend(["deno.json"]);
 * console.log(items[0].path); // "deno.json"
 * ```
 * @throws {SockitError} `not-found` or `not-a-file` for a path that cannot be sent.
 */
export async function planSend(paths: readonly string[]): Promise<SendItem[]> {
  const items: SendItem[] = [];
  for (const path of paths) {
    const source = resolve(path);
    const info = await statOrThrow(source, path);
    const name = basename(source);
    if (info.isFile) {
      items.push({ kind: "file", source, path: name, size: info.size, mtime: mtimeOf(info) });
    } else if (info.isDirectory) {
      await walk(source, name, items);
    } else {
      throw new SockitError("not-a-file", { path });
    }
  }
  return items;
}

async function statOrThrow(source: string, shown: string): Promise<Deno.FileInfo> {
  try {
    return await Deno.stat(source);
  } catch (err) {
    const error = toSockitError(err, "file", { path: shown });
    throw error.code === "not-found"
      ? error
      : new SockitError("read-failed", { path: shown, reason: error.message });
  }
}

async function walk(folder: string, prefix: string, items: SendItem[]): Promise<void> {
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) entries.push(entry);
  } catch (err) {
    throw new SockitError("read-failed", { path: folder, reason: toSockitError(err).message });
  }
  entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const files = entries.length;
  if (files === 0) {
    const info = await statOrThrow(folder, folder);
    items.push({ kind: "folder", source: folder, path: prefix, size: 0, mtime: mtimeOf(info) });
    return;
  }
  for (const entry of entries) {
    const source = join(folder, entry.name);
    const path = `${prefix}/${entry.name}`;
    if (entry.isDirectory) {
      await walk(source, path, items);
      continue;
    }
    const info = await statOrThrow(source, source);
    if (info.isFile) {
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
  const emit = options.onEvent ?? (() => {});
  const started = performance.now();
  const items = await planSend(options.paths);
  const files = items.filter((i) => i.kind === "file");
  if (options.classic && items.some((i) => i.kind === "folder" || i.path.includes("/"))) {
    throw new SockitError("bad-option", {
      reason: "--classic sends single files only; it cannot carry folders",
    });
  }
  const totalSize = files.reduce((sum, i) => sum + i.size, 0);
  emit({
    type: "plan",
    files: files.length,
    folders: items.length - files.length,
    bytes: totalSize,
  });
  const progressState = { totalBytes: 0, totalSize };
  const result: SendResult = { files: 0, bytes: 0, rejected: 0, ms: 0 };
  if (options.classic) {
    for (const item of files) {
      await sendClassic(options, item, emit, progressState);
      result.files++;
      result.bytes += item.size;
    }
  } else {
    await sendWithRetries(options, items, emit, progressState, result);
  }
  result.ms = performance.now() - started;
  emit({ type: "done", ...result });
  return result;
}

type Emit = (event: SendEvent) => void;
type Totals = { totalBytes: number; totalSize: number };

async function open(options: SendOptions, emit: Emit): Promise<{ wire: Wire; peer: string }> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 6000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const conn = await connect({ host, port, timeoutMs, signal: options.signal });
  const peer = formatHostPort({ host, port });
  const wire = new Wire(conn, {
    idleTimeoutMs: timeoutMs,
    context: { host, port },
    onTrace: options.trace
      ? (direction, bytes) => emit({ type: "trace", peer, direction, bytes })
      : undefined,
  });
  options.signal?.addEventListener("abort", () => wire.close(), { once: true });
  return { wire, peer };
}

/** Reads the receiver's next answer, turning an `X` frame into an error. */
async function answer(wire: Wire): Promise<ReceiverFrame> {
  const frame = await readFrame(wire, "receiver");
  if (frame.type === "X") throw sessionError(frame.code, frame.message);
  return frame;
}

function sessionError(code: RejectCode, message: string): SockitError {
  return new SockitError("rejected", { code, reason: message });
}

/**
 * After a failed write, the receiver may have said why before closing (disk full, busy):
 * read that answer briefly and prefer it over the bare connection error.
 */
async function explain(wire: Wire, error: unknown): Promise<never> {
  const reason = await Promise.race([
    readFrame(wire, "receiver").catch(() => null),
    new Promise<null>((r) => setTimeout(() => r(null), 2000)),
  ]);
  if (reason?.type === "X") throw sessionError(reason.code, reason.message);
  throw error;
}

/** Errors after which a new connection may succeed (and resume). */
const RETRYABLE = new Set(["closed-early", "connection-reset", "timeout", "unreachable"]);

/**
 * Sends `items`, reconnecting after a dropped connection up to `retries` times in a row (with
 * doubling pauses) and resuming the interrupted file where the receiver stopped.
 */
async function sendWithRetries(
  options: SendOptions,
  items: SendItem[],
  emit: Emit,
  totals: Totals,
  result: SendResult,
): Promise<void> {
  const retries = options.retries ?? 3;
  const baseDelay = options.retryDelayMs ?? 1000;
  let next = 0;
  let failures = 0;
  let connected = false;
  while (true) {
    try {
      await sendSession(options, items.slice(next), emit, totals, result, {
        connected: () => connected = true,
        finished: () => {
          next++;
          failures = 0;
        },
      });
      return;
    } catch (err) {
      // Stopped by the user (Ctrl+C closes the connection at once): what was confirmed stays
      // counted, the receiver keeps the interrupted file for a resume, and no error is shown.
      if (options.signal?.aborted) return;
      const error = toSockitError(err, "io");
      const busy = error.code === "rejected" && error.details.code === "busy";
      // A refusal is worth retrying only once a receiver was there (it is restarting).
      const transient = RETRYABLE.has(error.code) || busy ||
        (connected && error.code === "connection-refused");
      if (!transient || failures >= retries || options.signal?.aborted) throw error;
      failures++;
      const delayMs = Math.min(baseDelay * 2 ** (failures - 1), 30_000);
      emit({
        type: "retry",
        attempt: failures,
        retries,
        delayMs,
        code: error.code,
        reason: reasonText(error),
      });
      await delay(delayMs, options.signal);
    }
  }
}

function reasonText(error: SockitError): string {
  return String(error.details.reason ?? error.code);
}

async function sendSession(
  options: SendOptions,
  items: SendItem[],
  emit: Emit,
  totals: Totals,
  result: SendResult,
  progressOf: { connected(): void; finished(): void },
): Promise<void> {
  const { wire, peer } = await open(options, emit);
  try {
    await wire.write(encodePreface(PROTOCOL_VERSION));
    const hello = await answer(wire).catch((err) => {
      // A receiver that answers the preface with something else, or hangs up, is not sockit's:
      // most likely the lesson's receiver (which wants --classic) or another program.
      const error = toSockitError(err, "io");
      if (error instanceof ProtocolError || error.code === "closed-early") {
        throw new SockitError("not-sockit", {
          host: options.host ?? "127.0.0.1",
          port: options.port ?? 6000,
        });
      }
      throw error;
    });
    if (hello.type !== "H") throw new ProtocolError(`expected a hello frame, got ${hello.type}`);
    emit({ type: "connected", peer, protocol: "sockit" });
    progressOf.connected();
    for (const item of items) {
      if (options.signal?.aborted) break;
      if (item.kind === "folder") {
        await writeFrame(wire, { type: "D", path: item.path });
        const reply = await answer(wire);
        if (reply.type === "R") {
          result.rejected++;
          emit({ type: "file-rejected", path: item.path, code: reply.code, reason: reply.message });
        } else emit({ type: "folder", path: item.path });
      } else {
        await sendOne(options, wire, item, emit, totals, result);
      }
      progressOf.finished();
    }
    if (!options.signal?.aborted) await writeFrame(wire, { type: "Q" });
  } finally {
    wire.close();
  }
}

async function sendOne(
  options: SendOptions,
  wire: Wire,
  item: SendItem,
  emit: Emit,
  totals: Totals,
  result: SendResult,
): Promise<void> {
  await writeFrame(wire, { type: "F", path: item.path, size: item.size, mtime: item.mtime });
  const reply = await answer(wire);
  if (reply.type === "R") {
    result.rejected++;
    totals.totalSize -= item.size;
    emit({ type: "file-rejected", path: item.path, code: reply.code, reason: reply.message });
    return;
  }
  if (reply.type !== "A") throw new ProtocolError(`expected accept or reject, got ${reply.type}`);
  const started = performance.now();
  const hash = sha256Stream();
  const offset = await resumeOffset(item, reply, hash);
  emit({ type: "file-start", path: item.path, size: item.size, offset });
  const file = await openSource(item);
  const before = totals.totalBytes;
  try {
    await writeFrame(wire, { type: "S", offset });
    // Large file reads; socket writes of the chunk size asked for (see wire.writable).
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    await fileSource(file, {
      chunkSize: Math.max(chunkSize, DEFAULT_CHUNK_SIZE),
      offset,
      path: item.source,
    })
      .pipeThrough(hash.transform)
      .pipeThrough(progress((bytes) => {
        totals.totalBytes = before + bytes;
        emit({ type: "file-progress", path: item.path, size: item.size, bytes, ...totals });
      }, { total: item.size, start: offset }))
      .pipeTo(wire.writable(chunkSize));
  } catch (err) {
    await explain(wire, err);
  }
  const sha256 = hash.digest();
  await writeFrame(wire, { type: "E", sha256 });
  const verdict = await answer(wire);
  if (verdict.type !== "V") throw new ProtocolError(`expected a verdict, got ${verdict.type}`);
  if (!verdict.ok) {
    throw new SockitError("unverified", {
      path: item.path,
      reason: verdict.message ?? verdict.code ?? "",
    });
  }
  if (verdict.sha256 !== sha256) {
    throw new SockitError("unverified", {
      path: item.path,
      reason: "the receiver reported a different SHA-256",
    });
  }
  result.files++;
  result.bytes += item.size;
  totals.totalBytes = before + item.size;
  emit({
    type: "file-done",
    path: item.path,
    size: item.size,
    stored: verdict.stored ?? null,
    sha256,
    ms: performance.now() - started,
  });
}

/**
 * Decides where to start: at the receiver's offer when the bytes it holds hash the same as the
 * start of our file (then `hash` already covers them), else from 0.
 */
async function resumeOffset(item: SendItem, offer: AcceptFrame, hash: StreamHash): Promise<number> {
  if (offer.offset === 0 || offer.offset > item.size || !offer.prefixSha256) return 0;
  try {
    await hashPrefix(item.source, offer.offset, hash);
    if (hash.peek() === offer.prefixSha256) return offer.offset;
  } catch {
    // The file changed or cannot be read twice: start over.
  }
  hash.reset();
  return 0;
}

async function openSource(item: SendItem): Promise<Deno.FsFile> {
  try {
    return await Deno.open(item.source, { read: true });
  } catch (err) {
    throw new SockitError("read-failed", { path: item.source, reason: toSockitError(err).message });
  }
}

/** The lesson's protocol: size digits, wait for `ready`, the bytes, close. */
async function sendClassic(
  options: SendOptions,
  item: SendItem,
  emit: Emit,
  totals: Totals,
): Promise<void> {
  const { wire, peer } = await open(options, emit);
  try {
    emit({ type: "connected", peer, protocol: "classic" });
    await wire.write(new TextEncoder().encode(String(item.size)));
    const ready = await wire.readExact(CLASSIC_READY.length).catch((err) => {
      throw toSockitError(err, "io", {
        host: options.host ?? "127.0.0.1",
        port: options.port ?? 6000,
      });
    });
    if (!ready.every((b, i) => b === CLASSIC_READY[i])) {
      throw new ProtocolError(
        `the receiver answered ${JSON.stringify(new TextDecoder().decode(ready))}, not "ready"`,
      );
    }
    const started = performance.now();
    emit({ type: "file-start", path: item.path, size: item.size, offset: 0 });
    const before = totals.totalBytes;
    const file = await openSource(item);
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    await fileSource(file, {
      chunkSize: Math.max(chunkSize, DEFAULT_CHUNK_SIZE),
      path: item.source,
    })
      .pipeThrough(progress((bytes) => {
        totals.totalBytes = before + bytes;
        emit({ type: "file-progress", path: item.path, size: item.size, bytes, ...totals });
      }, { total: item.size }))
      .pipeTo(wire.writable(chunkSize));
    await wire.closeWrite();
    // The lesson's receiver closes once it has every byte; wait (bounded) for that.
    await Promise.race([drain(wire), new Promise((r) => setTimeout(r, 5000))]);
    totals.totalBytes = before + item.size;
    emit({
      type: "file-done",
      path: item.path,
      size: item.size,
      stored: null,
      sha256: null,
      ms: performance.now() - started,
    });
    emit({ type: "classic-unverified", path: item.path });
  } finally {
    wire.close();
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
