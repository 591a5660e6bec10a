/**
 * One sockit connection on the receiver: the preface and hello, then folders and files (with
 * resume) until the sender quits. The connection's own state (its peer, what it stored) lives
 * on the handler.
 *
 * @module
 */

import { toSockitError } from "../core/errors.ts";
import type { SockitError } from "../core/errors.ts";
import { NameError, sanitizePath } from "./names.ts";
import {
  decodePreface,
  MAGIC,
  PREFACE_SIZE,
  PROTOCOL_VERSION,
  ProtocolError,
  readFrame,
  writeFrame,
} from "./protocol.ts";
import type { FileFrame, RefusalProblem, RejectCode, SenderFrame } from "./protocol.ts";
import type { PartialFile } from "./partials.ts";
import { checkFolder, commitFile, prepareFolder } from "./storage.ts";
import { fileSink, hashPrefix, progress, sha256Stream } from "../core/streams.ts";
import type { Wire } from "../net/wire.ts";
import {
  describe,
  forPeer,
  inFolder,
  problemField,
  reasonOf,
  rejectCodeOf,
} from "./receive_context.ts";
import type { Opening, ReceiverContext } from "./receive_context.ts";
import { SenderRefusal } from "../collect/senders.ts";
import type { SenderIdentity } from "../collect/senders.ts";
import { localTimestamp } from "../collect/log.ts";
import type { ReceiverFileInfo } from "./receiver.ts";

/** Failures after which an interrupted transfer is kept for a resume. */
const RESUMABLE_FAILURES = ["closed-early", "connection-reset", "timeout"];

/** Failures the sender is told about with an `X` frame before the connection closes. */
const TOLD_FAILURES = ["disk-full", "write-failed", "name-conflict"];

/** Serves one connection that opened with `S` (a sockit preface, or something posing as one). */
export class SockitConnection {
  readonly #context: ReceiverContext;
  readonly #wire: Wire;
  /** The sender's address. */
  readonly peer: string;
  /** Files stored on this connection. */
  files = 0;
  /** Bytes of those files. */
  bytes = 0;
  /** Who is sending, once its first frame arrived. */
  #sender?: SenderIdentity;

  constructor(context: ReceiverContext, wire: Wire, peer: string) {
    this.#context = context;
    this.#wire = wire;
    this.peer = peer;
  }

