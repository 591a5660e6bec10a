/**
 * Who gets a transfer slot. A connection is first _opening_ (it has not yet sent a complete
 * preface or classic size); openings hold no transfer slot, and past a limit (per address, and
 * in all) a new one closes an old one, so silent or trickling connections cannot lock out a
 * classmate. A burst of connections from one address (a class behind a NAT router) is not one:
 * an opening younger than the grace period is never closed for its own address's sake, only
 * for the total. Once its opening is complete a connection asks for a _session_ slot, limited in
 * all and per address; when none is free it is told `busy`.
 *
 * @module
 */

/**
 * How long an opening is safe from its own address's limit: long enough for a preface that is
 * already on its way to be read by a receiver still accepting the rest of a burst, or to be sent
 * again once after a lost packet; well under the 5 s an opening may take in all.
 */
export const OPENING_GRACE_MS = 2000;

/** The limits of a {@linkcode ConnectionGate}. */
export interface GateLimits {
  /** Most sessions (connections past their opening) at once. */
  maxSessions: number;
  /** Most sessions from one address at once. */
  maxSessionsPerAddress: number;
  /** Most openings at once; a new one past this closes the oldest of the most crowded address. */
  maxOpenings: number;
  /**
   * Most openings from one address at once; a new one past this closes that address's oldest
   * once that one has been opening for {@linkcode OPENING_GRACE_MS}.
   */
  maxOpeningsPerAddress: number;
}

/** Why a session slot was refused: too many sessions in all, or from this address. */
export type GateRefusal = "total" | "address";

interface Opening {
  address: string;
  close: () => void;
  /** When it registered, on the gate's clock. */
  since: number;
}

/**
 * Counts openings and sessions by address.
 *
 * @example
 * ```ts
 * import { ConnectionGate } from "./receive_gate.ts";
 * const gate = new ConnectionGate({
 *   maxSessions: 64,
 *   maxSessionsPerAddress: 8,
 *   maxOpenings: 256,
 *   maxOpeningsPerAddress: 16,
 * });
 * {
 *   using opening = gate.open("10.0.0.5", () => console.log("closed: too many openings"));
 *   const slot = gate.admit("10.0.0.5", opening);
 *   if (typeof slot === "string") console.log(`busy (${slot})`);
 *   else slot[Symbol.dispose]();
 * }
 * ```
 */
export class ConnectionGate {
  readonly #limits: GateLimits;
  readonly #now: () => number;
  /** Openings in the order they arrived (a Set iterates in insertion order). */
  readonly #openings = new Set<Opening>();
  readonly #openingsOf = new Map<string, Set<Opening>>();
  #sessions = 0;
  readonly #sessionsOf = new Map<string, number>();

  /** A gate with these limits, telling the age of openings by `now` (milliseconds). */
  constructor(limits: GateLimits, now: () => number = () => performance.now()) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Sessions now. */
  get sessions(): number {
    return this.#sessions;
  }

  /** Openings now. */
  get openings(): number {
    return this.#openings.size;
  }

  /**
   * Registers a connection from `address` that is opening. When its address already has as many
   * openings as it may, that address's oldest is closed if it has been opening for the grace
   * period; when there are as many openings in all as there may be, the oldest of the address
   * with the most openings is closed (so a flood from one address closes its own). A closed
   * opening has its `close` called and leaves the gate. Disposing the result leaves the gate
   * (the opening ended one way or another). With `perAddress` false only the total limit
   * applies to this connection.
   */
  open(address: string, close: () => void, perAddress = true): Disposable {
    const now = this.#now();
    const mine = this.#openingsOf.get(address);
    const first = mine && oldest(mine);
    const evict = perAddress && first && mine.size >= this.#limits.maxOpeningsPerAddress &&
        now - first.since >= OPENING_GRACE_MS
      ? first
      : this.#openings.size >= this.#limits.maxOpenings
      ? oldest(this.#crowdedAddress())
      : undefined;
    if (evict) {
      this.#leave(evict);
      evict.close();
    }
    // After the eviction, which removes an address left without openings.
    const ofAddress = this.#openingsOf.get(address) ?? new Set();
    this.#openingsOf.set(address, ofAddress);
    const opening: Opening = { address, close, since: now };
    this.#openings.add(opening);
    ofAddress.add(opening);
    return { [Symbol.dispose]: () => this.#leave(opening) };
  }

  /** The openings of the address with the most of them (the first such address on a tie). */
  #crowdedAddress(): Set<Opening> {
    let most = new Set<Opening>();
    for (const set of this.#openingsOf.values()) if (set.size > most.size) most = set;
    return most;
  }

  #leave(opening: Opening): void {
    this.#openings.delete(opening);
    const ofAddress = this.#openingsOf.get(opening.address);
    ofAddress?.delete(opening);
    if (ofAddress?.size === 0) this.#openingsOf.delete(opening.address);
  }

  /**
   * The opening of a connection from `address` is complete: it leaves the openings and takes
   * a session slot, given back when the result is disposed; or, when no slot is free, the
   * reason it was refused. With `perAddress` false only the total limit applies.
   */
  admit(address: string, opening: Disposable, perAddress = true): Disposable | GateRefusal {
    opening[Symbol.dispose]();
    const mine = this.#sessionsOf.get(address) ?? 0;
    if (this.#sessions >= this.#limits.maxSessions) return "total";
    if (perAddress && mine >= this.#limits.maxSessionsPerAddress) return "address";
    this.#sessions++;
    this.#sessionsOf.set(address, mine + 1);
    let released = false;
    return {
      [Symbol.dispose]: () => {
        if (released) return;
        released = true;
        this.#sessions--;
        const left = (this.#sessionsOf.get(address) ?? 1) - 1;
        if (left === 0) this.#sessionsOf.delete(address);
        else this.#sessionsOf.set(address, left);
      },
    };
  }
}

/** The first (oldest) of `openings`. */
function oldest(openings: Set<Opening>): Opening | undefined {
  return openings.values().next().value;
}
