/**
 * The sockit transfer protocol, version 2: every byte layout and every rule about what is
 * trusted lives here. `docs/protocol.md` describes the same thing with byte-level examples.
 *
 * A session starts with the 5-byte preface `S K I T <version>`; the first byte (0x53) is never
 * an ASCII digit, which is how a receiver tells it from a classic (lesson) sender. After that,
 * both sides exchange frames:
 *
 * ```text
 * +--------+----------------------+------------------------------+
 * | type   | length (u32, BE)     | payload: `length` bytes JSON |
 * | 1 byte | 4 bytes              | (UTF-8), at most 16 KiB      |
 * +--------+----------------------+------------------------------+
 * ```
 *
 * A file's raw bytes follow the sender's `S` (start) frame unframed: exactly `size - offset`
 * bytes, then the `E` (end) frame with the SHA-256 of the whole file. Every per-file frame
 * carries the file's `id` (assigned by the sender, increasing from 1 within a session), so
 * that offers run ahead of the data and answers are matched to files as they arrive. With a
 * pairing code, the `P`/`C` frames of the handshake come first and everything after them
 * travels inside encrypted records (`lib/crypto/records.ts`).
 *
 * @module
 */

import { SENDER_NAME_PROBLEMS } from "../collect/identity.ts";
import type { SenderNameProblem } from "../collect/identity.ts";
import { SockitError } from "../core/errors.ts";
import type { Wire } from "../net/wire.ts";
import { NAME_PROBLEMS } from "./names.ts";
import type { NameProblem } from "./names.ts";
import { CONFLICT_PROBLEMS } from "./storage.ts";
import type { ConflictProblem } from "./storage.ts";

/** The protocol version this build speaks. */
export const PROTOCOL_VERSION = 2;

/** The magic bytes that open a session: ASCII `SKIT`. */
export const MAGIC: Uint8Array = new Uint8Array([0x53, 0x4b, 0x49, 0x54]);

/** Size of the preface: magic and one version byte. */
export const PREFACE_SIZE = 5;

/** Largest frame payload accepted, in bytes. Anything larger is refused before it is read. */
export const MAX_FRAME_PAYLOAD = 16 * 1024;

/** Size of a frame's fixed header (type and length). */
export const FRAME_HEADER_SIZE = 5;

/**
 * Every reject code, for validation.
 *
 * @example
 * ```ts
 * import { REJECT_CODES } from "./protocol.ts";
 * REJECT_CODES.includes("busy"); // true
 * ```
 */
export const REJECT_CODES = [
  "bad-header",
  "bad-name",
  "name-conflict",
  "too-large",
  "unsupported-version",
  "busy",
  "disk-full",
  "write-failed",
  "hash-mismatch",
  "timeout",
  "not-on-roster",
  "wrong-code",
  "internal",
] as const;

/**
 * Why a receiver refuses a file or a session. Senders translate these (`reject.<code>`).
 *
 * @example
 * ```ts
 * import type { RejectCode } from "./protocol.ts";
 * const code: RejectCode = "too-large";
 * ```
 */
export type RejectCode = typeof REJECT_CODES[number];

/**
 * What is wrong with a refused name: a {@linkcode NameProblem} or a {@linkcode ConflictProblem}
 * of a file, or a {@linkcode SenderNameProblem} of a sender's name.
 *
 * @example
 * ```ts
 * import type { RefusalProblem } from "./protocol.ts";
 * const problems: RefusalProblem[] = ["dot-segment", "symlink", "separator"];
 * ```
 */
export type RefusalProblem = NameProblem | ConflictProblem | SenderNameProblem;

const REFUSAL_PROBLEMS: readonly string[] = [
  ...NAME_PROBLEMS,
  ...CONFLICT_PROBLEMS,
  ...SENDER_NAME_PROBLEMS,
];

/**
 * The problem a refusal names: for `bad-name` and `name-conflict` the receiver's message is
 * the problem's code (`dot-segment`, `symlink`, …); `undefined` for any other refusal.
 *
 * @example
 * ```ts
 * import { refusalProblem } from "./protocol.ts";
 * refusalProblem("bad-name", "dot-segment"); // "dot-segment"
 * refusalProblem("too-large", "5 bytes is more than the limit of 4"); // undefined
 * ```
 */
export function refusalProblem(code: RejectCode, message: string): RefusalProblem | undefined {
  if (code !== "bad-name" && code !== "name-conflict") return undefined;
  return REFUSAL_PROBLEMS.includes(message) ? message as RefusalProblem : undefined;
}

