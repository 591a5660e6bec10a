/**
 * The receiver's limits against one misbehaving classmate (issue 11): every frame within the
 * header deadline, unfinished openings that do not hold transfer slots, a per-address limit,
 * and the others listed in docs/faults.md. Each limit is set small here so that it shows fast.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { encodeFrame, encodePreface } from "../lib/transfer/protocol.ts";
import { RawPeer } from "./raw_peer.ts";
import { internalEntries, partSizes, RecordingReceiver } from "./fault_helpers.ts";
import { freeBytes } from "../lib/transfer/space.ts";
import { cliReceiver, concatBytes, delay, runCli, tempDir } from "./util.ts";
import { PartialStore } from "../lib/transfer/partials.ts";
import { sendFiles } from "../lib/transfer/sender.ts";
import type { SendEvent } from "../lib/transfer/sender.ts";
import { SockitError } from "../lib/core/errors.ts";
import { ConnectionGate, OPENING_GRACE_MS } from "../lib/transfer/receive_gate.ts";
import type { GateLimits } from "../lib/transfer/receive_gate.ts";
import { LOG_BURST, LOG_RATE_PER_SECOND, PeerLogLimiter } from "../lib/transfer/log_limit.ts";

/** Sends `bytes` one at a time, `everyMs` apart, until done or the receiver hangs up. */
async function trickle(peer: RawPeer, bytes: Uint8Array, everyMs: number): Promise<number> {
  for (let i = 0; i < bytes.length; i++) {
    try {
      await peer.send(bytes.subarray(i, i + 1));
    } catch {
      return i;
    }
    await delay(everyMs);
  }
  return bytes.length;
}

const content = new TextEncoder().encode("homework, slowly\n");
const sha256 = createHash("sha256").update(content).digest("hex");

for (const which of ["S", "E"] as const) {
  Deno.test(`limits: a trickling ${which} frame is dropped at the header deadline`, async () => {
    await using receiver = await RecordingReceiver.start({
      headerTimeoutMs: 600,
      idleTimeoutMs: 5000,
    });
    await using peer = await RawPeer.open(receiver.port);
    await peer.sendFrame({ type: "F", id: 1, path: "slow.txt", size: content.length, mtime: 0 });
    const accept = await peer.frame(5000);
    assert.equal(accept.type, "A");
    let slow = encodeFrame({ type: "S", id: 1, offset: 0 });
    if (which === "E") {
      await peer.send(slow);
      await peer.send(content);
      slow = encodeFrame({ type: "E", id: 1, sha256 });
    }
    const sent = await trickle(peer, slow, 200);
    // The S frame is read between files (the session ends), the E frame inside one (it fails).
    const failed = await receiver.waitFor(
      (e) => (e.type === "file-failed" || e.type === "session-error") && e.peer === peer.name,
      5000,
      "the trickled transfer to fail",
    );
    assert.ok(failed.type === (which === "S" ? "session-error" : "file-failed"));
    assert.equal(failed.code, "timeout");
    assert.ok(sent < slow.length, `all ${slow.length} bytes of the ${which} frame went through`);
    assert.equal(receiver.of("file-done").length, 0);
  });
}

/** A small file to send, in a temporary folder removed when disposed. */
async function homework(): Promise<AsyncDisposable & { path: string }> {
  const dir = await tempDir();
  const path = join(dir.path, "homework.txt");
  await Deno.writeTextFile(path, "print('hello')\n");
  return { path, [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose]() };
}

Deno.test("limits: after 300 silent connections a real sender is served at once", async () => {
  await using receiver = await RecordingReceiver.start();
  await using file = await homework();
  const silent: RawPeer[] = [];
  try {
    for (let i = 0; i < 300; i++) silent.push(await RawPeer.connect(receiver.port));
    // No retry, a 2 s timeout: it must get in on its first connection, not after a wait.
    const { result } = await receiver.send([file.path], { retries: 0, timeoutMs: 2000 });
    assert.equal(result.files, 1);
    await receiver.receiver.close();
    // Loopback has no per-address limit; the total of openings (256) applies. The closings are
    // reported one by one up to the log limit, then counted.
    const reported = receiver.of("session-error").filter((e) => e.code === "busy").length;
    const held = receiver.of("suppressed").reduce((sum, e) => sum + e.count, 0);
    assert.ok(reported + held >= 300 - 256, `only ${reported} + ${held} closings reported`);
  } finally {
    for (const peer of silent) peer.close();
  }
});

