/**
 * Follows one TCP conversation chunk by chunk and says what each byte is: the sockit protocol
 * (preface, frame headers, JSON payloads, raw file bytes), the lesson's classic file protocol
 * (size digits, `ready`, raw bytes), or plain bytes of a protocol sockit does not know. Every
 * protocol rule comes from `lib/transfer/protocol.ts`; this module only feeds it the bytes as
 * they arrive. Long runs of raw bytes are folded into one summary, so a megabyte never becomes
 * a megabyte of output.
 *
 * @module
 */

import {
  CLASSIC_READY,
  decodeFrameHeader,
  decodeFramePayload,
  decodePreface,
  FRAME_HEADER_SIZE,
  isClassicStart,
  MAGIC,
  parseClassicSize,
  PREFACE_SIZE,
} from "../transfer/protocol.ts";
import type { Frame } from "../transfer/protocol.ts";
import { incompleteTail, utf8Width } from "../net/trace.ts";

/** Who sent a chunk: the side that connected (`client`) or the side that accepted (`server`). */
export type Side = "client" | "server";

/** The size of the lesson's reads, `recv(1024)`. */
export const LESSON_RECV_SIZE = 1024;

/** Bulk chunks shown in full before the rest of a run is folded into a summary. */
export const SHOWN_BEFORE_FOLD = 2;

/** Bytes kept from each end of a folded run. */
export const RUN_EDGE_BYTES = 8;

/** What a range of bytes in a chunk is. */
export type Note =
  /** Bytes of a conversation in no protocol sockit knows (an echo, a chat). */
  | { kind: "plain" }
  /** The sockit preface `SKIT` and version; `got` of its 5 bytes seen so far. */
  | { kind: "preface"; got: number; version?: number }
  /** A frame header; `got` of its 5 bytes so far; `type` and `length` once complete. */
  | { kind: "frame-header"; got: number; type?: Frame["type"]; length?: number }
  /**
   * A frame's JSON payload; `got` of `length` bytes so far; `frame` once complete, and after an
   * `S` frame how many raw file bytes `follow` it.
   */
  | {
    kind: "frame-payload";
    type: Frame["type"];
    got: number;
    length: number;
    frame?: Frame;
    follow?: number;
  }
  /** Raw file bytes `from` up to `to` of `total` (after a sockit `S` frame or a classic `ready`). */
  | { kind: "file-data"; from: number; to: number; total: number }
  /** What a classic sender sent before `ready`: its size in ASCII digits, so far. */
  | { kind: "classic-size"; text: string; size: number }
  /** The classic receiver's `ready`; `got` of its 5 bytes; `size` follows once complete. */
  | { kind: "classic-ready"; got: number; size?: number }
  /** The bytes broke the protocol this conversation seemed to speak; plain from here on. */
  | { kind: "unexpected"; reason: string };

/** A range of a chunk's bytes and what they are. */
export interface Segment {
  /** Index of the first byte in the chunk. */
  start: number;
  /** Index after the last byte. */
  end: number;
  /** What the bytes are. */
  note: Note;
}

/** A multi-byte UTF-8 character whose bytes were split between two chunks. */
export interface SplitCharacter {
  /** How many of its bytes are in this chunk. */
  here: number;
  /** How many bytes the character has. */
  width: number;
  /** The character, once both parts were seen (on the chunk that completes it). */
  char?: string;
}

/** One chunk as it crossed, annotated. */
export interface AnnotatedChunk {
  /** Always `"chunk"`. */
  type: "chunk";
  /** Who sent it. */
  from: Side;
  /** The bytes (a copy). */
  bytes: Uint8Array;
  /** How a program reading with `recv(1024)` would get it: the sizes of its reads. */
  pieces: number[];
  /** What the bytes are, in order, covering the whole chunk. */
  segments: Segment[];
  /** A character that the previous chunk from this side started and this one completes. */
  completes?: SplitCharacter;
  /** A character that this chunk starts and the next one must complete. */
  starts?: SplitCharacter;
}

/** Consecutive bulk chunks from one side, folded into one summary. */
export interface RunSummary {
  /** Always `"run"`. */
  type: "run";
  /** Who sent them. */
  from: Side;
  /** What they were: raw file bytes or plain bytes. */
  kind: "file-data" | "plain";
  /** How many chunks were folded. */
  chunks: number;
  /** How many bytes they held. */
  length: number;
  /** How many `recv(1024)` reads they would take. */
  pieces: number;
  /** Their first bytes. */
  first: Uint8Array;
  /** Their last bytes. */
  last: Uint8Array;
  /** For file data: how far into the file the run ended, of how many bytes. */
  to?: number;
  /** For file data: the file's size. */
  total?: number;
}

