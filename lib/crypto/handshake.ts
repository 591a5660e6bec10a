/**
 * The v2 handshake as a transport-independent state machine: the sender (CPace initiator)
 * and the receiver (responder) turn the pairing code's secret into two record keys, each
 * proving to the other that it used the same code. The machine only makes and reads byte
 * arrays; the caller carries them (framing, timeouts and guess limits are the transport's).
 *
 * ```text
 * sender                                              receiver
 *   start()            ── 1 hello: nonce_s ──────────▶  receive() → reply
 *   receive() → reply  ◀─ 2 share: nonce_r, Y_r ─────
 *                      ── 3 confirm: Y_s, tag_s ─────▶  receive() → reply + keys
 *   receive() → keys   ◀─ 4 confirm: tag_r ──────────   (or 5 wrong code, and an error)
 * ```
 *
 * | # | type | layout after the type byte                  | bytes |
 * | - | ---- | ------------------------------------------- | ----- |
 * | 1 | 0x01 | version (0x02), nonce_s (16 random bytes)   | 18    |
 * | 2 | 0x02 | nonce_r (16 random bytes), Y_r (32)         | 49    |
 * | 3 | 0x03 | Y_s (32), tag_s (64)                        | 97    |
 * | 4 | 0x04 | tag_r (64)                                  | 65    |
 * | 5 | 0x05 | nothing: the receiver's "wrong code" notice | 1     |
 *
 * CPace runs with PRS = the code's words ({@linkcode codeSecret}), sid = nonce_s ‖ nonce_r,
 * CI = lv_cat("sockit", version, "sender", "receiver"), empty ADa/ADb, the sender as
 * party A. Tags are {@linkcode KeySchedule.tag} over {@linkcode transcriptBytes}.
 *
 * @module
 */

import { SockitError } from "../core/errors.ts";
import type { ErrorDetails } from "../core/errors.ts";
import type { PairingCode } from "./code.ts";
import { codeSecret } from "./code.ts";
import { CPaceParty, lvCat, SHARE_BYTES } from "./cpace.ts";
import { KeySchedule, transcriptBytes } from "./session_keys.ts";
import type { Role, SessionKeys } from "./session_keys.ts";

/** The handshake version this module speaks (message 1 carries it). */
export const HANDSHAKE_VERSION = 2;
/** Bytes of each side's random nonce. */
export const NONCE_BYTES = 16;
/** Bytes of a confirmation tag (HMAC-SHA-512). */
export const CONFIRM_TAG_BYTES = 64;

/** Message type bytes, in the order they are sent. */
export const MessageType = {
  hello: 0x01,
  share: 0x02,
  senderConfirm: 0x03,
  receiverConfirm: 0x04,
  wrongCode: 0x05,
} as const;

/** The exact size of each message type. */
const SIZES: Readonly<Record<number, number>> = {
  [MessageType.hello]: 2 + NONCE_BYTES,
  [MessageType.share]: 1 + NONCE_BYTES + SHARE_BYTES,
  [MessageType.senderConfirm]: 1 + SHARE_BYTES + CONFIRM_TAG_BYTES,
  [MessageType.receiverConfirm]: 1 + CONFIRM_TAG_BYTES,
  [MessageType.wrongCode]: 1,
};

/** The longest handshake message (97 bytes): a transport may refuse anything longer. */
export const MAX_HANDSHAKE_MESSAGE: number = Math.max(...Object.values(SIZES));

const encoder = new TextEncoder();

/**
 * A failed handshake. `code` is `wrong-code` when the two sides' codes differ (or someone
 * in between changed the messages: the two cannot be told apart), `protocol` for a message
 * that is malformed, out of order, replayed within the run, or carries an invalid key share.
 * When `reply` is set, send it to the other side before closing, so that it learns why.
 *
 * @example
 * ```ts
 * import { HandshakeError } from "./handshake.ts";
 * const err = new HandshakeError("wrong-code", {}, Uint8Array.of(0x05));
 * err.reply?.length; // 1
 * ```
 */
export class HandshakeError extends SockitError {
  /** Bytes to send before closing (the receiver's wrong-code notice), if any. */
  readonly reply?: Uint8Array;

  /** Creates the error; `reply` is what to send to the other side before closing. */
  constructor(code: "wrong-code" | "protocol", details: ErrorDetails = {}, reply?: Uint8Array) {
    super(code, details);
    this.name = "HandshakeError";
    this.reply = reply;
  }
}