Deno.test("limits: 64 connections trickling their opening do not keep a real sender out", async () => {
  await using receiver = await RecordingReceiver.start();
  await using file = await homework();
  const peers: RawPeer[] = [];
  for (let i = 0; i < 64; i++) peers.push(await RawPeer.connect(receiver.port));
  // "SKIT" then the version, a byte every 300 ms: never a whole preface in time.
  const trickling = peers.map((peer) => trickle(peer, encodePreface(), 300));
  try {
    const { result } = await receiver.send([file.path], { retries: 0, timeoutMs: 2000 });
    assert.equal(result.files, 1);
  } finally {
    for (const peer of peers) peer.close();
    await Promise.all(trickling);
  }
});

Deno.test("limits: a connection that does not complete its opening is dropped at its deadline", async () => {
  await using receiver = await RecordingReceiver.start({
    openingTimeoutMs: 300,
    headerTimeoutMs: 20_000,
    idleTimeoutMs: 20_000,
  });
  await using peer = await RawPeer.connect(receiver.port);
  await peer.send("SK");
  assert.ok(await peer.closedWithin(10_000), "the receiver closed the unfinished opening");
  const error = await receiver.waitFor(
    (e) => e.type === "session-error" && e.peer === peer.name,
    5000,
    "the opening to time out",
  );
  assert.ok(error.type === "session-error");
  assert.equal(error.code, "timeout");
});

/**
 * A gate on its own clock (`clock.now`, from 0) whose openings carry names: `closed` lists the
 * openings it closed, in order.
 */
function namedGate(limits: GateLimits) {
  const clock = { now: 0 };
  const gate = new ConnectionGate(limits, () => clock.now);
  const closed: string[] = [];
  const open = (address: string, name: string) => gate.open(address, () => closed.push(name));
  return { gate, closed, open, clock };
}

Deno.test("limits: the gate gives one address at most its share of sessions and openings", () => {
  const { gate, closed, open, clock } = namedGate({
    maxSessions: 3,
    maxSessionsPerAddress: 2,
    maxOpenings: 4,
    maxOpeningsPerAddress: 2,
  });
  // Openings: a third from one address closes that address's oldest once that one is past the
  // grace period; past the total, the oldest of the address with the most.
  const a1 = open("10.0.0.5", "a1");
  const a2 = open("10.0.0.5", "a2");
  clock.now += OPENING_GRACE_MS;
  const a3 = open("10.0.0.5", "a3");
  assert.deepEqual(closed, ["a1"]);
  open("10.0.0.6", "b1");
  open("10.0.0.7", "c1");
  assert.deepEqual(closed, ["a1"]);
  open("10.0.0.8", "d1");
  assert.deepEqual(closed, ["a1", "a2"]);
  assert.equal(gate.openings, 4);
  // Sessions: two for 10.0.0.5, then "address"; three in all, then "total".
  const session = (address: string, name: string, perAddress = true) =>
    gate.admit(address, open(address, name), perAddress);
  const first = gate.admit("10.0.0.5", a3);
  assert.notEqual(typeof first, "string");
  assert.notEqual(typeof session("10.0.0.5", "a4"), "string");
  assert.equal(session("10.0.0.5", "a5"), "address");
  const other = session("10.0.0.6", "b2");
  assert.ok(typeof other !== "string");
  assert.equal(gate.sessions, 3);
  assert.equal(session("10.0.0.7", "c2"), "total");
  // A slot given back is free again; without the per-address limit only the total counts.
  other[Symbol.dispose]();
  assert.equal(session("10.0.0.5", "a6"), "address");
  assert.notEqual(typeof session("10.0.0.5", "a7", false), "string");
  assert.equal(gate.sessions, 3);
  assert.equal(gate.openings, 3, "admitted openings left the gate (b1, c1, d1 remain)");
  a1[Symbol.dispose]();
  a2[Symbol.dispose]();
});

