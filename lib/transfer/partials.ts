/**
 * Resumable partial files. While a sockit transfer is in progress its bytes go to
 * `DIR/.sockit/partial-<key>.part`, described by `partial-<key>.json` (relative path, size,
 * modification time). If the connection drops, both stay, hidden, and the same file sent again
 * (same path, size and mtime) resumes where it stopped; the sender checks the SHA-256 of the
 * bytes already there before it continues, and the final hash covers the whole file. Partials
 * untouched for longer than their time to live are removed; they never count as received.
 *
 * A small file (at most `SMALL_FILE_SIZE`, 64 KiB) gets no partial: it goes to a plain
 * temporary file, with no description to look up, write and remove, and a cut transfer of it
 * starts over (sending 64 KiB again costs less than the bookkeeping would on every file).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { toSockitError } from "../core/errors.ts";
import { INTERNAL_DIR } from "./names.ts";
import { SMALL_FILE_SIZE } from "../core/streams.ts";
import { openTemp, SessionFolders } from "./storage.ts";

/** How long an untouched partial is kept by default: 24 hours. */
export const DEFAULT_PARTIAL_TTL_MS = 24 * 60 * 60 * 1000;

/** Options for {@linkcode PartialStore}. */
export interface PartialStoreOptions {
  /** Partials untouched for longer are removed. Default {@linkcode DEFAULT_PARTIAL_TTL_MS}. */
  ttlMs?: number;
  /** Most partials kept for one sender address; past it its oldest is dropped. Default 16. */
  maxPerAddress?: number;
  /** Most bytes of partials kept in all; past it the oldest are dropped. Default 4 GiB. */
  maxBytes?: number;
  /** Told about every partial dropped to stay within the limits. */
  onDrop?: (dropped: DroppedPartial) => void;
}

/** A kept partial that was dropped to stay within the store's limits. */
export interface DroppedPartial {
  /** The relative path the sender sent. */
  path: string;
  /** The sender's address. */
  from: string;
  /** Bytes it held. */
  bytes: number;
}

/** What identifies a partial's source file. */
export interface PartialSource {
  /** The relative path as the sender sent it (after sanitising, `/`-joined). */
  path: string;
  /** Declared size in bytes. */
  size: number;
  /** Declared modification time in milliseconds. */
  mtime: number;
}

/**
 * An open partial file for one transfer. Disposing it (`await using partial = …`) releases
 * it: kept for a resume when {@linkcode PartialFile.keep} is true, deleted otherwise.
 */
export interface PartialFile extends AsyncDisposable {
  /** Path of the `.part` file. */
  readonly path: string;
  /** The `.part` file, open for reading and writing. */
  readonly file: Deno.FsFile;
  /** Bytes already held from an earlier attempt (0 for a fresh transfer or an unresumable one). */
  readonly offset: number;
  /** True when this partial may be kept for a later resume. */
  readonly resumable: boolean;
  /** Whether disposing keeps the bytes for a resume (only a resumable partial is kept). */
  keep: boolean;
  /** Drops the bytes from `offset` on and positions the file there (use 0 to start over). */
  truncate(offset: number): Promise<void>;
  /**
   * Tells the partial that `commitFile` moved its file to the final name: its description is
   * removed, and disposing it afterwards only closes the handle (nothing is left to remove).
   */
  committed(): Promise<void>;
}

/**
 * Keeps the partial files of one receiving folder and knows which are in use, so two senders of
 * the same file at the same time never share one.
 *
 * @example
 * ```ts
 * import { PartialStore } from "./partials.ts";
 * const store = new PartialStore(await Deno.makeTempDir());
 * await using partial = await store.open({ path: "a.txt", size: 3, mtime: 0 });
 * console.log(partial.offset); // 0
 * ```
 */
export class PartialStore {
  readonly #dir: string;
  readonly #ttlMs: number;
  readonly #maxPerAddress: number;
  readonly #maxBytes: number;
  readonly #onDrop: (dropped: DroppedPartial) => void;
  readonly #active = new Set<string>();
  /** The running {@linkcode PartialStore.tidy}, so that two never overlap. */
  #tidying: Promise<void> = Promise.resolve();

  /** A store for `dir`; see {@linkcode PartialStoreOptions} for its limits. */
  constructor(dir: string, options: PartialStoreOptions = {}) {
    this.#dir = dir;
    this.#ttlMs = options.ttlMs ?? DEFAULT_PARTIAL_TTL_MS;
    this.#maxPerAddress = options.maxPerAddress ?? 16;
    this.#maxBytes = options.maxBytes ?? 4 * 1024 ** 3;
    this.#onDrop = options.onDrop ?? (() => {});
  }