/** Options for {@linkcode Annotator}. */
export interface AnnotatorOptions {
  /** Recognise the sockit and classic protocols. Default true; false shows plain bytes only. */
  recognise?: boolean;
  /** Fold runs of bulk chunks after {@linkcode SHOWN_BEFORE_FOLD} shown ones. Default true. */
  fold?: boolean;
  /**
   * Both sides start at a frame, not at the opening: the plaintext inside a paired session's
   * records. Default false.
   */
  inFrames?: boolean;
}

/** Where one side's byte stream is. */
type State =
  | { at: "opening" }
  | { at: "preface"; got: Uint8Array }
  | { at: "header"; got: Uint8Array }
  | { at: "payload"; type: Frame["type"]; length: number; got: Uint8Array }
  | { at: "data"; done: number; total: number; then: State }
  | { at: "classic-size"; got: Uint8Array }
  | { at: "classic-ready"; got: number }
  | { at: "plain" };

interface Run {
  kind: "file-data" | "plain";
  shown: number;
  folded?: RunSummary;
}

const PLAIN: State = { at: "plain" };

/**
 * Annotates both directions of one conversation as its chunks arrive.
 *
 * @example
 * ```ts
 * import { Annotator } from "./annotate.ts";
 * const conversation = new Annotator();
 * const [chunk] = conversation.feed("client", new TextEncoder().encode("1048576"));
 * console.log(chunk.type === "chunk" && chunk.segments[0].note);
 * // { kind: "classic-size", text: "1048576", size: 1048576 }
 * ```
 */
export class Annotator {
  #recognise: boolean;
  #fold: boolean;
  #state: Record<Side, State>;
  /** Sizes of the files offered so far, by offer id (their bytes follow their `S`). */
  #fileSizes = new Map<number, number>();
  #pendingChar: Record<Side, Uint8Array | undefined> = { client: undefined, server: undefined };
  #runs: Record<Side, Run | undefined> = { client: undefined, server: undefined };

  /** Starts a conversation in which nothing was said yet. */
  constructor(options: AnnotatorOptions = {}) {
    this.#recognise = options.recognise ?? true;
    this.#fold = options.fold ?? true;
    this.#state = !this.#recognise ? { client: PLAIN, server: PLAIN } : options.inFrames
      ? {
        client: { at: "header", got: new Uint8Array(0) },
        server: { at: "header", got: new Uint8Array(0) },
      }
      : { client: { at: "opening" }, server: { at: "opening" } };
  }

  /**
   * Annotates a chunk `from` one side. Returns what to show, in order: a summary of a run that
   * this chunk ends, and the chunk itself (unless it was folded into a run).
   */
  feed(from: Side, bytes: Uint8Array): (AnnotatedChunk | RunSummary)[] {
    const chunk = this.#annotate(from, bytes.slice());
    // A run is consecutive chunks from one side: the other side speaking ends it.
    const other: Side = from === "client" ? "server" : "client";
    const out: (AnnotatedChunk | RunSummary)[] = this.#flush(other);
    this.#runs[other] = undefined;
    const bulk = this.#fold ? bulkKind(chunk) : undefined;
    const run = this.#runs[from];
    if (bulk && run?.kind === bulk && run.shown >= SHOWN_BEFORE_FOLD) {
      this.#foldInto(run, chunk);
      return out;
    }
    out.push(...this.#flush(from));
    this.#runs[from] = bulk
      ? { kind: bulk, shown: run?.kind === bulk ? run.shown + 1 : 1 }
      : undefined;
    out.push(chunk);
    return out;
  }

  /** Summaries of the runs still being folded (call when a side stops sending). */
  finish(from?: Side): RunSummary[] {
    return from ? this.#flush(from) : [...this.#flush("client"), ...this.#flush("server")];
  }

  #flush(from: Side): RunSummary[] {
    const run = this.#runs[from];
    if (!run?.folded) return [];
    const summary = run.folded;
    run.folded = undefined;
    return [summary];
  }

