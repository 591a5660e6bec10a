/**
 * A paired session's byte stream: what is written is sealed into AES-256-GCM records
 * (`lib/crypto/records.ts`) on the connection underneath, and what is read is the opened
 * plaintext of the peer's records. A {@linkcode Wire} over it reads and writes frames and file
 * bytes exactly as over a plain socket, so the session logic is the same with and without a
 * pairing code.
 *
 * @module
 */

import { SockitError } from "../core/errors.ts";
import {
  MAX_RECORD_DATA,
  type OpenedRecord,
  RECORD_HEADER_BYTES,
  RecordOpener,
  RecordSealer,
  recordSize,
  type SealedRecord,
  TAG_BYTES,
} from "../crypto/records.ts";
import type { SessionKeys } from "../crypto/session_keys.ts";
import type { Wire, WireConn } from "../net/wire.ts";

/** Records at least this long (header included) are bulk data: the next one is read ahead. */
const READ_AHEAD_FROM = 64 * 1024;

/** The read buffer of a connection that has seen only small records. */
const SMALL_BUFFER = 16 * 1024;

/**
 * A socket read into the read buffer asks for at least this much room: records are moved to
 * its start (at most one partial record is copied) when less is left at its end.
 */
const MIN_READ_ROOM = 256 * 1024;

/**
 * The read buffer once bulk data flows: a whole record of the largest size and room for
 * more, so that one socket read takes in several records instead of a header read and a body
 * read each.
 */
const BULK_BUFFER = RECORD_HEADER_BYTES + MAX_RECORD_DATA + TAG_BYTES + MIN_READ_ROOM;

/**
 * Most plaintext bytes per record this side writes (the format allows 1 MiB): a larger write
 * becomes several records, each sealed (off the main thread) while the one before is
 * written. Measured on the 2-core machine (docs/performance.md): WebCrypto's AES-GCM output
 * for a 128 KiB record reuses freed memory, while from 192 KiB on each record's output is
 * fresh memory, page-faulted in (about 0.7 s of kernel time per GiB sent).
 */
export const BULK_RECORD_DATA = 128 * 1024;

/** Records of one write being sealed at once. */
const SEALS_AHEAD = 2;

/** Records whose ciphertext is at most this long leave in one write with their header. */
const JOINED_WRITE = 64 * 1024;

/**
 * Frees the memory of a large buffer this layer no longer needs (WebCrypto's output, read or
 * written whole) at once, instead of when the garbage collector gets to it: a megabyte per
 * record would otherwise pile up. Trace hooks do not keep bytes, so nothing else holds it.
 */
function release(bytes: Uint8Array): void {
  if (bytes.length > JOINED_WRITE) (bytes.buffer as ArrayBuffer).transfer(0);
}

/**
 * The plaintext side of a paired connection, for a {@linkcode Wire}: `write` seals records,
 * `read` opens them in order, `closeWrite` sends this direction's final record. Reading after
 * the peer's final record returns the end of the stream; a connection that ends without it
 * fails with `record-truncated`, and an altered, replayed or reordered record with
 * `record-tampered`, `record-replayed` or `record-reordered`.
 *
 * @example
 * ```ts
 * import { RecordConn } from "./record_conn.ts";
 * import { Wire } from "../net/wire.ts";
 * import type { SessionKeys } from "../crypto/session_keys.ts";
 * function paired(raw: Wire, keys: SessionKeys): Wire {
 *   return new Wire(new RecordConn(raw, keys));
 * }
 * ```
 */
export class RecordConn implements WireConn {
  readonly #raw: Wire;
  readonly #sealer: RecordSealer;
  readonly #opener: RecordOpener;
  /** Opened plaintext not yet read. */
  #plain: Uint8Array = new Uint8Array(0);
  #ended = false;
  /** The opening of the next record, started ahead during bulk data (see `read`). */
  #next?: Promise<OpenedRecord>;
  /** The reading of the record after it, started while that one is decrypted. */
  #reading?: Promise<Uint8Array>;
  /**
   * Where records are read, `#start` to `#end` not yet taken: WebCrypto copies its input when
   * called, so records are opened straight from here and one buffer serves record after
   * record (a fresh megabyte each time costs page faults and garbage). It grows to
   * {@linkcode BULK_BUFFER} on the first large record.
   */
  #buffer: Uint8Array = new Uint8Array(SMALL_BUFFER);
  #start = 0;
  #end = 0;

  /** Layers records with `keys` (this side's) over the connection `raw`. */
  constructor(raw: Wire, keys: SessionKeys) {
    this.#raw = raw;
    this.#sealer = new RecordSealer(keys.send);
    this.#opener = new RecordOpener(keys.receive);
  }

  /** This side's address. */
  get localAddr(): Deno.Addr {
    return this.#raw.conn.localAddr;
  }

  /** The peer's address. */
  get remoteAddr(): Deno.Addr {
    return this.#raw.conn.remoteAddr;
  }

