/**
 * The discovery beacon: the small UDP datagram a receiver announces itself with, and its strict
 * parser. A beacon is an untrusted hint: it only tells a sender where a receiver might be. It
 * never carries a pairing code's secret words or anything derived from them, only the code's
 * non-secret nameplate number.
 *
 * @module
 */

import { MAX_NAMEPLATE } from "../crypto/code.ts";

/**
 * UDP port beacons are sent to and listened for (the same number as the transfer port).
 *
 * @example
 * ```ts
 * import { DISCOVERY_PORT } from "./beacon.ts";
 * console.log(DISCOVERY_PORT); // 6000 (UDP)
 * ```
 */
export const DISCOVERY_PORT = 6000;

/** The multicast group beacons go to: link-local (224.0.0.0/24), never forwarded by routers. */
export const DISCOVERY_GROUP = "224.0.0.200";

/** Datagrams longer than this are ignored unread. */
export const MAX_BEACON_BYTES = 1024;

/** The beacon format version (the `beacon` field). */
export const BEACON_VERSION = 1;

/** Longest receiver name in a beacon, in UTF-16 code units. */
export const MAX_BEACON_NAME = 64;

/** Longest web address in a beacon. */
export const MAX_BEACON_WEB = 256;

/**
 * How a beacon was sent: to the multicast group or to a subnet's broadcast address.
 *
 * @example
 * ```ts
 * import type { BeaconPath } from "./beacon.ts";
 * const via: BeaconPath = "multicast";
 * ```
 */
export type BeaconPath = "multicast" | "broadcast";

/** What a receiver announces. The sender takes the address from the datagram's source. */
export interface Beacon {
  /** Random id of the announcing receiver process, 16 lowercase hex digits. */
  id: string;
  /** The transfer protocol version the receiver speaks. */
  protocol: number;
  /** A name for people to recognise the receiver by (its host name by default). */
  name: string;
  /** The TCP port the receiver listens on. */
  port: number;
  /** The pairing code's nameplate number, or `null` when the receiver has no code. */
  nameplate: number | null;
  /** The receiver's web page address, or `null` when it has none. */
  web: string | null;
  /** Which way this datagram was sent. */
  via: BeaconPath;
}

/**
 * Why a datagram was not taken as a beacon.
 *
 * @example
 * ```ts
 * import type { BeaconProblem } from "./beacon.ts";
 * const problem: BeaconProblem = "not-sockit";
 * ```
 */
export type BeaconProblem =
  | "too-large"
  | "encoding"
  | "not-json"
  | "not-sockit"
  | "version"
  | "fields"
  | "id"
  | "protocol"
  | "name"
  | "port"
  | "nameplate"
  | "web"
  | "via";

/** A datagram that is not a valid beacon, with the reason. */
export class BeaconError extends Error {
  /** Why it was refused. */
  readonly problem: BeaconProblem;

  /** Creates an error for `problem`. */
  constructor(problem: BeaconProblem) {
    super(`not a valid sockit beacon: ${problem}`);
    this.name = "BeaconError";
    this.problem = problem;
  }
}

const FIELDS = ["app", "beacon", "id", "protocol", "name", "port", "nameplate", "web", "via"];

/**
 * Names people read: no control, format (bidi, zero-width), surrogate, private-use or unassigned
 * characters, no line or paragraph separators, no leading or trailing space.
 */
const SAFE_NAME = /^[^\p{C}\p{Zl}\p{Zp}\s](?:[^\p{C}\p{Zl}\p{Zp}]*[^\p{C}\p{Zl}\p{Zp}\s])?$/u;

