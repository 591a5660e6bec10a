/**
 * CPace (draft-irtf-cfrg-cpace), cipher suite CPACE-RISTR255-SHA512: a balanced PAKE that
 * turns a shared low-entropy secret (the pairing code's words) into a strong intermediate
 * session key (ISK). Built on `@noble/curves` (ristretto255, RFC 9496) and `@noble/hashes`
 * (SHA-512), and checked against the draft's test vectors in `tests/cpace_test.ts`.
 *
 * Two parties each make a {@linkcode CPaceParty} with the same PRS, channel identifier (CI)
 * and session id (sid), exchange {@linkcode CPaceParty.share} (plus their associated data),
 * and call {@linkcode CPaceParty.finish} with what the other side sent. The ISK is equal on
 * both sides exactly when PRS, CI, sid and both messages match.
 *
 * @module
 */

import { ristretto255, ristretto255_hasher } from "@noble/curves/ed25519.js";
import { bytesToNumberLE, equalBytes } from "@noble/curves/utils.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { concatBytes } from "@noble/hashes/utils.js";
import { SockitError } from "../core/errors.ts";

type Point = InstanceType<typeof ristretto255.Point>;

const encoder = new TextEncoder();

/** G_Ristretto255.DSI, the domain-separation identifier of the group. */
export const DSI: Uint8Array = encoder.encode("CPaceRistretto255");
/** DSI || "_ISK", the domain separator of the ISK hash. */
export const DSI_ISK: Uint8Array = encoder.encode("CPaceRistretto255_ISK");
/** SHA-512's input block size (H.s_in_bytes), which the generator string's padding fills. */
export const HASH_BLOCK_BYTES = 128;
/** Length of an encoded ristretto255 element, the size of every CPace message share. */
export const SHARE_BYTES = 32;
/** G.I: the encoding of the neutral element; `scalarMultVfy` returns it for invalid input. */
export const IDENTITY: Uint8Array = new Uint8Array(SHARE_BYTES);

/**
 * The draft's `prepend_len`: `data` with its length in front, encoded as LEB128.
 *
 * @example
 * ```ts
 * import { prependLen } from "./cpace.ts";
 * prependLen(new TextEncoder().encode("1234")); // Uint8Array [4, 49, 50, 51, 52]
 * ```
 */
export function prependLen(data: Uint8Array): Uint8Array {
  const length: number[] = [];
  let n = data.length;
  do {
    length.push(n < 128 ? n : (n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  } while (n > 0);
  const out = new Uint8Array(length.length + data.length);
  out.set(length);
  out.set(data, length.length);
  return out;
}

/**
 * The draft's `lv_cat`: each argument with its LEB128 length in front, concatenated. The
 * result is a prefix-free encoding, so different argument lists never collide.
 *
 * @example
 * ```ts
 * import { lvCat } from "./cpace.ts";
 * const b = (s: string) => new TextEncoder().encode(s);
 * lvCat(b("1234"), b("5"), b(""), b("678")); // 04 31323334 01 35 00 03 363738
 * ```
 */
export function lvCat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return concatBytes(...parts.map(prependLen)) as Uint8Array<ArrayBuffer>;
}

/**
 * The draft's `lexiographically_larger`: true when `a` sorts after `b` byte by byte, a
 * longer string sorting after its own prefix.
 *
 * @example
 * ```ts
 * import { lexicographicallyLarger } from "./cpace.ts";
 * lexicographicallyLarger(Uint8Array.of(1), Uint8Array.of(0, 0)); // true
 * ```
 */
export function lexicographicallyLarger(a: Uint8Array, b: Uint8Array): boolean {
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    if (a[i] !== b[i]) return a[i] > b[i];
  }
  return a.length > b.length;
}

/**
 * The draft's `o_cat`: `"oc"`, then the lexicographically larger string, then the other.
 * Used by the symmetric (parallel) transcript.
 *
 * @example
 * ```ts
 * import { oCat } from "./cpace.ts";
 * const b = (s: string) => new TextEncoder().encode(s);
 * new TextDecoder().decode(oCat(b("ABCD"), b("BCD"))); // "ocBCDABCD"
 * ```
 */
export function oCat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const [first, second] = lexicographicallyLarger(a, b) ? [a, b] : [b, a];
  return concatBytes(encoder.encode("oc"), first, second);
}