/**
 * Sender → receiver, optional and only as the first frame of the session (after the hello, or
 * inside the records after pairing): who is sending. Not answered when accepted (the offers
 * follow at once); a refused name (unsafe, or not on the class list) gets `X` (`bad-name`,
 * `not-on-roster`) and the connection closes. A sender that sends none is stored as unnamed.
 */
export interface IdentifyFrame {
  type: "I";
  /** The sender's display name, UTF-8. Hostile until checked (`lib/collect/identity.ts`). */
  name: string;
}

/** Sender → receiver: a file follows. */
export interface FileFrame {
  type: "F";
  /** The file's id in this session (increasing from 1, shared with its folder offers). */
  id: number;
  /** Relative path, `/`-separated, UTF-8. Hostile until sanitised. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** Modification time, milliseconds since the epoch. */
  mtime: number;
}

/** Sender → receiver: an (empty) folder to create. */
export interface FolderFrame {
  type: "D";
  /** The folder's id in this session. */
  id: number;
  /** Relative path of the folder. */
  path: string;
}

/** Sender → receiver: the raw bytes from `offset` to the end of the file follow this frame. */
export interface StartFrame {
  type: "S";
  /** The id of the offer whose bytes follow. */
  id: number;
  /** Where the bytes start: 0, or the offset the receiver offered for a resume. */
  offset: number;
}

/** Sender → receiver: all bytes were sent; the SHA-256 of the whole file. */
export interface EndFrame {
  type: "E";
  /** The id of the file whose bytes were sent. */
  id: number;
  /** Lower-case hex SHA-256 of the whole file (as `sha256sum` prints it). */
  sha256: string;
}

/**
 * No more files; the session ends. The sender's carries nothing; the receiver answers with
 * its own once every verdict was sent, with what it stored in this session.
 */
export interface QuitFrame {
  type: "Q";
  /** Receiver only: files stored in this session. */
  files?: number;
  /** Receiver only: bytes of those files. */
  bytes?: number;
}

/** How the session is protected: a pairing code (`cpace`) or nothing (`receive --open`). */
export type Auth = "cpace" | "none";

/**
 * Pairing handshake, in plaintext (it carries no secret): the sender's `P` holds its nonce;
 * the receiver's `P` its nonce and its CPace share.
 */
export interface PairFrame {
  type: "P";
  /** 16 random bytes as 32 lower-case hex digits. */
  nonce: string;
  /** Receiver only: its CPace share (a ristretto255 point), 64 hex digits. */
  share?: string;
}

/**
 * Pairing handshake: key confirmation. The sender's `C` holds its CPace share and its tag;
 * the receiver's `C` its tag, after which both sides switch to records.
 */
export interface ConfirmFrame {
  type: "C";
  /** Sender only: its CPace share, 64 hex digits. */
  share?: string;
  /** HMAC-SHA-512 over the transcript and the role, 128 hex digits. */
  confirm: string;
}

/** Receiver → sender: the session is accepted. */
export interface HelloFrame {
  type: "H";
  /** The version the receiver will speak. */
  version: number;
  /** `cpace`: the pairing handshake follows, then records; `none`: session frames follow. */
  auth: Auth;
  /** Largest file the receiver takes, in bytes, or null for no limit. */
  maxSize: number | null;
  /** Most offers the sender may have sent ahead of the file whose bytes it sends next. */
  window: number;
}

/** Receiver → sender: send the file (from `offset`). */
export interface AcceptFrame {
  type: "A";
  /** The id of the offer this answers. */
  id: number;
  /** Bytes the receiver already holds from an interrupted transfer (0 for a fresh one). */
  offset: number;
  /** SHA-256 of those first `offset` bytes, so the sender can check they are its own. */
  prefixSha256?: string;
}

/** Receiver → sender: this file is refused (the session goes on). */
export interface RejectFrame {
  type: "R";
  /** The id of the offer this answers. */
  id: number;
  /** Why. */
  code: RejectCode;
  /** A human explanation in the receiver's language (the sender prefers its own). */
  message: string;
}

/** Receiver → sender: the file's fate after its bytes arrived. */
export interface VerdictFrame {
  type: "V";
  /** The id of the file this judges. */
  id: number;
  /** True when the hash matched and the file is stored under `stored`. */
  ok: boolean;
  /** Where it was stored, relative to the receiver's folder, `/`-separated. */
  stored?: string;
  /** The receiver's SHA-256 of what it got. */
  sha256: string;
  /** Why it failed, when `ok` is false. */
  code?: RejectCode;
  /** A human explanation, when `ok` is false. */
  message?: string;
  /** The receiver's time when it stored the file (ISO 8601 with offset), when `ok`. */
  time?: string;
}

