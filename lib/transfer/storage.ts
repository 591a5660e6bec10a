/**
 * Putting received files into the receiving folder safely: bytes go to a temporary file in
 * `DIR/.sockit/` ({@linkcode openTemp}), and only a verified file is moved to its final name
 * ({@linkcode commitFile}). Existing files are never overwritten unless asked: a taken name
 * gets `name (1).ext`, `name (2).ext`, … atomically, so concurrent senders of the same name
 * each keep their file. Nothing is ever written outside DIR, not even through a symbolic
 * link already inside it.
 *
 * @module
 */

import { dirname, isAbsolute, join, relative, sep } from "node:path";
import { SockitError, toSockitError } from "../core/errors.ts";
import { INTERNAL_DIR, numberedName, sanitizePath } from "./names.ts";

/**
 * Every {@linkcode ConflictProblem}.
 *
 * @example
 * ```ts
 * import { CONFLICT_PROBLEMS } from "./storage.ts";
 * CONFLICT_PROBLEMS.includes("symlink"); // true
 * ```
 */
export const CONFLICT_PROBLEMS = [
  "symlink",
  "not-a-folder",
  "is-a-folder",
  "outside",
  "exhausted",
] as const;

/**
 * Why a safe name still cannot be stored. Each has a short phrase in the catalog under
 * `name.<problem>`, like the `NameProblem`s of `names.ts`.
 *
 * - `symlink`: a folder on its way is a symbolic link (even one pointing inside DIR).
 * - `not-a-folder`: a file (or other non-folder) is where a folder is needed.
 * - `is-a-folder`: with overwrite, the final name is an existing folder.
 * - `outside`: the folder would resolve outside DIR.
 * - `exhausted`: `name (1)` … `name (`{@linkcode MAX_NUMBERED}`)` are all taken.
 *
 * @example
 * ```ts
 * import type { ConflictProblem } from "./storage.ts";
 * const problem: ConflictProblem = "exhausted";
 * ```
 */
export type ConflictProblem = typeof CONFLICT_PROBLEMS[number];

/** How many numbered alternatives {@linkcode commitFile} tries before giving up. */
export const MAX_NUMBERED = 10_000;

function conflict(name: string, problem: ConflictProblem): SockitError {
  return new SockitError("name-conflict", { name, problem });
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return !isAbsolute(rel) && rel.split(sep)[0] !== "..";
}

async function resolveDir(dir: string): Promise<string> {
  let root: string;
  let info: Deno.FileInfo;
  try {
    root = await Deno.realPath(dir);
    info = await Deno.stat(root);
  } catch (err) {
    throw toSockitError(err, "file", { path: dir });
  }
  if (!info.isDirectory) throw conflict(dir, "not-a-folder");
  return root;
}

/** True when `path` is a folder, false when nothing is there; a conflict otherwise. */
async function existingFolder(path: string, name: string): Promise<boolean> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw toSockitError(err, "file", { path });
  }
  if (info.isSymlink) throw conflict(name, "symlink");
  if (!info.isDirectory) throw conflict(name, "not-a-folder");
  return true;
}

/** Creates `path` as one folder (no parents) unless something is there, then checks it. */
async function ensureFolder(path: string, name: string, mode?: number): Promise<void> {
  if (await existingFolder(path, name)) return;
  try {
    await Deno.mkdir(path, mode === undefined ? {} : { mode });
  } catch (err) {
    // Another sender created it at the same moment: check what is there now.
    if (!(err instanceof Deno.errors.AlreadyExists)) throw toSockitError(err, "file", { path });
  }
  if (!(await existingFolder(path, name))) {
    throw toSockitError(new Deno.errors.NotFound(path), "file", { path });
  }
}

/**
 * Creates sockit's working folder `DIR/.sockit/` (mode 0o700 where supported) if needed,
 * refusing a symbolic link there, and returns its absolute path.
 *
 * @example
 * ```ts
 * import { internalFolder } from "./storage.ts";
 * const path = await internalFolder(await Deno.makeTempDir()); // ".../.sockit"
 * ```
 */
export async function internalFolder(dir: string): Promise<string> {
  const internal = join(await resolveDir(dir), INTERNAL_DIR);
  await ensureFolder(internal, INTERNAL_DIR, 0o700);
  await checkPrivate(internal);
  return internal;
}

/**
 * Refuses (`unsafe-folder`) a working folder that another user owns or may write into: they
 * could plant links where sockit creates files, as sshd refuses a `~/.ssh` others can write.
 * Where the system has no owners and modes (Windows), there is nothing to check.
 */
