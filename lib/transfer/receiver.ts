/**
 * The receiver (`sockit receive`): accepts any number of senders at once, speaking the sockit
 * protocol or the lesson's classic one on the same port, and stores every file verified and
 * under a name that never clobbers another.
 *
 * @module
 */

import { resolve } from "node:path";
import { formatAddr, reachableAddresses } from "../net/address.ts";
import { SockitError, toSockitError } from "../core/errors.ts";
import type { ErrorCode } from "../core/errors.ts";
import { NameError, sanitizePath } from "./names.ts";
import { listen } from "../net/socket.ts";
import { serveConnections, stopOnce } from "../net/server.ts";
import {
  CLASSIC_MAX_DIGITS,
  CLASSIC_READY,
  decodePreface,
  isClassicStart,
  MAGIC,
  parseClassicSize,
  PREFACE_SIZE,
  PROTOCOL_VERSION,
  ProtocolError,
  readFrame,
  writeFrame,
} from "./protocol.ts";
import type { FileFrame, RejectCode } from "./protocol.ts";
import { guessExtension, SNIFF_BYTES } from "./sniff.ts";
import { PartialStore } from "./partials.ts";
import type { PartialFile } from "./partials.ts";
import { checkFolder, commitFile, discardTemp, openTemp, prepareFolder } from "./storage.ts";
import {
  DEFAULT_CHUNK_SIZE,
  fileSink,
  hashPrefix,
  progress,
  sha256Stream,
} from "../core/streams.ts";
import type { TraceEvent } from "../net/trace.ts";
import type { Wire } from "../net/wire.ts";

/** Options for {@linkcode startReceiver}. */
export interface ReceiverOptions {
  /** Folder files are stored in; created if missing. Default `./received`. */
  dir?: string;
  /** Address to listen on. Default `0.0.0.0`. */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 6000. */
  port?: number;
  /** Replace existing files instead of numbering new ones. Default false. */
  overwrite?: boolean;
  /** Largest file accepted, in bytes. Default: no limit. */
  maxSize?: number;
  /** Most senders served at once; more are told the receiver is busy. Default 64. */
  maxConnections?: number;
  /** A sender silent for this long is dropped. Default 30 000 ms. */
  idleTimeoutMs?: number;
  /** Largest chunk read from the network at once. Default 1 MiB. */
  chunkSize?: number;
  /** Base name for classic transfers (which carry no name). Default: time and sender address. */
  classicName?: string;
  /** How long a classic size may pause before it counts as complete. Default 150 ms. */
  classicQuietMs?: number;
  /** Emit a `trace` event for every chunk in both directions. */
  trace?: boolean;
  /** Receives every event; the receiver never prints. */
  onEvent?: (event: ReceiverEvent) => void;
  /** How long interrupted transfers are kept for a resume. Default 24 hours. */
  partialTtlMs?: number;
  /** How long a sender may take to send a complete header (preface, size, frame). Default 10 s. */
  headerTimeoutMs?: number;
  /** Stops the receiver when aborted. */
  signal?: AbortSignal;
}

/** A file's identity in receiver events. */
export interface ReceiverFileInfo {
  /** Unique per receiver, to tell concurrent transfers apart. */
  id: number;
  /** The sender's address. */
  peer: string;
  /** The name the sender gave (escaped before display), or `(classic)`. */
  path: string;
  /** Declared size in bytes. */
  size: number;
}

/** What the receiver reports. */
export type ReceiverEvent =
  | { type: "listening"; address: string; reachable: string[]; dir: string; port: number }
  | { type: "session"; peer: string; protocol: "sockit" | "classic" }
  | ({ type: "file-start"; offset: number } & ReceiverFileInfo)
  | ({ type: "file-progress"; bytes: number } & ReceiverFileInfo)
  | (
    & { type: "file-done"; stored: string; sha256: string; ms: number; classic: boolean }
    & ReceiverFileInfo
  )
  | { type: "file-rejected"; peer: string; path: string; code: RejectCode; reason: string }
  | ({ type: "file-failed"; code: ErrorCode | RejectCode; reason: string } & ReceiverFileInfo)
  | { type: "folder"; peer: string; stored: string }
  | { type: "session-end"; peer: string; files: number; bytes: number }
  | { type: "session-error"; peer: string; code: ErrorCode | RejectCode; reason: string }
  | ({ type: "stopped" } & ReceiverSummary)
  | TraceEvent;