/** Receiver → sender: the session ends with an error (then the receiver closes). */
export interface ErrorFrame {
  type: "X";
  /** Why. */
  code: RejectCode;
  /** A human explanation. */
  message: string;
  /** Versions the receiver speaks, with `unsupported-version`. */
  supported?: number[];
  /** With `not-on-roster`: the names on the class list closest to the one sent. */
  closest?: string[];
}

/** Frames a sender writes. */
export type SenderFrame =
  | IdentifyFrame
  | PairFrame
  | ConfirmFrame
  | FileFrame
  | FolderFrame
  | StartFrame
  | EndFrame
  | QuitFrame;
/** Frames a receiver writes. */
export type ReceiverFrame =
  | HelloFrame
  | PairFrame
  | ConfirmFrame
  | AcceptFrame
  | RejectFrame
  | VerdictFrame
  | QuitFrame
  | ErrorFrame;
/** Any frame. */
export type Frame = SenderFrame | ReceiverFrame;

/** The error every parsing failure throws: `SockitError` with code `protocol`. */
export class ProtocolError extends SockitError {
  /** The reject code to answer the peer with. */
  readonly reject: RejectCode;

  /** Creates a protocol error; `reason` is shown to people. */
  constructor(reason: string, reject: RejectCode = "bad-header") {
    super("protocol", { reason });
    this.name = "ProtocolError";
    this.reject = reject;
  }
}

/**
 * Builds the 5-byte preface a sender opens a session with.
 *
 * @example
 * ```ts
 * import { encodePreface } from "./protocol.ts";
 * encodePreface(); // Uint8Array [0x53, 0x4b, 0x49, 0x54, 0x02]  ("SKIT\x02")
 * ```
 */
export function encodePreface(version: number = PROTOCOL_VERSION): Uint8Array {
  const out = new Uint8Array(PREFACE_SIZE);
  out.set(MAGIC);
  out[4] = version;
  return out;
}

/**
 * Checks a preface and returns the version it asks for.
 *
 * @example
 * ```ts
 * import { decodePreface, encodePreface } from "./protocol.ts";
 * decodePreface(encodePreface()); // 2
 * ```
 * @throws {ProtocolError} when the magic is wrong.
 */
