/**
 * Discovery without a network: the beacon format and its strict parser against hostile
 * datagrams, names, where beacons go, which receiver is chosen, the listener over loopback
 * (dedup, limits, refusals reported), the documented beacon bytes, and the QR code's size.
 *
 * @module
 */

import assert from "node:assert/strict";
import dgram from "node:dgram";
import { announceTargets } from "../lib/discovery/announcer.ts";
import {
  BeaconError,
  beaconName,
  encodeBeacon,
  MAX_BEACON_BYTES,
  newInstanceId,
  parseBeacon,
} from "../lib/discovery/beacon.ts";
import type { Beacon, BeaconProblem } from "../lib/discovery/beacon.ts";
import { chooseReceiver, discoverReceivers } from "../lib/discovery/listener.ts";
import type { DiscoveryEvent, FoundReceiver } from "../lib/discovery/listener.ts";
import { MAX_NAMEPLATE } from "../lib/crypto/code.ts";
import { qrLines } from "../cli/qr.ts";
import { ROOT } from "./util.ts";

const BEACON: Beacon = {
  id: "0123456789abcdef",
  protocol: 1,
  name: "teacher-pc",
  port: 6000,
  nameplate: 7,
  web: null,
  via: "multicast",
};

const FIELDS = ["app", "beacon", "id", "protocol", "name", "port", "nameplate", "web", "via"];

const bytes = (text: string) => new TextEncoder().encode(text);

/** The beacon as JSON, with fields replaced (`undefined` deletes one). */
function raw(changes: Record<string, unknown> = {}): Uint8Array {
  const fields: Record<string, unknown> = { app: "sockit", beacon: 1, ...BEACON, ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete fields[key];
  return bytes(JSON.stringify(fields));
}

function problemOf(datagram: Uint8Array): BeaconProblem | null {
  try {
    parseBeacon(datagram);
    return null;
  } catch (err) {
    assert.ok(err instanceof BeaconError, String(err));
    return err.problem;
  }
}

Deno.test("beacon: encodes with the documented fields in order and parses back", () => {
  const encoded = encodeBeacon(BEACON);
  assert.deepEqual(Object.keys(JSON.parse(new TextDecoder().decode(encoded))), FIELDS);
  assert.deepEqual(parseBeacon(encoded), BEACON);
  const open = { ...BEACON, nameplate: null, web: "http://10.0.0.2:6080/", via: "broadcast" };
  assert.deepEqual(parseBeacon(encodeBeacon(open as Beacon)), open);
  const widest = { ...BEACON, name: "가".repeat(64), web: "https://" + "a".repeat(248) };
  assert.ok(encodeBeacon(widest).byteLength <= MAX_BEACON_BYTES);
});

Deno.test("beacon: hostile and malformed datagrams are refused with the reason", () => {
  const cases: [string, Uint8Array, BeaconProblem][] = [
    ["one byte too large", bytes(" ".repeat(MAX_BEACON_BYTES - 2) + "{}" + " "), "too-large"],
    ["64 KiB", new Uint8Array(65507), "too-large"],
    ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), "encoding"],
    ["empty", new Uint8Array(0), "not-json"],
    ["not JSON", bytes("SKIT hello"), "not-json"],
    ["a JSON array", bytes("[1,2]"), "not-json"],
    ["JSON null", bytes("null"), "not-json"],
    ["another app", raw({ app: "localsend" }), "not-sockit"],
    ["beacon version 2", raw({ beacon: 2 }), "version"],
    ["beacon version as text", raw({ beacon: "1" }), "version"],
    ["an extra field", raw({ host: "8.8.8.8" }), "fields"],
    ["a missing field", raw({ web: undefined }), "fields"],
    [
      "__proto__",
      bytes(new TextDecoder().decode(raw()).replace("{", '{"__proto__":{},')),
      "fields",
    ],
    ["id upper case", raw({ id: "0123456789ABCDEF" }), "id"],
    ["id too short", raw({ id: "0123" }), "id"],
    ["id a number", raw({ id: 123 }), "id"],
    ["protocol 0", raw({ protocol: 0 }), "protocol"],
    ["protocol 1.5", raw({ protocol: 1.5 }), "protocol"],
    ["name empty", raw({ name: "" }), "name"],
    ["name with a newline", raw({ name: "pc\nFAKE: send here" }), "name"],
    ["name with an escape", raw({ name: "pc\x1b[2J" }), "name"],
    ["name with C1 control", raw({ name: "pc\x9b31m" }), "name"],
    ["name with bidi override", raw({ name: "pc\u202Etxt.exe" }), "name"],
    ["name with zero width", raw({ name: "teacher\u200B-pc" }), "name"],
    ["name with a line separator", raw({ name: "a\u2028b" }), "name"],
    ["name with a leading space", raw({ name: " teacher" }), "name"],
    ["name 65 long", raw({ name: "a".repeat(65) }), "name"],
    ["name not a string", raw({ name: ["a"] }), "name"],
    ["port 0", raw({ port: 0 }), "port"],
    ["port 65536", raw({ port: 65536 }), "port"],
    ["port as text", raw({ port: "6000" }), "port"],
    ["nameplate negative", raw({ nameplate: -1 }), "nameplate"],
    ["nameplate 0", raw({ nameplate: 0 }), "nameplate"],
    ["nameplate too big", raw({ nameplate: MAX_NAMEPLATE + 1 }), "nameplate"],
    ["nameplate as text", raw({ nameplate: "7-guitar" }), "nameplate"],
    ["web javascript:", raw({ web: "javascript:alert(1)" }), "web"],
    ["web with a space", raw({ web: "http://a b" }), "web"],
    ["web with a quote", raw({ web: 'http://a"onclick' }), "web"],
    ["web with an escape", raw({ web: "http://a\x1b]8;;" }), "web"],
    ["web too long", raw({ web: "http://" + "a".repeat(250) }), "web"],
    ["web a number", raw({ web: 1 }), "web"],
    ["via unknown", raw({ via: "unicast" }), "via"],
  ];
  for (const [what, datagram, problem] of cases) {
    assert.equal(problemOf(datagram), problem, what);
  }
  assert.throws(() => encodeBeacon({ ...BEACON, name: "bad\nname" }), BeaconError);
});

