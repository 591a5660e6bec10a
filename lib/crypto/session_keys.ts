/**
 * What follows CPace: key confirmation and the keys of the session. From the 64-byte ISK,
 * HKDF-SHA-256 (salt `sockit v2`) derives a confirmation key, one AES-256-GCM key per
 * direction, and a short session id for display. Each side proves it holds the same ISK
 * with an HMAC-SHA-512 tag over the whole handshake transcript and its role; tags are
 * compared in constant time.
 *
 * | HKDF info                      | bytes | use                                  |
 * | ------------------------------ | ----- | ------------------------------------ |
 * | `sockit v2 confirm`            | 32    | HMAC-SHA-512 key of both tags        |
 * | `sockit v2 sender-to-receiver` | 32    | AES-256-GCM key, sender → receiver   |
 * | `sockit v2 receiver-to-sender` | 32    | AES-256-GCM key, receiver → sender   |
 * | `sockit v2 session id`         | 8     | session id, shown as 4 groups of hex |
 *
 * @module
 */

import { equalBytes } from "@noble/curves/utils.js";
import { expand, extract } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { SockitError } from "../core/errors.ts";
import { lvCat } from "./cpace.ts";

const encoder = new TextEncoder();

/** The two roles: the sender starts the handshake (CPace initiator), the receiver answers. */
export type Role = "sender" | "receiver";

/** Which way a record key protects data. */
export type RecordDirection = "sender-to-receiver" | "receiver-to-sender";

/** An AES-256-GCM key for one direction (a non-extractable WebCrypto key). */
export interface RecordKey {
  /** The WebCrypto key: `encrypt` only for our sending side, `decrypt` only for receiving. */
  readonly key: CryptoKey;
  /** The direction it protects; it selects the nonce prefix. */
  readonly direction: RecordDirection;
}

/** The result of a handshake: one key to seal what we send, one to open what we receive. */
export interface SessionKeys {
  /** Seals records we send. */
  readonly send: RecordKey;
  /** Opens records we receive. */
  readonly receive: RecordKey;
  /** 16 hex digits in four groups, e.g. `3f2a-9c01-b7e4-d2aa`: equal on both sides. */
  readonly sessionId: string;
}

/** The public handshake values that the confirmation tags cover. */
export interface HandshakeTranscript {
  /** Protocol version (2). */
  version: number;
  /** The sender's random nonce. */
  senderNonce: Uint8Array;
  /** The receiver's random nonce. */
  receiverNonce: Uint8Array;
  /** The sender's CPace share (Ya). */
  senderShare: Uint8Array;
  /** The receiver's CPace share (Yb). */
  receiverShare: Uint8Array;
}

/**
 * The bytes the confirmation tags are computed over: `lv_cat("sockit v2 transcript",
 * version byte, sender nonce, receiver nonce, sender share, receiver share)`.
 *
 * @example
 * ```ts
 * import { transcriptBytes } from "./session_keys.ts";
 * const z = (n: number) => new Uint8Array(n);
 * transcriptBytes({
 *   version: 2, senderNonce: z(16), receiverNonce: z(16), senderShare: z(32), receiverShare: z(32),
 * }).length; // 123
 * ```
 */
export function transcriptBytes(t: HandshakeTranscript): Uint8Array {
  return lvCat(
    encoder.encode("sockit v2 transcript"),
    Uint8Array.of(t.version),
    t.senderNonce,
    t.receiverNonce,
    t.senderShare,
    t.receiverShare,
  );
}

/**
 * The key schedule of one session, from the CPace ISK. Keep it only until the handshake is
 * over; {@linkcode KeySchedule.destroy} wipes its secrets.
 *
 * @example
 * ```ts
 * import { KeySchedule } from "./session_keys.ts";
 * const isk = crypto.getRandomValues(new Uint8Array(64));
 * const transcript = new TextEncoder().encode("the handshake so far");
 * const sender = new KeySchedule(isk, transcript);
 * const receiver = new KeySchedule(isk, transcript);
 * const tag = sender.tag("sender");
 * receiver.verify("sender", tag); // true
 * receiver.verify("receiver", tag); // false: a tag cannot be reflected back
 * const keys = await sender.recordKeys("sender");
 * keys.send.direction; // "sender-to-receiver"
 * ```
 */
export class KeySchedule {
  readonly #prk: Uint8Array;
  readonly #macKey: Uint8Array;
  readonly #transcript: Uint8Array;
  #destroyed = false;
  /** The session id both sides display, e.g. `3f2a-9c01-b7e4-d2aa`. */
  readonly sessionId: string;

  /** Derives the session's secrets from the ISK and fixes the transcript the tags cover. */
  constructor(isk: Uint8Array, transcript: Uint8Array) {
    this.#prk = extract(sha256, isk, encoder.encode("sockit v2"));
    this.#macKey = this.#derive("confirm", 32);
    this.#transcript = transcript.slice();
    const id = Array.from(this.#derive("session id", 8), (b) => b.toString(16).padStart(2, "0"));
    this.sessionId = id.join("").match(/..../g)!.join("-");
  }

  #alive(): void {
    if (this.#destroyed) {
      throw new SockitError("internal", { reason: "the session's key schedule was destroyed" });
    }
  }

  #derive(label: string, length: number): Uint8Array<ArrayBuffer> {
    this.#alive();
    const info = encoder.encode(`sockit v2 ${label}`);
    return expand(sha256, this.#prk, info, length) as Uint8Array<ArrayBuffer>;
  }

  /**
   * The confirmation tag that `role` sends: HMAC-SHA-512 over `lv_cat("sockit v2 confirm",
   * role, transcript)` (64 bytes).
   */
  tag(role: Role): Uint8Array {
    this.#alive();
    return hmac(
      sha512,
      this.#macKey,
      lvCat(encoder.encode("sockit v2 confirm"), encoder.encode(role), this.#transcript),
    );
  }

  /** Whether `tag` is the one `role` must send; compared in constant time. */
  verify(role: Role, tag: Uint8Array): boolean {
    return equalBytes(this.tag(role), tag);
  }

  /** Imports the two AES-256-GCM keys for `role`: ours to seal, the other side's to open. */
  async recordKeys(role: Role): Promise<SessionKeys> {
    const ours: RecordDirection = role === "sender" ? "sender-to-receiver" : "receiver-to-sender";
    const theirs: RecordDirection = role === "sender" ? "receiver-to-sender" : "sender-to-receiver";
    return {
      send: await this.#importKey(ours, "encrypt"),
      receive: await this.#importKey(theirs, "decrypt"),
      sessionId: this.sessionId,
    };
  }

  async #importKey(direction: RecordDirection, usage: "encrypt" | "decrypt"): Promise<RecordKey> {
    const raw = this.#derive(direction, 32);
    try {
      const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, [usage]);
      return { key, direction };
    } finally {
      raw.fill(0);
    }
  }

  /** Overwrites the derived secrets; later calls throw. */
  destroy(): void {
    this.#destroyed = true;
    this.#prk.fill(0);
    this.#macKey.fill(0);
  }
}
