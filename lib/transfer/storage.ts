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

/**
 * DIR's real path, checked to be a folder. Synchronous, like the other metadata calls on the
 * receiving folder here: each takes microseconds on a local disk, where the asynchronous form
 * waits several times as long for a thread of the runtime's pool (docs/performance.md).
 */
function resolveDir(dir: string): string {
  let root: string;
  let info: Deno.FileInfo;
  try {
    root = Deno.realPathSync(dir);
    info = Deno.statSync(root);
  } catch (err) {
    throw toSockitError(err, "file", { path: dir });
  }
  if (!info.isDirectory) throw conflict(dir, "not-a-folder");
  return root;
}

/** What is at `path` (not following a link there), or `undefined` when nothing is. */
function lstatIfThere(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw toSockitError(err, "file", { path });
  }
}

/** The folder at `path` (its `lstat`), `undefined` when nothing is there; a conflict otherwise. */
function existingFolder(path: string, name: string): Deno.FileInfo | undefined {
  const info = lstatIfThere(path);
  if (!info) return undefined;
  if (info.isSymlink) throw conflict(name, "symlink");
  if (!info.isDirectory) throw conflict(name, "not-a-folder");
  return info;
}

/** Creates `path` as one folder (no parents) unless something is there, then checks it. */
async function ensureFolder(path: string, name: string, mode?: number): Promise<Deno.FileInfo> {
  const there = existingFolder(path, name);
  if (there) return there;
  try {
    await Deno.mkdir(path, mode === undefined ? {} : { mode });
  } catch (err) {
    // Another sender created it at the same moment: check what is there now.
    if (!(err instanceof Deno.errors.AlreadyExists)) throw toSockitError(err, "file", { path });
  }
  const made = existingFolder(path, name);
  if (!made) throw toSockitError(new Deno.errors.NotFound(path), "file", { path });
  return made;
}

/** True when `info` is the same folder as `known` (same device and inode), not a link. */
function sameFolder(info: Deno.FileInfo | undefined, known: Deno.FileInfo): boolean {
  return info !== undefined && info.isDirectory && !info.isSymlink && info.dev === known.dev &&
    info.ino === known.ino;
}

/**
 * The folders of one receiving folder as one session (a connection) has checked them, so that
 * each folder, and `DIR/.sockit/`, is checked and created once per session rather than once per
 * file. The first use of a folder walks it as {@linkcode prepareFolder} does (every component a
 * real folder, not a symbolic link, and the result resolving inside DIR) and remembers each
 * component's device and inode. A later use checks every component again with one `lstat` each
 * (the check the walk makes) and compares it with what was remembered: a component swapped
 * for a link, or for another folder, fails the comparison and the folder is walked again
 * (which refuses the link). {@linkcode commitFile}'s final check, after the file is in place,
 * still resolves its folder and removes a file that ended up outside DIR (docs/faults.md).
 *
 * @example
 * ```ts
 * import { SessionFolders } from "./storage.ts";
 * const folders = new SessionFolders(await Deno.makeTempDir());
 * await folders.prepare(["hw", "week1"]); // walks and creates
 * await folders.prepare(["hw", "week1"]); // two lstat calls
 * ```
 */
export class SessionFolders {
  /** The receiving folder, as given. */
  readonly dir: string;
  #root?: string;
  #internal?: { path: string; info: Deno.FileInfo };
  /**
   * Folders checked in this session: relative path → its sanitised segments and each
   * component's `lstat`, in order (up to the first `missing` one, for a folder a check found not
   * there yet).
   */
  readonly #known = new Map<
    string,
    { safe: string[]; path: string; chain: Deno.FileInfo[]; missing?: string }
  >();

  /** The folders of `dir`; nothing is checked until first used. */
  constructor(dir: string) {
    this.dir = dir;
  }

  /** DIR's real path, resolved once per session. */
  get root(): string {
    return this.#root ??= resolveDir(this.dir);
  }

  /**
   * `DIR/.sockit/`, created (mode 0o700 where supported) and checked to be a private folder,
   * not a link, on first use; afterwards checked again with one `lstat` before every use (the
   * same folder, still not a link, still private).
   */
  async internal(): Promise<string> {
    const known = this.#internal;
    const now = known && lstatIfThere(known.path);
    if (known && now && sameFolder(now, known.info)) {
      // Still the folder checked first; still private (its owner and mode are in the lstat).
      checkPrivate(known.path, now);
      return known.path;
    }
    this.#internal = undefined;
    const path = join(this.root, INTERNAL_DIR);
    const info = await ensureFolder(path, INTERNAL_DIR, 0o700);
    checkPrivate(path, info);
    this.#internal = { path, info };
    return path;
  }

  /** Like {@linkcode prepareFolder}, remembering what it checked. */
  async prepare(segments: string[]): Promise<string> {
    return await this.#walk(segments, true);
  }

  /** Like {@linkcode checkFolder}, remembering what it checked. */
  async check(segments: string[]): Promise<void> {
    await this.#walk(segments, false);
  }