export function decodePreface(bytes: Uint8Array): number {
  if (bytes.length !== PREFACE_SIZE || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new ProtocolError("the session does not start with SKIT");
  }
  return bytes[4];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes a frame: type letter, payload length (u32 big-endian), JSON payload.
 *
 * @example
 * ```ts
 * import { encodeFrame } from "./protocol.ts";
 * encodeFrame({ type: "S", id: 1, offset: 0 });
 * // 53 00 00 00 13 7b 22 69 64 …  = "S" 19 '{"id":1,"offset":0}'
 * ```
 * @throws {ProtocolError} when the payload would exceed {@linkcode MAX_FRAME_PAYLOAD}.
 */
export function encodeFrame(frame: Frame): Uint8Array {
  const { type, ...fields } = frame;
  const payload = encoder.encode(JSON.stringify(fields));
  if (payload.length > MAX_FRAME_PAYLOAD) {
    throw new ProtocolError(`frame of ${payload.length} bytes exceeds ${MAX_FRAME_PAYLOAD}`);
  }
  const out = new Uint8Array(FRAME_HEADER_SIZE + payload.length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, FRAME_HEADER_SIZE);
  return out;
}

const SENDER_TYPES = new Set(["P", "C", "I", "F", "D", "S", "E", "Q"]);
const RECEIVER_TYPES = new Set(["H", "P", "C", "A", "R", "V", "Q", "X"]);

/** A frame's fixed header, decoded: its type letter and its payload's length. */
export interface FrameHeader {
  /** The frame type, one letter (`F`, `A`, …). */
  type: Frame["type"];
  /** Payload length in bytes, at most {@linkcode MAX_FRAME_PAYLOAD}. */
  length: number;
}

/**
 * Decodes a frame's 5-byte header, checking that the type is one `from` may send and that
 * the length is within bounds, so an oversized payload is refused before it is read.
 *
 * @example
 * ```ts
 * import { decodeFrameHeader, encodeFrame } from "./protocol.ts";
 * decodeFrameHeader(encodeFrame({ type: "S", id: 1, offset: 0 }), "sender"); // { type: "S", length: 19 }
 * ```
 * @throws {ProtocolError} for a type `from` may not send or a length over the limit.
 */
export function decodeFrameHeader(head: Uint8Array, from: "sender" | "receiver"): FrameHeader {
  if (head.length < FRAME_HEADER_SIZE) throw new ProtocolError("frame header is cut short");
  const type = String.fromCharCode(head[0]);
  const allowed = from === "sender" ? SENDER_TYPES : RECEIVER_TYPES;
  if (!allowed.has(type)) {
    throw new ProtocolError(`unexpected frame type 0x${head[0].toString(16).padStart(2, "0")}`);
  }
  const length = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(1);
  if (length > MAX_FRAME_PAYLOAD) {
    throw new ProtocolError(`frame of ${length} bytes exceeds ${MAX_FRAME_PAYLOAD}`);
  }
  return { type: type as Frame["type"], length };
}

/**
 * Decodes a frame's payload (UTF-8 JSON) under its header, validating every field as the
 * side `from` writes it (`P`, `C` and `Q` carry other fields from each side).
 *
 * @example
 * ```ts
 * import { decodeFramePayload } from "./protocol.ts";
 * const payload = new TextEncoder().encode('{"id":1,"offset":0}');
 * decodeFramePayload({ type: "S", length: payload.length }, payload, "sender");
 * // { type: "S", id: 1, offset: 0 }
 * ```
 * @throws {ProtocolError} for anything malformed.
 */
export function decodeFramePayload(
  header: FrameHeader,
  payload: Uint8Array,
  from: "sender" | "receiver",
): Frame {
  if (payload.length !== header.length) {
    throw new ProtocolError(`frame payload of ${payload.length} bytes, not ${header.length}`);
  }
  let fields: unknown;
  try {
    fields = JSON.parse(decoder.decode(payload));
  } catch {
    throw new ProtocolError("frame payload is not valid UTF-8 JSON");
  }
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    throw new ProtocolError("frame payload is not a JSON object");
  }
  return validate(header.type, fields as Record<string, unknown>, from);
}

/**
 * Decodes one whole frame held in memory (header and payload, nothing after it): what
 * {@linkcode readFrame} does over a connection.
 *
 * @example
 * ```ts
 * import { decodeFrame, encodeFrame } from "./protocol.ts";
 * decodeFrame(encodeFrame({ type: "Q" }), "sender"); // { type: "Q" }
 * ```
 * @throws {ProtocolError} for anything malformed, cut short, or followed by more bytes.
 */
export function decodeFrame(bytes: Uint8Array, from: "sender" | "receiver"): Frame {
  const header = decodeFrameHeader(bytes.subarray(0, FRAME_HEADER_SIZE), from);
  return decodeFramePayload(header, bytes.subarray(FRAME_HEADER_SIZE), from);
}

/**
 * Reads one frame from `wire`: the header, checked before the payload is read, then the
 * payload, every field validated.
 *
 * @example
 * ```ts
 * import { readFrame } from "./protocol.ts";
 * import type { Wire } from "../net/wire.ts";
 * async function next(wire: Wire) {
 *   const frame = await readFrame(wire, "sender"); // FileFrame | FolderFrame | …
 *   return frame.type;
 * }
 * ```
 * @throws {ProtocolError} for anything malformed; `SockitError` `closed-early` at end of stream.
 */
export async function readFrame(wire: Wire, from: "sender"): Promise<SenderFrame>;
export async function readFrame(wire: Wire, from: "receiver"): Promise<ReceiverFrame>;
export async function readFrame(wire: Wire, from: "sender" | "receiver"): Promise<Frame> {
  const buffered = bufferedFrame(wire, from);
  if (buffered) return buffered;
  const header = decodeFrameHeader(await wire.readExact(FRAME_HEADER_SIZE), from);
  return decodeFramePayload(header, await wire.readExact(header.length), from);
}

/**
 * The next frame when it is already whole in `wire`'s buffer (consumed and decoded, with the
 * checks of {@linkcode readFrame}), else `undefined` and nothing consumed. Pipelined frames
 * mostly arrive several to a socket read: these are taken without a wait, or a deadline.
 *
 * @example
 * ```ts
 * import { bufferedFrame } from "./protocol.ts";
 * import type { Wire } from "../net/wire.ts";
 * function next(wire: Wire) {
 *   return bufferedFrame(wire, "sender") ?? "wait for more";
 * }
 * ```
 * @throws {ProtocolError} for a malformed frame.
 */
