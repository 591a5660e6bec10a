/**
 * The receiver's side of sender identity: turns the name a sender gives (or none) into the
 * name it is logged under and the folder its files go to, checking it against the class list.
 *
 * @module
 */

import { SockitError, toSockitError } from "../core/errors.ts";
import { foldName, sanitizeSenderName, SenderNameError, unnamedFolder } from "./identity.ts";
import type { Roster } from "./roster.ts";

/** Options for {@linkcode SenderDirectory}. */
export interface SenderDirectoryOptions {
  /** The class list names are matched against. Default: none. */
  roster?: Roster;
  /** Refuse senders not on `roster` (and senders without a name). Default false. */
  rosterOnly?: boolean;
  /** Store every sender's files straight in the receiving folder. Default false. */
  flat?: boolean;
}

/** Who a sender is, as the receiver names it. */
export interface SenderIdentity {
  /** The name it is logged and shown under: its checked name, or `unnamed-<address>`. */
  name: string;
  /** True when the sender gave a name. */
  named: boolean;
  /** The folder (one segment) its files go into; `undefined` with `flat`. */
  folder?: string;
  /** With a class list: whether the sender is on it. */
  onRoster?: boolean;
}

/**
 * A sender refused for who it is: an unsafe name (`reject` `bad-name`, `reason` the problem) or
 * one not on the class list (`not-on-roster`, with the list's `closest` names).
 */
export class SenderRefusal extends SockitError {
  /** The code the sender is told. */
  readonly reject: "bad-name" | "not-on-roster";
  /** The name as sent (`""` for none). */
  readonly sent: string;
  /** The name problem, or a sentence for `not-on-roster`. */
  readonly reason: string;
  /** The class list's closest names (for `not-on-roster`). */
  readonly closest: string[];

  /** Creates the refusal. */
  constructor(
    reject: "bad-name" | "not-on-roster",
    sent: string,
    reason: string,
    closest: string[] = [],
  ) {
    super("rejected", { code: reject, name: sent, reason });
    this.name = "SenderRefusal";
    this.reject = reject;
    this.sent = sent;
    this.reason = reason;
    this.closest = closest;
  }
}

/**
 * Decides who each sender is and where its files go.
 *
 * @example
 * ```ts
 * import { SenderDirectory } from "./senders.ts";
 * const senders = new SenderDirectory(await Deno.makeTempDir());
 * (await senders.identify("김민지", "127.0.0.1:5000")).folder; // "김민지"
 * (await senders.identify(undefined, "127.0.0.1:5001")).folder; // "unnamed-127-0-0-1"
 * ```
 */
export class SenderDirectory {
  #dir: string;
  #options: SenderDirectoryOptions;
  #folders = new Map<string, string>();

  /** Decides for the receiving folder `dir`. */
  constructor(dir: string, options: SenderDirectoryOptions = {}) {
    this.#dir = dir;
    this.#options = options;
  }

  /**
   * Identifies a sender from the name it sent (`undefined` when it sent none) and its address.
   * A name on the class list is written as the list spells it; any other name as the first
   * sender to use it (or its existing folder) spells it, so `Kim` and `KIM` share one folder
   * even on a case-sensitive disk.
   *
   * @throws {SenderRefusal} for an unsafe name, or with `rosterOnly` a name not on the list.
   */
  async identify(sent: string | undefined, peer: string): Promise<SenderIdentity> {
    const { roster, rosterOnly, flat } = this.#options;
    if (sent === undefined) {
      if (rosterOnly) {
        throw new SenderRefusal("not-on-roster", "", "the sender gave no name");
      }
      const name = unnamedFolder(peer);
      return {
        name,
        named: false,
        folder: flat ? undefined : name,
        onRoster: roster ? false : undefined,
      };
    }
    let name: string;
    try {
      name = sanitizeSenderName(sent);
    } catch (err) {
      if (err instanceof SenderNameError) throw new SenderRefusal("bad-name", sent, err.problem);
      throw err;
    }
    const entry = roster?.match(name);
    if (roster && !entry && rosterOnly) {
      throw new SenderRefusal(
        "not-on-roster",
        sent,
        `${name} is not on the class list`,
        roster.closest(name),
      );
    }
    name = entry?.name ?? await this.#spelling(name);
    return {
      name,
      named: true,
      folder: flat ? undefined : name,
      onRoster: roster ? entry !== undefined : undefined,
    };
  }

  /** The spelling already in use for `name` (this run, or a folder in DIR), else `name`. */
  async #spelling(name: string): Promise<string> {
    const key = foldName(name);
    if (!this.#folders.has(key)) {
      try {
        for await (const entry of Deno.readDir(this.#dir)) {
          if (entry.isDirectory && foldName(entry.name) === key) {
            this.#folders.set(key, entry.name.normalize("NFC"));
            break;
          }
        }
      } catch (err) {
        throw toSockitError(err, "file", { path: this.#dir });
      }
    }
    // Set after the await: a concurrent sender of the same name may have set it meanwhile.
    if (!this.#folders.has(key)) this.#folders.set(key, name);
    return this.#folders.get(key)!;
  }
}