Deno.test("beacon: names are made safe to announce", () => {
  assert.equal(beaconName("teacher-pc"), "teacher-pc");
  assert.equal(beaconName(" teacher\u202e-pc\n"), "teacher-pc");
  assert.equal(beaconName("\x1b[2J\u200b"), "[2J");
  assert.equal(beaconName("\x00\x01"), "sockit");
  assert.equal(beaconName("교실".repeat(40)).length, 64);
  assert.equal(beaconName("a".repeat(63) + "😀"), "a".repeat(63));
  for (const name of ["x".repeat(200), "\u202e".repeat(10), "  spaced  ", "😀".repeat(40)]) {
    assert.equal(problemOf(raw({ name: beaconName(name) })), null, name);
  }
});

Deno.test("beacon: instance ids are 16 random hex digits", () => {
  const ids = new Set(Array.from({ length: 100 }, newInstanceId));
  assert.equal(ids.size, 100);
  for (const id of ids) assert.match(id, /^[0-9a-f]{16}$/);
});

Deno.test("beacon: the format has no field for a code's words", () => {
  // A beacon is built from these fields only; a pairing code contributes its nameplate number.
  // Any further field (words, a hash of them, the code text) is refused by the parser.
  for (const field of ["code", "words", "text", "channel", "hash"]) {
    assert.equal(problemOf(raw({ [field]: "guitar-ocean-lamp" })), "fields", field);
  }
  const one = encodeBeacon({ ...BEACON, nameplate: 7 });
  const text = new TextDecoder().decode(one);
  assert.deepEqual(Object.keys(JSON.parse(text)), FIELDS);
});

const iface = (address: string, netmask: string, family: "IPv4" | "IPv6" = "IPv4") => ({
  family,
  name: "eth0",
  address,
  netmask,
  scopeid: null,
  cidr: `${address}/0`,
  mac: "00:00:00:00:00:00",
});