  async #walk(segments: string[], create: boolean): Promise<string> {
    // A path walked before is the key of what it found, and was sanitised then.
    const given = segments.join("/");
    const known = this.#known.get(given);
    // A folder found missing only answers checks: creating it walks it.
    const usable = known && (known.missing === undefined || !create);
    if (usable && this.#unchanged(known.safe, known.chain, known.missing)) return known.path;
    const safe = segments.length === 0 ? [] : sanitizePath(given);
    const key = safe.join("/");
    this.#known.delete(key);
    const root = this.root;
    const chain: Deno.FileInfo[] = [];
    let current = root;
    for (let i = 0; i < safe.length; i++) {
      current = join(current, safe[i]);
      const name = safe.slice(0, i + 1).join("/");
      const info = create ? await ensureFolder(current, name) : existingFolder(current, name);
      if (!info) {
        // Not there yet (the session's first file into it is still to come): the next check
        // re-checks the components that are there and that this one is still missing.
        this.#known.set(key, { safe, path: current, chain, missing: current });
        return current;
      }
      chain.push(info);
    }
    let real: string;
    try {
      real = Deno.realPathSync(current);
    } catch (err) {
      throw toSockitError(err, "file", { path: current });
    }
    if (!isInside(root, real)) throw conflict(key, "outside");
    this.#known.set(key, { safe, path: current, chain });
    return current;
  }

  /**
   * True when every component of `safe` remembered in `chain` is still that real folder, and
   * `missing` (the first component that was not there, if any) is still not there. That test
   * does not throw for a missing path, which a `lstat` does at a cost (it follows a link, so a
   * link planted there to a folder fails it and the walk refuses the link; a dangling one is
   * refused by the walk that creates the folder).
   */
  #unchanged(safe: string[], chain: Deno.FileInfo[], missing?: string): boolean {
    let current = this.root;
    for (let i = 0; i < chain.length; i++) {
      current = join(current, safe[i]);
      let info: Deno.FileInfo | undefined;
      try {
        info = lstatIfThere(current);
      } catch {
        return false;
      }
      if (!sameFolder(info, chain[i])) return false;
    }
    return missing === undefined || !existsFollowingLinks(missing);
  }
}

/**
 * True when `path` resolves to something, following links (as `fs.existsSync`: a dangling link
 * or any error counts as nothing there). Deno's own call, so that the sender, which shares the
 * protocol's refusal codes with this module, does not load `node:fs` (start-up time).
 */
function existsFollowingLinks(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
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
  return await new SessionFolders(dir).internal();
}

/**
 * Refuses (`unsafe-folder`) a working folder that another user owns or may write into: they
 * could plant links where sockit creates files, as sshd refuses a `~/.ssh` others can write.
 * Where the system has no owners and modes (Windows), there is nothing to check.
 */
function checkPrivate(path: string, info: Deno.FileInfo): void {
  const uid = currentUid();
  if (uid !== null && info.uid !== null && info.uid !== uid) {
    throw new SockitError("unsafe-folder", { path, reason: `owned by user ${info.uid}` });
  }
  if (info.mode !== null && (info.mode & 0o022) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(3, "0");
    throw new SockitError("unsafe-folder", { path, reason: `writable by others (mode ${mode})` });
  }
}

/** This process's user id (asked once), or `null` where there is none or it may not be read. */
function currentUid(): number | null {
  if (uid === undefined) {
    try {
      uid = Deno.uid();
    } catch {
      uid = null;
    }
  }
  return uid;
}
let uid: number | null | undefined;

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
 * {@linkcode commitFile}. A session passes its {@linkcode SessionFolders}, so that the working
 * folder is created and checked once. The file is created with one synchronous call, like the
 * other metadata calls here (see {@linkcode SessionFolders}).
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
export async function openTemp(
  dir: string,
  folders: SessionFolders = new SessionFolders(dir),
): Promise<TempFile> {
  const internal = await folders.internal();
  const path = join(internal, `tmp-${crypto.randomUUID()}`);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true, write: true, createNew: true });
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
  return await new SessionFolders(dir).prepare(segments);
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
  await new SessionFolders(dir).check(segments);
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
  /** The session's folders (checked once per session); default: checked afresh. */
  folders?: SessionFolders;
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
  const folders = options.folders ?? new SessionFolders(options.dir);
  const committed = await placeFile(options, folders);
  checkStored(folders.root, committed);
  return committed;
}

/**
 * The final check of a stored file: its folder, resolved now, lies inside DIR and the name is a
 * regular file. A folder swapped for a link between the checks and the move would fail it; the
 * file is then removed again (from wherever it went) and the commit fails as `outside`.
 */
function checkStored(root: string, committed: Committed): void {
  let inside = false;
  try {
    const folder = Deno.realPathSync(dirname(committed.path));
    inside = isInside(root, folder) && Deno.lstatSync(committed.path).isFile;
  } catch {
    // Gone or unreadable: not where it should be.
  }
  if (inside) return;
  try {
    Deno.removeSync(committed.path);
  } catch {
    // Already gone.
  }
  throw conflict(committed.relative, "outside");
}

async function placeFile(options: CommitOptions, session: SessionFolders): Promise<Committed> {
  const safe = sanitizePath(options.segments.join("/"));
  const name = safe[safe.length - 1];
  const folders = safe.slice(0, -1);
  const folder = await session.prepare(folders);
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
        Deno.linkSync(options.tempPath, candidate);
        // The file is stored; a temporary name left behind is only clutter in .sockit.
        try {
          Deno.removeSync(options.tempPath);
        } catch {
          // Swept later.
        }
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
