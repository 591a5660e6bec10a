/**
 * How annotated chunks look, for `--trace` and `sockit spy` alike: a head line, the bytes as a
 * hex dump (long stretches cut to their first and last bytes), and under each stretch what it
 * is (a sockit frame named and its five header bytes explained, the lesson's size digits and
 * `ready`, raw file bytes counted, the UTF-8 bytes of Korean text).
 *
 * @module
 */

import { formatBytes } from "../lib/core/format.ts";
import {
  byteTokens,
  hexBytes,
  hexRows,
  looksLikeText,
  renderBytes,
  ROW_BYTES,
  utf8Characters,
} from "../lib/net/trace.ts";
import type { TraceEvent } from "../lib/net/trace.ts";
import { Annotator, LESSON_RECV_SIZE } from "../lib/spy/annotate.ts";
import type { AnnotatedChunk, Note, RunSummary, Side } from "../lib/spy/annotate.ts";
import type { Frame } from "../lib/transfer/protocol.ts";
import type { MessageKey } from "./messages.ts";
import { message, paint } from "./render.ts";
import type { RenderStyle } from "./render.ts";

/** A stretch longer than this is shown as its first and last bytes. */
export const SHOWN_WHOLE = 32;

/** Bytes shown from the start and from the end of a longer stretch. */
const HEAD_BYTES = 16;
const TAIL_BYTES = 8;

/** Multi-byte characters listed in a UTF-8 note. */
const CHARACTERS_LISTED = 6;

const ROW_INDENT = "  ";
const NOTE_INDENT = "    ↳ ";

/**
 * Formats a count the way people read it.
 *
 * @example
 * ```ts
 * import { count } from "./render_trace.ts";
 * count(1048576); // "1,048,576"
 * ```
 */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * The hex dump of one stretch; stretches longer than {@linkcode SHOWN_WHOLE} are cut. Raw file
 * bytes that are not text show no characters beyond ASCII (random bytes would read as stray
 * letters).
 */
function dump(style: RenderStyle, bytes: Uint8Array, offset: number, note: Note): string[] {
  const utf8 = note.kind !== "file-data" || looksLikeText(bytes);
  const rows = bytes.length <= SHOWN_WHOLE ? hexRows(bytes, offset, utf8) : [
    // Three bytes more, so that a character starting in the last row shown is shown whole.
    ...hexRows(bytes.subarray(0, HEAD_BYTES + 3), offset, utf8).slice(0, HEAD_BYTES / ROW_BYTES),
    `       ${
      message(style, "bytes.skipped", { count: count(bytes.length - HEAD_BYTES - TAIL_BYTES) })
    }`,
    ...hexRows(bytes.subarray(-TAIL_BYTES), offset + bytes.length - TAIL_BYTES, utf8),
  ];
  return rows.map((row) => paint(style, "dim", ROW_INDENT + row));
}

/**
 * Renders a frame as one line; `follow` is how many raw bytes follow an `S` frame.
 *
 * @example
 * ```ts
 * import { describeFrame } from "./render_trace.ts";
 * const style = { lang: "en" as const, color: false };
 * describeFrame(style, { type: "F", id: 1, path: "hw/과제.py", size: 5, mtime: 0 }); // 'F #1 file "hw/과제.py" 5 B'
 * describeFrame(style, { type: "A", id: 1, offset: 0 }); // "A #1 accept at 0"
 * ```
 */
