/**
 * What every connection of one receiver shares: its settings with their defaults filled in,
 * the event sink, the running totals and the partial store; and how a failure is told to the
 * log and to the sender. Per-connection state lives in the connection handlers
 * (`receive_sockit.ts`, `receive_classic.ts`).
 *
 * @module
 */

import { SockitError } from "../core/errors.ts";
import { NameError } from "./names.ts";
import { ProtocolError, writeFrame } from "./protocol.ts";
import type { RefusalProblem, RejectCode } from "./protocol.ts";
import type { PartialStore } from "./partials.ts";
import type { PairingCode } from "../crypto/code.ts";
import type { TraceLayer } from "../net/trace.ts";
import { GuessLimiter } from "./pairing.ts";
import type { ConflictProblem } from "./storage.ts";
import type {
  ReceiverEvent,
  ReceiverFileInfo,
  ReceiverOptions,
  ReceiverSummary,
} from "./receiver.ts";
import { localTimestamp } from "../collect/log.ts";
import type { Deadline, Wire } from "../net/wire.ts";
import { ConnectionGate } from "./receive_gate.ts";
import { SpaceLedger } from "./space.ts";
import { LOG_RATE_PER_SECOND, PeerLogLimiter } from "./log_limit.ts";
import { isLoopback } from "../net/address.ts";
import type { GateLimits } from "./receive_gate.ts";
import { SenderRefusal } from "../collect/senders.ts";
import type { SenderDirectory, SenderIdentity } from "../collect/senders.ts";

/** A receiver's shared state, handed to each connection. */
export class ReceiverContext {
  /** The absolute path of the receiving folder. */
  readonly dir: string;
  /** Replace existing files instead of numbering new ones. */
  readonly overwrite: boolean;
  /** Largest file accepted, in bytes (`undefined`: no limit). */
  readonly maxSize: number | undefined;
  /** A sender silent for this long is dropped. */
  readonly idleTimeoutMs: number;
  /** How long a complete header (preface, size, frame) may take. */
  readonly headerTimeoutMs: number;
  /** Largest chunk read from the network at once. */
  readonly chunkSize: number;
  /** Base name for classic transfers, when one was given. */
  readonly classicName: string | undefined;
  /** How long a classic size may pause before it counts as complete. */
  readonly classicQuietMs: number;
  /** Receives every event. */
  readonly emit: (event: ReceiverEvent) => void;
  /** Totals over the receiver's life. */
  readonly summary: ReceiverSummary = { sessions: 0, files: 0, bytes: 0 };
  /** The receiving folder's resumable partial files. */
  readonly partials: PartialStore;
  /** How long a connection may take to complete its opening. */
  readonly openingTimeoutMs: number;
  /** The connection limits. */
  readonly limits: GateLimits;
  /** Who gets a transfer slot. */
  readonly gate: ConnectionGate;
  /** Free space promised to transfers under way. */
  readonly space: SpaceLedger;
  /** Who each sender is, and which folder its files go to. */
  readonly senders: SenderDirectory;
  /** The pairing code senders must know, or `undefined` for an open receiver. */
  readonly code: PairingCode | undefined;
  /** True when classic senders are taken. */
  readonly acceptClassic: boolean;
  /** Wrong-code limits shared by every connection. */
  readonly guesses: GuessLimiter;
  /** Emit `trace` events (the plaintext of records too). */
  readonly trace: boolean;
  /** The trace layer of each paired connection's bytes on the wire, by peer. */
  readonly layers: Map<string, TraceLayer> = new Map();
  #nextId = 1;
  readonly #sink: (event: ReceiverEvent) => void;
  readonly #log: PeerLogLimiter;

