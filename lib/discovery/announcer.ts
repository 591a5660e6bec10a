/**
 * The announcer: a receiver's beacons, sent every ~2 s on each IPv4 interface both to the
 * link-local multicast group (TTL 1) and to the interface's subnet broadcast address, so that
 * senders find it on networks that drop either kind.
 *
 * @module
 */

import dgram from "node:dgram";
import { isLoopback, isWildcard } from "../net/address.ts";
import { PROTOCOL_VERSION } from "../transfer/protocol.ts";
import {
  beaconName,
  DISCOVERY_GROUP,
  DISCOVERY_PORT,
  encodeBeacon,
  newInstanceId,
} from "./beacon.ts";
import type { BeaconPath } from "./beacon.ts";

/**
 * Options for {@linkcode startAnnouncer}.
 *
 * @example
 * ```ts
 * import type { AnnouncerOptions } from "./announcer.ts";
 * const options: AnnouncerOptions = { port: 6000, name: "teacher", intervalMs: 2000 };
 * ```
 */
export interface AnnouncerOptions {
  /** The TCP port the receiver listens on (announced in every beacon). */
  port: number;
  /**
   * The address the receiver listens on: a wildcard (`0.0.0.0`, `::`) announces on every IPv4
   * interface, an address of this machine on its interface only, a loopback address nowhere.
   * Default `0.0.0.0`.
   */
  host?: string;
  /** A name people recognise the receiver by. Default: this machine's host name (or `sockit`). */
  name?: string;
  /** The pairing code's nameplate number; `null` (the default) when the receiver has no code. */
  nameplate?: number | null;
  /** The receiver's web page address. Default `null` (none). */
  web?: string | null;
  /** Milliseconds between rounds of beacons (each round varies by up to ±10 %). Default 2 000. */
  intervalMs?: number;
  /** UDP port beacons are sent to. Default {@linkcode DISCOVERY_PORT}. */
  discoveryPort?: number;
  /** Multicast group beacons are sent to. Default {@linkcode DISCOVERY_GROUP}. */
  group?: string;
  /** Receives every event; the announcer never prints. */
  onEvent?: (event: AnnouncerEvent) => void;
  /** Stops announcing when aborted. */
  signal?: AbortSignal;
}

/**
 * Where one interface's beacons go.
 *
 * @example
 * ```ts
 * import type { AnnounceTarget } from "./announcer.ts";
 * const target: AnnounceTarget = { address: "192.168.0.12", broadcast: "192.168.0.255" };
 * ```
 */
export interface AnnounceTarget {
  /** The interface's IPv4 address; multicast leaves through it. */
  address: string;
  /** The subnet's broadcast address, or `null` for a single-address subnet. */
  broadcast: string | null;
}

/**
 * What the announcer reports.
 *
 * @example
 * ```ts
 * import type { AnnouncerEvent } from "./announcer.ts";
 * const onEvent = (event: AnnouncerEvent) => {
 *   if (event.type === "announce-failed") console.log(`${event.address}: ${event.reason}`);
 * };
 * onEvent({ type: "announce-stopped", id: "0123456789abcdef", rounds: 3 });
 * ```
 */
export type AnnouncerEvent =
  | {
    type: "announcing";
    id: string;
    host: string;
    targets: AnnounceTarget[];
    group: string;
    discoveryPort: number;
  }
  | { type: "announce-failed"; address: string; via: BeaconPath; reason: string }
  | { type: "announce-stopped"; id: string; rounds: number };

/**
 * A running announcer.
 *
 * @example
 * ```ts
 * import { startAnnouncer } from "./announcer.ts";
 * import type { Announcer } from "./announcer.ts";
 * await using announcer: Announcer = startAnnouncer({ port: 6000, host: "127.0.0.1" });
 * console.log(announcer.id);
 * ```
 */
export interface Announcer extends AsyncDisposable {
  /** The random instance id in this announcer's beacons. */
  readonly id: string;
  /** Where beacons go (re-read from the interfaces every round). */
  readonly targets: readonly AnnounceTarget[];
  /** Stops announcing and closes its sockets. */
  close(): Promise<void>;
}

/**
 * Lists where beacons go for a receiver listening on `host`, from `interfaces` (as
 * `Deno.networkInterfaces()` returns them): every non-loopback IPv4 interface for a wildcard
 * host, the interface with that address otherwise, none for a loopback host.
 *
 * @example
 * ```ts
 * import { announceTargets } from "./announcer.ts";
 * announceTargets("0.0.0.0", [{
 *   family: "IPv4", name: "eth0", address: "192.168.0.12", netmask: "255.255.255.0",
 *   scopeid: null, cidr: "192.168.0.12/24", mac: "00:00:00:00:00:00",
 * }]); // [{ address: "192.168.0.12", broadcast: "192.168.0.255" }]
 * ```
 */