  /** Reads the preface (completing `opening`), then serves frames until `Q`. */
  async serve(opening: Opening): Promise<void> {
    const wire = this.#wire;
    if (wire.peek()[0] !== MAGIC[0]) {
      const error = new ProtocolError("the connection starts with neither SKIT nor a classic size");
      await this.#fail(error.reject, reasonOf(error));
      throw error;
    }
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
      await this.#fail("busy", "too many senders at once; try again shortly");
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
    this.#context.emit({ type: "session", peer: this.peer, protocol: "sockit" });
    await writeFrame(wire, {
      type: "H",
      version: PROTOCOL_VERSION,
      maxSize: this.#context.maxSize ?? null,
      identify: true,
    });
    while (true) {
      let frame;
      try {
        frame = await this.#frame();
      } catch (err) {
        if (err instanceof ProtocolError) await this.#fail(err.reject, reasonOf(err));
        throw err;
      }
      if (this.#sender === undefined) {
        // Only the first frame may say who is sending; without it the sender is unnamed.
        this.#sender = await this.#identify(frame.type === "I" ? frame.name : undefined);
        if (frame.type === "I") {
          await writeFrame(wire, { type: "A", offset: 0 });
          continue;
        }
      }
      if (frame.type === "Q") break;
      if (frame.type === "D") {
        await this.#folder(frame.path);
      } else if (frame.type === "F") {
        if (await this.#file(frame)) {
          this.files++;
          this.bytes += frame.size;
        }
      } else {
        const error = new ProtocolError(`unexpected frame ${frame.type}`);
        await this.#fail("bad-header", reasonOf(error));
        throw error;
      }
    }
    this.#context.emit({
      type: "session-end",
      peer: this.peer,
      files: this.files,
      bytes: this.bytes,
    });
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

  /** Tells the sender why the session ends; it may already be gone. */
  async #fail(code: RejectCode, message: string): Promise<void> {
    await writeFrame(this.#wire, { type: "X", code, message: forPeer(code, message) })
      .catch(() => {});
  }

  async #folder(path: string): Promise<void> {
    const { emit, dir } = this.#context;
    try {
      const segments = inFolder(this.#sender!, sanitizePath(path));
      await prepareFolder(dir, segments);
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
      // A folder has no answer of its own; a refused one is reported like a refused file.
      await writeFrame(this.#wire, { type: "R", code, message: forPeer(code, reason) });
      return;
    }
    await writeFrame(this.#wire, { type: "A", offset: 0 });
  }

  /** Refuses the file `frame` announced (the session goes on); resolves false. */
  async #refuse(
    frame: FileFrame,
    code: RejectCode,
    reason: string,
    problem: { problem?: RefusalProblem } = {},
  ): Promise<false> {
    this.#context.emit({
      type: "file-rejected",
      peer: this.peer,
      ...this.#who,
      path: frame.path,
      size: frame.size,
      code,
      reason,
      ...problem,
    });
    await writeFrame(this.#wire, { type: "R", code, message: forPeer(code, reason) });
    return false;
  }

  /** Refuses the file `frame` announced because of `error`. */
  #refuseFor(frame: FileFrame, error: SockitError): Promise<false> {
    return this.#refuse(frame, rejectCodeOf(error), describe(error), problemField(error));
  }

  /** Receives one file; resolves true when it was stored. */
  async #file(frame: FileFrame): Promise<boolean> {
    const context = this.#context;
    const wire = this.#wire;
    let segments: string[];
    try {
      segments = inFolder(this.#sender!, sanitizePath(frame.path));
    } catch (err) {
      if (err instanceof NameError) return await this.#refuseFor(frame, err);
      throw err;
    }
    const { maxSize } = context;
    if (maxSize !== undefined && frame.size > maxSize) {
      const reason = `${frame.size} bytes is more than the limit of ${maxSize}`;
      return await this.#refuse(frame, "too-large", reason);
    }
    try {
      await checkFolder(context.dir, segments.slice(0, -1));
    } catch (err) {
      return await this.#refuseFor(frame, toSockitError(err, "file", { path: frame.path }));
    }
    const source = { path: segments.join("/"), size: frame.size, mtime: frame.mtime };
    let opened: PartialFile;
    try {
      const from = (wire.conn.remoteAddr as Deno.NetAddr).hostname;
      opened = await context.partials.open(source, from);
    } catch (err) {
      return await this.#refuseFor(frame, toSockitError(err, "file", { path: context.dir }));
    }
    // Released when the transfer ends: kept for a resume when `partial.keep` says so.
    await using partial = opened;
    const info: ReceiverFileInfo = {
      id: context.nextId(),
      peer: this.peer,
      ...this.#who,
      path: frame.path,
      size: frame.size,
    };
    // The bytes are kept for a resume only when the connection was lost (before the end frame
    // arrived, even once every byte is in), never when the peer lied.
    partial.keep = partial.resumable && partial.offset > 0;
    // The bytes still to come must fit on the disk, beside those promised to other transfers.
    using space = await context.space.reserve(frame.size - partial.offset);
    if (!space.granted) {
      const reason = `${frame.size - partial.offset} bytes do not fit; ${space.room} bytes free`;
      await partial[Symbol.asyncDispose]();
      return await this.#refuse(frame, "disk-full", reason);
    }
    try {
      const hash = sha256Stream();
      // A stop closes the connection, which ends the hashing of a large prefix at once.
      if (partial.offset > 0) await hashPrefix(partial.path, partial.offset, hash, wire.signal);
      await writeFrame(wire, {
        type: "A",
        offset: partial.offset,
        ...(partial.offset > 0 ? { prefixSha256: hash.peek() } : {}),
      });
      const start = await this.#frame();
      if (start.type !== "S" || (start.offset !== 0 && start.offset !== partial.offset)) {
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
      await wire.readable(frame.size - offset, context.chunkSize)
        .pipeThrough(hash.transform)
        .pipeThrough(progress((bytes) => context.emit({ type: "file-progress", bytes, ...info }), {
          total: frame.size,
          start: offset,
        }))
        .pipeTo(fileSink(partial.file, frame.path));
      const end = await this.#frame();
      if (end.type !== "E") throw new ProtocolError(`expected an end frame, got ${end.type}`);
      partial.keep = false;
      const sha256 = hash.digest();
      if (sha256 !== end.sha256) {
        await writeFrame(wire, {
          type: "V",
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
      await setMtime(partial.file, frame.mtime);
      partial.file.close();
      const stored = await commitFile({
        dir: context.dir,
        tempPath: partial.path,
        segments,
        overwrite: context.overwrite,
      });
      await context.partials.committed(source);
      const time = localTimestamp(new Date());
      context.summary.files++;
      context.summary.bytes += frame.size;
      // Logged before the receipt goes out: a sender holding a receipt has its row.
      context.emit({
        type: "file-done",
        stored: stored.relative,
        sha256,
        ms: performance.now() - started,
        time,
        ...info,
      });
      await writeFrame(wire, { type: "V", ok: true, stored: stored.relative, sha256, time });
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

  /** Reads the sender's next frame, which must be complete within the header timeout. */
  async #frame(): Promise<SenderFrame> {
    using _ = this.#wire.deadline(this.#context.headerTimeoutMs);
    return await readFrame(this.#wire, "sender");
  }
}

/** Gives the file the sender's modification time (through the open file, never a path). */
async function setMtime(file: Deno.FsFile, mtime: number): Promise<void> {
  try {
    const when = new Date(mtime);
    await file.utime(when, when);
  } catch {
    // Keeping the sender's time is a courtesy; the content is what matters.
  }
}
