/**
 * One sockit connection on the receiver: the preface and hello, then pipelined offers of
 * folders and files (with resume), each file's bytes and verdict, until the sender quits. The connection's own state (its peer, what it stored) lives
 * on the handler.
 *
 * @module
 */

import { toSockitError } from "../core/errors.ts";
import type { SockitError } from "../core/errors.ts";
import { NameError, sanitizePath } from "./names.ts";
import {
  decodePreface,
  encodeFrame,
  MAGIC,
  PREFACE_SIZE,
  PROTOCOL_VERSION,
  ProtocolError,
  readFrame,
  writeFrame,
} from "./protocol.ts";
import type {
  AcceptFrame,
  FileFrame,
  FolderFrame,
  RefusalProblem,
  RejectCode,
  RejectFrame,
  SenderFrame,
  StartFrame,
  VerdictFrame,
} from "./protocol.ts";
import type { PartialFile, PartialSource } from "./partials.ts";
import { commitFile, SessionFolders } from "./storage.ts";
import { copyToFile, hashPrefix } from "../core/streams.ts";
import { sha256Stream } from "../core/sha256.ts";
import type { StreamHash } from "../core/sha256.ts";
import { Wire } from "../net/wire.ts";
import type { PairingCode } from "../crypto/code.ts";
import { pairAsReceiver } from "./pairing.ts";
import { RecordConn } from "./record_conn.ts";
import {
  BUSY_MESSAGE,
  describe,
  forPeer,
  inFolder,
  problemField,
  reasonOf,
  rejectCodeOf,
} from "./receive_context.ts";
import { SenderRefusal } from "../collect/senders.ts";
import type { SenderIdentity } from "../collect/senders.ts";
import type { Opening, ReceiverContext } from "./receive_context.ts";
import type { Reservation } from "./space.ts";
import type { ReceiverFileInfo } from "./receiver.ts";

/** Failures after which an interrupted transfer is kept for a resume. */
const RESUMABLE_FAILURES = ["closed-early", "connection-reset", "timeout"];

/** Failures the sender is told about with an `X` frame before the connection closes. */
const TOLD_FAILURES = ["disk-full", "write-failed", "name-conflict"];

/** How many accepted files may wait for their bytes on one connection (the hello's `window`). */
export const OFFER_WINDOW = 64;

/** An accepted file offer waiting for (or receiving) its bytes. */
interface Offer {
  frame: FileFrame;
  segments: string[];
  source: PartialSource;
  partial: PartialFile;
  /** Disk space promised to the bytes still to come. */
  space: Reservation;
  /** Hash of what the partial already holds (the resumed prefix), continued by the bytes. */
  hash: StreamHash;
  info: ReceiverFileInfo;
}

/** Serves one connection that opened with `S` (a sockit preface, or something posing as one). */
export class SockitConnection {
  readonly #context: ReceiverContext;
  /** The connection's frame stream: the socket, or after pairing the decrypted records. */
  #wire: Wire;
  /** The receiving folder's folders as this session checked them. */
  readonly #folders: SessionFolders;
  /** The sender's address. */
  readonly peer: string;
  /** Files stored on this connection. */
  files = 0;
  /** Bytes of those files. */
  bytes = 0;
  /** Accepted offers waiting for their bytes, in offer order. */
  readonly #waiting: Offer[] = [];
  /** The last offer id seen: ids must increase. */
  #lastId = 0;
  /** Who is sending, once its first frame arrived. */
  #sender?: SenderIdentity;

  constructor(context: ReceiverContext, wire: Wire, peer: string) {
    this.#context = context;
    this.#wire = wire;
    this.peer = peer;
    this.#folders = new SessionFolders(context.dir);
  }