export function announceTargets(
  host: string,
  interfaces: readonly Deno.NetworkInterfaceInfo[],
): AnnounceTarget[] {
  if (isLoopback(host)) return [];
  const seen = new Set<string>();
  const targets: AnnounceTarget[] = [];
  for (const i of interfaces) {
    if (i.family !== "IPv4" || isLoopback(i.address) || seen.has(i.address)) continue;
    if (!isWildcard(host) && i.address !== host) continue;
    seen.add(i.address);
    targets.push({ address: i.address, broadcast: broadcastAddress(i.address, i.netmask) });
  }
  return targets;
}

/** The broadcast address of `address`'s subnet, or `null` for a /31 or /32. */
function broadcastAddress(address: string, netmask: string): string | null {
  const toInt = (dotted: string) =>
    dotted.split(".").reduce((n, part) => ((n << 8) | (Number(part) & 255)) >>> 0, 0);
  const mask = toInt(netmask);
  if ((~mask >>> 0) <= 1) return null;
  const broadcast = (toInt(address) | ~mask) >>> 0;
  return [24, 16, 8, 0].map((shift) => (broadcast >>> shift) & 255).join(".");
}

/** This machine's host name, or `sockit` when it cannot be read (no `--allow-sys`). */
function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "sockit";
  }
}

/**
 * Starts announcing a receiver: a round of beacons at once, then one every ~2 s, until closed
 * or `signal` aborts. Failures to send are reported once per interface and way until that way
 * works again; they never stop the announcer.
 *
 * @example
 * ```ts
 * import { startAnnouncer } from "./announcer.ts";
 * // A receiver listening on loopback only is announced nowhere.
 * await using announcer = startAnnouncer({ port: 6000, host: "127.0.0.1" });
 * console.log(announcer.targets.length); // 0
 * ```
 */
export function startAnnouncer(options: AnnouncerOptions): Announcer {
  const emit = options.onEvent ?? (() => {});
  const id = newInstanceId();
  const host = options.host ?? "0.0.0.0";
  const group = options.group ?? DISCOVERY_GROUP;
  const discoveryPort = options.discoveryPort ?? DISCOVERY_PORT;
  const intervalMs = options.intervalMs ?? 2_000;
  const payload = (via: BeaconPath) =>
    encodeBeacon({
      id,
      protocol: PROTOCOL_VERSION,
      name: beaconName(options.name ?? hostName()),
      port: options.port,
      nameplate: options.nameplate ?? null,
      web: options.web ?? null,
      via,
    });
  const beacons = { multicast: payload("multicast"), broadcast: payload("broadcast") };
  const sockets = new Map<string, dgram.Socket>();
  const failing = new Set<string>();
  let targets: AnnounceTarget[] = [];
  let rounds = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const readTargets = () => {
    try {
      return announceTargets(host, Deno.networkInterfaces());
    } catch {
      return [];
    }
  };

  const socketFor = (address: string): dgram.Socket => {
    let socket = sockets.get(address);
    if (!socket) {
      socket = dgram.createSocket({ type: "udp4" });
      // Errors are reported through each send's callback; this keeps stray ones from throwing.
      socket.on("error", () => {});
      sockets.set(address, socket);
    }
    return socket;
  };

  const send = (socket: dgram.Socket, address: string, via: BeaconPath, to: string) => {
    const key = `${address} ${via}`;
    socket.send(beacons[via], discoveryPort, to, (err) => {
      if (stopped) return;
      if (!err) return void failing.delete(key);
      if (failing.has(key)) return;
      failing.add(key);
      emit({ type: "announce-failed", address, via, reason: err.message });
    });
  };

  const round = () => {
    targets = readTargets();
    const current = new Set(targets.map((t) => t.address));
    for (const [address, socket] of sockets) {
      if (!current.has(address)) {
        socket.close();
        sockets.delete(address);
      }
    }
    for (const target of targets) {
      const fresh = !sockets.has(target.address);
      const socket = socketFor(target.address);
      const sendAll = () => {
        send(socket, target.address, "multicast", group);
        if (target.broadcast) send(socket, target.address, "broadcast", target.broadcast);
      };
      if (!fresh) {
        sendAll();
        continue;
      }
      socket.bind({ address: "0.0.0.0", port: 0, exclusive: true }, () => {
        if (stopped) return;
        socket.setBroadcast(true);
        socket.setMulticastTTL(1);
        socket.setMulticastInterface(target.address);
        sendAll();
      });
    }
    rounds++;
    const jitter = 0.9 + Math.random() * 0.2;
    timer = setTimeout(round, intervalMs * jitter);
  };

  round();
  emit({ type: "announcing", id, host, targets, group, discoveryPort });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      stopped = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      await Promise.all([...sockets.values()].map((s) =>
        new Promise<void>((done) => {
          try {
            s.close(() => done());
          } catch {
            done();
          }
        })
      ));
      sockets.clear();
      emit({ type: "announce-stopped", id, rounds });
    })();
    return closing;
  };
  const onAbort = () => void close();
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });

  return {
    id,
    get targets() {
      return targets;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