export function bufferedFrame(wire: Wire, from: "sender"): SenderFrame | undefined;
export function bufferedFrame(wire: Wire, from: "receiver"): ReceiverFrame | undefined;
export function bufferedFrame(wire: Wire, from: "sender" | "receiver"): Frame | undefined;
export function bufferedFrame(wire: Wire, from: "sender" | "receiver"): Frame | undefined {
  const bytes = wire.peek();
  if (bytes.length < FRAME_HEADER_SIZE) return undefined;
  const header = decodeFrameHeader(bytes.subarray(0, FRAME_HEADER_SIZE), from);
  const end = FRAME_HEADER_SIZE + header.length;
  if (bytes.length < end) return undefined;
  const frame = decodeFramePayload(header, bytes.subarray(FRAME_HEADER_SIZE, end), from);
  wire.consume(end);
  return frame;
}

function validate(type: string, f: Record<string, unknown>, from: "sender" | "receiver"): Frame {
  switch (type) {
    case "I":
      return { type, name: text(f, "name", MAX_NAME_FIELD) };
    case "F":
      return {
        type,
        id: id(f),
        path: text(f, "path", 4096 * 4),
        size: count(f, "size"),
        mtime: time(f, "mtime"),
      };
    case "D":
      return { type, id: id(f), path: text(f, "path", 4096 * 4) };
    case "S":
      return { type, id: id(f), offset: count(f, "offset") };
    case "E":
      return { type, id: id(f), sha256: hash(f, "sha256") };
    case "Q":
      return from === "sender"
        ? { type }
        : { type, files: count(f, "files"), bytes: count(f, "bytes") };
    case "P":
      return from === "sender"
        ? { type, nonce: hex(f, "nonce", NONCE_HEX) }
        : { type, nonce: hex(f, "nonce", NONCE_HEX), share: hex(f, "share", SHARE_HEX) };
    case "C":
      return from === "sender"
        ? { type, share: hex(f, "share", SHARE_HEX), confirm: hex(f, "confirm", CONFIRM_HEX) }
        : { type, confirm: hex(f, "confirm", CONFIRM_HEX) };
    case "H": {
      if (f.auth !== "cpace" && f.auth !== "none") throw new ProtocolError("auth is not known");
      const window = count(f, "window");
      if (window < 1) throw new ProtocolError("window must be at least 1");
      return {
        type,
        version: count(f, "version"),
        auth: f.auth,
        maxSize: f.maxSize === null ? null : count(f, "maxSize"),
        window,
      };
    }
    case "A": {
      const frame: AcceptFrame = { type, id: id(f), offset: count(f, "offset") };
      if (f.prefixSha256 !== undefined) frame.prefixSha256 = hash(f, "prefixSha256");
      return frame;
    }
    case "R":
      return {
        type,
        id: id(f),
        code: rejectCode(f, "code"),
        message: text(f, "message", 1024),
      };
    case "V": {
      const frame: VerdictFrame = {
        type,
        id: id(f),
        ok: bool(f, "ok"),
        sha256: f.sha256 === "" ? "" : hash(f, "sha256"),
      };
      if (f.stored !== undefined) frame.stored = text(f, "stored", 4096 * 4);
      if (f.code !== undefined) frame.code = rejectCode(f, "code");
      if (f.message !== undefined) frame.message = text(f, "message", 1024);
      if (f.time !== undefined) frame.time = timestamp(f, "time");
      if (frame.ok && frame.stored === undefined) {
        throw new ProtocolError("verdict ok without a stored name");
      }
      return frame;
    }
    default: {
      const frame: ErrorFrame = {
        type: "X",
        code: rejectCode(f, "code"),
        message: text(f, "message", 1024),
      };
      if (f.supported !== undefined) {
        if (!Array.isArray(f.supported) || !f.supported.every((v) => Number.isSafeInteger(v))) {
          throw new ProtocolError("supported must be a list of versions");
        }
        frame.supported = f.supported as number[];
      }
      if (f.closest !== undefined) {
        if (
          !Array.isArray(f.closest) || f.closest.length > 10 ||
          !f.closest.every((v) => typeof v === "string" && v.length <= MAX_NAME_FIELD)
        ) {
          throw new ProtocolError("closest must be a list of at most 10 names");
        }
        frame.closest = f.closest as string[];
      }
      return frame;
    }
  }
}