/**
 * The initiator-responder transcript `lv_cat(Ya, ADa) || lv_cat(Yb, ADb)`, where A is the
 * initiator whatever the order the messages travel in.
 *
 * @example
 * ```ts
 * import { transcriptIr } from "./cpace.ts";
 * const b = (s: string) => new TextEncoder().encode(s);
 * transcriptIr(b("123"), b("PartyA"), b("234"), b("PartyB")).length; // 22
 * ```
 */
export function transcriptIr(
  ya: Uint8Array,
  adA: Uint8Array,
  yb: Uint8Array,
  adB: Uint8Array,
): Uint8Array {
  return concatBytes(lvCat(ya, adA), lvCat(yb, adB));
}

/**
 * The symmetric transcript `o_cat(lv_cat(Ya, ADa), lv_cat(Yb, ADb))`, for parties without
 * fixed roles. sockit's handshake has fixed roles and uses {@linkcode transcriptIr}.
 *
 * @example
 * ```ts
 * import { transcriptOc } from "./cpace.ts";
 * const b = (s: string) => new TextEncoder().encode(s);
 * transcriptOc(b("123"), b("PartyA"), b("234"), b("PartyB")).length; // 24
 * ```
 */
export function transcriptOc(
  ya: Uint8Array,
  adA: Uint8Array,
  yb: Uint8Array,
  adB: Uint8Array,
): Uint8Array {
  return oCat(lvCat(ya, adA), lvCat(yb, adB));
}

/**
 * The draft's `generator_string(DSI, PRS, CI, sid, 128)`: `lv_cat(DSI, PRS, zero padding,
 * CI, sid)`, the padding making DSI and PRS fill SHA-512's first input block.
 *
 * @example
 * ```ts
 * import { generatorString } from "./cpace.ts";
 * const b = (s: string) => new TextEncoder().encode(s);
 * generatorString(b("Password"), new Uint8Array(0), new Uint8Array(16)).length; // 147
 * ```
 */
export function generatorString(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const zpad = Math.max(
    0,
    HASH_BLOCK_BYTES - 1 - prependLen(prs).length - prependLen(DSI).length,
  );
  return lvCat(DSI, prs, new Uint8Array(zpad), ci, sid);
}

/**
 * `G.calculate_generator`: SHA-512 of the generator string (64 bytes), mapped to a
 * ristretto255 element with the RFC 9496 element derivation (two Elligator maps, added).
 *
 * @example
 * ```ts
 * import { calculateGenerator } from "./cpace.ts";
 * const b = (s: string) => new TextEncoder().encode(s);
 * const g = calculateGenerator(b("Password"), b(""), b("session"));
 * g.toBytes().length; // 32
 * ```
 */
export function calculateGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Point {
  // deriveToCurve is RFC 9496 element derivation; typed optional, always present for ristretto255.
  return ristretto255_hasher.deriveToCurve!(sha512(generatorString(prs, ci, sid)));
}

/**
 * `G.sample_scalar`: 32 random bytes with the bits above bit 251 cleared, read little
 * endian (the draft's recommendation), drawn again in the negligible case of zero.
 *
 * @example
 * ```ts
 * import { sampleScalar } from "./cpace.ts";
 * sampleScalar() < 2n ** 252n; // true
 * ```
 */
export function sampleScalar(): bigint {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    bytes[31] &= 0x0f; // keep 252 bits
    const scalar = bytesToNumberLE(bytes);
    bytes.fill(0);
    if (scalar !== 0n) return scalar;
  }
}

/** Reduces a scalar modulo the group order; zero (which `multiply` refuses) stays zero. */
function reduce(scalar: bigint): bigint {
  return ristretto255.Point.Fn.create(scalar);
}

/**
 * `G.scalar_mult(y, g)`: the encoding of `y·g` for a decoded element `g`.
 *
 * @example
 * ```ts
 * import { ristretto255 } from "@noble/curves/ed25519.js";
 * import { scalarMult } from "./cpace.ts";
 * scalarMult(1n, ristretto255.Point.BASE).length; // 32
 * ```
 */
export function scalarMult(scalar: bigint, point: Point): Uint8Array {
  const y = reduce(scalar);
  return y === 0n ? IDENTITY.slice() : point.multiply(y).toBytes();
}

/**
 * `G.scalar_mult_vfy(y, X)`: decodes `X` and returns the encoding of `y·X`, or
 * {@linkcode IDENTITY} when `X` is not a valid canonical ristretto255 encoding (or the
 * product is the neutral element). Callers must abort when the result is `IDENTITY`.
 *
 * @example
 * ```ts
 * import { IDENTITY, scalarMultVfy } from "./cpace.ts";
 * scalarMultVfy(5n, new Uint8Array(32)); // IDENTITY: the neutral element is refused
 * scalarMultVfy(5n, new Uint8Array(32).fill(0xff)); // IDENTITY: not an encoding
 * ```
 */