/** Totals over a receiver's life. */
export interface ReceiverSummary {
  /** Sessions (connections) served. */
  sessions: number;
  /** Files stored and verified. */
  files: number;
  /** Bytes of those files. */
  bytes: number;
}

/** A running receiver. */
export interface Receiver {
  /** The bound address (with the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** The absolute path of the folder files are stored in. */
  readonly dir: string;
  /** Resolves with the totals once the receiver stopped. */
  readonly finished: Promise<ReceiverSummary>;
  /** Stops listening, ends every transfer (their temporary files are removed) and resolves. */
  close(): Promise<ReceiverSummary>;
}

/**
 * Starts a receiver. Errors opening the folder or the port are thrown at once as
 * {@linkcode SockitError}; everything afterwards is reported through `onEvent`.
 *
 * @example
 * ```ts
 * import { startReceiver } from "./receiver.ts";
 * const receiver = await startReceiver({ dir: await Deno.makeTempDir(), host: "127.0.0.1", port: 0 });
 * console.log(receiver.addr.port);
 * await receiver.close();
 * ```
 */
export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const emit = options.onEvent ?? (() => {});
  const dir = resolve(options.dir ?? "received");
  try {
    await Deno.mkdir(dir, { recursive: true });
    if (!(await Deno.stat(dir)).isDirectory) throw new Deno.errors.AlreadyExists(dir);
    const probe = await openTemp(dir);
    probe.file.close();
    await discardTemp(probe.path);
  } catch (err) {
    throw toSockitError(err, "file", { path: dir });
  }
  const listener = listen(options.host ?? "0.0.0.0", options.port ?? 6000);
  const addr = listener.addr as Deno.NetAddr;
  const maxConnections = options.maxConnections ?? 64;
  const summary: ReceiverSummary = { sessions: 0, files: 0, bytes: 0 };
  let nextId = 1;

  emit({
    type: "listening",
    address: formatAddr(addr),
    reachable: reachableAddresses(addr.hostname, addr.port),
    dir,
    port: addr.port,
  });

  const partials = new PartialStore(dir, { ttlMs: options.partialTtlMs });
  await partials.sweep();
  const session = new Session({ ...options, dir }, emit, () => nextId++, summary, partials);

  async function serve(wire: Wire, peer: string): Promise<void> {
    try {
      if (server.connections > maxConnections) {
        await writeFrame(wire, {
          type: "X",
          code: "busy",
          message: "too many senders at once; try again shortly",
        });
        emit({
          type: "session-error",
          peer,
          code: "busy",
          reason: `more than ${maxConnections} senders at once`,
        });
        return;
      }
      summary.sessions++;
      await session.serve(wire, peer);
    } catch (err) {
      if (!server.stopping) {
        const error = err instanceof ProtocolError ? err : toSockitError(err, "io", { peer });
        emit({ type: "session-error", peer, code: error.code, reason: reasonOf(error) });
      }
    }
  }

  const server = serveConnections(listener, {
    wire: (peer) => ({
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      onTrace: options.trace
        ? (direction, bytes) => emit({ type: "trace", peer, direction, bytes })
        : undefined,
    }),
    handle: serve,
    onAcceptError: (err) =>
      emit({
        type: "session-error",
        peer: "?",
        code: toSockitError(err).code,
        reason: String(err),
      }),
    signal: options.signal,
  });
  const { close, finished } = stopOnce(server, () => {
    emit({ type: "stopped", ...summary });
    return { ...summary };
  });
  return { addr, dir, finished, close };
}

function reasonOf(error: SockitError): string {
  return String(error.details.reason ?? error.message);
}

/** Maps a storage or stream failure to the code told to the sender. */
function rejectCodeOf(error: SockitError): RejectCode {
  switch (error.code) {
    case "disk-full":
    case "bad-name":
    case "name-conflict":
    case "timeout":
      return error.code;
    case "write-failed":
    case "not-found":
      return "write-failed";
    default:
      return error instanceof ProtocolError ? error.reject : "internal";
  }
}

type Emit = (event: ReceiverEvent) => void;

/** One connection's conversation, in either protocol. */
class Session {
  constructor(
    readonly options: ReceiverOptions & { dir: string },
    readonly emit: Emit,
    readonly nextId: () => number,
    readonly summary: ReceiverSummary,
    readonly partials: PartialStore,
  ) {}

