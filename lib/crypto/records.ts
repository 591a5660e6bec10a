/**
 * Encrypted records: AES-256-GCM through WebCrypto, one counter per direction, and a final
 * record that marks the end, so that a reader notices tampering, replay, reordering and
 * truncation. Every record on the wire is laid out as (big endian):
 *
 * | offset | size | field                                                            |
 * | ------ | ---- | ---------------------------------------------------------------- |
 * | 0      | 4    | length L of the ciphertext with its 16-byte tag (16 … 1 MiB + 16) |
 * | 4      | 8    | counter: 0 for the first record of a direction, then +1          |
 * | 12     | 1    | flags: 0 = data, 1 = final (the last record of the direction)    |
 * | 13     | L    | AES-256-GCM ciphertext and tag                                   |
 *
 * The nonce is the 4-byte direction prefix (`00 00 00 01` sender → receiver, `00 00 00 02`
 * receiver → sender) followed by the counter; the additional data is bytes 4 to 12 (counter
 * and flags). A record carries at most {@linkcode MAX_RECORD_DATA} (1 MiB) of plaintext;
 * small frames are sent as they are, without padding. The sender of a direction ends it with
 * a final record (possibly empty); nothing may follow it.
 *
 * @module
 */

import { SockitError } from "../core/errors.ts";
import type { RecordDirection, RecordKey } from "./session_keys.ts";

/** Bytes in front of each record's ciphertext: length, counter, flags. */
export const RECORD_HEADER_BYTES = 13;
/** Bytes of the AES-GCM authentication tag at the end of each record. */
export const TAG_BYTES = 16;
/** Most plaintext bytes in one record (1 MiB): bulk data is cut into records at most this size. */
export const MAX_RECORD_DATA = 1024 * 1024;

const FLAG_DATA = 0;
const FLAG_FINAL = 1;

const PREFIX: Readonly<Record<RecordDirection, number>> = {
  "sender-to-receiver": 1,
  "receiver-to-sender": 2,
};

/** The 12-byte GCM nonce of `counter` in `direction`: prefix, then the 64-bit counter. */
function nonce(direction: RecordDirection, counter: number): Uint8Array<ArrayBuffer> {
  const iv = new Uint8Array(12);
  const view = new DataView(iv.buffer);
  view.setUint32(0, PREFIX[direction]);
  view.setBigUint64(4, BigInt(counter));
  return iv;
}

/**
 * One sealed record in two parts, written one after the other: the 13-byte header, then the
 * ciphertext with its tag (kept apart so that a 1 MiB record is never copied).
 */
export interface SealedRecord {
  /** Length, counter and flags (13 bytes). */
  header: Uint8Array;
  /** The AES-GCM ciphertext and its 16-byte tag. */
  body: Uint8Array;
}

/** One decrypted record. */
export interface OpenedRecord {
  /** The plaintext (may be empty, typically for the final record). */
  data: Uint8Array;
  /** True for the final record of the direction. */
  final: boolean;
}

/**
 * Seals plaintext into records for one direction, numbering them when
 * {@linkcode RecordSealer.seal} is called: several may be sealed at once, but records must
 * leave in the order they were sealed (counter order).
 *
 * @example
 * ```ts
 * import { KeySchedule } from "./session_keys.ts";
 * import { RecordOpener, RecordSealer } from "./records.ts";
 * const schedule = new KeySchedule(crypto.getRandomValues(new Uint8Array(64)), new Uint8Array(0));
 * const sender = await schedule.recordKeys("sender");
 * const receiver = await schedule.recordKeys("receiver");
 * const sealer = new RecordSealer(sender.send);
 * const { header, body } = await sealer.seal(new TextEncoder().encode("hello"), { final: true });
 * const opened = await new RecordOpener(receiver.receive).open(new Uint8Array([...header, ...body]));
 * new TextDecoder().decode(opened.data); // "hello"
 * ```
 */
export class RecordSealer {
  readonly #key: RecordKey;
  #counter = 0;
  #finished = false;

  /** A sealer for `key`'s direction, starting at counter 0. */
  constructor(key: RecordKey) {
    this.#key = key;
  }

  /** True once the final record has been sealed. */
  get finished(): boolean {
    return this.#finished;
  }