  /** The key naming the partial of `source`. */
  static key(source: PartialSource): string {
    return createHash("sha256").update(JSON.stringify([source.path, source.size, source.mtime]))
      .digest("hex")
      .slice(0, 32);
  }

  /**
   * Opens the partial for `source` sent from `from` (an address): the existing one (with its
   * length as `offset`) when there is one and no other transfer uses it, else a fresh one.
   * When the same file is already being received, or it is small (at most `SMALL_FILE_SIZE`),
   * returns an unresumable temporary file instead. A session passes its `folders`, so that the
   * working folder is checked once per session.
   */
  async open(
    source: PartialSource,
    from = "",
    folders: SessionFolders = new SessionFolders(this.#dir),
  ): Promise<PartialFile> {
    if (source.size <= SMALL_FILE_SIZE) return await this.#unresumable(folders);
    const key = PartialStore.key(source);
    if (this.#active.has(key)) return await this.#unresumable(folders);
    this.#active.add(key);
    // What a failed open must undo (a full disk can fail it half-way): the handle, and a fresh
    // partial's files.
    let file: Deno.FsFile | undefined;
    let fresh: string[] = [];
    try {
      const internal = await folders.internal();
      const path = join(internal, `partial-${key}.part`);
      const metaPath = join(internal, `partial-${key}.json`);
      let offset = await this.#existing(path, metaPath, source);
      if (offset > 0) {
        file = await Deno.open(path, { read: true, write: true });
        // Opened by path: make sure it is the regular file found there, not one reached
        // through a link planted in between.
        if (!(await isOpenedFile(file, path))) {
          file[Symbol.dispose]();
          file = undefined;
          offset = 0;
        }
      }
      if (!file) {
        fresh = [path, metaPath];
        // Whatever is at the path (a stale partial, or a planted link) goes; the new file is
        // created exclusively, which never follows a link.
        await removeIfThere(path);
        file = await Deno.open(path, { read: true, write: true, createNew: true });
        const meta = { ...source, from, created: Date.now() };
        await writeReplacing(internal, metaPath, JSON.stringify(meta));
      }
      await file.seek(offset, Deno.SeekMode.Start);
      return this.#partial(path, file, offset, true, key, metaPath);
    } catch (err) {
      this.#active.delete(key);
      file?.[Symbol.dispose]();
      for (const path of fresh) await removeIfThere(path);
      throw toSockitError(err, "file", { path: source.path });
    }
  }

  /** A temporary file that is never kept for a resume. */
  async #unresumable(folders: SessionFolders): Promise<PartialFile> {
    const temp = await openTemp(this.#dir, folders);
    return this.#partial(temp.path, temp.file, 0, false, "", undefined);
  }

  /** The usable length of an existing partial for `source`, or 0. */
  async #existing(path: string, metaPath: string, source: PartialSource): Promise<number> {
    try {
      const meta = JSON.parse(await Deno.readTextFile(metaPath));
      const info = await Deno.lstat(path);
      const same = meta.path === source.path && meta.size === source.size &&
        meta.mtime === source.mtime;
      if (same && info.isFile && info.size <= source.size) return info.size;
    } catch {
      // No partial, or an unreadable one: start over.
    }
    return 0;
  }

  #partial(
    path: string,
    file: Deno.FsFile,
    offset: number,
    resumable: boolean,
    key: string,
    metaPath: string | undefined,
  ): PartialFile {
    /** Set once disposed, or once committed (then disposing only closes the handle). */
    let released = false;
    const active = this.#active;
    const tidy = () => this.tidy();
    return {
      path,
      file,
      offset,
      resumable,
      keep: false,
      truncate: async (at) => {
        await file.truncate(at);
        await file.seek(at, Deno.SeekMode.Start);
      },
      async committed() {
        released = true;
        if (resumable) active.delete(key);
        if (metaPath) await removeIfThere(metaPath);
      },
      async [Symbol.asyncDispose]() {
        // Closed already when a commit moved it; disposing twice is harmless.
        file[Symbol.dispose]();
        if (released) return;
        released = true;
        if (resumable) active.delete(key);
        if (this.keep && resumable && metaPath) {
          // Keep the description as fresh as the bytes, so a sweep removes both or neither.
          const now = new Date();
          await Deno.utime(metaPath, now, now).catch(() => {});
          // One more kept partial: the store may be over its limits now.
          await tidy();
          return;
        }
        await removeIfThere(path);
        if (metaPath) await removeIfThere(metaPath);
      },
    };
  }