export function scalarMultVfy(scalar: bigint, encoded: Uint8Array): Uint8Array {
  let point: Point;
  try {
    point = ristretto255.Point.fromBytes(encoded);
  } catch {
    return IDENTITY.slice();
  }
  return scalarMult(scalar, point);
}

/**
 * The ISK: `SHA-512(lv_cat(DSI_ISK, sid, K) || transcript)`.
 *
 * @example
 * ```ts
 * import { computeIsk, transcriptIr } from "./cpace.ts";
 * const e = new Uint8Array(0);
 * computeIsk(new Uint8Array(16), new Uint8Array(32), transcriptIr(e, e, e, e)).length; // 64
 * ```
 */
export function computeIsk(sid: Uint8Array, k: Uint8Array, transcript: Uint8Array): Uint8Array {
  return sha512(concatBytes(lvCat(DSI_ISK, sid, k), transcript));
}

/** The inputs both parties must share; CI and sid default to the empty string. */
export interface CPaceInputs {
  /** The password-related string: the shared secret. */
  prs: Uint8Array;
  /** Channel identifier: roles, protocol version; kept off the wire. Default empty. */
  ci?: Uint8Array;
  /** Session id: unique per session, public (e.g. both sides' nonces). Default empty. */
  sid?: Uint8Array;
}

/**
 * One side of a CPace run in the initiator-responder setting. `role` says which half of the
 * transcript is ours; the messages may travel in either order.
 *
 * @example
 * ```ts
 * import { CPaceParty } from "./cpace.ts";
 * const inputs = { prs: new TextEncoder().encode("guitar-ocean-lamp"), sid: new Uint8Array(32) };
 * const a = new CPaceParty("initiator", inputs);
 * const b = new CPaceParty("responder", inputs);
 * const iskA = a.finish(b.share, b.ad);
 * const iskB = b.finish(a.share, a.ad);
 * iskA.every((byte, i) => byte === iskB[i]); // true
 * ```
 */
export class CPaceParty {
  /** Which half of the transcript this party's message fills. */
  readonly role: "initiator" | "responder";
  /** Our public share Y = y·g, the message to send (32 bytes). */
  readonly share: Uint8Array;
  /** Our associated data, sent in the clear beside the share. */
  readonly ad: Uint8Array;
  #scalar: bigint;
  readonly #sid: Uint8Array;

  /**
   * Computes the generator from `inputs` and our share. `scalar` is for test vectors only;
   * by default a fresh one comes from {@linkcode sampleScalar}.
   */
  constructor(
    role: "initiator" | "responder",
    inputs: CPaceInputs,
    options: { ad?: Uint8Array; scalar?: bigint } = {},
  ) {
    const sid = inputs.sid ?? new Uint8Array(0);
    this.role = role;
    this.ad = options.ad ?? new Uint8Array(0);
    this.#sid = sid;
    this.#scalar = options.scalar ?? sampleScalar();
    const g = calculateGenerator(inputs.prs, inputs.ci ?? new Uint8Array(0), sid);
    this.share = scalarMult(this.#scalar, g);
  }

  /**
   * Takes the other side's share and associated data and returns the 64-byte ISK. Can be
   * called once: the secret scalar is forgotten afterwards.
   *
   * @throws {SockitError} `protocol` when the share is not a valid ristretto255 encoding
   * or is the neutral element (the draft's abort), or when called twice.
   */
  finish(peerShare: Uint8Array, peerAd: Uint8Array = new Uint8Array(0)): Uint8Array {
    if (this.#scalar === 0n) {
      throw new SockitError("protocol", { reason: "the key exchange was already finished" });
    }
    const k = scalarMultVfy(this.#scalar, peerShare);
    this.#scalar = 0n;
    if (equalBytes(k, IDENTITY)) {
      throw new SockitError("protocol", { reason: "the other side sent an invalid key share" });
    }
    const transcript = this.role === "initiator"
      ? transcriptIr(this.share, this.ad, peerShare, peerAd)
      : transcriptIr(peerShare, peerAd, this.share, this.ad);
    const isk = computeIsk(this.#sid, k, transcript);
    k.fill(0);
    return isk;
  }
}