async function checkPrivate(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (err) {
    throw toSockitError(err, "file", { path });
  }
  const uid = currentUid();
  if (uid !== null && info.uid !== null && info.uid !== uid) {
    throw new SockitError("unsafe-folder", { path, reason: `owned by user ${info.uid}` });
  }
  if (info.mode !== null && (info.mode & 0o022) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(3, "0");
    throw new SockitError("unsafe-folder", { path, reason: `writable by others (mode ${mode})` });
  }
}

/** This process's user id, or `null` where there is none or it may not be read. */
function currentUid(): number | null {
  try {
    return Deno.uid();
  } catch {
    return null;
  }
}

/**
 * A temporary file in `DIR/.sockit/`. Disposing it (`await using temp = …`) closes it and
 * removes it, unless {@linkcode commitFile} already moved it to its final name.
 */
export interface TempFile extends AsyncDisposable {
  /** Its absolute path. */
  readonly path: string;
  /** The file, open for reading and writing. */
  readonly file: Deno.FsFile;
}

/**
 * Creates sockit's working folder `DIR/.sockit/` (mode 0o700 where supported) if needed, and
 * a new temporary file `tmp-<uuid>` in it, open for reading and writing. Close the file before
 * {@linkcode commitFile}.
 *
 * @example
 * ```ts
 * import { commitFile, openTemp } from "./storage.ts";
 * const dir = await Deno.makeTempDir();
 * await using temp = await openTemp(dir);
 * await temp.file.write(new TextEncoder().encode("print('hi')\n"));
 * temp.file.close();
 * await commitFile({ dir, tempPath: temp.path, segments: ["homework.py"] });
 * ```
 */
export async function openTemp(dir: string): Promise<TempFile> {
  const internal = await internalFolder(dir);
  const path = join(internal, `tmp-${crypto.randomUUID()}`);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true, createNew: true });
  } catch (err) {
    throw toSockitError(err, "file", { path });
  }
  return {
    path,
    file,
    async [Symbol.asyncDispose]() {
      file[Symbol.dispose]();
      await discardTemp(path);
    },
  };
}

/**
 * Creates the folders `segments` inside `dir`, one level at a time, and returns the absolute
 * path of the last one (`dir`'s real path for no segments). The segments are checked again
 * with {@linkcode sanitizePath}. An existing component that is a symbolic link (wherever it
 * points) or not a folder is refused with a `name-conflict` {@linkcode SockitError}; the
 * result is verified to resolve inside `dir`. Also used for empty folders a sender sends.
 *
 * @example
 * ```ts
 * import { prepareFolder } from "./storage.ts";
 * const dir = await Deno.makeTempDir();
 * await prepareFolder(dir, ["project", "src"]); // ".../project/src"
 * ```
 */
export async function prepareFolder(dir: string, segments: string[]): Promise<string> {
  return await walkFolders(dir, segments, true);
}

/**
 * Checks, without creating anything, that the folders `segments` could be created or used
 * inside `dir`: every component that already exists must be a real folder (not a symbolic
 * link, not a file). Lets a receiver refuse a file before its bytes travel.
 *
 * @example
 * ```ts
 * import { checkFolder } from "./storage.ts";
 * await checkFolder(await Deno.makeTempDir(), ["hw", "week1"]); // nothing there yet: fine
 * ```
 * @throws {SockitError} `name-conflict` (`symlink` or `not-a-folder`).
 */
export async function checkFolder(dir: string, segments: string[]): Promise<void> {
  await walkFolders(dir, segments, false);
}

async function walkFolders(dir: string, segments: string[], create: boolean): Promise<string> {
  const root = await resolveDir(dir);
  const safe = segments.length === 0 ? [] : sanitizePath(segments.join("/"));
  let current = root;
  for (let i = 0; i < safe.length; i++) {
    current = join(current, safe[i]);
    const name = safe.slice(0, i + 1).join("/");
    if (create) await ensureFolder(current, name);
    else if (!(await existingFolder(current, name))) return current;
  }
  let real: string;
  try {
    real = await Deno.realPath(current);
  } catch (err) {
    throw toSockitError(err, "file", { path: current });
  }
  if (!isInside(root, real)) throw conflict(safe.join("/"), "outside");
  return current;
}

/** Options for {@linkcode commitFile}. */
export interface CommitOptions {
  /** The receiving folder. */
  dir: string;
  /** The temporary file from {@linkcode openTemp}, already closed. */
  tempPath: string;
  /** The file's relative path as segments, from {@linkcode sanitizePath}. */
  segments: string[];
  /** Replace an existing file of the same name instead of numbering. Default false. */
  overwrite?: boolean;
  /**
   * Claim names with hard links (default true). When false, or when the disk has no hard
   * links (FAT, exFAT), a name is claimed by creating it exclusively, then the file is renamed
   * over it.
   */
  hardLinks?: boolean;
}