  /** Fills in the defaults of `options` for the folder `dir`. */
  constructor(
    options: ReceiverOptions,
    dir: string,
    partials: PartialStore,
    senders: SenderDirectory,
  ) {
    this.senders = senders;
    this.dir = dir;
    this.overwrite = options.overwrite ?? false;
    this.maxSize = options.maxSize;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.headerTimeoutMs = options.headerTimeoutMs ?? 10_000;
    this.chunkSize = options.chunkSize ?? 1024 * 1024;
    this.classicName = options.classicName;
    this.classicQuietMs = options.classicQuietMs ?? 150;
    const sink = options.onEvent ?? (() => {});
    this.#sink = sink;
    const rate = options.maxLogRate ?? LOG_RATE_PER_SECOND;
    this.#log = new PeerLogLimiter({ rate, burst: rate * 3 });
    this.emit = (event) => {
      const address = limitedAddress(event);
      if (address !== undefined) {
        if (!this.#log.allow(address)) return;
        const held = this.#log.flush(address);
        if (held > 0) sink({ type: "suppressed", from: address, count: held });
      }
      sink(event);
    };
    this.partials = partials;
    this.openingTimeoutMs = options.openingTimeoutMs ?? 5000;
    const perAddress = options.maxConnectionsPerAddress ?? 8;
    this.limits = {
      maxSessions: options.maxConnections ?? 64,
      maxSessionsPerAddress: perAddress,
      maxOpenings: options.maxOpenings ?? 256,
      maxOpeningsPerAddress: options.maxOpeningsPerAddress ?? Math.max(16, 2 * perAddress),
    };
    this.gate = new ConnectionGate(this.limits);
    this.space = new SpaceLedger(dir, options.minFreeBytes);
    this.code = options.code;
    this.acceptClassic = options.classic ?? options.code === undefined;
    this.trace = options.trace ?? false;
    this.guesses = new GuessLimiter({
      ...options.guessLimits,
      onGuessing: (peer, failures) => this.emit({ type: "guessing", peer, failures }),
    });
  }

  /**
   * Reports the events held back from `address` (every address when not given) as one
   * `suppressed` event each. A summary passes the rate limit itself, so a flood of short
   * connections cannot turn into a flood of summaries; at the stop everything is reported.
   */
  flushLog(address?: string): void {
    for (const from of address === undefined ? this.#log.addresses() : [address]) {
      if (address !== undefined && !this.#log.allow(from, false)) continue;
      const count = this.#log.flush(from);
      if (count > 0) this.#sink({ type: "suppressed", from, count });
    }
  }

  /**
   * Counts a stored file in the totals and reports it (`file-done`, which also writes its log
   * row, so a sender holding a receipt has its row); returns the receiver's time of storing.
   */
  stored(info: ReceiverFileInfo, stored: string, sha256: string, started: number): string {
    const time = localTimestamp(new Date());
    this.summary.files++;
    this.summary.bytes += info.size;
    this.emit({
      type: "file-done",
      stored,
      sha256,
      ms: performance.now() - started,
      time,
      ...info,
    });
    return time;
  }

  /** A new transfer id, unique over the receiver's life. */
  nextId(): number {
    return this.#nextId++;
  }

  /**
   * Decides who the sender at `peer` is from the name it `sent` (`undefined`: none) and says
   * so with a `sender` event, or a `sender-refused` event before rethrowing the
   * {@linkcode SenderRefusal}.
   */
  async identify(
    peer: string,
    sent: string | undefined,
    protocol: "sockit" | "classic" | "web",
  ): Promise<SenderIdentity> {
    try {
      const sender = await this.senders.identify(sent, peer);
      const { name, named, onRoster, folder } = sender;
      this.emit({ type: "sender", peer, name, named, onRoster, folder });
      return sender;
    } catch (err) {
      if (err instanceof SenderRefusal) {
        this.emit({
          type: "sender-refused",
          peer,
          protocol,
          name: err.sent,
          code: err.reject,
          reason: err.reason,
          closest: err.closest,
        });
      }
      throw err;
    }
  }
}

/** A sender's path inside its own folder (unchanged when the receiver is flat). */
export function inFolder(sender: SenderIdentity, segments: string[]): string[] {
  return sender.folder === undefined ? segments : [sender.folder, ...segments];
}

/** What a sender told `busy` hears: there is no slot for it now. */
export const BUSY_MESSAGE = "too many senders at once; try again shortly";

/**
 * A connection's opening: from connecting until its preface or classic size is complete. It
 * holds no transfer slot, only a place among the openings of the {@linkcode ConnectionGate}
 * (where a newer one may close it) and a deadline. Disposing it gives both up.
 */
export class Opening implements Disposable {
  readonly #context: ReceiverContext;
  readonly #peer: string;
  /** The address the connection comes from. */
  readonly address: string;
  readonly #perAddress: boolean;
  readonly #place: Disposable;
  readonly #deadline: Deadline;
  #evicted = false;
  #beganPreface = false;

  /** Registers `wire`'s opening with the gate and starts its deadline. */
  constructor(context: ReceiverContext, wire: Wire, peer: string) {
    this.#context = context;
    this.#peer = peer;
    this.address = (wire.conn.remoteAddr as Deno.NetAddr).hostname;
    // The receiving machine itself is not a classmate to hold back (and it is where tests and
    // benchmarks play a whole class): the per-address limits are for other addresses.
    this.#perAddress = !isLoopback(this.address);
    this.#place = context.gate.open(this.address, () => this.#evict(wire), this.#perAddress);
    this.#deadline = wire.deadline(Math.min(context.openingTimeoutMs, context.headerTimeoutMs));
  }

  /**
   * True once the gate closed this opening for a newer connection (and the connection was
   * answered, when it could be).
   */
  get evicted(): boolean {
    return this.#evicted;
  }

  /** The connection began a `SKIT` preface: if it is closed for a newer one, it is told why. */
  beganPreface(): void {
    this.#beganPreface = true;
  }

  /**
   * Closes the connection for a newer one. A sender that has begun its `SKIT` preface is told
   * `X busy` first, so that it waits for a turn instead of taking the receiver for another
   * program; a connection that said nothing (or something else) gets no answer, as before.
   */
  #evict(wire: Wire): void {
    this.#evicted = true;
    this.#context.emit({
      type: "session-error",
      peer: this.#peer,
      code: "busy",
      reason: "too many unfinished connections; closed the oldest",
    });
    if (!this.#beganPreface) return wire.close();
    writeFrame(wire, { type: "X", code: "busy", message: BUSY_MESSAGE })
      .catch(() => {})
      .finally(() => wire.close());
  }