  /**
   * Encrypts `data` (at most {@linkcode MAX_RECORD_DATA} bytes) into one record: send its
   * header, then its body. With `final`, this is the direction's last record.
   *
   * @throws {SockitError} `internal` after the final record or for an oversized `data`.
   */
  async seal(data: Uint8Array, options: { final?: boolean } = {}): Promise<SealedRecord> {
    if (this.#finished) {
      throw new SockitError("internal", { reason: "a record was sealed after the final one" });
    }
    if (data.length > MAX_RECORD_DATA) {
      throw new SockitError("internal", { reason: `a record of ${data.length} bytes` });
    }
    const counter = this.#counter++;
    const flags = options.final ? FLAG_FINAL : FLAG_DATA;
    if (options.final) this.#finished = true;
    const header = new Uint8Array(RECORD_HEADER_BYTES);
    const view = new DataView(header.buffer);
    view.setUint32(0, data.length + TAG_BYTES);
    view.setBigUint64(4, BigInt(counter));
    header[12] = flags;
    const sealed = await crypto.subtle.encrypt(
      {
        name: "AES-GCM",
        iv: nonce(this.#key.direction, counter),
        additionalData: header.subarray(4),
      },
      this.#key.key,
      data as Uint8Array<ArrayBuffer>,
    );
    return { header, body: new Uint8Array(sealed) };
  }
}

/**
 * The total size of the record whose header starts `bytes` (at least its first 4 bytes), so
 * that a reader knows how much to read.
 *
 * @throws {SockitError} `record-tampered` when the length is impossible.
 * @example
 * ```ts
 * import { recordSize } from "./records.ts";
 * recordSize(Uint8Array.of(0, 0, 0, 21)); // 34: 13 header bytes, 5 data bytes, 16 tag bytes
 * ```
 */
export function recordSize(bytes: Uint8Array): number {
  const length = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
  if (length < TAG_BYTES || length > MAX_RECORD_DATA + TAG_BYTES) {
    throw new SockitError("record-tampered", { reason: "impossible record length" });
  }
  return RECORD_HEADER_BYTES + length;
}

/**
 * Opens the records of one direction in order, refusing any that is out of order, altered,
 * or follows the final one. After a refusal the opener stays failed.
 *
 * @example
 * ```ts
 * import { KeySchedule } from "./session_keys.ts";
 * import { RecordOpener, RecordSealer } from "./records.ts";
 * const schedule = new KeySchedule(crypto.getRandomValues(new Uint8Array(64)), new Uint8Array(0));
 * const sealer = new RecordSealer((await schedule.recordKeys("sender")).send);
 * const opener = new RecordOpener((await schedule.recordKeys("receiver")).receive);
 * const { header, body } = await sealer.seal(Uint8Array.of(1));
 * const first = new Uint8Array([...header, ...body]);
 * await opener.open(first);
 * await opener.open(first).catch((e) => console.log(e.code)); // "record-replayed"
 * ```
 */
export class RecordOpener {
  readonly #key: RecordKey;
  #expected = 0;
  #finished = false;
  #failed = false;

  /** An opener for `key`'s direction, expecting counter 0 first. */
  constructor(key: RecordKey) {
    this.#key = key;
  }

  /** True once the final record has been opened. */
  get finished(): boolean {
    return this.#finished;
  }

  /**
   * Authenticates and decrypts one whole record (header included).
   *
   * @throws {SockitError} `record-replayed` (a counter seen before), `record-reordered` (a
   * counter from the future: records were reordered or dropped), `record-tampered` (altered,
   * damaged, wrong key or direction, bad framing, or anything after the final record).
   */
  async open(record: Uint8Array): Promise<OpenedRecord> {
    try {
      return await this.#open(record);
    } catch (err) {
      this.#failed = true;
      throw err;
    }
  }

  async #open(bytes: Uint8Array): Promise<OpenedRecord> {
    const record = bytes as Uint8Array<ArrayBuffer>; // WebCrypto refuses shared memory itself
    if (this.#failed) throw new SockitError("record-tampered", { reason: "earlier refusal" });
    if (this.#finished) {
      throw new SockitError("record-tampered", { reason: "data after the final record" });
    }
    if (record.length < RECORD_HEADER_BYTES || recordSize(record) !== record.length) {
      throw new SockitError("record-tampered", { reason: "record length" });
    }
    const view = new DataView(record.buffer, record.byteOffset, RECORD_HEADER_BYTES);
    const counter = view.getBigUint64(4);
    const expected = this.#expected;
    if (counter < BigInt(expected)) {
      throw new SockitError("record-replayed", { record: Number(counter), expected });
    }
    if (counter > BigInt(expected)) {
      throw new SockitError("record-reordered", { record: String(counter), expected });
    }
    const flags = record[12];
    if (flags !== FLAG_DATA && flags !== FLAG_FINAL) {
      throw new SockitError("record-tampered", { record: expected, reason: "unknown flags" });
    }
    this.#expected++;
    let data: ArrayBuffer;
    try {
      data = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: nonce(this.#key.direction, expected),
          additionalData: record.subarray(4, RECORD_HEADER_BYTES),
        },
        this.#key.key,
        record.subarray(RECORD_HEADER_BYTES),
      );
    } catch {
      throw new SockitError("record-tampered", { record: expected, reason: "authentication" });
    }
    const final = flags === FLAG_FINAL;
    if (final) this.#finished = true;
    return { data: new Uint8Array(data), final };
  }