/** Where {@linkcode commitFile} put a file. */
export interface Committed {
  /** Absolute path of the stored file. */
  path: string;
  /** Its path relative to the receiving folder, `/`-separated (what the sender is told). */
  relative: string;
}

function linkUnsupported(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return err instanceof Deno.errors.NotSupported || err instanceof Deno.errors.PermissionDenied ||
    code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS";
}

/**
 * Moves a finished temporary file to its final place in `dir`, creating its folders with
 * {@linkcode prepareFolder}. Without `overwrite` the file never replaces anything: the first
 * free name of `name`, `name (1)`, `name (2)`, … is taken atomically (a hard link, or where
 * the disk has none, an exclusive create then a rename). With `overwrite` the final name is
 * replaced (a symbolic link there is replaced itself, never its target); an existing folder
 * there is a `name-conflict`.
 *
 * @example
 * ```ts
 * import { commitFile, openTemp } from "./storage.ts";
 * const dir = await Deno.makeTempDir();
 * for (let i = 0; i < 2; i++) {
 *   const temp = await openTemp(dir);
 *   temp.file.close();
 *   const { relative } = await commitFile({ dir, tempPath: temp.path, segments: ["a.py"] });
 *   console.log(relative); // "a.py", then "a (1).py"
 * }
 * ```
 */
export async function commitFile(options: CommitOptions): Promise<Committed> {
  const committed = await placeFile(options);
  await checkStored(options.dir, committed);
  return committed;
}

/**
 * The final check of a stored file: its folder, resolved now, lies inside DIR and the name is a
 * regular file. A folder swapped for a link between the checks and the move would fail it; the
 * file is then removed again (from wherever it went) and the commit fails as `outside`.
 */
async function checkStored(dir: string, committed: Committed): Promise<void> {
  const root = await resolveDir(dir);
  let inside = false;
  try {
    const folder = await Deno.realPath(dirname(committed.path));
    inside = isInside(root, folder) && (await Deno.lstat(committed.path)).isFile;
  } catch {
    // Gone or unreadable: not where it should be.
  }
  if (inside) return;
  await Deno.remove(committed.path).catch(() => {});
  throw conflict(committed.relative, "outside");
}

async function placeFile(options: CommitOptions): Promise<Committed> {
  const safe = sanitizePath(options.segments.join("/"));
  const name = safe[safe.length - 1];
  const folders = safe.slice(0, -1);
  const folder = await prepareFolder(options.dir, folders);
  const done = (stored: string): Committed => ({
    path: join(folder, stored),
    relative: [...folders, stored].join("/"),
  });

  if (options.overwrite) {
    const target = join(folder, name);
    let existing: Deno.FileInfo | undefined;
    try {
      existing = await Deno.lstat(target);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        throw toSockitError(err, "file", { path: target });
      }
    }
    if (existing?.isDirectory) throw conflict(safe.join("/"), "is-a-folder");
    try {
      await Deno.rename(options.tempPath, target);
    } catch (err) {
      throw toSockitError(err, "file", { path: target });
    }
    return done(name);
  }

  let useLinks = options.hardLinks ?? true;
  for (let n = 0; n <= MAX_NUMBERED; n++) {
    const stored = numberedName(name, n);
    const candidate = join(folder, stored);
    if (useLinks) {
      try {
        await Deno.link(options.tempPath, candidate);
        // The file is stored; a temporary name left behind is only clutter in .sockit.
        await Deno.remove(options.tempPath).catch(() => {});
        return done(stored);
      } catch (err) {
        if (err instanceof Deno.errors.AlreadyExists) continue;
        if (!linkUnsupported(err)) throw toSockitError(err, "file", { path: candidate });
        useLinks = false;
      }
    }
    try {
      // Reserve the name, then move the file over the reservation.
      (await Deno.open(candidate, { createNew: true, write: true })).close();
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) continue;
      throw toSockitError(err, "file", { path: candidate });
    }
    try {
      await Deno.rename(options.tempPath, candidate);
    } catch (err) {
      await Deno.remove(candidate).catch(() => {});
      throw toSockitError(err, "file", { path: candidate });
    }
    return done(stored);
  }
  throw conflict(safe.join("/"), "exhausted");
}

/**
 * Removes a temporary file (after a failed or refused transfer). A file already gone is fine.
 *
 * @example
 * ```ts
 * import { discardTemp, openTemp } from "./storage.ts";
 * const temp = await openTemp(await Deno.makeTempDir());
 * temp.file.close();
 * await discardTemp(temp.path);
 * await discardTemp(temp.path); // no error
 * ```
 */
export async function discardTemp(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw toSockitError(err, "file", { path });
  }
}