Deno.test("limits: a burst from one address is not closed within the grace period; idle openings are", () => {
  const { gate, closed, open, clock } = namedGate({
    maxSessions: 64,
    maxSessionsPerAddress: 8,
    maxOpenings: 40,
    maxOpeningsPerAddress: 4,
  });
  // A class behind one router connects at once: more than its 4 openings, none closed, while
  // the receiver reads their prefaces.
  const burst = Array.from({ length: 10 }, (_, i) => open("10.0.0.5", `burst${i}`));
  clock.now += OPENING_GRACE_MS - 1;
  burst.push(open("10.0.0.5", "burst10"));
  assert.deepEqual(closed, []);
  assert.equal(gate.openings, 11);
  // Their prefaces are read: each leaves for a session (or is told busy).
  for (const opening of burst.slice(0, 9)) gate.admit("10.0.0.5", opening);
  assert.equal(gate.openings, 2);
  // Connections that stay silent past the grace period are closed for newer ones from their
  // address, oldest first, one each, as before.
  clock.now += 1;
  const idle = ["idle1", "idle2"].map((name) => open("10.0.0.5", name));
  assert.deepEqual(closed, []);
  clock.now += OPENING_GRACE_MS;
  open("10.0.0.5", "new1");
  open("10.0.0.5", "new2");
  open("10.0.0.5", "new3");
  assert.deepEqual(closed, ["burst9", "burst10", "idle1"]);
  assert.equal(gate.openings, 4, "back to the address's limit");
  idle[1][Symbol.dispose]();
});

Deno.test("limits: a flood from one address within the grace period fills the total and closes its own", () => {
  const { gate, closed, open, clock } = namedGate({
    maxSessions: 64,
    maxSessionsPerAddress: 8,
    maxOpenings: 6,
    maxOpeningsPerAddress: 2,
  });
  open("10.0.0.6", "classmate");
  clock.now += 10;
  for (let i = 0; i < 20; i++) open("10.0.0.5", `flood${i}`);
  // The total holds, and the classmate, though the oldest of all, is not the one closed.
  assert.equal(gate.openings, 6);
  assert.deepEqual(closed, Array.from({ length: 15 }, (_, i) => `flood${i}`));
  // Without the per-address limit (the receiver's own machine) only the total counts.
  for (let i = 0; i < 8; i++) gate.open("127.0.0.1", () => closed.push(`local${i}`), false);
  assert.equal(gate.openings, 6);
  assert.ok(!closed.includes("classmate"));
});

Deno.test("limits: an address whose last opening was closed for its own newer one is still counted", () => {
  const { gate, closed, open } = namedGate({
    maxSessions: 64,
    maxSessionsPerAddress: 8,
    maxOpenings: 1,
    maxOpeningsPerAddress: 16,
  });
  for (const name of ["x1", "x2", "x3"]) open("10.0.0.5", name);
  assert.deepEqual(closed, ["x1", "x2"]);
  assert.equal(gate.openings, 1);
});

Deno.test("limits: an opening closed for a newer one is told busy once it began a preface", async () => {
  // Traced, so that the test knows when the receiver has the first bytes.
  await using receiver = await RecordingReceiver.start({ maxOpenings: 1, trace: true });
  await using started = await RawPeer.connect(receiver.port);
  await started.send("SK");
  await receiver.waitFor(
    (e) => e.type === "trace" && e.peer === started.name && e.direction === "received",
    5000,
    "the receiver to read the first bytes",
  );
  await using silent = await RawPeer.connect(receiver.port);
  const answer = await started.frame(5000);
  assert.deepEqual(answer.type === "X" && answer.code, "busy", "a sender waits for a turn");
  assert.ok(await started.closedWithin(5000));
  // A connection that said nothing gets no answer when it is the one closed.
  await using third = await RawPeer.connect(receiver.port);
  assert.ok(await silent.closedWithin(5000));
  third.close();
  // Each closed opening is reported once, as busy: not again when its handler's read fails.
  await receiver.receiver.close();
  const reports = receiver.of("session-error").filter((e) => e.peer === started.name);
  assert.deepEqual(reports.map((e) => e.code), ["busy"]);
});