  /** Reads plaintext into `target`; `null` once the peer's final record was read. */
  async read(target: Uint8Array): Promise<number | null> {
    while (this.#plain.length === 0) {
      if (this.#ended) return null;
      const next = this.#next ?? this.#openNext();
      this.#next = undefined;
      const opened = await next;
      this.#plain = opened.data;
      this.#ended = opened.final;
      // Bulk data: the next record is read and decrypted (off the main thread) while this
      // one is consumed. One record ahead at most, and only after a large one, so that a
      // quiet conversation of small frames never has a read waiting that nobody asked for.
      if (!opened.final && opened.data.length >= READ_AHEAD_FROM) {
        this.#next = this.#openNext();
        // Its failure is reported by the read that takes it.
        this.#next.catch(() => {});
      }
    }
    const n = Math.min(target.length, this.#plain.length);
    target.set(this.#plain.subarray(0, n));
    if (n < this.#plain.length) {
      this.#plain = this.#plain.subarray(n);
    } else {
      release(this.#plain);
      this.#plain = new Uint8Array(0);
    }
    return n;
  }

  /**
   * Opens the next record. During bulk data the record after it is read while this one is
   * decrypted (the opener copies its input when called, so its bytes may be overwritten).
   */
  async #openNext(): Promise<OpenedRecord> {
    const reading = this.#reading ?? this.#record();
    this.#reading = undefined;
    const record = await reading;
    const opening = this.#opener.open(record);
    // A large record is bulk data (the final record of this layer is empty): more follows.
    if (record.length >= READ_AHEAD_FROM) {
      this.#reading = this.#record();
      // Its failure is reported by the read that takes it.
      this.#reading.catch(() => {});
    }
    return await opening;
  }

  /**
   * The next whole record from the connection, a view of the read buffer (valid until the
   * next call); the end of the stream here is a truncation.
   */
  async #record(): Promise<Uint8Array> {
    try {
      await this.#buffered(RECORD_HEADER_BYTES);
      const size = recordSize(this.#buffer.subarray(this.#start));
      await this.#buffered(size);
      const record = this.#buffer.subarray(this.#start, this.#start + size);
      this.#start += size;
      return record;
    } catch (err) {
      if (err instanceof SockitError && err.code === "closed-early") {
        // Ends without the final record (at a record boundary or inside one): refused.
        this.#opener.end();
      }
      throw err;
    }
  }

  /**
   * Reads until at least `n` bytes are buffered, in socket reads as large as the buffer
   * allows (a record that does not fit is moved to the buffer's start, which grows to
   * {@linkcode BULK_BUFFER} for large records); `closed-early` if the connection ends first.
   */
  async #buffered(n: number): Promise<void> {
    if (this.#end - this.#start >= n) return;
    const cramped = this.#buffer.length - this.#end < MIN_READ_ROOM && n > SMALL_BUFFER;
    if (this.#buffer.length - this.#start < n || (cramped && this.#start > 0)) {
      const rest = this.#buffer.subarray(this.#start, this.#end);
      const target = n > this.#buffer.length ? new Uint8Array(BULK_BUFFER) : this.#buffer;
      target.set(rest);
      this.#buffer = target;
      this.#end = rest.length;
      this.#start = 0;
    }
    while (this.#end - this.#start < n) {
      const got = await this.#raw.readInto(this.#buffer.subarray(this.#end));
      if (got === null) throw new SockitError("closed-early", {});
      this.#end += got;
    }
  }

  /**
   * Seals `bytes` into records and writes them. Writes over {@linkcode BULK_RECORD_DATA}
   * bytes become several records, each sealed (off the main thread) while the one before is
   * written, {@linkcode SEALS_AHEAD} at most.
   */
  async write(bytes: Uint8Array): Promise<number> {
    const ahead: Promise<SealedRecord>[] = [];
    let at = 0;
    while (at < bytes.length || ahead.length > 0) {
      while (at < bytes.length && ahead.length < SEALS_AHEAD) {
        const sealing = this.#sealer.seal(bytes.subarray(at, at + BULK_RECORD_DATA));
        // A failure is thrown when its turn to be written comes.
        sealing.catch(() => {});
        ahead.push(sealing);
        at += BULK_RECORD_DATA;
      }
      await this.#writeRecord(await ahead.shift()!);
    }
    return bytes.length;
  }

  async #writeRecord({ header, body }: SealedRecord): Promise<void> {
    if (body.length <= JOINED_WRITE) {
      const joined = new Uint8Array(header.length + body.length);
      joined.set(header);
      joined.set(body, header.length);
      await this.#raw.write(joined);
    } else {
      await this.#raw.write(header);
      await this.#raw.write(body);
      release(body);
    }
  }

  /** Ends this direction: the final (empty) record, then the TCP half-close. */
  async closeWrite(): Promise<void> {
    if (!this.#sealer.finished) {
      await this.#writeRecord(await this.#sealer.seal(new Uint8Array(0), { final: true }));
    }
    await this.#raw.closeWrite();
  }

  /** Closes the connection underneath. */
  close(): void {
    this.#raw.close();
  }

  /** Closes the connection underneath (what `using` does). */
  [Symbol.dispose](): void {
    this.close();
  }
}