  #foldInto(run: Run, chunk: AnnotatedChunk): void {
    const bytes = chunk.bytes;
    const note = chunk.segments[0].note;
    const summary = run.folded ??= {
      type: "run",
      from: chunk.from,
      kind: run.kind,
      chunks: 0,
      length: 0,
      pieces: 0,
      first: bytes.slice(0, RUN_EDGE_BYTES),
      last: new Uint8Array(0),
    };
    summary.chunks++;
    summary.length += bytes.length;
    summary.pieces += chunk.pieces.length;
    const joined = new Uint8Array(summary.last.length + bytes.length);
    joined.set(summary.last);
    joined.set(bytes, summary.last.length);
    summary.last = joined.slice(-RUN_EDGE_BYTES);
    if (note.kind === "file-data") {
      summary.to = note.to;
      summary.total = note.total;
    }
  }

  #annotate(from: Side, bytes: Uint8Array): AnnotatedChunk {
    const segments: Segment[] = [];
    let at = 0;
    while (at < bytes.length) {
      const [length, note] = this.#step(from, bytes.subarray(at));
      const last = segments.at(-1);
      if (last && note.kind === "plain" && last.note.kind === "plain") last.end += length;
      else segments.push({ start: at, end: at + length, note });
      at += length;
    }
    const chunk: AnnotatedChunk = {
      type: "chunk",
      from,
      bytes,
      pieces: pieces(bytes.length),
      segments,
    };
    this.#splitCharacters(chunk);
    return chunk;
  }

  /** Marks a UTF-8 character split between this chunk and the one before or after. */
  #splitCharacters(chunk: AnnotatedChunk): void {
    const { from, bytes } = chunk;
    const textual = (s?: Segment) => s !== undefined && s.note.kind !== "file-data";
    const pending = this.#pendingChar[from];
    this.#pendingChar[from] = undefined;
    if (pending && textual(chunk.segments[0])) {
      const width = utf8Width(pending[0]);
      const need = width - pending.length;
      const rest = bytes.subarray(0, need);
      if (rest.length === need && rest.every(isContinuation)) {
        const whole = new Uint8Array(width);
        whole.set(pending);
        whole.set(rest, pending.length);
        const char = new TextDecoder().decode(whole);
        if (!char.includes("\uFFFD")) chunk.completes = { here: need, width, char };
      }
    }
    if (!textual(chunk.segments.at(-1))) return;
    const here = incompleteTail(bytes);
    if (here > 0) {
      chunk.starts = { here, width: utf8Width(bytes[bytes.length - here]) };
      this.#pendingChar[from] = bytes.slice(bytes.length - here);
    }
  }

  /** Consumes the start of `bytes` from one side: how many bytes, and what they are. */
  #step(from: Side, bytes: Uint8Array): [number, Note] {
    const state = this.#state[from];
    const other: Side = from === "client" ? "server" : "client";
    switch (state.at) {
      case "plain":
        return [bytes.length, { kind: "plain" }];
      case "opening": {
        if (from === "server") {
          this.#state.client = PLAIN;
          return this.#plain(from, bytes);
        }
        if (bytes[0] === MAGIC[0]) {
          this.#state.client = { at: "preface", got: new Uint8Array(0) };
          this.#state.server = { at: "header", got: new Uint8Array(0) };
        } else if (isClassicStart(bytes[0])) {
          this.#state.client = { at: "classic-size", got: new Uint8Array(0) };
          this.#state.server = { at: "classic-ready", got: 0 };
        } else {
          this.#state[other] = PLAIN;
          return this.#plain(from, bytes);
        }
        return this.#step(from, bytes);
      }
      case "preface": {
        const got = append(state.got, bytes, PREFACE_SIZE);
        const taken = got.length - state.got.length;
        if (got.some((b, i) => i < MAGIC.length && b !== MAGIC[i])) {
          this.#state[other] = PLAIN;
          return this.#plain(from, bytes);
        }
        if (got.length < PREFACE_SIZE) {
          this.#state.client = { at: "preface", got };
          return [taken, { kind: "preface", got: got.length }];
        }
        this.#state.client = { at: "header", got: new Uint8Array(0) };
        return [taken, { kind: "preface", got: PREFACE_SIZE, version: decodePreface(got) }];
      }
      case "header": {
        const got = append(state.got, bytes, FRAME_HEADER_SIZE);
        const taken = got.length - state.got.length;
        if (got.length < FRAME_HEADER_SIZE) {
          this.#state[from] = { at: "header", got };
          return [taken, { kind: "frame-header", got: got.length }];
        }
        try {
          const { type, length } = decodeFrameHeader(
            got,
            from === "client" ? "sender" : "receiver",
          );
          this.#state[from] = { at: "payload", type, length, got: new Uint8Array(0) };
          return [taken, { kind: "frame-header", got: FRAME_HEADER_SIZE, type, length }];
        } catch (err) {
          this.#state[from] = PLAIN;
          return [taken, { kind: "unexpected", reason: (err as Error).message }];
        }
      }
      case "payload": {
        const got = append(state.got, bytes, state.length);
        const taken = got.length - state.got.length;
        const note = {
          kind: "frame-payload",
          type: state.type,
          got: got.length,
          length: state.length,
        };
        if (got.length < state.length) {
          this.#state[from] = { ...state, got };
          return [taken, note as Note];
        }
        let frame: Frame;
        try {
          frame = decodeFramePayload(
            { type: state.type, length: got.length },
            got,
            from === "client" ? "sender" : "receiver",
          );
        } catch (err) {
          this.#state[from] = PLAIN;
          return [taken, { kind: "unexpected", reason: (err as Error).message }];
        }
        const next: State = { at: "header", got: new Uint8Array(0) };
        // Offers run ahead of the data (v2): each file's size is found by its id.
        if (frame.type === "F") this.#fileSizes.set(frame.id, frame.size);
        const size = frame.type === "S" ? this.#fileSizes.get(frame.id) ?? 0 : 0;
        const total = frame.type === "S" ? Math.max(0, size - frame.offset) : 0;
        this.#state[from] = total > 0 ? { at: "data", done: 0, total, then: next } : next;
        return [
          taken,
          { ...note, frame, ...(frame.type === "S" ? { follow: total } : {}) } as Note,
        ];
      }
      case "data": {
        const n = Math.min(bytes.length, state.total - state.done);
        const note: Note = {
          kind: "file-data",
          from: state.done,
          to: state.done + n,
          total: state.total,
        };
        this.#state[from] = state.done + n === state.total
          ? state.then
          : { ...state, done: state.done + n };
        return [n, note];
      }
      case "classic-size": {
        const got = append(state.got, bytes, Infinity);
        let size: number;
        try {
          size = parseClassicSize(got);
        } catch {
          // Not a size in digits: this is not the lesson's file protocol after all.
          this.#state[other] = PLAIN;
          return this.#plain(from, bytes);
        }
        this.#state.client = { at: "classic-size", got };
        return [bytes.length, { kind: "classic-size", text: new TextDecoder().decode(got), size }];
      }
      case "classic-ready": {
        const sizeState = this.#state.client;
        const n = Math.min(bytes.length, CLASSIC_READY.length - state.got);
        const matches = bytes.subarray(0, n).every((b, i) => b === CLASSIC_READY[state.got + i]);
        if (!matches || sizeState.at !== "classic-size") {
          this.#state[other] = PLAIN;
          return this.#plain(from, bytes);
        }
        const got = state.got + n;
        if (got < CLASSIC_READY.length) {
          this.#state.server = { at: "classic-ready", got };
          return [n, { kind: "classic-ready", got }];
        }
        this.#state.server = PLAIN;
        let size: number;
        try {
          size = parseClassicSize(sizeState.got);
        } catch {
          this.#state.client = PLAIN;
          return [n, { kind: "classic-ready", got }];
        }
        this.#state.client = size > 0 ? { at: "data", done: 0, total: size, then: PLAIN } : PLAIN;
        return [n, { kind: "classic-ready", got, size }];
      }
    }
  }

  #plain(from: Side, bytes: Uint8Array): [number, Note] {
    this.#state[from] = PLAIN;
    return [bytes.length, { kind: "plain" }];
  }
}