  async serve(wire: Wire, peer: string): Promise<void> {
    // The opening (preface, or a classic size) must be complete within the header timeout.
    const opening = wire.deadline(this.#headerTimeoutMs);
    const first = await wire.waitForMore(this.options.idleTimeoutMs ?? 30_000);
    if (first === "end") return opening.cancel();
    if (first === "quiet") {
      throw new SockitError("timeout", { seconds: (this.options.idleTimeoutMs ?? 30_000) / 1000 });
    }
    if (isClassicStart(wire.peek()[0])) {
      this.emit({ type: "session", peer, protocol: "classic" });
      return await this.#classic(wire, peer, opening);
    }
    if (wire.peek()[0] !== MAGIC[0]) {
      const error = new ProtocolError("the connection starts with neither SKIT nor a classic size");
      await this.#fail(wire, error.reject, reasonOf(error));
      throw error;
    }
    let version: number;
    try {
      version = decodePreface(await wire.readExact(PREFACE_SIZE));
    } catch (err) {
      // "SSH-2.0…" or "SKIP…": starts like a preface but is none; say so before closing.
      if (err instanceof ProtocolError) await this.#fail(wire, err.reject, reasonOf(err));
      throw err;
    }
    opening.cancel();
    if (version !== PROTOCOL_VERSION) {
      await writeFrame(wire, {
        type: "X",
        code: "unsupported-version",
        message: `this receiver speaks version ${PROTOCOL_VERSION}, not ${version}`,
        supported: [PROTOCOL_VERSION],
      });
      throw new ProtocolError(`unsupported version ${version}`, "unsupported-version");
    }
    this.emit({ type: "session", peer, protocol: "sockit" });
    await writeFrame(wire, {
      type: "H",
      version: PROTOCOL_VERSION,
      maxSize: this.options.maxSize ?? null,
    });
    let files = 0;
    let bytes = 0;
    while (true) {
      let frame;
      const header = wire.deadline(this.#headerTimeoutMs);
      try {
        frame = await readFrame(wire, "sender");
      } catch (err) {
        if (err instanceof ProtocolError) await this.#fail(wire, err.reject, reasonOf(err));
        throw err;
      } finally {
        header.cancel();
      }
      if (frame.type === "Q") break;
      if (frame.type === "D") {
        await this.#folder(wire, peer, frame.path);
      } else if (frame.type === "F") {
        const stored = await this.#file(wire, peer, frame);
        if (stored) {
          files++;
          bytes += frame.size;
        }
      } else {
        const error = new ProtocolError(`unexpected frame ${frame.type}`);
        await this.#fail(wire, "bad-header", reasonOf(error));
        throw error;
      }
    }
    this.emit({ type: "session-end", peer, files, bytes });
  }

  get #headerTimeoutMs(): number {
    return this.options.headerTimeoutMs ?? 10_000;
  }

  /** Tells the sender why the session ends; it may already be gone. */
  async #fail(wire: Wire, code: RejectCode, message: string): Promise<void> {
    await writeFrame(wire, { type: "X", code, message: forPeer(code, message) }).catch(() => {});
  }

