/**
 * One classic (lesson protocol) connection on the receiver: ASCII size, `ready`, exactly that
 * many bytes, close. The file is named after the time and the sender, with an extension
 * guessed from its first bytes.
 *
 * @module
 */

import { SockitError, toSockitError } from "../core/errors.ts";
import { CLASSIC_MAX_DIGITS, CLASSIC_READY, isClassicStart, parseClassicSize } from "./protocol.ts";
import { guessExtension, SNIFF_BYTES } from "./sniff.ts";
import { commitFile, openTemp } from "./storage.ts";
import { fileSink, progress } from "../core/streams.ts";
import { sha256Stream } from "../core/sha256.ts";
import type { Wire } from "../net/wire.ts";
import { describe, inFolder } from "./receive_context.ts";
import type { Opening, ReceiverContext } from "./receive_context.ts";
import type { ReceiverFileInfo } from "./receiver.ts";

/** What a classic transfer is called in events (it carries no name). */
const CLASSIC_PATH = "(classic)";

/** Serves one connection that opened with an ASCII digit (the lesson's sender). */
export class ClassicConnection {
  readonly #context: ReceiverContext;
  readonly #wire: Wire;
  /** The sender's address. */
  readonly peer: string;

  constructor(context: ReceiverContext, wire: Wire, peer: string) {
    this.#context = context;
    this.#wire = wire;
    this.peer = peer;
  }

  /** Reads the size (completing `opening`), answers `ready` and stores the bytes. */
  async serve(opening: Opening): Promise<void> {
    const context = this.#context;
    const wire = this.#wire;
    const peer = this.peer;
    context.emit({ type: "session", peer, protocol: "classic" });
    const size = await this.#size();
    // The lesson's protocol has no way to say "busy": the connection just closes.
    using slot = opening.complete();
    if (!slot) return;
    const path = CLASSIC_PATH;
    // Classic senders carry no name; with --roster-only they are refused (no `ready`).
    const sender = await context.identify(peer, undefined, "classic");
    // A refusal has no answer in the lesson's protocol: the connection closes without `ready`.
    const refuse = (code: "too-large" | "disk-full", reason: string) =>
      context.emit({
        type: "file-rejected",
        peer,
        sender: sender.name,
        classic: true,
        path,
        size,
        code,
        reason,
      });
    const { maxSize } = context;
    if (maxSize !== undefined && size > maxSize) {
      refuse("too-large", `${size} bytes is over the limit`);
      return;
    }
    using space = await context.space.reserve(size);
    if (!space.granted) {
      refuse("disk-full", `${size} bytes do not fit; ${space.room} bytes free`);
      return;
    }
    await using temp = await openTemp(context.dir);
    const info: ReceiverFileInfo = {
      id: context.nextId(),
      peer,
      sender: sender.name,
      classic: true,
      path,
      size,
    };
    try {
      await wire.write(CLASSIC_READY);
      const started = performance.now();
      context.emit({ type: "file-start", offset: 0, ...info });
      const hash = await sha256Stream();
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
      await wire.readable(size, context.chunkSize)
        .pipeThrough(sniff)
        .pipeThrough(hash.transform)
        .pipeThrough(
          progress((bytes) => context.emit({ type: "file-progress", bytes, ...info }), {
            total: size,
          }),
        )
        .pipeTo(fileSink(temp.file, path));
      temp.file.close();
      const name = (context.classicName ?? classicBaseName(peer)) +
        guessExtension(head.subarray(0, headLength));
      const stored = await commitFile({
        dir: context.dir,
        tempPath: temp.path,
        segments: inFolder(sender, [name]),
        overwrite: context.overwrite,
      });
      const sha256 = await hash.digest();
      context.stored(info, stored.relative, sha256, started);
    } catch (err) {
      const error = toSockitError(err, "file", { path });
      // Clean up before reporting, so whoever hears of the failure finds the folder settled.
      await temp[Symbol.asyncDispose]();
      context.emit({ type: "file-failed", code: error.code, reason: describe(error), ...info });
      throw error;
    }
  }

  /** Reads the classic size digits, which may arrive in pieces; a short pause ends them. */
  async #size(): Promise<number> {
    const wire = this.#wire;
    while (true) {
      const bytes = wire.peek();
      const last = bytes[bytes.length - 1];
      const allDigits = bytes.every(isClassicStart);
      if (!allDigits || last === 0x0a || bytes.length > CLASSIC_MAX_DIGITS) {
        // A newline ends the size; anything else that is not a digit is an error, reported by the parser.
        return parseClassicSize(await wire.readExact(bytes.length));
      }
      const more = await wire.waitForMore(this.#context.classicQuietMs);
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