  /**
   * Removes partials and leftover temporary files not modified for longer than the time to
   * live (and not in use). Resolves with how many files were removed.
   */
  async sweep(now: number = Date.now()): Promise<number> {
    const internal = join(this.#dir, INTERNAL_DIR);
    let removed = 0;
    try {
      for await (const entry of Deno.readDir(internal)) {
        if (!entry.isFile) continue;
        const key = /^partial-([0-9a-f]{32})\./.exec(entry.name)?.[1];
        if (key && this.#active.has(key)) continue;
        const path = join(internal, entry.name);
        const info = await Deno.stat(path).catch(() => null);
        if (!info || now - (info.mtime?.getTime() ?? now) <= this.#ttlMs) continue;
        await Deno.remove(path).then(() => removed++, () => {});
      }
    } catch {
      // No working folder yet: nothing to sweep.
    }
    return removed;
  }

  /**
   * Sweeps (see {@linkcode PartialStore.sweep}), then drops kept partials (not in use), oldest
   * first, until no sender address has more than `maxPerAddress` and all of them hold at most
   * `maxBytes`; each drop is told to `onDrop`. Runs after every partial kept, so the store
   * stays bounded while the receiver runs.
   */
  tidy(now: number = Date.now()): Promise<void> {
    this.#tidying = this.#tidying.then(async () => {
      await this.sweep(now);
      const kept = (await this.#kept()).sort((a, b) => a.keptAt - b.keptAt);
      const count = new Map<string, number>();
      for (const k of kept) count.set(k.from, (count.get(k.from) ?? 0) + 1);
      let total = kept.reduce((sum, k) => sum + k.bytes, 0);
      for (const k of kept) {
        const over = (count.get(k.from) ?? 0) > this.#maxPerAddress || total > this.#maxBytes;
        if (!over || this.#active.has(k.key)) continue;
        await removeIfThere(join(this.#dir, INTERNAL_DIR, `partial-${k.key}.part`));
        await removeIfThere(join(this.#dir, INTERNAL_DIR, `partial-${k.key}.json`));
        count.set(k.from, count.get(k.from)! - 1);
        total -= k.bytes;
        this.#onDrop({ path: k.path, from: k.from, bytes: k.bytes });
      }
    }).catch(() => {
      // A failed tidy leaves the store as it was; the next one tries again.
    });
    return this.#tidying;
  }

  /** Every kept partial with a readable description. */
  async #kept(): Promise<Kept[]> {
    const internal = join(this.#dir, INTERNAL_DIR);
    const kept: Kept[] = [];
    try {
      for await (const entry of Deno.readDir(internal)) {
        const key = /^partial-([0-9a-f]{32})\.json$/.exec(entry.name)?.[1];
        if (!key || !entry.isFile) continue;
        try {
          const metaPath = join(internal, entry.name);
          const meta = JSON.parse(await Deno.readTextFile(metaPath));
          const info = await Deno.lstat(join(internal, `partial-${key}.part`));
          // The description's time is set to the millisecond when the partial is kept; the
          // bytes' time comes from the kernel's coarser clock, alike for partials kept together.
          const keptAt = (await Deno.lstat(metaPath)).mtime?.getTime() ?? 0;
          kept.push({
            key,
            path: String(meta.path),
            from: String(meta.from ?? ""),
            bytes: info.size,
            keptAt,
          });
        } catch {
          // Half written or half removed: the sweep takes care of it in time.
        }
      }
    } catch {
      // No working folder yet.
    }
    return kept;
  }
}

/** A kept partial as {@linkcode PartialStore.tidy} sees it. */
interface Kept {
  key: string;
  path: string;
  from: string;
  bytes: number;
  /** When it was last kept (its description's modification time). */
  keptAt: number;
}

/** True when `file` (opened from `path`) is the regular file now at `path`, not a link's target. */
async function isOpenedFile(file: Deno.FsFile, path: string): Promise<boolean> {
  const [opened, there] = await Promise.all([file.stat(), Deno.lstat(path)]);
  return there.isFile && opened.dev === there.dev && opened.ino === there.ino;
}

/**
 * Writes `text` to `path` inside the working folder `internal` without following a link at
 * `path`: into a new, exclusively created temporary file, then renamed over `path` (a rename
 * replaces a link itself, never its target).
 */
async function writeReplacing(internal: string, path: string, text: string): Promise<void> {
  const temp = join(internal, `tmp-${crypto.randomUUID()}`);
  try {
    using file = await Deno.open(temp, { write: true, createNew: true });
    const bytes = new TextEncoder().encode(text);
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await Deno.rename(temp, path);
  } catch (err) {
    await removeIfThere(temp);
    throw err;
  }
}

/** Removes a file; one already gone (or never made) is fine. */
async function removeIfThere(path: string): Promise<void> {
  await Deno.remove(path).catch(() => {});
}
