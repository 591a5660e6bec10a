/**
 * Who is sending: the display name a sender gives (`sockit send --name`), checked like a file
 * name because the receiver makes a folder of it ({@linkcode sanitizeSenderName}); the key
 * names are compared by ({@linkcode foldName}); and where a sender's chosen name is remembered
 * ({@linkcode nameConfigPath}, {@linkcode loadSavedName}, {@linkcode saveName}).
 *
 * @module
 */

import { dirname, join } from "node:path";
import { userInfo } from "node:os";
import { toSockitError } from "../core/errors.ts";
import { NameError, sanitizePath } from "../transfer/names.ts";
import type { NameProblem } from "../transfer/names.ts";

/** Longest display name, in characters (code points). */
export const MAX_SENDER_NAME_CHARS = 50;

/** The receiver's log, which lives at the top of the receiving folder. */
export const LOG_FILE_NAME = "sockit-log.csv";

/** Folder prefix for senders without a name (older sockit versions, the lesson's programs). */
export const UNNAMED_PREFIX = "unnamed-";

/**
 * Why a display name was refused: a {@linkcode NameProblem} of file names, or one of
 * {@linkcode SENDER_NAME_PROBLEMS}. Each has a phrase in the catalog under `name.<problem>`.
 */
export type SenderNameProblem = NameProblem | "separator" | "long-name" | "sockit-name";

/**
 * The problems only display names have: `separator` (a `/` or `\`, which would make folders),
 * `long-name` (more than {@linkcode MAX_SENDER_NAME_CHARS} characters), `sockit-name` (the
 * log's name, or a name starting with {@linkcode UNNAMED_PREFIX}, which sockit uses itself).
 */
export const SENDER_NAME_PROBLEMS: readonly SenderNameProblem[] = [
  "separator",
  "long-name",
  "sockit-name",
];

/**
 * A display name that was refused: a {@linkcode NameError} whose `problem` is a
 * {@linkcode SenderNameProblem}; `code` is `"bad-name"`.
 *
 * @example
 * ```ts
 * import { SenderNameError, sanitizeSenderName } from "./identity.ts";
 * try {
 *   sanitizeSenderName("../teacher");
 * } catch (err) {
 *   if (err instanceof SenderNameError) console.log(err.problem); // "separator"
 * }
 * ```
 */
export class SenderNameError extends NameError<SenderNameProblem> {
  /** Creates the error for the raw name `name`. */
  constructor(name: string, problem: SenderNameProblem) {
    super(name, problem);
    this.name = "SenderNameError";
  }
}

/**
 * Checks a display name and returns it as the receiver's folder name: spaces around it are
 * dropped and runs of spaces inside become one, then it must be a single safe file name under
 * the rules of `lib/transfer/names.ts` (NFC; no control or bidi characters, no `: * ? " < > |`,
 * no device names, no trailing dot), have no `/` or `\`, at most
 * {@linkcode MAX_SENDER_NAME_CHARS} characters, and not be a name sockit uses itself.
 *
 * @example
 * ```ts
 * import { sanitizeSenderName } from "./identity.ts";
 * sanitizeSenderName("  김민지 "); // "김민지"
 * sanitizeSenderName("Kim  Minji"); // "Kim Minji"
 * sanitizeSenderName("CON"); // throws SenderNameError (problem "reserved")
 * ```
 */
export function sanitizeSenderName(raw: string): string {
  const fail = (problem: SenderNameProblem): never => {
    throw new SenderNameError(raw, problem);
  };
  if (raw.length > 16 * MAX_SENDER_NAME_CHARS) fail("long-name");
  const text = raw.isWellFormed() ? raw.normalize("NFC").trim().replace(/ {2,}/g, " ") : raw;
  if (/[/\\]/.test(text)) fail("separator");
  let segments: string[];
  try {
    segments = sanitizePath(text);
  } catch (err) {
    if (err instanceof NameError) fail(err.problem);
    throw err;
  }
  const name = segments[0];
  if ([...name].length > MAX_SENDER_NAME_CHARS) fail("long-name");
  const folded = foldName(name);
  if (folded === LOG_FILE_NAME || folded.startsWith(UNNAMED_PREFIX)) fail("sockit-name");
  return name;
}