/** Hex digits of a handshake nonce, a CPace share and a confirmation tag. */
const NONCE_HEX = 32;
const SHARE_HEX = 64;
const CONFIRM_HEX = 128;

/** Largest id: ids are u32. */
export const MAX_ID = 0xffff_ffff;

function id(f: Record<string, unknown>): number {
  const value = count(f, "id");
  if (value < 1 || value > MAX_ID) throw new ProtocolError("id must be from 1 to 4294967295");
  return value;
}

function hex(f: Record<string, unknown>, name: string, digits: number): string {
  const value = f[name];
  if (typeof value !== "string" || value.length !== digits || !/^[0-9a-f]*$/.test(value)) {
    throw new ProtocolError(`${name} must be ${digits} lower-case hex digits`);
  }
  return value;
}

function text(f: Record<string, unknown>, name: string, max: number): string {
  const value = f[name];
  if (typeof value !== "string") throw new ProtocolError(`${name} must be a string`);
  if (value.length > max) throw new ProtocolError(`${name} is too long`);
  return value;
}

/** Longest sender name accepted on the wire, in UTF-16 code units (checked again later). */
const MAX_NAME_FIELD = 1024;

function timestamp(f: Record<string, unknown>, name: string): string {
  const value = f[name];
  if (
    typeof value !== "string" || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)$/.test(value)
  ) {
    throw new ProtocolError(`${name} must be an ISO 8601 time`);
  }
  return value;
}

function count(f: Record<string, unknown>, name: string): number {
  const value = f[name];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new ProtocolError(`${name} must be a whole number of at least 0`);
  }
  return value;
}

function time(f: Record<string, unknown>, name: string): number {
  const value = f[name];
  if (typeof value !== "number" || !Number.isFinite(value) || Math.abs(value) > 8.64e15) {
    throw new ProtocolError(`${name} must be a time in milliseconds`);
  }
  return value;
}

function hash(f: Record<string, unknown>, name: string): string {
  const value = f[name];
  if (typeof value !== "string" || !/^[0-9a-f]{64}$/.test(value)) {
    throw new ProtocolError(`${name} must be 64 lower-case hex digits`);
  }
  return value;
}

function bool(f: Record<string, unknown>, name: string): boolean {
  if (typeof f[name] !== "boolean") throw new ProtocolError(`${name} must be true or false`);
  return f[name] as boolean;
}

function rejectCode(f: Record<string, unknown>, name: string): RejectCode {
  const value = f[name];
  if (typeof value !== "string" || !(REJECT_CODES as readonly string[]).includes(value)) {
    throw new ProtocolError(`${name} is not a known code`);
  }
  return value as RejectCode;
}

/**
 * Writes a frame to `wire`.
 *
 * @example
 * ```ts
 * import { writeFrame } from "./protocol.ts";
 * // await writeFrame(wire, { type: "Q" });
 * ```
 */
export function writeFrame(wire: Wire, frame: Frame): Promise<void> {
  return wire.write(encodeFrame(frame));
}

/** True when `byte` starts a classic (lesson) session: an ASCII digit. */
export function isClassicStart(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

/** The five bytes a classic receiver answers once it has the size. */
export const CLASSIC_READY: Uint8Array = new TextEncoder().encode("ready");

/** The most digits a classic size may have (`Number.MAX_SAFE_INTEGER` has 16). */
export const CLASSIC_MAX_DIGITS = 16;

/**
 * Parses the ASCII decimal size a classic sender opens with. A trailing `\n` or `\r\n` is
 * allowed (netcat users type one); anything else must be digits only.
 *
 * @example
 * ```ts
 * import { parseClassicSize } from "./protocol.ts";
 * parseClassicSize(new TextEncoder().encode("1048576")); // 1048576
 * ```
 * @throws {ProtocolError} for no digits, non-digits, or more than 16 digits.
 */
export function parseClassicSize(bytes: Uint8Array): number {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end--;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  if (end === 0) throw new ProtocolError("classic size has no digits");
  if (end > CLASSIC_MAX_DIGITS) {
    throw new ProtocolError("classic size has too many digits", "too-large");
  }
  for (let i = 0; i < end; i++) {
    if (!isClassicStart(bytes[i])) throw new ProtocolError("classic size is not a decimal number");
  }
  const size = Number(new TextDecoder().decode(bytes.subarray(0, end)));
  if (!Number.isSafeInteger(size)) {
    throw new ProtocolError("classic size is too large", "too-large");
  }
  return size;
}
