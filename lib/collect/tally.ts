/**
 * Who has sent what: totals per sender (files, bytes, last time) from log rows, and with a
 * class list, who has sent something and who has not. Feeds the receiver's live header, its
 * summary on Ctrl+C and `sockit receive --summary`. Pure; no I/O.
 *
 * @module
 */

import type { LogRow } from "./log.ts";
import type { Roster, RosterEntry } from "./roster.ts";

/** One sender's totals. */
export interface SenderTotals {
  /** The sender's name (its folder name). */
  name: string;
  /** Files stored. */
  files: number;
  /** Bytes of those files. */
  bytes: number;
  /** The time of the last one, as logged. */
  last: string;
}

/**
 * Totals per sender, optionally against a class list.
 *
 * @example
 * ```ts
 * import { ClassTally } from "./tally.ts";
 * import { Roster } from "./roster.ts";
 * const tally = new ClassTally(Roster.parse("김민지\nPark Jisoo\n"));
 * tally.add({
 *   time: "2026-12-02T14:41:07+09:00", name: "김민지", address: "127.0.0.1", stored: "김민지/a.py",
 *   size: 12, sha256: "", protocol: "sockit", outcome: "stored", reason: "",
 * });
 * tally.missing().map((e) => e.name); // ["Park Jisoo"]
 * ```
 */
export class ClassTally {
  /** The class list, when there is one. */
  readonly roster?: Roster;
  #senders = new Map<string, SenderTotals>();

  /** Starts empty; `roster` decides who counts as missing. */
  constructor(roster?: Roster) {
    this.roster = roster;
  }

  /** Counts a log row; only stored files count. */
  add(row: LogRow): void {
    if (row.outcome !== "stored") return;
    const name = this.roster?.match(row.name)?.name ?? row.name;
    const totals = this.#senders.get(name) ?? { name, files: 0, bytes: 0, last: "" };
    totals.files++;
    totals.bytes += row.size;
    if (row.time > totals.last) totals.last = row.time;
    this.#senders.set(name, totals);
  }

  /**
   * Every sender's totals: with a class list, everyone on it in its order (missing ones with
   * zero files), then senders not on it by name; without one, by name.
   */
  rows(): SenderTotals[] {
    const byName = (a: SenderTotals, b: SenderTotals) => a.name.localeCompare(b.name);
    if (!this.roster) return [...this.#senders.values()].sort(byName);
    const listed = this.roster.entries.map((entry) =>
      this.#senders.get(entry.name) ?? { name: entry.name, files: 0, bytes: 0, last: "" }
    );
    const others = [...this.#senders.values()]
      .filter((totals) => !this.roster!.match(totals.name))
      .sort(byName);
    return [...listed, ...others];
  }

  /** People on the class list who have stored at least one file. */
  sent(): RosterEntry[] {
    return (this.roster?.entries ?? []).filter((entry) => this.#senders.has(entry.name));
  }

  /** People on the class list who have not stored any file yet. */
  missing(): RosterEntry[] {
    return (this.roster?.entries ?? []).filter((entry) => !this.#senders.has(entry.name));
  }
}