  /**
   * The opening is complete: stops its deadline and takes a transfer slot, given back when
   * disposed; or, when none is free, reports the connection as busy and returns `undefined`
   * (also, without a report, when the opening was {@linkcode Opening.evicted}).
   */
  complete(): Disposable | undefined {
    this.#deadline.cancel();
    if (this.#evicted) return undefined;
    const context = this.#context;
    const slot = context.gate.admit(this.address, this.#place, this.#perAddress);
    if (typeof slot !== "string") {
      context.summary.sessions++;
      return slot;
    }
    const reason = slot === "total"
      ? `more than ${context.limits.maxSessions} senders at once`
      : `more than ${context.limits.maxSessionsPerAddress} senders at once from ${this.address}`;
    context.emit({ type: "session-error", peer: this.#peer, code: "busy", reason });
    return undefined;
  }

  /** Gives up the deadline and the place among the openings. */
  [Symbol.dispose](): void {
    this.#deadline.cancel();
    this.#place[Symbol.dispose]();
  }
}

/** Events about what a peer did wrong (or made), limited per address; `undefined` for others. */
function limitedAddress(event: ReceiverEvent): string | undefined {
  switch (event.type) {
    case "file-rejected":
    case "file-failed":
    case "session-error":
    case "folder":
    case "sender-refused":
      return hostOf(event.peer);
    default:
      return undefined;
  }
}

/** The host part of `HOST:PORT` or `[V6]:PORT`. */
function hostOf(peer: string): string {
  return peer.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
}

/** The reason an error is logged with: its `reason` detail, else its message. */
export function reasonOf(error: SockitError): string {
  return String(error.details.reason ?? error.message);
}

/** The name problem behind a refusal or failure, when a name is what is wrong. */
export function problemOf(error: SockitError): RefusalProblem | undefined {
  if (error instanceof NameError) return error.problem;
  if (error.code === "name-conflict") return error.details.problem as ConflictProblem;
  return undefined;
}

/** A one-line description of an error for logs and answers (a name problem's code alone). */
export function describe(error: SockitError): string {
  return problemOf(error) ?? reasonOf(error);
}

/** Maps a storage or stream failure to the code told to the sender. */
export function rejectCodeOf(error: SockitError): RejectCode {
  switch (error.code) {
    case "disk-full":
    case "bad-name":
    case "name-conflict":
    case "timeout":
      return error.code;
    case "write-failed":
    case "not-found":
      return "write-failed";
    default:
      return error instanceof ProtocolError ? error.reject : "internal";
  }
}

/**
 * What the sender is told beside a code: storage failures carry the receiver's own paths and
 * OS messages, which stay in the receiver's log; the code says enough.
 */
export function forPeer(code: RejectCode, message: string): string {
  return code === "disk-full" || code === "write-failed" || code === "internal" ? "" : message;
}

/** The optional `problem` field of an event about `error`. */
export function problemField(error: SockitError): { problem?: RefusalProblem } {
  const problem = problemOf(error);
  return problem ? { problem } : {};
}

/** A `timeout` error for a connection silent for `ms`. */
export function silentFor(ms: number): SockitError {
  return new SockitError("timeout", { seconds: ms / 1000 });
}