  /** Reads the preface (completing `opening`), then serves the session. */
  async serve(opening: Opening): Promise<void> {
    const wire = this.#wire;
    if (wire.peek()[0] !== MAGIC[0]) {
      const error = new ProtocolError("the connection starts with neither SKIT nor a classic size");
      await this.#fail(error.reject, reasonOf(error));
      throw error;
    }
    opening.beganPreface();
    let version: number;
    try {
      version = decodePreface(await wire.readExact(PREFACE_SIZE));
    } catch (err) {
      // "SSH-2.0…" or "SKIP…": starts like a preface but is none; say so before closing.
      if (err instanceof ProtocolError) await this.#fail(err.reject, reasonOf(err));
      throw err;
    }
    using slot = opening.complete();
    if (!slot) {
      // An evicted opening was told already (its connection is closing).
      if (!opening.evicted) await this.#fail("busy", BUSY_MESSAGE);
      return;
    }
    if (version !== PROTOCOL_VERSION) {
      await writeFrame(wire, {
        type: "X",
        code: "unsupported-version",
        message: `this receiver speaks version ${PROTOCOL_VERSION}, not ${version}`,
        supported: [PROTOCOL_VERSION],
      });
      throw new ProtocolError(`unsupported version ${version}`, "unsupported-version");
    }
    const context = this.#context;
    context.emit({ type: "session", peer: this.peer, protocol: "sockit" });
    if (context.code) context.layers.set(this.peer, "handshake");
    try {
      await writeFrame(wire, {
        type: "H",
        version: PROTOCOL_VERSION,
        auth: context.code ? "cpace" : "none",
        maxSize: context.maxSize ?? null,
        window: OFFER_WINDOW,
      });
      if (context.code) this.#wire = await this.#pair(context.code);
      await this.#session();
    } finally {
      context.layers.delete(this.peer);
      // Offers that never got their bytes: a resumable prefix stays for the next attempt.
      for (const offer of this.#waiting.splice(0)) {
        offer.space[Symbol.dispose]();
        await offer.partial[Symbol.asyncDispose]();
      }
    }
    this.#context.emit({
      type: "session-end",
      peer: this.peer,
      files: this.files,
      bytes: this.bytes,
    });
  }

  /**
   * Runs the pairing handshake on the connection and returns the session's wire: the
   * plaintext of the records, from here on every byte in both directions.
   */
  async #pair(code: PairingCode): Promise<Wire> {
    const context = this.#context;
    const raw = this.#wire;
    let keys;
    try {
      keys = await pairAsReceiver(raw, {
        code,
        guesses: context.guesses,
        address: (raw.conn.remoteAddr as Deno.NetAddr).hostname,
        firstFrameMs: context.idleTimeoutMs,
        frameMs: context.headerTimeoutMs,
        onDelay: (ms) => context.emit({ type: "pairing-delayed", peer: this.peer, ms }),
        signal: raw.signal,
      });
    } catch (err) {
      if (err instanceof ProtocolError) await this.#fail(err.reject, reasonOf(err));
      throw err;
    }
    context.layers.set(this.peer, "record");
    const peer = this.peer;
    return new Wire(new RecordConn(raw, keys), {
      idleTimeoutMs: context.idleTimeoutMs,
      onTrace: context.trace
        ? (direction, bytes) =>
          context.emit({ type: "trace", peer, direction, bytes, layer: "plaintext" })
        : undefined,
    });
  }

  /** Offers, folders and files until the sender's `Q`; then the receiver's `Q`. */
  async #session(): Promise<void> {
    while (true) {
      const frame = await this.#next();
      if (this.#sender === undefined) {
        // Only the first frame may say who is sending (no answer: the offers follow at once);
        // without it the sender is unnamed.
        this.#sender = await this.#identify(frame.type === "I" ? frame.name : undefined);
        if (frame.type === "I") continue;
      }
      if (frame.type === "Q") break;
      if (frame.type === "F" || frame.type === "D") {
        if (frame.id <= this.#lastId) {
          await this.#violation(`offer id ${frame.id} does not increase`);
        }
        this.#lastId = frame.id;
      }
      if (frame.type === "D") {
        await this.#folder(frame);
      } else if (frame.type === "F") {
        if (this.#waiting.length >= OFFER_WINDOW) {
          await this.#violation(`more than ${OFFER_WINDOW} offers wait for their bytes`);
        }
        await this.#offer(frame);
      } else if (frame.type === "S") {
        const offer = this.#waiting[0];
        if (offer?.frame.id !== frame.id) {
          await this.#violation(`bytes of file ${frame.id}, expected ${offer?.frame.id ?? "none"}`);
        }
        this.#waiting.shift();
        if (await this.#receive(offer, frame)) {
          this.files++;
          this.bytes += offer.frame.size;
        }
      } else {
        await this.#violation(`unexpected frame ${frame.type}`);
      }
    }
    if (this.#waiting.length > 0) {
      await this.#violation(`the session ended with ${this.#waiting.length} files never sent`);
    }
    // The sender ends its direction right after Q (with records: the final record).
    {
      using _ = this.#wire.deadline(this.#context.headerTimeoutMs);
      if (await this.#wire.readSome(1) !== null) await this.#violation("bytes after the end");
    }
    await writeFrame(this.#wire, { type: "Q", files: this.files, bytes: this.bytes });
    await this.#wire.closeWrite();
  }

  /** Decides who the sender is; a refused sender is told why and the session ends. */
  async #identify(name: string | undefined): Promise<SenderIdentity> {
    try {
      return await this.#context.identify(this.peer, name, "sockit");
    } catch (err) {
      if (err instanceof SenderRefusal) {
        await writeFrame(this.#wire, {
          type: "X",
          code: err.reject,
          message: err.reason,
          ...(err.reject === "not-on-roster" ? { closest: err.closest } : {}),
        }).catch(() => {});
      }
      throw err;
    }
  }

  /** The sender, once identified (by its first frame). */
  get #who(): { sender: string; classic: false } {
    return { sender: this.#sender!.name, classic: false };
  }

  /** Reads the sender's next frame within the header deadline; a malformed one is told. */
  async #next(): Promise<SenderFrame> {
    try {
      using _ = this.#wire.deadline(this.#context.headerTimeoutMs);
      return await readFrame(this.#wire, "sender");
    } catch (err) {
      if (err instanceof ProtocolError) await this.#fail(err.reject, reasonOf(err));
      throw err;
    }
  }

  /**
   * Answers an offer or a file (`A`, `R`, `V`). Answers are queued on the wire and leave
   * together in one write before this side next waits for the sender (`Wire.queue`): the
   * sender never waits for them while the receiver is still busy with what already arrived, and
   * the answers for the files of one read wake it once. An `X` or `Q` write sends them first.
   */
  #answer(frame: AcceptFrame | RejectFrame | VerdictFrame): void {
    this.#wire.queue(encodeFrame(frame));
  }

  /** Ends the session: the sender broke the protocol. */
  async #violation(reason: string): Promise<never> {
    const error = new ProtocolError(reason);
    await this.#fail(error.reject, reasonOf(error));
    throw error;
  }

  /** Tells the sender why the session ends; it may already be gone. */
  async #fail(code: RejectCode, message: string): Promise<void> {
    await writeFrame(this.#wire, { type: "X", code, message: forPeer(code, message) })
      .catch(() => {});
  }

  async #folder(frame: FolderFrame): Promise<void> {
    const { emit } = this.#context;
    const { id, path } = frame;
    try {
      const segments = inFolder(this.#sender!, sanitizePath(path));
      await this.#folders.prepare(segments);
      emit({ type: "folder", peer: this.peer, stored: segments.join("/") });
    } catch (err) {
      const error = toSockitError(err, "file", { path });
      const code = rejectCodeOf(error);
      const reason = describe(error);
      emit({
        type: "file-rejected",
        peer: this.peer,
        ...this.#who,
        path,
        code,
        reason,
        ...problemField(error),
      });
      this.#answer({ type: "R", id, code, message: forPeer(code, reason) });
      return;
    }
    this.#answer({ type: "A", id, offset: 0 });
  }

  /** Refuses the file `frame` offered (the session goes on). */
  #refuse(
    frame: FileFrame,
    code: RejectCode,
    reason: string,
    problem: { problem?: RefusalProblem } = {},
  ): void {
    const { id, path } = frame;
    this.#context.emit({
      type: "file-rejected",
      peer: this.peer,
      ...this.#who,
      path,
      size: frame.size,
      code,
      reason,
      ...problem,
    });
    this.#answer({ type: "R", id, code, message: forPeer(code, reason) });
  }

  /** Refuses the file `frame` offered because of `error`. */
  #refuseFor(frame: FileFrame, error: SockitError): void {
    this.#refuse(frame, rejectCodeOf(error), describe(error), problemField(error));
  }

  /** Answers an offer: refused, or accepted (from a resumable offset) and queued for its bytes. */
  async #offer(frame: FileFrame): Promise<void> {
    const context = this.#context;
    let segments: string[];
    try {
      segments = inFolder(this.#sender!, sanitizePath(frame.path));
    } catch (err) {
      if (err instanceof NameError) return this.#refuseFor(frame, err);
      throw err;
    }
    const { maxSize } = context;
    if (maxSize !== undefined && frame.size > maxSize) {
      const reason = `${frame.size} bytes is more than the limit of ${maxSize}`;
      return this.#refuse(frame, "too-large", reason);
    }
    try {
      await this.#folders.check(segments.slice(0, -1));
    } catch (err) {
      return this.#refuseFor(frame, toSockitError(err, "file", { path: frame.path }));
    }
    const source = { path: segments.join("/"), size: frame.size, mtime: frame.mtime };
    let partial: PartialFile;
    try {
      const from = (this.#wire.conn.remoteAddr as Deno.NetAddr).hostname;
      partial = await context.partials.open(source, from, this.#folders);
    } catch (err) {
      return this.#refuseFor(frame, toSockitError(err, "file", { path: context.dir }));
    }
    // The bytes are kept for a resume only when the connection was lost (before the end frame
    // arrived, even once every byte is in), never when the peer lied.
    partial.keep = partial.resumable && partial.offset > 0;
    // The bytes still to come must fit on the disk, beside those promised to other transfers.
    const space = await context.space.reserve(frame.size - partial.offset);
    if (!space.granted) {
      const reason = `${frame.size - partial.offset} bytes do not fit; ${space.room} bytes free`;
      await partial[Symbol.asyncDispose]();
      return this.#refuse(frame, "disk-full", reason);
    }
    const info: ReceiverFileInfo = {
      id: context.nextId(),
      peer: this.peer,
      ...this.#who,
      path: frame.path,
      size: frame.size,
    };
    const offer: Offer = {
      frame,
      segments,
      source,
      partial,
      space,
      hash: await sha256Stream(),
      info,
    };
    this.#waiting.push(offer);
    const wire = this.#wire;
    if (partial.offset > 0) {
      // Hashing a large prefix takes a while: the answers already queued go first. A stop
      // closes the connection, which ends the hashing at once.
      await wire.flush();
      await hashPrefix(partial.path, partial.offset, offer.hash, wire.signal);
    }
    this.#answer({
      type: "A",
      id: frame.id,
      offset: partial.offset,
      ...(partial.offset > 0 ? { prefixSha256: await offer.hash.peek() } : {}),
    });
  }

  /** Receives the bytes of an accepted file after its `S`; resolves true when it was stored. */
  async #receive(offer: Offer, start: StartFrame): Promise<boolean> {
    const context = this.#context;
    const wire = this.#wire;
    const { frame, partial, hash, info } = offer;
    // Released when the transfer ends: kept for a resume when `partial.keep` says so.
    await using _partial = partial;
    using _space = offer.space;
    try {
      if (start.offset !== 0 && start.offset !== partial.offset) {
        throw new ProtocolError(`expected a start frame at offset 0 or ${partial.offset}`);
      }
      const offset = start.offset;
      if (offset !== partial.offset) {
        await partial.truncate(offset);
        hash.reset();
      }
      const started = performance.now();
      context.emit({ type: "file-start", offset, ...info });
      partial.keep = partial.resumable;
      await copyToFile(wire, partial.file, {
        size: frame.size - offset,
        chunkSize: context.chunkSize,
        hash,
        onProgress: (bytes) => context.emit({ type: "file-progress", bytes, ...info }),
        start: offset,
        path: frame.path,
      });
      const end = await this.#next();
      if (end.type !== "E" || end.id !== frame.id) {
        throw new ProtocolError(`expected the end frame of file ${frame.id}, got ${end.type}`);
      }
      partial.keep = false;
      const sha256 = await hash.digest();
      if (sha256 !== end.sha256) {
        this.#answer({
          type: "V",
          id: frame.id,
          ok: false,
          sha256,
          code: "hash-mismatch",
          message: "the content that arrived differs from the content that was sent",
        });
        context.emit({
          type: "file-failed",
          code: "hash-mismatch",
          reason: "SHA-256 mismatch",
          ...info,
        });
        return false;
      }
      setMtime(partial.file, frame.mtime);
      partial.file.close();
      const stored = await commitFile({
        dir: context.dir,
        tempPath: partial.path,
        segments: offer.segments,
        overwrite: context.overwrite,
        folders: this.#folders,
      });
      await partial.committed();
      // Logged before the receipt goes out: a sender holding a receipt has its row.
      const time = context.stored(info, stored.relative, sha256, started);
      this.#answer({
        type: "V",
        id: frame.id,
        ok: true,
        stored: stored.relative,
        sha256,
        time,
      });
      return true;
    } catch (err) {
      const error = toSockitError(err, "file", { path: frame.path });
      partial.keep &&= RESUMABLE_FAILURES.includes(error.code);
      // Clean up before reporting, so whoever hears of the failure finds the folder settled.
      await partial[Symbol.asyncDispose]();
      context.emit({
        type: "file-failed",
        code: error.code,
        reason: describe(error),
        ...problemField(error),
        ...info,
      });
      if (error instanceof ProtocolError || TOLD_FAILURES.includes(error.code)) {
        await this.#fail(rejectCodeOf(error), describe(error));
      }
      throw error;
    }
  }
}

/**
 * Gives the file the sender's modification time, through the open file (never a path), with
 * one synchronous call: it only sets the inode's times.
 */
function setMtime(file: Deno.FsFile, mtime: number): void {
  try {
    const when = new Date(mtime);
    file.utimeSync(when, when);
  } catch {
    // Keeping the sender's time is a courtesy; the content is what matters.
  }
}