/** `http://` or `https://` and printable ASCII without spaces or quotes. */
const SAFE_WEB = /^https?:\/\/[!#-&(-~]+$/;

const isInt = (value: unknown, min: number, max: number): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;

/**
 * Encodes a beacon as the bytes sent: one JSON object with its fields in a fixed order.
 *
 * @example
 * ```ts
 * import { encodeBeacon } from "./beacon.ts";
 * const bytes = encodeBeacon({
 *   id: "0123456789abcdef", protocol: 1, name: "teacher-pc", port: 6000,
 *   nameplate: 7, web: null, via: "multicast",
 * });
 * console.log(new TextDecoder().decode(bytes).startsWith('{"app":"sockit"')); // true
 * ```
 * @throws {BeaconError} when a field would not pass {@linkcode parseBeacon}.
 */
export function encodeBeacon(beacon: Beacon): Uint8Array {
  const bytes = new TextEncoder().encode(JSON.stringify({
    app: "sockit",
    beacon: BEACON_VERSION,
    id: beacon.id,
    protocol: beacon.protocol,
    name: beacon.name,
    port: beacon.port,
    nameplate: beacon.nameplate,
    web: beacon.web,
    via: beacon.via,
  }));
  parseBeacon(bytes);
  return bytes;
}

/**
 * Parses a received datagram strictly: at most {@linkcode MAX_BEACON_BYTES}, valid UTF-8 JSON,
 * exactly the known fields, each in its range, names safe to print.
 *
 * @example
 * ```ts
 * import { encodeBeacon, parseBeacon } from "./beacon.ts";
 * const beacon = {
 *   id: "0123456789abcdef", protocol: 1, name: "teacher-pc", port: 6000,
 *   nameplate: null, web: null, via: "broadcast" as const,
 * };
 * console.log(parseBeacon(encodeBeacon(beacon)).port); // 6000
 * ```
 * @throws {BeaconError} with the reason when the datagram is not a valid beacon.
 */
export function parseBeacon(bytes: Uint8Array): Beacon {
  if (bytes.byteLength > MAX_BEACON_BYTES) throw new BeaconError("too-large");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new BeaconError("encoding");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BeaconError("not-json");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BeaconError("not-json");
  }
  const fields = value as Record<string, unknown>;
  if (fields.app !== "sockit") throw new BeaconError("not-sockit");
  if (fields.beacon !== BEACON_VERSION) throw new BeaconError("version");
  const keys = Object.keys(fields);
  if (keys.length !== FIELDS.length || !FIELDS.every((key) => Object.hasOwn(fields, key))) {
    throw new BeaconError("fields");
  }
  const { id, protocol, name, port, nameplate, web, via } = fields;
  if (typeof id !== "string" || !/^[0-9a-f]{16}$/.test(id)) throw new BeaconError("id");
  if (!isInt(protocol, 1, 65535)) throw new BeaconError("protocol");
  if (typeof name !== "string" || name.length > MAX_BEACON_NAME || !SAFE_NAME.test(name)) {
    throw new BeaconError("name");
  }
  if (!isInt(port, 1, 65535)) throw new BeaconError("port");
  if (nameplate !== null && !isInt(nameplate, 1, MAX_NAMEPLATE)) {
    throw new BeaconError("nameplate");
  }
  if (
    web !== null && (typeof web !== "string" || web.length > MAX_BEACON_WEB || !SAFE_WEB.test(web))
  ) {
    throw new BeaconError("web");
  }
  if (via !== "multicast" && via !== "broadcast") throw new BeaconError("via");
  return { id, protocol, name, port, nameplate, web, via };
}

/**
 * Makes a name fit for a beacon from any text (a host name, say): unsafe characters dropped,
 * spaces trimmed, cut to {@linkcode MAX_BEACON_NAME}; `sockit` when nothing is left.
 *
 * @example
 * ```ts
 * import { beaconName } from "./beacon.ts";
 * beaconName(" teacher\u202e-pc\n"); // "teacher-pc"
 * ```
 */
export function beaconName(text: string): string {
  const kept = [...text.replace(/[\p{C}\p{Zl}\p{Zp}]/gu, "")];
  let name = "";
  for (const char of kept) {
    if (name.length + char.length > MAX_BEACON_NAME) break;
    name += char;
  }
  name = name.trim();
  return SAFE_NAME.test(name) ? name : "sockit";
}

/**
 * A fresh random instance id: 64 bits from the system's CSPRNG, as 16 hex digits. It tells one
 * receiver process from another and carries nothing else.
 *
 * @example
 * ```ts
 * import { newInstanceId } from "./beacon.ts";
 * console.log(newInstanceId().length); // 16
 * ```
 */
export function newInstanceId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
