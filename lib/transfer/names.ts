/**
 * File names from the wire: {@linkcode sanitizePath} turns a sender's relative path into safe
 * segments or refuses it with a {@linkcode NameError}; {@linkcode numberedName} makes the
 * `name (1).ext` variants used when a name is taken. Pure functions, no I/O.
 *
 * @module
 */

import { SockitError } from "../core/errors.ts";

/** Longest allowed single name (one folder or file name), in UTF-8 bytes. */
export const MAX_SEGMENT_BYTES = 255;

/** Longest allowed relative path, in UTF-8 bytes, separators included. */
export const MAX_PATH_BYTES = 4096;

/** Most segments (folder levels plus the file name) a relative path may have. */
export const MAX_SEGMENTS = 64;

/** sockit's own working folder inside the receiving folder; no wire name may enter it. */
export const INTERNAL_DIR = ".sockit";

/** Extensions of two parts that {@linkcode splitName} keeps together, lower case. */
export const COMPOUND_EXTENSIONS: readonly string[] = [
  ".tar.gz",
  ".tar.bz2",
  ".tar.xz",
  ".tar.zst",
];

/**
 * Every {@linkcode NameProblem}, in the order {@linkcode sanitizePath} checks them.
 *
 * @example
 * ```ts
 * import { NAME_PROBLEMS } from "./names.ts";
 * console.log(NAME_PROBLEMS[0]); // "empty"
 * ```
 */
export const NAME_PROBLEMS = [
  "empty",
  "encoding",
  "control",
  "bidi",
  "too-long",
  "unc",
  "absolute",
  "drive",
  "too-deep",
  "empty-segment",
  "dot-segment",
  "invalid-char",
  "trailing",
  "reserved",
  "internal",
] as const;

/**
 * Why a name was refused. Each has a short phrase in the catalog under `name.<problem>`.
 *
 * - `empty`: the name is empty.
 * - `encoding`: it is not valid Unicode (a lone surrogate).
 * - `control`: it contains a control character (C0, DEL, C1) or a line or paragraph separator.
 * - `bidi`: it contains an invisible text-direction character that can disguise it.
 * - `absolute`: it starts with `/` (or `\`).
 * - `unc`: it starts with `//` or `\\` (a network share or a Windows device path).
 * - `drive`: it starts with a drive letter, like `C:`.
 * - `empty-segment`: it contains an empty name, as in `a//b` or `a/`.
 * - `dot-segment`: it contains a `.` or `..` segment.
 * - `invalid-char`: a name contains one of `: * ? " < > |`.
 * - `reserved`: a name is a Windows device name (CON, NUL, COM1, LPT¹, …), with any extension.
 * - `trailing`: a name ends with a dot or a space.
 * - `too-long`: a name is longer than {@linkcode MAX_SEGMENT_BYTES} or the path longer than
 *   {@linkcode MAX_PATH_BYTES} UTF-8 bytes.
 * - `too-deep`: it has more than {@linkcode MAX_SEGMENTS} segments.
 * - `internal`: it points into sockit's working folder {@linkcode INTERNAL_DIR}.
 *
 * @example
 * ```ts
 * import type { NameProblem } from "./names.ts";
 * const problem: NameProblem = "dot-segment"; // as for "../etc/passwd"
 * ```
 */
export type NameProblem = typeof NAME_PROBLEMS[number];

/**
 * A wire name that was refused. `code` is `"bad-name"`; `details` holds the raw `name` and the
 * `problem`, which is also available typed as {@linkcode NameError.problem}.
 *
 * @example
 * ```ts
 * import { NameError, sanitizePath } from "./names.ts";
 * try {
 *   sanitizePath("../etc/passwd");
 * } catch (err) {
 *   if (err instanceof NameError) console.log(err.problem); // "dot-segment"
 * }
 * ```
 */
export class NameError<P extends string = NameProblem> extends SockitError {
  /** Why the name was refused. */
  readonly problem: P;

  /** Creates the error for the raw wire name `name`. */
  constructor(name: string, problem: P) {
    super("bad-name", { name, problem });
    this.name = "NameError";
    this.problem = problem;
  }
}

