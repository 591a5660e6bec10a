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

/** The scratch buffer of a connection that has seen only small records. */
const SMALL_SCRATCH = 16 * 1024;

/**
 * Most plaintext bytes per record written (less than the format's 1 MiB), so that a large
 * write is several records and sealing one overlaps writing the one before.
 */
const PIPELINED_RECORD = 256 * 1024;

/** Records of one write being sealed at once (each runs off the main thread). */
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
   * Where records are read: WebCrypto copies its input when called, so one buffer serves
   * record after record (a fresh megabyte each time costs page faults and garbage). It grows
   * to a full record on the first large one.
   */
  #scratch: Uint8Array = new Uint8Array(SMALL_SCRATCH);

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
   * decrypted (the opener copies its input when called, so the scratch is free again).
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
   * The next whole record from the connection, in the reusable scratch buffer (valid until
   * the next call); the end of the stream here is a truncation.
   */
  async #record(): Promise<Uint8Array> {
    try {
      const header = await this.#fill(this.#scratch.subarray(0, RECORD_HEADER_BYTES));
      const size = recordSize(header);
      if (size > this.#scratch.length) {
        const larger = new Uint8Array(RECORD_HEADER_BYTES + MAX_RECORD_DATA + TAG_BYTES);
        larger.set(header);
        this.#scratch = larger;
      }
      const record = this.#scratch.subarray(0, size);
      await this.#fill(record.subarray(RECORD_HEADER_BYTES));
      return record;
    } catch (err) {
      if (err instanceof SockitError && err.code === "closed-early") {
        // Ends without the final record (at a record boundary or inside one): refused.
        this.#opener.end();
      }
      throw err;
    }
  }

  /** Fills all of `target` from the connection; `closed-early` if it ends first. */
  async #fill(target: Uint8Array): Promise<Uint8Array> {
    let filled = 0;
    while (filled < target.length) {
      const n = await this.#raw.readInto(target.subarray(filled));
      if (n === null) throw new SockitError("closed-early", {});
      filled += n;
    }
    return target;
  }

  /**
   * Seals `bytes` into records and writes them. Writes over {@linkcode PIPELINED_RECORD}
   * bytes become several records, each sealed (off the main thread) while the one before is
   * written, {@linkcode SEALS_AHEAD} at most.
   */
  async write(bytes: Uint8Array): Promise<number> {
    const ahead: Promise<SealedRecord>[] = [];
    let at = 0;
    while (at < bytes.length || ahead.length > 0) {
      while (at < bytes.length && ahead.length < SEALS_AHEAD) {
        const sealing = this.#sealer.seal(bytes.subarray(at, at + PIPELINED_RECORD));
        // A failure is thrown when its turn to be written comes.
        sealing.catch(() => {});
        ahead.push(sealing);
        at += PIPELINED_RECORD;
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