/** Bytes of `add` appended to `got`, up to `max` in all. */
function append(got: Uint8Array, add: Uint8Array, max: number): Uint8Array {
  const take = Math.min(add.length, max - got.length);
  const out = new Uint8Array(got.length + take);
  out.set(got);
  out.set(add.subarray(0, take), got.length);
  return out;
}

function isContinuation(b: number): boolean {
  return b >= 0x80 && b < 0xc0;
}

/**
 * The sizes of the `recv(1024)` reads that would take a chunk of `length` bytes.
 *
 * @example
 * ```ts
 * import { pieces } from "./annotate.ts";
 * pieces(3000); // [1024, 1024, 952]
 * ```
 */
export function pieces(length: number): number[] {
  const out: number[] = [];
  for (let left = length; left > 0; left -= LESSON_RECV_SIZE) {
    out.push(Math.min(LESSON_RECV_SIZE, left));
  }
  return out;
}

/** The kind of a chunk that is nothing but raw file bytes or plain bytes, if it is. */
function bulkKind(chunk: AnnotatedChunk): "file-data" | "plain" | undefined {
  if (chunk.segments.length !== 1 || chunk.completes || chunk.starts) return undefined;
  const kind = chunk.segments[0].note.kind;
  return kind === "file-data" || kind === "plain" ? kind : undefined;
}