Deno.test("limits: the receiver refuses a session past the total with busy, and frees slots", async () => {
  await using receiver = await RecordingReceiver.start({ maxConnections: 2 });
  await using first = await RawPeer.open(receiver.port);
  await using second = await RawPeer.open(receiver.port);
  await using third = await RawPeer.connect(receiver.port);
  await third.send(encodePreface());
  const answer = await third.frame(5000);
  assert.deepEqual(answer.type === "X" && answer.code, "busy");
  const busy = await receiver.waitFor(
    (e) => e.type === "session-error" && e.peer === third.name,
    5000,
    "the third session to be refused",
  );
  assert.ok(busy.type === "session-error");
  assert.match(busy.reason, /more than 2 senders at once/);
  // A slot given back is a slot free again.
  first.close();
  await receiver.waitFor(
    (e) => e.type === "session-error" && e.peer === first.name,
    5000,
    "the first session to end",
  );
  await using fourth = await RawPeer.open(receiver.port);
  assert.equal((await fourth.sendFile("late.txt", content)).type, "V");
  second.close();
});

Deno.test("limits: with --json, hostile names reach standard output with C1 and bidi escaped", async () => {
  await using receiver = await cliReceiver({ globals: ["--json"] });
  await using peer = await RawPeer.open(receiver.port);
  // A name that reads "exe.txt" backwards, with a C1 NEL and a CSI in it.
  const name = "report\u202Etxt.exe\u0085\u009b2J";
  const refused = await peer.sendFile(name, content);
  assert.equal(refused.type, "R");
  const [line] = await receiver.proc.stdout.waitFor(/\{"type":"file-rejected".*/, 20_000);
  assert.doesNotMatch(line, /[\u0080-\u009f\u202a-\u202e\u2066-\u2069]/);
  assert.match(line, /\\u202e/);
  assert.equal(JSON.parse(line).path, name, "the JSON still carries the exact name");
});

Deno.test("limits: a sender told busy waits its turn with jittered, growing pauses, then is served", async () => {
  await using receiver = await RecordingReceiver.start({ maxConnections: 1 });
  await using file = await homework();
  const holder = await RawPeer.open(receiver.port);
  const base = 40;
  const waits: SendEvent[] = [];
  // No reconnect retries at all: waiting for a busy receiver has its own budget.
  const result = await sendFiles({
    paths: [file.path],
    port: receiver.port,
    retries: 0,
    busyDelayMs: base,
    onEvent: (event) => {
      if (event.type !== "retry") return;
      waits.push(event);
      if (waits.length === 4) holder.close();
    },
  });
  assert.equal(result.files, 1);
  assert.ok(waits.length >= 4, `${waits.length} waits`);
  for (const [i, wait] of waits.entries()) {
    assert.ok(wait.type === "retry" && wait.busy === true && wait.attempt === i + 1);
    const step = Math.min(base * 2 ** i, 10_000);
    assert.ok(wait.delayMs >= step / 2 && wait.delayMs <= step * 1.5, `pause ${wait.delayMs}`);
  }
});

Deno.test("limits: a sender told busy first tries again within a quarter second or so", async () => {
  await using receiver = await RecordingReceiver.start({ maxConnections: 1 });
  await using file = await homework();
  const holder = await RawPeer.open(receiver.port);
  const waits: number[] = [];
  const result = await sendFiles({
    paths: [file.path],
    port: receiver.port,
    busyWaitMs: 5000,
    onEvent: (event) => {
      if (event.type !== "retry") return;
      waits.push(event.delayMs);
      holder.close();
    },
  });
  assert.equal(result.files, 1);
  assert.ok(waits.length >= 1 && waits[0] >= 125 && waits[0] <= 375, `first pause ${waits[0]}`);
});

Deno.test("limits: a sender stops waiting for a busy receiver after busyWaitMs in all", async () => {
  await using receiver = await RecordingReceiver.start({ maxConnections: 1 });
  await using file = await homework();
  await using _holder = await RawPeer.open(receiver.port);
  const waits: number[] = [];
  await assert.rejects(
    sendFiles({
      paths: [file.path],
      port: receiver.port,
      busyDelayMs: 30,
      busyWaitMs: 400,
      onEvent: (event) => {
        if (event.type === "retry") waits.push(event.delayMs);
      },
    }),
    (err: unknown) => err instanceof SockitError && err.details.code === "busy",
  );
  assert.ok(waits.length >= 2, `${waits.length} waits`);
  assert.equal(waits.reduce((a, b) => a + b, 0), 400, "the waits use up exactly the budget");
});

Deno.test("limits: a claimed size over the free space is refused before any byte, and the session goes on", async () => {
  await using receiver = await RecordingReceiver.start();
  await using peer = await RawPeer.open(receiver.port);
  const free = await freeBytes(receiver.dir);
  assert.ok(free !== undefined, "statfs works here");
  const size = Math.min(Number.MAX_SAFE_INTEGER, free * 4 + 2 ** 40);
  await peer.sendFrame({ type: "F", id: peer.nextId++, path: "huge.iso", size, mtime: 0 });
  const answer = await peer.frame(5000);
  assert.deepEqual(answer.type === "R" && answer.code, "disk-full");
  assert.deepEqual(await internalEntries(receiver.dir), [], "no partial was made for it");
  const refused = receiver.of("file-rejected").find((e) => e.path === "huge.iso");
  assert.equal(refused?.code, "disk-full");
  assert.equal((await peer.sendFile("small.txt", content)).type, "V");
});

Deno.test("limits: space promised to a transfer under way is not promised twice", async () => {
  await using receiver = await RecordingReceiver.start({ minFreeBytes: 0 });
  const free = await freeBytes(receiver.dir);
  assert.ok(free !== undefined);
  const size = Math.floor(free * 0.6);
  await using first = await RawPeer.open(receiver.port);
  await first.sendFrame({ type: "F", id: 1, path: "first.bin", size, mtime: 0 });
  assert.equal((await first.frame(5000)).type, "A");
  await using second = await RawPeer.open(receiver.port);
  await second.sendFrame({ type: "F", id: second.nextId++, path: "second.bin", size, mtime: 0 });
  const answer = await second.frame(5000);
  assert.deepEqual(answer.type === "R" && answer.code, "disk-full");
  // Once the first gives up, its promise is free again.
  first.close();
  await receiver.waitFor(
    (e) => e.type === "session-error" && e.peer === first.name,
    5000,
    "the first session to end (its accepted offer never got its bytes)",
  );
  await second.sendFrame({ type: "F", id: second.nextId++, path: "second.bin", size, mtime: 0 });
  assert.equal((await second.frame(5000)).type, "A");
});

/**
 * Starts `path` (100,000 bytes announced: above the small-file size, so resumable), sends 100
 * of them and hangs up: a kept partial.
 */
async function abandon(receiver: RecordingReceiver, path: string): Promise<void> {
  const peer = await RawPeer.open(receiver.port);
  await peer.sendFrame({ type: "F", id: 1, path, size: 100_000, mtime: 0 });
  assert.equal((await peer.frame(5000)).type, "A");
  await peer.sendFrame({ type: "S", id: 1, offset: 0 });
  await peer.send(new Uint8Array(100).fill(0x61));
  await receiver.waitFor(
    (e) => e.type === "file-progress" && e.peer === peer.name && e.bytes === 100,
    5000,
    `the bytes of ${path}`,
  );
  peer.close();
  await receiver.waitFor(
    (e) => e.type === "file-failed" && e.peer === peer.name,
    5000,
    `${path} to be interrupted`,
  );
}

for (
  const [limit, options] of [
    ["per sender address", { maxPartialsPerAddress: 2 }],
    ["in bytes in all", { maxPartialBytes: 250 }],
  ] as const
) {
  Deno.test(`limits: abandoned partials stay within the bound ${limit} while the receiver runs`, async () => {
    await using receiver = await RecordingReceiver.start(options);
    for (const name of ["a.bin", "b.bin", "c.bin", "d.bin"]) {
      await abandon(receiver, name);
      assert.ok((await partSizes(receiver.dir)).length <= 2, `after ${name}`);
    }
    assert.deepEqual(await partSizes(receiver.dir), [100, 100]);
    const dropped = receiver.of("partial-dropped");
    assert.deepEqual(dropped.map((e) => e.path), ["a.bin", "b.bin"], "the oldest go first");
    assert.ok(dropped.every((e) => e.from === "127.0.0.1" && e.bytes === 100));
    // The newest is still resumable: sending it again continues after its 100 bytes.
    await using peer = await RawPeer.open(receiver.port);
    await peer.sendFrame({ type: "F", id: 1, path: "d.bin", size: 100_000, mtime: 0 });
    const offer = await peer.frame(5000);
    assert.deepEqual(offer.type === "A" && offer.offset, 100);
  });
}

Deno.test("limits: one peer's refusals are rate-limited, the rest summarised with a count", async () => {
  await using receiver = await RecordingReceiver.start();
  await using peer = await RawPeer.open(receiver.port);
  const count = 2000;
  const flood = concatBytes(
    ...Array.from(
      { length: count },
      (_, i) => encodeFrame({ type: "F", id: i + 1, path: "../bad", size: 1, mtime: 0 }),
    ),
  );
  const started = performance.now();
  const answers = (async () => {
    for (let i = 0; i < count; i++) assert.equal((await peer.frame(10_000)).type, "R");
  })();
  await peer.send(flood);
  await answers;
  const elapsed = (performance.now() - started) / 1000;
  await peer.quit();
  await receiver.waitFor((e) => e.type === "session-end", 10_000, "the session to end");
  const shown = receiver.of("file-rejected").length;
  // The burst, then the steady rate: a few dozen lines a second at most.
  assert.ok(shown <= LOG_BURST + Math.ceil(elapsed * LOG_RATE_PER_SECOND) + 1, `${shown} shown`);
  await receiver.receiver.close();
  const held = receiver.of("suppressed");
  assert.ok(held.every((e) => e.from === "127.0.0.1"));
  assert.equal(shown + held.reduce((sum, e) => sum + e.count, 0), count, "every refusal counted");
});

Deno.test("limits: the log limiter passes a burst, then a steady rate, per address", () => {
  let now = 0;
  const limiter = new PeerLogLimiter({ rate: 10, burst: 3, now: () => now });
  const passed = (address: string, n: number) =>
    Array.from({ length: n }, () => limiter.allow(address)).filter(Boolean).length;
  assert.equal(passed("10.0.0.5", 10), 3);
  assert.equal(passed("10.0.0.6", 10), 3, "another address has its own allowance");
  now += 1000;
  assert.equal(passed("10.0.0.5", 100), 3, "refilled at 10 a second, up to the burst");
  now += 100;
  assert.equal(passed("10.0.0.5", 5), 1);
  assert.equal(limiter.flush("10.0.0.5"), 7 + 97 + 4);
  assert.equal(limiter.flush("10.0.0.5"), 0);
  assert.deepEqual(limiter.addresses(), ["10.0.0.6"]);
});

for (
  const [what, prepare, reason] of [
    ["writable by others", (path: string) => Deno.chmod(path, 0o777), /writable by others/],
    ["owned by another user", (path: string) => Deno.chown(path, 65534, 65534), /owned by user/],
  ] as const
) {
  Deno.test({
    name: `limits: a .sockit ${what} makes the receiver refuse to start, in one clear line`,
    ignore: Deno.uid() !== 0 && what === "owned by another user",
    async fn() {
      await using root = await tempDir();
      const dir = join(root.path, "received");
      const internal = join(dir, ".sockit");
      await Deno.mkdir(internal, { recursive: true });
      await prepare(internal);
      const result = await runCli(["receive", "--dir", dir, "--host", "127.0.0.1", "--port", "0"], {
        timeoutMs: 20_000,
      });
      assert.notEqual(result.code, 0);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0], /is not safe to use/);
      assert.match(lines[0], reason);
      assert.match(lines[0], /chmod 700/);
      assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
      await assert.rejects(
        RecordingReceiver.start({ dir }),
        (err: unknown) => err instanceof SockitError && err.code === "unsafe-folder",
      );
    },
  });
}