export function describeFrame(style: RenderStyle, frame: Frame, follow?: number): string {
  const short = (hash: string) => hash ? `${hash.slice(0, 16)}…` : "-";
  switch (frame.type) {
    case "H":
      return message(style, "frame.H", {
        version: frame.version,
        auth: message(style, `frame.auth-${frame.auth}`),
        maxSize: frame.maxSize === null
          ? message(style, "frame.any-size")
          : formatBytes(frame.maxSize),
        window: frame.window,
      });
    case "I":
      return message(style, "frame.I", { name: frame.name });
    case "P":
      return frame.share === undefined
        ? message(style, "frame.P", { nonce: short(frame.nonce) })
        : message(style, "frame.P-share", { nonce: short(frame.nonce), share: short(frame.share) });
    case "C":
      return frame.share === undefined
        ? message(style, "frame.C", { confirm: short(frame.confirm) })
        : message(style, "frame.C-share", {
          share: short(frame.share),
          confirm: short(frame.confirm),
        });
    case "F":
      return message(style, "frame.F", {
        id: frame.id,
        path: frame.path,
        size: formatBytes(frame.size),
      });
    case "D":
      return message(style, "frame.D", { id: frame.id, path: frame.path });
    case "S":
      return message(style, "frame.S", {
        id: frame.id,
        offset: count(frame.offset),
        count: follow === undefined ? "?" : count(follow),
      });
    case "E":
      return message(style, "frame.E", { id: frame.id, sha256: short(frame.sha256) });
    case "Q":
      return frame.files === undefined
        ? message(style, "frame.Q")
        : message(style, "frame.Q-totals", { files: frame.files });
    case "A":
      return message(style, "frame.A", { id: frame.id, offset: count(frame.offset) });
    case "R":
      return message(style, "frame.R", { id: frame.id, code: frame.code, message: frame.message });
    case "X":
      return message(style, "frame.X", { code: frame.code, message: frame.message });
    case "V":
      return frame.ok
        ? message(style, "frame.V", {
          id: frame.id,
          stored: frame.stored,
          sha256: short(frame.sha256),
        })
        : message(style, "frame.V-failed", {
          id: frame.id,
          code: frame.code,
          message: frame.message,
        });
  }
}

/** What a stretch is, as note lines (none for plain bytes). */
function describe(style: RenderStyle, note: Note, bytes: Uint8Array): string[] {
  const m = (key: MessageKey, params = {}) => message(style, key, params);
  switch (note.kind) {
    case "plain":
      return [];
    case "preface":
      return [
        note.version === undefined
          ? m("note.preface-part", { got: note.got })
          : m("note.preface", { version: note.version }),
      ];
    case "frame-header": {
      if (note.type === undefined || note.length === undefined) {
        return [m("note.header-part", { got: note.got })];
      }
      const length = new Uint8Array(4);
      new DataView(length.buffer).setUint32(0, note.length);
      return [m("note.header", {
        typeHex: hexBytes(new Uint8Array([note.type.charCodeAt(0)])),
        letter: note.type,
        name: m(`frame-name.${note.type}` as MessageKey),
        lengthHex: hexBytes(length),
        length: count(note.length),
      })];
    }
    case "frame-payload": {
      if (!note.frame) {
        return [m("note.payload-part", { got: count(note.got), length: count(note.length) })];
      }
      const whole = bytes.length === note.length;
      return [
        ...(whole
          ? [m("note.payload", { length: count(note.length), json: renderBytes(bytes, 96) })]
          : []),
        describeFrame(style, note.frame, note.follow),
      ];
    }
    case "file-data":
      return [m("note.data", {
        from: count(note.from + 1),
        to: count(note.to),
        total: count(note.total),
      })];
    case "classic-size":
      return [m("note.classic-size", {
        digits: note.text.replace(/\r?\n$/, "").length,
        size: count(note.size),
      })];
    case "classic-ready":
      return [
        note.size === undefined
          ? m("note.classic-ready-part", { got: note.got })
          : m("note.classic-ready", { size: count(note.size) }),
      ];
    case "unexpected":
      return [m("note.unexpected", { reason: note.reason })];
  }
}

/** The UTF-8 note for text with multi-byte characters: `안 = ec 95 88, 녕 = eb 85 95`. */
function encodeNote(style: RenderStyle, bytes: Uint8Array): string[] {
  const chars = utf8Characters(bytes);
  if (chars.length === 0) return [];
  const listed = chars.slice(0, CHARACTERS_LISTED).map(([c, hex]) => `${c} = ${hex}`);
  if (chars.length > CHARACTERS_LISTED) listed.push("…");
  return [message(style, "bytes.encode", { chars: listed.join(", ") })];
}