/** What a handshake step produced: a message to send, and at the end the session's keys. */
export interface HandshakeStep {
  /** The message to send to the other side now, if any. */
  reply?: Uint8Array;
  /** Set once the handshake succeeded on this side: the keys for the record layer. */
  keys?: SessionKeys;
}

/**
 * `new`: the sender before `start()`. `exchange`: waiting for the message with the other
 * side's nonce (the hello, or the share). `confirm`: waiting for its confirmation.
 */
type State = "new" | "exchange" | "confirm" | "done" | "failed";

function message(type: number, ...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from([type, ...parts.flatMap((p) => [...p])]);
}

/**
 * One side of a handshake. Make it with {@linkcode Handshake.sender} or
 * {@linkcode Handshake.receiver}, then feed it every handshake message that arrives and
 * send what it returns. A failure throws a {@linkcode HandshakeError} and ends the run.
 *
 * @example
 * ```ts
 * import { parseCode } from "./code.ts";
 * import { Handshake } from "./handshake.ts";
 * const code = parseCode("7-guitar-ocean-lamp");
 * const sender = Handshake.sender(code);
 * const receiver = Handshake.receiver(code);
 * const m2 = await receiver.receive(sender.start());
 * const m3 = await sender.receive(m2.reply!);
 * const m4 = await receiver.receive(m3.reply!);
 * const done = await sender.receive(m4.reply!);
 * done.keys!.sessionId === m4.keys!.sessionId; // true
 * ```
 */
export class Handshake {
  /** Which side this is: the sender starts, the receiver answers. */
  readonly role: Role;
  #state: State;
  #secret: Uint8Array;
  readonly #nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  #peerNonce = new Uint8Array(0);
  #cpace?: CPaceParty;
  #schedule?: KeySchedule;

  private constructor(role: Role, code: PairingCode) {
    this.role = role;
    this.#secret = codeSecret(code);
    this.#state = role === "sender" ? "new" : "exchange";
  }

  /**
   * The sender's side (CPace initiator), for `code` as the user typed it (only its words
   * are used).
   */
  static sender(code: PairingCode): Handshake {
    return new Handshake("sender", code);
  }

  /** The receiver's side (CPace responder), for the code it showed or was given. */
  static receiver(code: PairingCode): Handshake {
    return new Handshake("receiver", code);
  }

  /** True once this side holds the session keys. */
  get done(): boolean {
    return this.#state === "done";
  }

  /**
   * The sender's first message (hello). Only the sender calls it, once.
   *
   * @throws {HandshakeError} `protocol` on the receiver or when called twice.
   */
  start(): Uint8Array {
    if (this.role !== "sender") this.#fail("protocol", { reason: "only the sender starts" });
    if (this.#state !== "new") this.#fail("protocol", { reason: "the handshake was started" });
    this.#state = "exchange";
    return message(MessageType.hello, Uint8Array.of(HANDSHAKE_VERSION), this.#nonce);
  }

  /**
   * Reads the next message from the other side and returns what to send and, at the end,
   * the keys.
   *
   * @throws {HandshakeError} `wrong-code` or `protocol` (see {@linkcode HandshakeError});
   * after any failure every call throws.
   */
  async receive(bytes: Uint8Array): Promise<HandshakeStep> {
    try {
      return await this.#receive(bytes);
    } catch (err) {
      this.#state = "failed";
      this.#wipe();
      throw err;
    }
  }

  async #receive(bytes: Uint8Array): Promise<HandshakeStep> {
    const type = bytes[0];
    if (this.role === "sender" && type === MessageType.wrongCode && this.#state === "confirm") {
      this.#check(bytes, type);
      this.#fail("wrong-code");
    }
    const expected = this.role === "sender"
      ? { share: MessageType.share, confirm: MessageType.receiverConfirm }
      : { share: MessageType.hello, confirm: MessageType.senderConfirm };
    if (this.#state === "exchange" && type === expected.share) {
      this.#check(bytes, type);
      return this.role === "sender" ? this.#senderShare(bytes) : this.#receiverHello(bytes);
    }
    if (this.#state === "confirm" && type === expected.confirm) {
      this.#check(bytes, type);
      return this.role === "sender"
        ? await this.#senderConfirm(bytes)
        : await this.#receiverConfirm(bytes);
    }
    return this.#fail("protocol", { reason: "an unexpected handshake message" });
  }

  #check(bytes: Uint8Array, type: number): void {
    if (bytes.length !== SIZES[type]) {
      this.#fail("protocol", { reason: "a handshake message of the wrong size" });
    }
  }