Deno.test("limits: a link planted at a partial's path never gets a byte written outside DIR", async () => {
  await using root = await tempDir();
  const dir = join(root.path, "received");
  const outside = join(root.path, "outside.txt");
  await Deno.writeTextFile(outside, "keep me\n");
  const source = join(root.path, "homework.bin");
  const bytes = new Uint8Array(50_000).fill(0x62);
  await Deno.writeFile(source, bytes);
  const mtime = (await Deno.stat(source)).mtime!.getTime();
  // The partial the receiver would resume this file from: a link to a file outside, with a
  // description that claims it holds the first 5 bytes.
  const internal = join(dir, ".sockit");
  await Deno.mkdir(internal, { recursive: true, mode: 0o700 });
  const key = PartialStore.key({ path: "homework.bin", size: bytes.length, mtime });
  await Deno.symlink(outside, join(internal, `partial-${key}.part`));
  await Deno.writeTextFile(
    join(internal, `partial-${key}.json`),
    JSON.stringify({ path: "homework.bin", size: bytes.length, mtime }),
  );
  await using receiver = await RecordingReceiver.start({ dir });
  const { result, events } = await receiver.send([source]);
  assert.equal(result.files, 1);
  const start = events.find((e) => e.type === "file-start");
  assert.deepEqual(start?.type === "file-start" && start.offset, 0, "no resume from the link");
  assert.equal(await Deno.readTextFile(outside), "keep me\n");
  assert.deepEqual(await Deno.readFile(join(dir, "homework.bin")), bytes);
});