/** `1,024 + 1,024 + 952`, or `64 × 1,024` when there are many. */
function pieceSizes(pieces: number[]): string {
  const full = pieces.filter((p) => p === LESSON_RECV_SIZE).length;
  const sizes = full > 3
    ? [`${full} × ${count(LESSON_RECV_SIZE)}`, ...pieces.slice(full).map(count)]
    : pieces.map(count);
  return sizes.join(" + ");
}

/**
 * The `recv(1024)` boundaries of a chunk's text that fall inside a character: offset and
 * character. The lesson's `data.decode()` fails on both pieces around such a boundary.
 */
function cutCharacters(chunk: AnnotatedChunk): [number, string][] {
  const cuts: [number, string][] = [];
  for (const segment of chunk.segments) {
    if (segment.note.kind !== "plain") continue;
    const tokens = byteTokens(chunk.bytes.subarray(segment.start, segment.end));
    for (const token of tokens) {
      const start = segment.start + token.start;
      const end = segment.start + token.end;
      const boundary = (Math.floor(start / LESSON_RECV_SIZE) + 1) * LESSON_RECV_SIZE;
      if (token.char && boundary < end) cuts.push([boundary, token.char]);
    }
  }
  return cuts;
}

/**
 * Renders an annotated chunk under its `head` line.
 *
 * @example
 * ```ts
 * import { Annotator, LESSON_RECV_SIZE } from "../lib/spy/annotate.ts";
 * import { renderChunk } from "./render_trace.ts";
 * const [chunk] = new Annotator().feed("client", new TextEncoder().encode("안녕"));
 * if (chunk.type === "chunk") renderChunk({ lang: "en", color: false }, "→ 6 B", chunk);
 * // ["→ 6 B", "      0  ec 95 88 eb 85 95        안녕",
 * //  "    ↳ UTF-8 (what encode() made of the text): 안 = ec 95 88, 녕 = eb 85 95"]
 * ```
 */
export function renderChunk(style: RenderStyle, head: string, chunk: AnnotatedChunk): string[] {
  const lines = [head];
  const note = (text: string) => lines.push(NOTE_INDENT + text);
  if (chunk.pieces.length > 1) {
    note(message(style, "bytes.pieces", {
      count: chunk.pieces.length,
      sizes: pieceSizes(chunk.pieces),
    }));
    cutCharacters(chunk).forEach(([offset, char]) =>
      note(message(style, "bytes.piece-cuts", { offset: count(offset), char }))
    );
  }
  for (const segment of chunk.segments) {
    const bytes = chunk.bytes.subarray(segment.start, segment.end);
    lines.push(...dump(style, bytes, segment.start, segment.note));
    describe(style, segment.note, bytes).forEach(note);
    const textual = segment.note.kind === "plain" || segment.note.kind === "frame-payload";
    if (textual) encodeNote(style, bytes.subarray(0, 4096)).forEach(note);
  }
  if (chunk.completes) note(message(style, "bytes.split-completes", { ...chunk.completes }));
  if (chunk.starts) note(message(style, "bytes.split-starts", { ...chunk.starts }));
  return lines;
}

/**
 * Renders a folded run of chunks under its `head` line.
 *
 * @example
 * ```ts
 * import { Annotator } from "../lib/spy/annotate.ts";
 * import { renderRun } from "./render_trace.ts";
 * const conversation = new Annotator();
 * for (let i = 0; i < 3; i++) conversation.feed("client", new TextEncoder().encode("same"));
 * const [run] = conversation.finish();
 * renderRun({ lang: "en", color: false }, "→", run);
 * // ["→", "    ↳ … 1 more chunk, 4 B (1 recv(1024) read)", "    ↳ first bytes 73 61 6d 65 … last bytes 73 61 6d 65"]
 * ```
 */