  /** Receiver, message 1 → message 2. */
  #receiverHello(bytes: Uint8Array): HandshakeStep {
    if (bytes[1] !== HANDSHAKE_VERSION) {
      this.#fail("protocol", { reason: `handshake version ${bytes[1]} is not supported` });
    }
    this.#peerNonce = bytes.slice(2);
    this.#begin();
    this.#state = "confirm";
    return { reply: message(MessageType.share, this.#nonce, this.#cpace!.share) };
  }

  /** Sender, message 2 → message 3. */
  #senderShare(bytes: Uint8Array): HandshakeStep {
    this.#peerNonce = bytes.slice(1, 1 + NONCE_BYTES);
    this.#begin();
    this.#agree(bytes.slice(1 + NONCE_BYTES));
    this.#state = "confirm";
    return {
      reply: message(MessageType.senderConfirm, this.#cpace!.share, this.#schedule!.tag("sender")),
    };
  }

  /** Receiver, message 3 → message 4 and the keys (or the wrong-code notice). */
  async #receiverConfirm(bytes: Uint8Array): Promise<HandshakeStep> {
    this.#agree(bytes.slice(1, 1 + SHARE_BYTES));
    if (!this.#schedule!.verify("sender", bytes.subarray(1 + SHARE_BYTES))) {
      this.#fail("wrong-code", {}, Uint8Array.of(MessageType.wrongCode));
    }
    const reply = message(MessageType.receiverConfirm, this.#schedule!.tag("receiver"));
    return { reply, keys: await this.#finish() };
  }

  /** Sender, message 4 → the keys. */
  async #senderConfirm(bytes: Uint8Array): Promise<HandshakeStep> {
    if (!this.#schedule!.verify("receiver", bytes.subarray(1))) this.#fail("wrong-code");
    return { keys: await this.#finish() };
  }

  /** Both nonces known: make our CPace share, then forget the secret. */
  #begin(): void {
    const [senderNonce, receiverNonce] = this.#nonces();
    this.#cpace = new CPaceParty(this.role === "sender" ? "initiator" : "responder", {
      prs: this.#secret,
      ci: lvCat(
        encoder.encode("sockit"),
        Uint8Array.of(HANDSHAKE_VERSION),
        encoder.encode("sender"),
        encoder.encode("receiver"),
      ),
      sid: new Uint8Array([...senderNonce, ...receiverNonce]),
    });
    this.#secret.fill(0);
  }

  /** The peer's share known: the ISK, then the key schedule over the whole transcript. */
  #agree(peerShare: Uint8Array): void {
    let isk: Uint8Array;
    try {
      isk = this.#cpace!.finish(peerShare);
    } catch (err) {
      // An invalid encoding or the identity element: the draft's abort.
      if (err instanceof SockitError) this.#fail("protocol", err.details);
      throw err;
    }
    const [senderNonce, receiverNonce] = this.#nonces();
    const [senderShare, receiverShare] = this.role === "sender"
      ? [this.#cpace!.share, peerShare]
      : [peerShare, this.#cpace!.share];
    this.#schedule = new KeySchedule(
      isk,
      transcriptBytes({
        version: HANDSHAKE_VERSION,
        senderNonce,
        receiverNonce,
        senderShare,
        receiverShare,
      }),
    );
    isk.fill(0);
  }

  #nonces(): [Uint8Array, Uint8Array] {
    return this.role === "sender" ? [this.#nonce, this.#peerNonce] : [this.#peerNonce, this.#nonce];
  }

  async #finish(): Promise<SessionKeys> {
    const keys = await this.#schedule!.recordKeys(this.role);
    this.#wipe();
    this.#state = "done";
    return keys;
  }

  #wipe(): void {
    this.#secret.fill(0);
    this.#schedule?.destroy();
  }

  #fail(code: "wrong-code" | "protocol", details: ErrorDetails = {}, reply?: Uint8Array): never {
    throw new HandshakeError(code, details, reply);
  }
}