/**
 * The key two names are compared by: NFC, case folded (upper then lower case, so `ß` matches
 * `SS` and `Kim` matches `KIM`), spaces trimmed and collapsed. Korean has no case and is
 * compared as composed syllables.
 *
 * @example
 * ```ts
 * import { foldName } from "./identity.ts";
 * foldName(" Kim  MINJI ") === foldName("kim minji"); // true
 * foldName("\u1100\u1175\u11B7") === foldName("김"); // true (decomposed and composed)
 * ```
 */
export function foldName(name: string): string {
  return name.normalize("NFC").toUpperCase().toLowerCase().normalize("NFC").trim()
    .replace(/\s+/g, " ");
}

/**
 * The folder a sender without a name is stored under: {@linkcode UNNAMED_PREFIX} and its
 * address without the port, with dots and colons written as `-` (`unnamed-192-168-0-12`).
 *
 * @example
 * ```ts
 * import { unnamedFolder } from "./identity.ts";
 * unnamedFolder("192.168.0.12:51234"); // "unnamed-192-168-0-12"
 * unnamedFolder("[::1]:51234"); // "unnamed---1"
 * ```
 */
export function unnamedFolder(peer: string): string {
  return UNNAMED_PREFIX + peerHost(peer).replace(/[.:%]/g, "-");
}

/**
 * A peer's address without the port and brackets: `192.168.0.12:51234` → `192.168.0.12`,
 * `[::1]:51234` → `::1`.
 *
 * @example
 * ```ts
 * import { peerHost } from "./identity.ts";
 * peerHost("[fe80::1%eth0]:6000"); // "fe80::1%eth0"
 * ```
 */
export function peerHost(peer: string): string {
  return peer.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
}

/**
 * Where `sockit send` remembers the name it asked for: `sockit/name.txt` in the user's
 * configuration folder: `%APPDATA%` on Windows, else `$XDG_CONFIG_HOME`, else
 * `~/.config`. `undefined` when none of them is known.
 *
 * @example
 * ```ts
 * import { nameConfigPath } from "./identity.ts";
 * nameConfigPath({ HOME: "/home/kim" }, "linux"); // "/home/kim/.config/sockit/name.txt"
 * ```
 */
export function nameConfigPath(
  env: Record<string, string | undefined>,
  os: typeof Deno.build.os = Deno.build.os,
): string | undefined {
  const base = os === "windows"
    ? env.APPDATA
    : env.XDG_CONFIG_HOME || (env.HOME ? join(env.HOME, ".config") : undefined);
  return base ? join(base, "sockit", "name.txt") : undefined;
}

/**
 * Reads the remembered name; `undefined` when there is none or it is no longer a valid name
 * (the sender then asks again).
 *
 * @example
 * ```ts
 * import { loadSavedName } from "./identity.ts";
 * await loadSavedName("/nonexistent/name.txt"); // undefined
 * ```
 */
export async function loadSavedName(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
  try {
    return sanitizeSenderName(text.replace(/\r?\n$/, ""));
  } catch {
    return undefined;
  }
}

/**
 * Remembers `name` (already checked) at `path`, creating its folder.
 *
 * @example
 * ```ts
 * import { saveName } from "./identity.ts";
 * await saveName(`${await Deno.makeTempDir()}/sockit/name.txt`, "김민지");
 * ```
 * @throws {SockitError} `write-failed` when the folder cannot be written.
 */
export async function saveName(path: string, name: string): Promise<void> {
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(path, name + "\n");
  } catch (err) {
    throw toSockitError(err, "file", { path });
  }
}

/**
 * The operating system's name for the current user (`USER`/`USERNAME` when the system cannot
 * say), or `undefined`.
 *
 * @example
 * ```ts
 * import { osUserName } from "./identity.ts";
 * osUserName(); // "kim", for example
 * ```
 */
export function osUserName(): string | undefined {
  try {
    const name = userInfo().username;
    if (name) return name;
  } catch {
    // No passwd entry, or no permission to ask: fall back to the environment.
  }
  try {
    return Deno.env.get("USER") || Deno.env.get("USERNAME") || undefined;
  } catch {
    return undefined;
  }
}