Deno.test("announcer: beacons go to each IPv4 interface's subnet, never loopback", () => {
  const interfaces = [
    iface("127.0.0.1", "255.0.0.0"),
    iface("192.168.0.12", "255.255.255.0"),
    iface("10.1.2.3", "255.255.0.0"),
    iface("172.16.0.5", "255.255.255.255"),
    iface("192.168.0.12", "255.255.255.0"),
    iface("fe80::1", "ffff:ffff:ffff:ffff::", "IPv6"),
  ];
  assert.deepEqual(announceTargets("0.0.0.0", interfaces), [
    { address: "192.168.0.12", broadcast: "192.168.0.255" },
    { address: "10.1.2.3", broadcast: "10.1.255.255" },
    { address: "172.16.0.5", broadcast: null },
  ]);
  assert.deepEqual(announceTargets("::", interfaces).length, 3);
  assert.deepEqual(announceTargets("10.1.2.3", interfaces), [
    { address: "10.1.2.3", broadcast: "10.1.255.255" },
  ]);
  assert.deepEqual(announceTargets("127.0.0.1", interfaces), []);
  assert.deepEqual(announceTargets("::1", interfaces), []);
  assert.deepEqual(announceTargets("localhost", interfaces), []);
});

function found(id: string, nameplate: number | null, host = "10.0.0.2"): FoundReceiver {
  return {
    id: id.padStart(16, "0"),
    host,
    port: 6000,
    name: "pc",
    protocol: 1,
    nameplate,
    web: null,
    via: ["broadcast"],
  };
}

Deno.test("choose: the only receiver, the code's nameplate, or none", () => {
  const a = found("a", 7);
  const b = found("b", 12);
  const open = found("c", null);
  assert.deepEqual(chooseReceiver([]), { kind: "none" });
  assert.deepEqual(chooseReceiver([], { nameplate: 7 }), { kind: "none" });
  assert.deepEqual(chooseReceiver([open]), { kind: "one", receiver: open });
  assert.deepEqual(chooseReceiver([a, b]), { kind: "several", receivers: [a, b] });
  assert.deepEqual(chooseReceiver([a, b, open], { nameplate: 12 }), { kind: "one", receiver: b });
  assert.deepEqual(chooseReceiver([a, b], { nameplate: 99 }), {
    kind: "no-match",
    nameplate: 99,
    receivers: [a, b],
  });
  // A sender with a code never falls back to a receiver announcing another or no nameplate.
  assert.equal(chooseReceiver([open], { nameplate: 7 }).kind, "no-match");
  const twin = found("d", 7, "10.0.0.9");
  assert.deepEqual(chooseReceiver([a, twin], { nameplate: 7 }), {
    kind: "several",
    receivers: [a, twin],
  });
});

/** A UDP socket on loopback that sends datagrams to `port`. */
async function loopbackSender(port: number) {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((done) => socket.bind(0, "127.0.0.1", done));
  return {
    send: (datagram: Uint8Array) =>
      new Promise<void>((done, fail) =>
        socket.send(datagram, port, "127.0.0.1", (err) => err ? fail(err) : done())
      ),
    close: () => new Promise<void>((done) => socket.close(done)),
  };
}

/**
 * Runs the listener on loopback (no multicast group joined), sends it `datagrams` once it
 * listens, and stops it once `expected` events about them arrived (bounded by 10 s).
 */
async function listenTo(
  datagrams: Uint8Array[],
  expected: (events: DiscoveryEvent[]) => boolean,
  maxReceivers?: number,
): Promise<{ found: FoundReceiver[]; events: DiscoveryEvent[] }> {
  const events: DiscoveryEvent[] = [];
  const stop = new AbortController();
  let sending: Promise<void> = Promise.resolve();
  const result = discoverReceivers({
    host: "127.0.0.1",
    discoveryPort: 0,
    interfaces: [],
    timeoutMs: 10_000,
    maxReceivers,
    signal: stop.signal,
    onEvent: (event) => {
      events.push(event);
      if (event.type === "discovering") {
        sending = (async () => {
          const sender = await loopbackSender(event.port);
          for (const datagram of datagrams) await sender.send(datagram);
          await sender.close();
        })();
      }
      if (expected(events)) stop.abort();
    },
  });
  const found = await result;
  await sending;
  return { found, events };
}