Deno.test("limits: a folder swapped for a link during a transfer never gets a byte outside DIR", async () => {
  await using root = await tempDir();
  const dir = join(root.path, "received");
  const outside = join(root.path, "outside");
  await Deno.mkdir(join(dir, "hw"), { recursive: true });
  await Deno.mkdir(outside);
  const src = join(root.path, "src");
  await Deno.mkdir(join(src, "hw"), { recursive: true });
  await Deno.writeFile(join(src, "hw", "big.bin"), new Uint8Array(4 * 1024 * 1024).fill(1));
  await using receiver = await RecordingReceiver.start({ dir, maxLogRate: Infinity });
  const sending = sendFiles({
    paths: [join(src, "hw")],
    port: receiver.port,
    retries: 0,
  }).catch((err) => err);
  await receiver.waitFor((e) => e.type === "file-progress", 10_000, "the transfer to start");
  // Someone who can write into DIR swaps the folder for a link to elsewhere.
  Deno.renameSync(join(dir, "hw"), join(dir, "hw-moved"));
  Deno.symlinkSync(outside, join(dir, "hw"));
  await sending;
  const failed = await receiver.waitFor((e) => e.type === "file-failed", 10_000, "the refusal");
  assert.ok(failed.type === "file-failed" && failed.code === "name-conflict");
  assert.deepEqual([...Deno.readDirSync(outside)], [], "nothing was written outside DIR");
});
