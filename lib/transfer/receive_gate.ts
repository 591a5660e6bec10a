/**
 * Who gets a transfer slot. A connection is first _opening_ (it has not yet sent a complete
 * preface or classic size); openings hold no transfer slot, and past a limit (per address, and
 * in all) a new one closes the oldest, so silent or trickling connections cannot lock out a
 * classmate. Once its opening is complete a connection asks for a _session_ slot, limited in
 * all and per address; when none is free it is told `busy`.
 *
 * @module
 */

/** The limits of a {@linkcode ConnectionGate}. */
export interface GateLimits {
  /** Most sessions (connections past their opening) at once. */
  maxSessions: number;
  /** Most sessions from one address at once. */
  maxSessionsPerAddress: number;
  /** Most openings at once; a new one past this closes the oldest. */
  maxOpenings: number;
  /** Most openings from one address at once; a new one past this closes that address's oldest. */
  maxOpeningsPerAddress: number;
}

/** Why a session slot was refused: too many sessions in all, or from this address. */
export type GateRefusal = "total" | "address";

interface Opening {
  address: string;
  close: () => void;
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
  /** Openings in the order they arrived (a Set iterates in insertion order). */
  readonly #openings = new Set<Opening>();
  readonly #openingsOf = new Map<string, Set<Opening>>();
  #sessions = 0;
  readonly #sessionsOf = new Map<string, number>();

  /** A gate with these limits. */
  constructor(limits: GateLimits) {
    this.#limits = limits;
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
   * Registers a connection from `address` that is opening. When that makes too many, the
   * oldest opening (of this address first) is closed: its `close` is called and it leaves the
   * gate. Disposing the result leaves the gate (the opening ended one way or another). With
   * `perAddress` false only the total limit applies.
   */
  open(address: string, close: () => void, perAddress = true): Disposable {
    const ofAddress = this.#openingsOf.get(address) ?? new Set();
    this.#openingsOf.set(address, ofAddress);
    const oldest = (set: Set<Opening>) => set.values().next().value;
    const evict = perAddress && ofAddress.size >= this.#limits.maxOpeningsPerAddress
      ? oldest(ofAddress)
      : this.#openings.size >= this.#limits.maxOpenings
      ? oldest(this.#openings)
      : undefined;
    if (evict) {
      this.#leave(evict);
      evict.close();
    }
    const opening: Opening = { address, close };
    this.#openings.add(opening);
    ofAddress.add(opening);
    return { [Symbol.dispose]: () => this.#leave(opening) };
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
