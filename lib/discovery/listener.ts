/**
 * The discovery listener: collects the receivers announcing on this network for a few seconds,
 * and the rule that picks the one to send to.
 *
 * @module
 */

import dgram from "node:dgram";
import { formatHostPort, isLoopback } from "../net/address.ts";
import { SockitError } from "../core/errors.ts";
import { BeaconError, DISCOVERY_GROUP, DISCOVERY_PORT, parseBeacon } from "./beacon.ts";
import type { BeaconPath, BeaconProblem } from "./beacon.ts";

/**
 * A receiver found by its beacons. Every field is a hint from the network, not a proof.
 *
 * @example
 * ```ts
 * import { discoverReceivers } from "./listener.ts";
 * import type { FoundReceiver } from "./listener.ts";
 * const found: FoundReceiver[] = await discoverReceivers({
 *   host: "127.0.0.1",
 *   discoveryPort: 0,
 *   interfaces: [],
 *   timeoutMs: 10,
 * });
 * for (const receiver of found) console.log(`${receiver.name} at ${receiver.host}:${receiver.port}`);
 * ```
 */
export interface FoundReceiver {
  /** The announcing process's random instance id. */
  id: string;
  /** The address its first beacon came from. */
  host: string;
  /** The TCP port it announces. */
  port: number;
  /** Its name, safe to print. */
  name: string;
  /** The transfer protocol version it speaks. */
  protocol: number;
  /** Its pairing code's nameplate, or `null` when it announces none. */
  nameplate: number | null;
  /** Its web page address, or `null`. */
  web: string | null;
  /** The ways its beacons arrived, in the order first seen. */
  via: BeaconPath[];
}

/**
 * Options for {@linkcode discoverReceivers}.
 *
 * @example
 * ```ts
 * import type { DiscoverOptions } from "./listener.ts";
 * const options: DiscoverOptions = { timeoutMs: 3000, until: (found) => found.length > 0 };
 * ```
 */
export interface DiscoverOptions {
  /** How long to listen, in milliseconds. Default 3 000 (beacons come every ~2 s). */
  timeoutMs?: number;
  /** Stop early once this returns true for the receivers found so far. */
  until?: (found: readonly FoundReceiver[]) => boolean;
  /** Most distinct receivers kept; beacons from further ones are ignored. Default 64. */
  maxReceivers?: number;
  /** Address to listen on. Default `0.0.0.0` (multicast and broadcast arrive there). */
  host?: string;
  /** UDP port to listen on; 0 picks a free one. Default {@linkcode DISCOVERY_PORT}. */
  discoveryPort?: number;
  /** Multicast group to join. Default {@linkcode DISCOVERY_GROUP}. */
  group?: string;
  /**
   * IPv4 addresses of the interfaces on which to join the group. Default: every non-loopback
   * IPv4 interface.
   */
  interfaces?: readonly string[];
  /** Receives every event; the listener never prints. */
  onEvent?: (event: DiscoveryEvent) => void;
  /** Stops listening when aborted; the receivers found so far are returned. */
  signal?: AbortSignal;
}

/**
 * What the listener reports.
 *
 * @example
 * ```ts
 * import type { DiscoveryEvent } from "./listener.ts";
 * const onEvent = (event: DiscoveryEvent) => {
 *   if (event.type === "receiver-found") console.log(event.receiver.name);
 * };
 * onEvent({ type: "discovery-done", receivers: [] });
 * ```
 */
export type DiscoveryEvent =
  | { type: "discovering"; port: number; group: string; interfaces: string[]; timeoutMs: number }
  | { type: "discovery-join-failed"; address: string; reason: string }
  | { type: "receiver-found"; receiver: FoundReceiver }
  | { type: "beacon-ignored"; from: string; problem: BeaconProblem | "too-many" }
  | { type: "discovery-done"; receivers: FoundReceiver[] };

/**
 * Listens for receivers' beacons for up to `timeoutMs` (or until `until` is satisfied) and
 * resolves with the receivers found, deduplicated by instance id, in the order found. Invalid
 * datagrams are reported as `beacon-ignored` events and otherwise ignored.
 *
 * @example
 * ```ts
 * import { discoverReceivers } from "./listener.ts";
 * const found = await discoverReceivers({
 *   host: "127.0.0.1", discoveryPort: 0, interfaces: [], timeoutMs: 10,
 * });
 * console.log(found.length); // 0
 * ```
 * @throws {SockitError} `address-in-use` or `bind-permission` when the port cannot be opened.
 */
