/**
 * The pairing handshake of protocol v2 on the wire: the messages of the CPace state machine
 * (`lib/crypto/handshake.ts`) carried in `P` and `C` frames, and the receiver's limits on
 * wrong guesses. After it, both sides hold the session's record keys.
 *
 * ```text
 * sender                                   receiver
 *   P {nonce}                  ─────────▶
 *                              ◀─────────   P {nonce, share}
 *   C {share, confirm}         ─────────▶
 *                              ◀─────────   C {confirm}   (or X wrong-code, and close)
 * ```
 *
 * @module
 */

import { SockitError } from "../core/errors.ts";
import type { PairingCode } from "../crypto/code.ts";
import { Handshake, HANDSHAKE_VERSION, MessageType } from "../crypto/handshake.ts";
import type { SessionKeys } from "../crypto/session_keys.ts";
import type { Wire } from "../net/wire.ts";
import { ProtocolError, readFrame, writeFrame } from "./protocol.ts";
import type { ReceiverFrame, SenderFrame } from "./protocol.ts";

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

const bytesOf = (text: string) =>
  Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));

/** The handshake machine's message `type` made of `parts` (each given as hex). */
function message(type: number, ...parts: string[]): Uint8Array {
  return Uint8Array.from([type, ...parts.flatMap((part) => [...bytesOf(part)])]);
}

/**
 * Pairs as the sender on `wire` (after the receiver's hello asked for `cpace`) and resolves
 * with the session keys once the receiver proved it knows `code`.
 *
 * @example
 * ```ts
 * import { pairAsSender } from "./pairing.ts";
 * import type { PairingCode } from "../crypto/code.ts";
 * import type { Wire } from "../net/wire.ts";
 * async function keysFor(wire: Wire, code: PairingCode) {
 *   return await pairAsSender(wire, code);
 * }
 * ```
 * @throws {SockitError} `wrong-code` when the codes differ (either side noticed), `rejected`
 * for another `X`, `protocol` for a malformed handshake.
 */
export async function pairAsSender(wire: Wire, code: PairingCode): Promise<SessionKeys> {
  const handshake = Handshake.sender(code);
  const hello = handshake.start();
  await writeFrame(wire, { type: "P", nonce: hex(hello.subarray(2)) });
  const share = await answer(wire);
  if (share.type !== "P" || share.share === undefined) {
    throw new ProtocolError(`expected the receiver's pairing frame, got ${share.type}`);
  }
  const reply = (await handshake.receive(message(MessageType.share, share.nonce, share.share)))
    .reply!;
  await writeFrame(wire, {
    type: "C",
    share: hex(reply.subarray(1, 33)),
    confirm: hex(reply.subarray(33)),
  });
  const confirm = await answer(wire);
  if (confirm.type !== "C") {
    throw new ProtocolError(`expected the receiver's confirmation, got ${confirm.type}`);
  }
  const done = await handshake.receive(message(MessageType.receiverConfirm, confirm.confirm));
  return done.keys!;
}

/** The receiver's next frame; its `X wrong-code` is the wrong code, any other `X` a refusal. */
async function answer(wire: Wire): Promise<ReceiverFrame> {
  const frame = await readFrame(wire, "receiver");
  if (frame.type === "X" && frame.code === "wrong-code") throw new SockitError("wrong-code", {});
  if (frame.type === "X") {
    throw new SockitError("rejected", { code: frame.code, reason: frame.message });
  }
  return frame;
}

/** How the receiver's side of a pairing is run. */
export interface ReceiverPairing {
  /** The code the receiver shows (or was given). */
  code: PairingCode;
  /** Guess limits shared by every connection of the receiver. */
  guesses: GuessLimiter;
  /** The sender's address, for the guess limits. */
  address: string;
  /** How long the sender's first `P` may take (its user may be typing the code). */
  firstFrameMs: number;
  /** How long each later handshake frame may take. */
  frameMs: number;
  /** Told before the receiver waits out a guess delay. */
  onDelay?: (ms: number) => void;
  /** Aborted when the receiver stops: a guess delay ends at once. */
  signal?: AbortSignal;
}

/**
 * Pairs as the receiver on `wire` (after its hello said `cpace`) and resolves with the session
 * keys once the sender proved it knows the code. A wrong confirmation, or a sender that leaves
 * after seeing the receiver's share, counts as a failed guess for its address.
 *
 * @example
 * ```ts
 * import { pairAsReceiver } from "./pairing.ts";
 * import type { ReceiverPairing } from "./pairing.ts";
 * import type { Wire } from "../net/wire.ts";
 * async function keysFor(wire: Wire, pairing: ReceiverPairing) {
 *   return await pairAsReceiver(wire, pairing);
 * }
 * ```
 * @throws {SockitError} `wrong-code` (after answering `X wrong-code`), `protocol`, `timeout`, …
 */