  /**
   * Declares the end of the underlying stream.
   *
   * @throws {SockitError} `record-truncated` unless the final record was opened.
   */
  end(): void {
    if (!this.#finished) {
      this.#failed = true;
      throw new SockitError("record-truncated", { expected: this.#expected });
    }
  }
}

/**
 * A stream that seals what is written into records: each chunk becomes one record (chunks
 * over {@linkcode MAX_RECORD_DATA} become several), so frames keep their boundaries and small
 * ones are not padded. Each record comes out as two chunks, its header and its body. Closing
 * the writable side emits the final (empty) record.
 *
 * @example
 * ```ts
 * import { KeySchedule } from "./session_keys.ts";
 * import { openStream, sealStream } from "./records.ts";
 * const schedule = new KeySchedule(crypto.getRandomValues(new Uint8Array(64)), new Uint8Array(0));
 * const sender = await schedule.recordKeys("sender");
 * const receiver = await schedule.recordKeys("receiver");
 * const text = await new Response(
 *   new Response("hello").body!.pipeThrough(sealStream(sender.send))
 *     .pipeThrough(openStream(receiver.receive)),
 * ).text(); // "hello"
 * ```
 */
export function sealStream(key: RecordKey): TransformStream<Uint8Array, Uint8Array> {
  const sealer = new RecordSealer(key);
  return new TransformStream({
    async transform(chunk, controller) {
      for (let at = 0; at < chunk.length; at += MAX_RECORD_DATA) {
        const { header, body } = await sealer.seal(chunk.subarray(at, at + MAX_RECORD_DATA));
        controller.enqueue(header);
        controller.enqueue(body);
      }
    },
    async flush(controller) {
      const { header, body } = await sealer.seal(new Uint8Array(0), { final: true });
      controller.enqueue(header);
      controller.enqueue(body);
    },
  });
}

/** Record size from which the opening stream assembles records in its reusable buffer. */
const SCRATCH_FROM = 64 * 1024;

/** Chunks from the network, gathered until a whole record (or header) can be taken. */
class ByteQueue {
  #chunks: Uint8Array[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /**
   * The first `n` bytes (n ≤ length) as one array, without removing them: a view of the
   * first chunk when it holds them all, else a copy into `scratch` (when it is large enough,
   * so that the same memory serves record after record) or into a new array.
   */
  peek(n: number, scratch?: Uint8Array): Uint8Array {
    const head = this.#chunks[0];
    if (head.length >= n) return head.subarray(0, n);
    const out = scratch && scratch.length >= n ? scratch.subarray(0, n) : new Uint8Array(n);
    let at = 0;
    for (const chunk of this.#chunks) {
      const part = chunk.subarray(0, n - at);
      out.set(part, at);
      at += part.length;
      if (at === n) break;
    }
    return out;
  }

  /** Removes and returns the first `n` bytes (n ≤ length), as {@linkcode peek} does. */
  take(n: number, scratch?: Uint8Array): Uint8Array {
    const out = this.peek(n, scratch);
    this.#length -= n;
    let left = n;
    while (left > 0) {
      const head = this.#chunks[0];
      if (head.length > left) {
        this.#chunks[0] = head.subarray(left);
        break;
      }
      left -= head.length;
      this.#chunks.shift();
    }
    return out;
  }
}

/**
 * A stream that opens the records written to it, in whatever chunks they arrive, and emits
 * their plaintext (empty records emit nothing). It errors with a typed {@linkcode SockitError}
 * on a replayed, reordered or tampered record, on bytes after the final record, and
 * (`record-truncated`) when the input ends before the final record.
 *
 * @example
 * ```ts
 * import { KeySchedule } from "./session_keys.ts";
 * import { openStream } from "./records.ts";
 * const schedule = new KeySchedule(crypto.getRandomValues(new Uint8Array(64)), new Uint8Array(0));
 * const receiver = await schedule.recordKeys("receiver");
 * const cut = new Response(new Uint8Array(20)).body!.pipeThrough(openStream(receiver.receive));
 * await new Response(cut).arrayBuffer().catch((e) => console.log(e.code)); // "record-tampered"
 * ```
 */
export function openStream(key: RecordKey): TransformStream<Uint8Array, Uint8Array> {
  const opener = new RecordOpener(key);
  const queue = new ByteQueue();
  // Large records that arrive in pieces are put together here: WebCrypto copies its input
  // when called, so one buffer serves every record (a fresh megabyte each time costs page
  // faults); connections that carry only small frames never allocate it.
  let scratch: Uint8Array | undefined;
  return new TransformStream({
    async transform(chunk, controller) {
      queue.push(chunk);
      while (queue.length >= 4) {
        if (opener.finished) {
          throw new SockitError("record-tampered", { reason: "data after the final record" });
        }
        const size = recordSize(queue.peek(4));
        if (queue.length < size) break;
        if (size > SCRATCH_FROM) {
          scratch ??= new Uint8Array(RECORD_HEADER_BYTES + MAX_RECORD_DATA + TAG_BYTES);
        }
        const { data } = await opener.open(queue.take(size, scratch));
        if (data.length > 0) controller.enqueue(data);
      }
    },
    flush() {
      opener.end();
      if (queue.length > 0) {
        throw new SockitError("record-tampered", { reason: "data after the final record" });
      }
    },
  });
}
