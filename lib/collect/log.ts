/**
 * The receiver's log, `DIR/sockit-log.csv`: one row per stored file, refusal and failure, for
 * the teacher to open in a spreadsheet. UTF-8 with a byte order mark, CSV that is safe to open
 * (see `csv.ts`). Every row is appended with a single write as soon as it is known, so a row
 * that was written survives Ctrl+C and a crash of the receiver; a row cut short by a crash is
 * ended before the next one is appended.
 *
 * @module
 */

import { join } from "node:path";
import { toSockitError } from "../core/errors.ts";
import { BOM, csvRow, csvUnguard, parseCsv } from "./csv.ts";
import { LOG_FILE_NAME } from "./identity.ts";

/**
 * What happened to a file or a sender, as the log's `outcome` column says it. `suppressed`
 * counts refusals and failures of one address that were not reported one by one (the receiver
 * limits how fast one address can fill its output, and this log).
 */
export type LogOutcome = "stored" | "refused" | "failed" | "suppressed";

const OUTCOMES: readonly string[] = ["stored", "refused", "failed", "suppressed"];
const PROTOCOLS = ["sockit", "classic", "web"] as const;

/** One row of the log. */
export interface LogRow {
  /** The receiver's time, ISO 8601 with its UTC offset (see {@linkcode localTimestamp}). */
  time: string;
  /** The sender's name as its folder is called (empty when not known). */
  name: string;
  /** The sender's address, without the port. */
  address: string;
  /** Where the file was stored, relative to the receiving folder (empty unless stored). */
  stored: string;
  /** Size in bytes (as declared, for files not stored). */
  size: number;
  /** SHA-256 of the stored file (empty unless stored). */
  sha256: string;
  /** `sockit`, `classic`, or `web` (an upload through the web page). */
  protocol: "sockit" | "classic" | "web";
  /** What happened. */
  outcome: LogOutcome;
  /** For refusals and failures: the code, and the problem or path it concerns. */
  reason: string;
}

/** The log's columns, in order; also its header row. */
export const LOG_COLUMNS: readonly (keyof LogRow)[] = [
  "time",
  "name",
  "address",
  "stored",
  "size",
  "sha256",
  "protocol",
  "outcome",
  "reason",
];

/**
 * A time as ISO 8601 in the local time zone with its offset, to the second:
 * `2026-12-02T14:41:07+09:00`. Spreadsheets sort it as text correctly within one zone.
 *
 * @example
 * ```ts
 * import { localTimestamp } from "./log.ts";
 * localTimestamp(new Date()); // "2026-12-02T14:41:07+09:00", for example
 * ```
 */
export function localTimestamp(date: Date): string {
  const pad = (n: number) => String(Math.trunc(Math.abs(n))).padStart(2, "0");
  const offset = -date.getTimezoneOffset();
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${
    pad(date.getHours())
  }:${pad(date.getMinutes())}:${pad(date.getSeconds())}${offset < 0 ? "-" : "+"}${
    pad(offset / 60)
  }:${pad(offset % 60)}`;
}

/**
 * The log file of a receiving folder, open for appending. Dispose it (or call `close`) when
 * the receiver stops.
 *
 * @example
 * ```ts
 * import { CollectLog } from "./log.ts";
 * using log = CollectLog.open(await Deno.makeTempDir());
 * log.append({
 *   time: "2026-12-02T14:41:07+09:00", name: "김민지", address: "127.0.0.1",
 *   stored: "김민지/main.py", size: 12, sha256: "", protocol: "sockit",
 *   outcome: "stored", reason: "",
 * });
 * ```
 */
export class CollectLog implements Disposable {
  /** The log's absolute path. */
  readonly path: string;
  #file: Deno.FsFile;
  #encoder = new TextEncoder();

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  /**
   * Opens `DIR/sockit-log.csv` for appending, writing the byte order mark and the header row
   * first when the file is new or empty.
   *
   * @throws {SockitError} `write-failed` (or another file code) when it cannot be opened.
   */
  static open(dir: string): CollectLog {
    const path = join(dir, LOG_FILE_NAME);
    try {
      const file = Deno.openSync(path, { read: true, append: true, create: true });
      const log = new CollectLog(path, file);
      const size = file.statSync().size;
      if (size === 0) log.#write(BOM + csvRow(LOG_COLUMNS));
      else if (!endsWithNewline(file, size)) log.#write("\r\n");
      return log;
    } catch (err) {
      throw toSockitError(err, "file", { path });
    }
  }

  /** Appends one row with a single write (rows of concurrent senders never interleave). */
  append(row: LogRow): void {
    this.#write(csvRow(LOG_COLUMNS.map((column) => row[column])));
  }

  #write(text: string): void {
    const bytes = this.#encoder.encode(text);
    let done = 0;
    while (done < bytes.length) done += this.#file.writeSync(bytes.subarray(done));
  }

  /** Closes the file. */
  close(): void {
    try {
      this.#file.close();
    } catch {
      // Already closed.
    }
  }

  /** Closes the file. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** True when the file's last byte is a line feed (a crash can cut a row short). */
function endsWithNewline(file: Deno.FsFile, size: number): boolean {
  const last = new Uint8Array(1);
  file.seekSync(size - 1, Deno.SeekMode.Start);
  return file.readSync(last) === 1 && last[0] === 0x0a;
}

/**
 * Reads the rows of a log back (for `sockit receive --summary`); rows with too few cells (a
 * row cut short by a crash mid-write) are skipped. `[]` when the folder has no log.
 *
 * @example
 * ```ts
 * import { readLog } from "./log.ts";
 * (await readLog(await Deno.makeTempDir())).length; // 0
 * ```
 * @throws {SockitError} when the log exists but cannot be read.
 */
export async function readLog(dir: string): Promise<LogRow[]> {
  const path = join(dir, LOG_FILE_NAME);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw toSockitError(err, "file", { path });
  }
  const rows = parseCsv(text);
  const header = rows.shift() ?? [];
  const at = LOG_COLUMNS.map((column) => header.indexOf(column));
  return rows
    .filter((row) => row.length >= LOG_COLUMNS.length)
    .map((row) => {
      const cell = (i: number) => csvUnguard(row[at[i]] ?? "");
      return {
        time: cell(0),
        name: cell(1),
        address: cell(2),
        stored: cell(3),
        size: Number(cell(4)) || 0,
        sha256: cell(5),
        protocol: PROTOCOLS.find((p) => p === cell(6)) ?? "sockit",
        outcome: (OUTCOMES.includes(cell(7)) ? cell(7) : "failed") as LogOutcome,
        reason: cell(8),
      };
    });
}