export async function pairAsReceiver(wire: Wire, pairing: ReceiverPairing): Promise<SessionKeys> {
  const { guesses, address } = pairing;
  const hello = await next(wire, pairing.firstFrameMs);
  if (hello.type !== "P" || hello.share !== undefined) {
    throw new ProtocolError(`expected the sender's pairing frame, got ${hello.type}`);
  }
  const wait = guesses.delayFor(address);
  if (wait > 0) {
    pairing.onDelay?.(wait);
    await sleep(wait, pairing.signal);
  }
  const handshake = Handshake.receiver(pairing.code);
  const share = (await handshake.receive(
    message(MessageType.hello, hex(Uint8Array.of(HANDSHAKE_VERSION)), hello.nonce),
  )).reply!;
  await writeFrame(wire, {
    type: "P",
    nonce: hex(share.subarray(1, 17)),
    share: hex(share.subarray(17)),
  });
  let confirm: SenderFrame;
  try {
    confirm = await next(wire, pairing.frameMs);
  } catch (err) {
    // Seen the share and gone without answering: a guess all the same.
    if (err instanceof SockitError && err.code !== "protocol") guesses.failed(address);
    throw err;
  }
  if (confirm.type !== "C" || confirm.share === undefined) {
    throw new ProtocolError(`expected the sender's confirmation, got ${confirm.type}`);
  }
  try {
    const step = await handshake.receive(
      message(MessageType.senderConfirm, confirm.share, confirm.confirm),
    );
    await writeFrame(wire, { type: "C", confirm: hex(step.reply!.subarray(1)) });
    guesses.succeeded(address);
    return step.keys!;
  } catch (err) {
    if (err instanceof SockitError && err.code === "wrong-code") {
      guesses.failed(address);
      await writeFrame(wire, {
        type: "X",
        code: "wrong-code",
        message: "the code does not match",
      }).catch(() => {});
    }
    throw err;
  }
}

/** The sender's next frame, within `ms`. */
async function next(wire: Wire, ms: number): Promise<SenderFrame> {
  using _ = wire.deadline(ms);
  return await readFrame(wire, "sender");
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** Options for {@linkcode GuessLimiter}; every default is the documented limit. */
export interface GuessLimits {
  /** Delay after an address's first failure; doubles with each further one. Default 1 000 ms. */
  firstDelayMs?: number;
  /** Longest delay for one address. Default 60 000 ms. */
  maxDelayMs?: number;
  /** How long failures are remembered (per address, and for the total). Default 10 minutes. */
  windowMs?: number;
  /** More failures than this within the window, over all addresses, delays every pairing. Default 20. */
  totalFailures?: number;
  /** The delay for every pairing while the total is exceeded. Default 5 000 ms. */
  totalDelayMs?: number;
  /** The clock, in milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Told when someone keeps guessing: the total was exceeded, and the address that failed last. */
  onGuessing?: (address: string, failures: number) => void;
}

/**
 * The receiver's limits on wrong pairing codes: each failed guess from an address delays that
 * address's next pairing (1 s, 2 s, 4 s, … at most 60 s; forgotten 10 minutes after its last
 * failure), and more than 20 failures in 10 minutes over all addresses delay every pairing by
 * at least 5 s and raise a notice.
 *
 * @example
 * ```ts
 * import { GuessLimiter } from "./pairing.ts";
 * const guesses = new GuessLimiter();
 * guesses.delayFor("10.0.0.5"); // 0
 * guesses.failed("10.0.0.5");
 * guesses.failed("10.0.0.5");
 * guesses.delayFor("10.0.0.5"); // 2000
 * ```
 */
export class GuessLimiter {
  readonly #first: number;
  readonly #max: number;
  readonly #window: number;
  readonly #total: number;
  readonly #totalDelay: number;
  readonly #now: () => number;
  readonly #onGuessing?: (address: string, failures: number) => void;
  readonly #byAddress = new Map<string, { failures: number; last: number }>();
  #recent: number[] = [];

  /** Limits with the documented defaults, each replaceable through `limits`. */
  constructor(limits: GuessLimits = {}) {
    this.#first = limits.firstDelayMs ?? 1000;
    this.#max = limits.maxDelayMs ?? 60_000;
    this.#window = limits.windowMs ?? 10 * 60_000;
    this.#total = limits.totalFailures ?? 20;
    this.#totalDelay = limits.totalDelayMs ?? 5000;
    this.#now = limits.now ?? Date.now;
    this.#onGuessing = limits.onGuessing;
  }

  /** How long to wait before answering a pairing from `address`, in milliseconds. */
  delayFor(address: string): number {
    const now = this.#now();
    this.#forget(now);
    const entry = this.#byAddress.get(address);
    const own = entry ? Math.min(this.#first * 2 ** (entry.failures - 1), this.#max) : 0;
    return this.#recent.length > this.#total ? Math.max(own, this.#totalDelay) : own;
  }

  /** Counts a failed guess from `address`. */
  failed(address: string): void {
    const now = this.#now();
    this.#forget(now);
    const entry = this.#byAddress.get(address);
    this.#byAddress.set(address, { failures: (entry?.failures ?? 0) + 1, last: now });
    this.#recent.push(now);
    if (this.#recent.length > this.#total) this.#onGuessing?.(address, this.#recent.length);
  }

  /** A right code from `address`: its own delay is forgotten (the total is not). */
  succeeded(address: string): void {
    this.#byAddress.delete(address);
  }

  #forget(now: number): void {
    this.#recent = this.#recent.filter((at) => now - at < this.#window);
    for (const [address, entry] of this.#byAddress) {
      if (now - entry.last >= this.#window) this.#byAddress.delete(address);
    }
  }
}