export function discoverReceivers(options: DiscoverOptions = {}): Promise<FoundReceiver[]> {
  const emit = options.onEvent ?? (() => {});
  const host = options.host ?? "0.0.0.0";
  const group = options.group ?? DISCOVERY_GROUP;
  const timeoutMs = options.timeoutMs ?? 3_000;
  const maxReceivers = options.maxReceivers ?? 64;
  const found = new Map<string, FoundReceiver>();
  const socket = dgram.createSocket({ type: "udp4", reuseAddr: true });

  return new Promise<FoundReceiver[]>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const finish = (error?: SockitError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      socket.close(() => {
        if (error) return reject(error);
        const receivers = [...found.values()];
        emit({ type: "discovery-done", receivers });
        resolve(receivers);
      });
    };
    const onAbort = () => finish();

    socket.on("error", (err: Error & { code?: string }) => {
      const port = options.discoveryPort ?? DISCOVERY_PORT;
      const code = err.code === "EADDRINUSE"
        ? "address-in-use"
        : err.code === "EACCES"
        ? "bind-permission"
        : "internal";
      finish(new SockitError(code, { host, port, reason: err.message }, { cause: err }));
    });

    socket.on("message", (bytes: Uint8Array, from: { address: string; port: number }) => {
      if (done) return;
      const source = formatHostPort({ host: from.address, port: from.port });
      let beacon;
      try {
        beacon = parseBeacon(bytes);
      } catch (err) {
        const problem = err instanceof BeaconError ? err.problem : "not-json";
        return emit({ type: "beacon-ignored", from: source, problem });
      }
      const known = found.get(beacon.id);
      if (known) {
        if (!known.via.includes(beacon.via)) known.via.push(beacon.via);
        return;
      }
      if (found.size >= maxReceivers) {
        return emit({ type: "beacon-ignored", from: source, problem: "too-many" });
      }
      const { via, ...rest } = beacon;
      const receiver: FoundReceiver = { ...rest, host: from.address, via: [via] };
      found.set(beacon.id, receiver);
      emit({ type: "receiver-found", receiver });
      if (options.until?.([...found.values()])) finish();
    });

    socket.bind({ address: host, port: options.discoveryPort ?? DISCOVERY_PORT }, () => {
      if (done) return;
      const joined: string[] = [];
      for (const address of options.interfaces ?? localIPv4()) {
        try {
          socket.addMembership(group, address);
          joined.push(address);
        } catch (err) {
          emit({ type: "discovery-join-failed", address, reason: String(err) });
        }
      }
      emit({
        type: "discovering",
        port: socket.address().port,
        group,
        interfaces: joined,
        timeoutMs,
      });
      timer = setTimeout(() => finish(), timeoutMs);
    });

    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** This machine's non-loopback IPv4 addresses (none when the interfaces cannot be read). */
function localIPv4(): string[] {
  try {
    return [
      ...new Set(
        Deno.networkInterfaces()
          .filter((i) => i.family === "IPv4" && !isLoopback(i.address))
          .map((i) => i.address),
      ),
    ];
  } catch {
    return [];
  }
}

/** The outcome of {@linkcode chooseReceiver}. */
export type ReceiverChoice =
  | { kind: "one"; receiver: FoundReceiver }
  | { kind: "none" }
  | { kind: "several"; receivers: FoundReceiver[] }
  | { kind: "no-match"; nameplate: number; receivers: FoundReceiver[] };

/**
 * Picks the receiver to send to. With a nameplate, the receivers announcing it (one → it;
 * several → `several`; none → `no-match`). Without, the only receiver found, or `several`, or
 * `none`.
 *
 * @example
 * ```ts
 * import { chooseReceiver } from "./listener.ts";
 * const base = { host: "10.0.0.2", port: 6000, name: "a", protocol: 1, web: null, via: [] };
 * const found = [
 *   { ...base, id: "0000000000000001", nameplate: 7 },
 *   { ...base, id: "0000000000000002", nameplate: 12 },
 * ];
 * chooseReceiver(found, { nameplate: 12 }).kind; // "one"
 * chooseReceiver(found).kind; // "several"
 * ```
 */
export function chooseReceiver(
  found: readonly FoundReceiver[],
  options: { nameplate?: number } = {},
): ReceiverChoice {
  const { nameplate } = options;
  const candidates = nameplate === undefined
    ? [...found]
    : found.filter((r) => r.nameplate === nameplate);
  if (candidates.length === 1) return { kind: "one", receiver: candidates[0] };
  if (candidates.length > 1) return { kind: "several", receivers: candidates };
  return nameplate === undefined || found.length === 0
    ? { kind: "none" }
    : { kind: "no-match", nameplate, receivers: [...found] };
}