const about = (events: DiscoveryEvent[]) =>
  events.filter((e) => e.type === "receiver-found" || e.type === "beacon-ignored").length;

Deno.test("listener: dedups by instance id, merges the ways beacons came, reports refusals", async () => {
  const multicast = encodeBeacon(BEACON);
  const broadcast = encodeBeacon({ ...BEACON, via: "broadcast" });
  const other = encodeBeacon({ ...BEACON, id: "fedcba9876543210", nameplate: null, port: 7000 });
  const datagrams = [multicast, raw({ name: "evil\x1b[2J" }), broadcast, multicast, other];
  // Two receivers and one refusal are reported; the repeats of the first are merged silently.
  const { found, events } = await listenTo(datagrams, (e) => about(e) === 3 && e.length >= 4);
  assert.equal(found.length, 2);
  assert.deepEqual(found[0], {
    id: BEACON.id,
    protocol: 1,
    name: "teacher-pc",
    port: 6000,
    nameplate: 7,
    web: null,
    host: "127.0.0.1",
    via: ["multicast", "broadcast"],
  });
  assert.equal(found[1].port, 7000);
  const ignored = events.filter((e) => e.type === "beacon-ignored");
  assert.deepEqual(ignored.map((e) => e.type === "beacon-ignored" && e.problem), ["name"]);
  assert.equal(events.at(-1)?.type, "discovery-done");
});

Deno.test("listener: keeps at most maxReceivers and reports the rest as too many", async () => {
  const flood = Array.from(
    { length: 12 },
    (_, i) => encodeBeacon({ ...BEACON, id: i.toString(16).padStart(16, "0") }),
  );
  const { found, events } = await listenTo(flood, (e) => about(e) === 12, 8);
  assert.equal(found.length, 8);
  const tooMany = events.filter((e) => e.type === "beacon-ignored" && e.problem === "too-many");
  assert.equal(tooMany.length, 4);
});

Deno.test("listener: a port already taken without sharing is a clear error", async () => {
  const holder = dgram.createSocket({ type: "udp4" });
  const port = await new Promise<number>((done) =>
    holder.bind(0, "127.0.0.1", () => done(holder.address().port))
  );
  try {
    await assert.rejects(
      discoverReceivers({ host: "127.0.0.1", discoveryPort: port, interfaces: [], timeoutMs: 10 }),
      (err: Error & { code?: string }) => err.code === "address-in-use",
    );
  } finally {
    await new Promise<void>((done) => holder.close(done));
  }
});

Deno.test("docs/protocol.md: the beacon example is exactly what encodeBeacon produces", () => {
  const text = Deno.readTextFileSync(`${ROOT}docs/protocol.md`);
  const block = /```beacon\n([\s\S]*?)```/.exec(text)?.[1];
  assert.ok(block, "docs/protocol.md shows a beacon");
  const lines = block.trim().split("\n");
  const json = lines.pop()!;
  const hex = lines.flatMap((line) => line.trim().split(/\s+/)).map((h) => parseInt(h, 16));
  const documented = parseBeacon(bytes(json));
  const encoded = encodeBeacon(documented);
  assert.equal(new TextDecoder().decode(encoded), json);
  assert.deepEqual(hex, [...encoded]);
});

Deno.test("qr: an address fits an 80×24 terminal; too long a text draws nothing", () => {
  for (const text of ["10.0.0.2:6000", "192.168.100.123:65535", "http://" + "a".repeat(99)]) {
    const lines = qrLines(text, false)!;
    assert.ok(lines.length <= 21, `${lines.length} lines for ${text}`);
    for (const line of lines) {
      assert.ok([...line].length <= 41, `${[...line].length} columns for ${text}`);
      assert.match(line, /^[█▀▄ ]+$/);
    }
  }
  assert.equal(qrLines("x".repeat(200), false), null);
  const painted = qrLines("10.0.0.2:6000", true)!;
  assert.ok(painted.every((line) => line.startsWith("\x1b[97;40m") && line.endsWith("\x1b[0m")));
});