// C0, DEL, C1, and the line and paragraph separators (they break lines like a newline does).
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
// Arabic letter mark, LRM/RLM, embeddings and overrides, isolates.
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const INVALID_CHAR = /[:*?"<>|]/;
const DRIVE = /^[A-Za-z]:/;
// The part before the first dot, with trailing spaces, is what Windows compares.
const RESERVED =
  /^(con|prn|aux|nul|conin\$|conout\$|com[0-9\u00B9\u00B2\u00B3]|lpt[0-9\u00B9\u00B2\u00B3]) *$/i;
// Windows 8.3 short names that could alias `.sockit` ("SOCKIT~1", or hashed "SO1A2B~1").
const INTERNAL_SHORT = /^(sockit~\d+|so[0-9a-f]{4}~\d+)$/i;

const encoder = new TextEncoder();

/** Length of `text` in UTF-8 bytes. */
function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/**
 * Checks a relative path from the wire (UTF-8, `/`-separated) and returns its segments,
 * NFC-normalised. Backslashes count as separators. Anything that could escape the receiving
 * folder, address a device, hide its real name, or not be storable on Windows, macOS or Linux
 * is refused with a {@linkcode NameError} naming the {@linkcode NameProblem}.
 *
 * @example
 * ```ts
 * import { sanitizePath } from "./names.ts";
 * sanitizePath("과제/homework.py"); // ["과제", "homework.py"]
 * sanitizePath("a\\b.txt"); // ["a", "b.txt"]
 * sanitizePath("C:\\Windows\\x"); // throws NameError (problem "drive")
 * ```
 */
export function sanitizePath(raw: string): string[] {
  const fail = (problem: NameProblem): never => {
    throw new NameError(raw, problem);
  };
  if (raw.length === 0) fail("empty");
  // Bound the work on hostile input; NFC shrinks text by far less than this factor.
  if (raw.length > 16 * MAX_PATH_BYTES) fail("too-long");
  if (!raw.isWellFormed()) fail("encoding");
  // Normalise first so every later check sees the characters that will reach the disk.
  const text = raw.normalize("NFC").replaceAll("\\", "/");
  if (CONTROL.test(text)) fail("control");
  if (BIDI.test(text)) fail("bidi");
  if (utf8Length(text) > MAX_PATH_BYTES) fail("too-long");
  if (text.startsWith("//")) fail("unc");
  if (text.startsWith("/")) fail("absolute");
  if (DRIVE.test(text)) fail("drive");
  const segments = text.split("/");
  if (segments.length > MAX_SEGMENTS) fail("too-deep");
  for (const segment of segments) {
    if (segment === "") fail("empty-segment");
    if (segment === "." || segment === "..") fail("dot-segment");
    if (INVALID_CHAR.test(segment)) fail("invalid-char");
    if (segment.endsWith(".") || segment.endsWith(" ")) fail("trailing");
    if (RESERVED.test(segment.split(".")[0])) fail("reserved");
    if (utf8Length(segment) > MAX_SEGMENT_BYTES) fail("too-long");
  }
  if (isInternal(segments[0])) fail("internal");
  return segments;
}

/** True when `segment` names (or on a case-insensitive disk may alias) {@linkcode INTERNAL_DIR}. */
function isInternal(segment: string): boolean {
  // Upper then lower folds the long s (ſ) and the Kelvin sign (K) the way disks do.
  return segment.toUpperCase().toLowerCase() === INTERNAL_DIR || INTERNAL_SHORT.test(segment);
}

/**
 * Splits a file name into its stem and extension (with the dot). A leading dot belongs to the
 * stem (`.bashrc` has no extension) and {@linkcode COMPOUND_EXTENSIONS} such as `.tar.gz` stay
 * whole.
 *
 * @example
 * ```ts
 * import { splitName } from "./names.ts";
 * splitName("homework.py"); // { stem: "homework", ext: ".py" }
 * splitName("archive.tar.gz"); // { stem: "archive", ext: ".tar.gz" }
 * splitName(".bashrc"); // { stem: ".bashrc", ext: "" }
 * ```
 */
export function splitName(name: string): { stem: string; ext: string } {
  for (const compound of COMPOUND_EXTENSIONS) {
    const at = name.length - compound.length;
    // The stem must keep something besides leading dots: `.tar.gz` is a dotfile `.tar` + `.gz`.
    if (
      at >= 0 && name.slice(at).toLowerCase() === compound &&
      name.slice(0, at).replace(/^\.+/, "") !== ""
    ) {
      return { stem: name.slice(0, at), ext: name.slice(at) };
    }
  }
  const dot = name.lastIndexOf(".");
  const leading = name.length - name.replace(/^\.+/, "").length;
  if (dot < leading || dot === name.length - 1) return { stem: name, ext: "" };
  return { stem: name.slice(0, dot), ext: name.slice(dot) };
}

/**
 * The `n`th alternative for a taken name: `name (n).ext`, or `name` itself for `n = 0`. The
 * stem is shortened (whole code points) when the result would exceed
 * {@linkcode MAX_SEGMENT_BYTES}.
 *
 * @example
 * ```ts
 * import { numberedName } from "./names.ts";
 * numberedName("homework.py", 1); // "homework (1).py"
 * numberedName("archive.tar.gz", 2); // "archive (2).tar.gz"
 * numberedName(".bashrc", 1); // ".bashrc (1)"
 * ```
 */
export function numberedName(name: string, n: number): string {
  if (n === 0) return name;
  const suffix = ` (${n})`;
  let { stem, ext } = splitName(name);
  let budget = MAX_SEGMENT_BYTES - utf8Length(suffix) - utf8Length(ext);
  if (budget < 1) {
    // An extension too long to keep: shorten the whole name instead.
    stem = name;
    ext = "";
    budget = MAX_SEGMENT_BYTES - utf8Length(suffix);
  }
  return truncateUtf8(stem, budget) + suffix + ext;
}

/** The longest prefix of `text`, in whole code points, of at most `bytes` UTF-8 bytes. */
function truncateUtf8(text: string, bytes: number): string {
  if (utf8Length(text) <= bytes) return text;
  let out = "";
  let used = 0;
  for (const char of text) {
    const size = utf8Length(char);
    if (used + size > bytes) break;
    out += char;
    used += size;
  }
  return out;
}