export function renderRun(style: RenderStyle, head: string, run: RunSummary): string[] {
  const params = {
    chunks: count(run.chunks),
    bytes: `${count(run.length)} B`,
    pieces: count(run.pieces),
    first: hexBytes(run.first),
    last: hexBytes(run.last),
    to: count(run.to ?? 0),
    total: count(run.total ?? 0),
  };
  return [
    head,
    NOTE_INDENT + message(style, "note.run", params),
    ...(run.kind === "file-data" ? [NOTE_INDENT + message(style, "note.run-data", params)] : []),
    NOTE_INDENT + message(style, "note.run-edges", params),
  ];
}

/** Which side sent a traced chunk, for a program playing `role`. */
function sideOf(role: Side, event: TraceEvent): Side {
  if (event.direction === "sent") return role;
  return role === "client" ? "server" : "client";
}

/**
 * Renders `--trace` events of one program: every connection's chunks are annotated as a
 * conversation (so a frame split over two reads is still named) in which this program plays
 * `role` (the sender and the echo client are clients; the receiver and the echo server are
 * servers).
 *
 * @example
 * ```ts
 * import { TraceView } from "./render_trace.ts";
 * const view = new TraceView({ lang: "en", color: false }, "client");
 * const bytes = new Uint8Array([0x53, 0x4b, 0x49, 0x54, 0x01]);
 * view.render({ type: "trace", peer: "127.0.0.1:6000", direction: "sent", bytes });
 * // "→ sent 5 B  127.0.0.1:6000\n      0  53 4b 49 54 01  …\n    ↳ preface: 'SKIT' and version 1, …"
 * ```
 */
export class TraceView {
  #style: RenderStyle;
  #role: Side;
  #recognise: boolean;
  #conversations = new Map<string, Annotator>();

  /** Creates a view; `recognise: false` shows plain bytes only (for the echo commands). */
  constructor(style: RenderStyle, role: Side, options: { recognise?: boolean } = {}) {
    this.#style = style;
    this.#role = role;
    this.#recognise = options.recognise ?? true;
  }

  /**
   * The lines for one trace event, as one text (empty when folded into a run). In a paired
   * session the encrypted records are shown by size only, and what they carry is annotated as
   * a conversation of its own that starts at a frame.
   */
  render(event: TraceEvent): string {
    const { layer } = event;
    if (layer === "record") {
      const head = message(
        this.#style,
        event.direction === "sent" ? "trace.sent" : "trace.received",
        {
          bytes: count(event.bytes.length),
        },
      );
      return paint(
        this.#style,
        "dim",
        `${head}  ${event.peer}  ${message(this.#style, "trace.record")}`,
      );
    }
    const key = layer === "plaintext" ? `${event.peer} ${layer}` : event.peer;
    let conversation = this.#conversations.get(key);
    if (!conversation) {
      conversation = new Annotator({ recognise: this.#recognise, inFrames: layer === "plaintext" });
      this.#conversations.set(key, conversation);
    }
    const label = layer ? `  ${message(this.#style, `trace.${layer}`)}` : "";
    return conversation.feed(sideOf(this.#role, event), event.bytes)
      .flatMap((shown) => this.#lines(`${event.peer}${label}`, shown)).join("\n");
  }

  /** Forgets a connection that ended; returns the summary of a run still being folded. */
  end(peer: string): string {
    return [peer, `${peer} plaintext`].flatMap((key) => {
      const conversation = this.#conversations.get(key);
      this.#conversations.delete(key);
      return (conversation?.finish() ?? []).flatMap((run) => this.#lines(peer, run));
    }).join("\n");
  }

  #lines(peer: string, shown: AnnotatedChunk | RunSummary): string[] {
    const sent = shown.from === this.#role;
    if (shown.type === "run") return renderRun(this.#style, `${sent ? "→" : "←"}  ${peer}`, shown);
    const head = message(this.#style, sent ? "trace.sent" : "trace.received", {
      bytes: count(shown.bytes.length),
    });
    return renderChunk(this.#style, `${head}  ${peer}`, shown);
  }
}
