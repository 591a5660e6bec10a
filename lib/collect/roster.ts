/**
 * The class list (`sockit receive --roster FILE`): who is expected to send. A plain list (one
 * name a line) or a CSV file with a header row naming a `name` column and optionally an `id`
 * column. Names are matched after NFC and case folding ({@linkcode foldName}); an entry's id
 * matches too.
 *
 * @module
 */

import { SockitError, toSockitError } from "../core/errors.ts";
import { parseCsv } from "./csv.ts";
import { foldName, sanitizeSenderName, SenderNameError } from "./identity.ts";

/** One person on the list. */
export interface RosterEntry {
  /** The name as the list spells it (checked, NFC); also the person's folder name. */
  name: string;
  /** The id column's value, when the list has one. */
  id?: string;
  /** The line of the file it came from (1-based), for messages. */
  line: number;
}

/** Header cells (folded) that name the name column. */
const NAME_HEADERS = ["name", "이름", "성명"];
/** Header cells (folded) that name the id column. */
const ID_HEADERS = ["id", "학번", "번호"];

/** Most entries a roster may have. */
export const MAX_ROSTER_ENTRIES = 2_000;

/** Largest roster file read, in bytes. */
export const MAX_ROSTER_BYTES = 4 * 1024 * 1024;

/**
 * A class list, ready to match names against.
 *
 * @example
 * ```ts
 * import { Roster } from "./roster.ts";
 * const roster = Roster.parse("name,id\n김민지,7\nPark Jisoo,8\n");
 * roster.match("PARK JISOO")?.name; // "Park Jisoo"
 * roster.match("7")?.name; // "김민지"
 * roster.closest("김민자"); // ["김민지", …]
 * ```
 */
export class Roster {
  /** Everyone on the list, in the file's order. */
  readonly entries: readonly RosterEntry[];
  #byKey = new Map<string, RosterEntry>();

  private constructor(entries: RosterEntry[]) {
    this.entries = entries;
    for (const entry of entries) {
      this.#byKey.set(foldName(entry.name), entry);
    }
    for (const entry of entries) {
      // A name always wins over someone else's id.
      if (entry.id !== undefined && !this.#byKey.has(foldName(entry.id))) {
        this.#byKey.set(foldName(entry.id), entry);
      }
    }
  }

  /**
   * Parses a roster's text (a leading byte order mark is fine). The first non-empty line is a
   * CSV header when one of its cells is `name` (or `이름`, `성명`; any case); then that column
   * holds the names and an `id` (or `학번`, `번호`) column the ids. Otherwise every non-empty
   * line is one name; lines starting with `#` are comments.
   *
   * @throws {SockitError} `bad-roster` with the `line` and a `problem`: a name that is not safe
   * (`problem` is its name problem, `name` the raw name), a name listed twice (`duplicate`, with
   * `other`, the first line), an empty list (`empty`), more than
   * {@linkcode MAX_ROSTER_ENTRIES} names (`too-many`).
   */
  static parse(text: string): Roster {
    const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
    const first = lines.findIndex((l) => l.trim() !== "");
    if (first < 0) throw rosterError(0, "empty");
    const header = parseCsv(lines[first])[0].map((cell) => foldName(cell));
    const nameColumn = header.findIndex((cell) => NAME_HEADERS.includes(cell));
    const raw: { name: string; id?: string; line: number }[] = [];
    if (nameColumn >= 0) {
      const idColumn = header.findIndex((cell) => ID_HEADERS.includes(cell));
      // Rows are counted by physical line so messages point at the right place even when a
      // quoted cell spans lines.
      let line = first + 2;
      for (const row of parseCsv(lines.slice(first + 1).join("\n"))) {
        const at = line;
        line += row.join(",").split("\n").length;
        const name = row[nameColumn] ?? "";
        if (name.trim() === "" && row.every((cell) => cell.trim() === "")) continue;
        const id = idColumn >= 0 ? row[idColumn]?.trim() || undefined : undefined;
        raw.push({ name, id, line: at });
      }
    } else {
      lines.forEach((name, i) => {
        if (name.trim() !== "" && !name.trimStart().startsWith("#")) {
          raw.push({ name, line: i + 1 });
        }
      });
    }
    if (raw.length === 0) throw rosterError(0, "empty");
    if (raw.length > MAX_ROSTER_ENTRIES) throw rosterError(0, "too-many");
    const seen = new Map<string, number>();
    const entries = raw.map(({ name, id, line }) => {
      let clean: string;
      try {
        clean = sanitizeSenderName(name);
      } catch (err) {
        if (err instanceof SenderNameError) {
          throw rosterError(line, err.problem, { name });
        }
        throw err;
      }
      const key = foldName(clean);
      const other = seen.get(key);
      if (other !== undefined) throw rosterError(line, "duplicate", { name: clean, other });
      seen.set(key, line);
      return id === undefined ? { name: clean, line } : { name: clean, id, line };
    });
    return new Roster(entries);
  }

  /**
   * Reads and parses a roster file (UTF-8, with or without a byte order mark).
   *
   * @example
   * ```ts
   * import { Roster } from "./roster.ts";
   * const path = await Deno.makeTempFile();
   * await Deno.writeTextFile(path, "김민지\nPark Jisoo\n");
   * (await Roster.load(path)).entries.length; // 2
   * ```
   * @throws {SockitError} `not-found`/`read-failed` for the file, `bad-roster` for its content
   * (also when it is not UTF-8: `problem` `encoding`).
   */
  static async load(path: string): Promise<Roster> {
    let bytes: Uint8Array;
    try {
      const info = await Deno.stat(path);
      if (info.size > MAX_ROSTER_BYTES) throw rosterError(0, "too-many", { path });
      bytes = await Deno.readFile(path);
    } catch (err) {
      if (err instanceof SockitError) throw err;
      const error = toSockitError(err, "file", { path });
      throw error.code === "not-found"
        ? error
        : new SockitError("read-failed", { path, reason: error.message });
    }
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw rosterError(0, "encoding", { path });
    }
    try {
      return Roster.parse(text);
    } catch (err) {
      if (err instanceof SockitError) err.details.path = path;
      throw err;
    }
  }

  /** The entry a sender's name (or id) stands for, or `undefined` when it is not on the list. */
  match(name: string): RosterEntry | undefined {
    return this.#byKey.get(foldName(name));
  }

  /**
   * Up to `count` names on the list closest to `name` (edit distance over folded, decomposed
   * text, so one wrong Korean letter counts as one), nearest first; names that differ in more
   * than half their letters are left out.
   */
  closest(name: string, count = 3): string[] {
    const key = foldName(name).normalize("NFD");
    return this.entries
      .map((entry) => {
        const other = foldName(entry.name).normalize("NFD");
        return { name: entry.name, distance: editDistance(key, other), length: other.length };
      })
      .filter((c) => c.distance <= Math.ceil(Math.max(c.length, key.length) / 2))
      .sort((a, b) => a.distance - b.distance)
      .slice(0, count)
      .map((c) => c.name);
  }
}

function rosterError(
  line: number,
  problem: string,
  details: Record<string, string | number> = {},
): SockitError {
  return new SockitError("bad-roster", { line, problem, ...details });
}

/** Levenshtein distance between two strings, by code unit (both are NFD, so jamo by jamo). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}