  async #folder(wire: Wire, peer: string, path: string): Promise<void> {
    try {
      const segments = sanitizePath(path);
      await prepareFolder(this.options.dir, segments);
      this.emit({ type: "folder", peer, stored: segments.join("/") });
    } catch (err) {
      const error = toSockitError(err, "file", { path });
      const code = rejectCodeOf(error);
      this.emit({ type: "file-rejected", peer, path, code, reason: describe(error) });
      // A folder has no answer of its own; a refused one is reported like a refused file.
      await writeFrame(wire, { type: "R", code, message: forPeer(code, describe(error)) });
      return;
    }
    await writeFrame(wire, { type: "A", offset: 0 });
  }

  /** Receives one sockit file; resolves true when it was stored. */
  async #file(wire: Wire, peer: string, frame: FileFrame): Promise<boolean> {
    const reject = async (code: RejectCode, reason: string) => {
      this.emit({ type: "file-rejected", peer, path: frame.path, code, reason });
      await writeFrame(wire, { type: "R", code, message: forPeer(code, reason) });
      return false;
    };
    let segments: string[];
    try {
      segments = sanitizePath(frame.path);
    } catch (err) {
      if (err instanceof NameError) return await reject("bad-name", describe(err));
      throw err;
    }
    const { maxSize } = this.options;
    if (maxSize !== undefined && frame.size > maxSize) {
      return await reject("too-large", `${frame.size} bytes is more than the limit of ${maxSize}`);
    }
    try {
      await checkFolder(this.options.dir, segments.slice(0, -1));
    } catch (err) {
      const error = toSockitError(err, "file", { path: frame.path });
      return await reject(rejectCodeOf(error), describe(error));
    }
    const source = { path: segments.join("/"), size: frame.size, mtime: frame.mtime };
    let partial: PartialFile;
    try {
      partial = await this.partials.open(source);
    } catch (err) {
      const error = toSockitError(err, "file", { path: this.options.dir });
      return await reject(rejectCodeOf(error), describe(error));
    }
    const info: ReceiverFileInfo = { id: this.nextId(), peer, path: frame.path, size: frame.size };
    // The bytes are kept for a resume only when the connection was lost (before the end frame
    // arrived, even once every byte is in), never when the peer lied.
    let keep = partial.resumable && partial.offset > 0;
    try {
      const hash = sha256Stream();
      // A stop closes the connection, which ends the hashing of a large prefix at once.
      if (partial.offset > 0) await hashPrefix(partial.path, partial.offset, hash, wire.signal);
      await writeFrame(wire, {
        type: "A",
        offset: partial.offset,
        ...(partial.offset > 0 ? { prefixSha256: hash.peek() } : {}),
      });
      const start = await readFrame(wire, "sender");
      if (start.type !== "S" || (start.offset !== 0 && start.offset !== partial.offset)) {
        throw new ProtocolError(`expected a start frame at offset 0 or ${partial.offset}`);
      }
      const offset = start.offset;
      if (offset !== partial.offset) {
        await partial.truncate(offset);
        hash.reset();
      }
      const started = performance.now();
      this.emit({ type: "file-start", offset, ...info });
      keep = partial.resumable;
      await wire.readable(frame.size - offset, this.options.chunkSize ?? DEFAULT_CHUNK_SIZE)
        .pipeThrough(hash.transform)
        .pipeThrough(progress((bytes) => this.emit({ type: "file-progress", bytes, ...info }), {
          total: frame.size,
          start: offset,
        }))
        .pipeTo(fileSink(partial.file, frame.path));
      const end = await readFrame(wire, "sender");
      if (end.type !== "E") throw new ProtocolError(`expected an end frame, got ${end.type}`);
      keep = false;
      const sha256 = hash.digest();
      if (sha256 !== end.sha256) {
        await writeFrame(wire, {
          type: "V",
          ok: false,
          sha256,
          code: "hash-mismatch",
          message: "the content that arrived differs from the content that was sent",
        });
        this.emit({
          type: "file-failed",
          code: "hash-mismatch",
          reason: "SHA-256 mismatch",
          ...info,
        });
        return false;
      }
      partial.file.close();
      await setMtime(partial.path, frame.mtime);
      const stored = await commitFile({
        dir: this.options.dir,
        tempPath: partial.path,
        segments,
        overwrite: this.options.overwrite,
      });
      await this.partials.committed(source);
      await writeFrame(wire, { type: "V", ok: true, stored: stored.relative, sha256 });
      const ms = performance.now() - started;
      this.summary.files++;
      this.summary.bytes += frame.size;
      this.emit({
        type: "file-done",
        stored: stored.relative,
        sha256,
        ms,
        classic: false,
        ...info,
      });
      return true;
    } catch (err) {
      const error = toSockitError(err, "file", { path: frame.path });
      keep &&= ["closed-early", "connection-reset", "timeout"].includes(error.code);
      // Clean up before reporting, so whoever hears of the failure finds the folder settled.
      await partial.release(keep);
      this.emit({ type: "file-failed", code: error.code, reason: describe(error), ...info });
      if (
        error instanceof ProtocolError ||
        ["disk-full", "write-failed", "name-conflict"].includes(error.code)
      ) {
        await this.#fail(wire, rejectCodeOf(error), describe(error));
      }
      throw error;
    } finally {
      await partial.release(keep);
    }
  }

  /** The lesson's protocol: ASCII size, `ready`, exactly that many bytes, close. */
  async #classic(wire: Wire, peer: string, opening: { cancel(): void }): Promise<void> {
    const size = await this.#classicSize(wire);
    opening.cancel();
    const path = "(classic)";
    const { maxSize } = this.options;
    if (maxSize !== undefined && size > maxSize) {
      this.emit({
        type: "file-rejected",
        peer,
        path,
        code: "too-large",
        reason: `${size} bytes is over the limit`,
      });
      return;
    }
    const temp = await openTemp(this.options.dir);
    const info: ReceiverFileInfo = { id: this.nextId(), peer, path, size };
    let kept = false;
    try {
      await wire.write(CLASSIC_READY);
      const started = performance.now();
      this.emit({ type: "file-start", offset: 0, ...info });
      const hash = sha256Stream();
      const head = new Uint8Array(SNIFF_BYTES);
      let headLength = 0;
      const sniff = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          if (headLength < SNIFF_BYTES) {
            const part = chunk.subarray(0, SNIFF_BYTES - headLength);
            head.set(part, headLength);
            headLength += part.length;
          }
          controller.enqueue(chunk);
        },
      });
      await wire.readable(size, this.options.chunkSize ?? DEFAULT_CHUNK_SIZE)
        .pipeThrough(sniff)
        .pipeThrough(hash.transform)
        .pipeThrough(
          progress((bytes) => this.emit({ type: "file-progress", bytes, ...info }), {
            total: size,
          }),
        )
        .pipeTo(fileSink(temp.file, path));
      temp.file.close();
      const name = (this.options.classicName ?? classicBaseName(peer)) +
        guessExtension(head.subarray(0, headLength));
      const stored = await commitFile({
        dir: this.options.dir,
        tempPath: temp.path,
        segments: [name],
        overwrite: this.options.overwrite,
      });
      kept = true;
      const sha256 = hash.digest();
      this.summary.files++;
      this.summary.bytes += size;
      this.emit({
        type: "file-done",
        stored: stored.relative,
        sha256,
        ms: performance.now() - started,
        classic: true,
        ...info,
      });
    } catch (err) {
      const error = toSockitError(err, "file", { path });
      await this.#dropTemp(temp, kept);
      this.emit({ type: "file-failed", code: error.code, reason: describe(error), ...info });
      throw error;
    } finally {
      await this.#dropTemp(temp, kept);
    }
  }

  /** Closes a classic transfer's temporary file and, unless it was stored, removes it. */
  async #dropTemp(temp: { path: string; file: Deno.FsFile }, kept: boolean): Promise<void> {
    try {
      temp.file.close();
    } catch {
      // Closed before the commit, or by an earlier call.
    }
    if (!kept) await discardTemp(temp.path);
  }

  /** Reads the classic size digits, which may arrive in pieces; a short pause ends them. */
  async #classicSize(wire: Wire): Promise<number> {
    const quietMs = this.options.classicQuietMs ?? 150;
    while (true) {
      const bytes = wire.peek();
      const last = bytes[bytes.length - 1];
      const allDigits = bytes.every(isClassicStart);
      if (!allDigits || last === 0x0a || bytes.length > CLASSIC_MAX_DIGITS) {
        // A newline ends the size; anything else that is not a digit is an error, reported by the parser.
        return parseClassicSize(await wire.readExact(bytes.length));
      }
      const more = await wire.waitForMore(quietMs);
      if (more === "quiet") return parseClassicSize(await wire.readExact(bytes.length));
      if (more === "end") {
        throw new SockitError("closed-early", { reason: "the sender closed before sending data" });
      }
    }
  }
}

/**
 * A classic file's name: `classic-YYYYMMDD-HHMMSS-<sender address>`, with the address's dots
 * and colons as dashes so that no part of it reads as an extension.
 */
function classicBaseName(peer: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const address = peer.replace(/:\d+$/, "").replace(/[[\]]/g, "").replace(/[.:%]/g, "-");
  return `classic-${stamp}-${address}`;
}

async function setMtime(path: string, mtime: number): Promise<void> {
  try {
    const when = new Date(mtime);
    await Deno.utime(path, when, when);
  } catch {
    // Keeping the sender's time is a courtesy; the content is what matters.
  }
}

/**
 * What the sender is told beside a code: storage failures carry the receiver's own paths and
 * OS messages, which stay in the receiver's log; the code says enough.
 */
function forPeer(code: RejectCode, message: string): string {
  return code === "disk-full" || code === "write-failed" || code === "internal" ? "" : message;
}

/** A one-line description of an error for logs and answers. */
function describe(error: SockitError): string {
  if (error instanceof NameError) return error.problem;
  if (error.code === "name-conflict") return String(error.details.problem);
  return reasonOf(error);
}
