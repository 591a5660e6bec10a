/**
 * Interrupted transfers resume: 22 transfers are killed at random (seeded, printed) byte
 * offsets — `sockit send` killed with SIGKILL, `sockit receive` killed with SIGKILL and
 * restarted, and a proxy in the test cutting the connection — and every one must leave no file
 * under a final name until the resumed send ends byte-identical, having re-sent at most one
 * chunk's worth of bytes the receiver already held. Also: the sender's own retries resume
 * through the cutting proxy, a partial whose bytes are not the sender's is started over, and
 * stale partials are swept at start and never listed as received.
 *
 * Replay a run with `SOCKIT_FAULT_SEED=<seed printed at the top>`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { encodeFrame, PREFACE_SIZE } from "../lib/transfer/protocol.ts";
import { PartialStore } from "../lib/transfer/partials.ts";
import type { PartialSource } from "../lib/transfer/partials.ts";
import { sendFiles } from "../lib/transfer/sender.ts";
import type { SendEvent } from "../lib/transfer/sender.ts";
import { RawPeer } from "./raw_peer.ts";
import {
  CutProxy,
  finalEntries,
  internalEntries,
  jsonEvents,
  partSizes,
  RecordingReceiver,
  seededBytes,
  seededRandom,
  suiteSeed,
} from "./fault_helpers.ts";
import type { ProxiedConnection } from "./fault_helpers.ts";
import { cliReceiver, runCli, sha256Hex, spawnCli, tempDir, waitUntil, within } from "./util.ts";
import type { CliReceiver } from "./util.ts";

const SEED = suiteSeed("resume");
const random = seededRandom(SEED);
/** The sender's `--chunk-size` in every killed transfer. */
const CHUNK = 16 * 1024;
const MiB = 1024 * 1024;

/** Writes a seeded file; returns its path, bytes, SHA-256 and the partial source it makes. */
async function sourceFile(dir: string, name: string, size: number, seed: number) {
  const path = join(dir, name);
  const bytes = seededBytes(size, seed);
  await Deno.writeFile(path, bytes);
  const mtime = (await Deno.stat(path)).mtime!.getTime();
  return { path, name, bytes, sha256: sha256Hex(bytes), source: { path: name, size, mtime } };
}

/** The largest `.part` file in `dir`, 0 if none. */
async function heldBytes(dir: string): Promise<number> {
  return Math.max(0, ...(await partSizes(dir)));
}

/** Asserts the file stored as `name` in `dir` is byte-identical (by SHA-256) and .sockit is clean. */
async function assertDelivered(dir: string, name: string, sha256: string): Promise<void> {
  assert.deepEqual(await finalEntries(dir), [name], "exactly the one final file");
  assert.equal(sha256Hex(await Deno.readFile(join(dir, name))), sha256, "byte-identical");
  assert.deepEqual(await internalEntries(dir), [], "no partial or temporary file left");
}

/** The `offset` of every `file-start` a `--json` sender printed. */
function startOffsets(lines: readonly string[]): number[] {
  return jsonEvents(lines).filter((e) => e.type === "file-start").map((e) => e.offset as number);
}

/** Bytes of a connection's opening frames before the data: preface, F and S. */
function framing(source: PartialSource, offset: number): number {
  return PREFACE_SIZE + encodeFrame({ type: "F", id: 1, ...source }).length +
    encodeFrame({ type: "S", id: 1, offset }).length;
}

/** `sockit send PATH --to 127.0.0.1:PORT --chunk-size 16k EXTRA… --json`. */
function sendArgs(path: string, port: number, ...extra: string[]): string[] {
  return ["send", path, "--to", `127.0.0.1:${port}`, "--chunk-size", "16k", ...extra, "--json"];
}

/** Asserts a resume started at `offset`, within the `held` bytes, re-sending at most a chunk. */
function assertResumed(offset: number, held: number): void {
  assert.ok(offset > 0 && offset <= held, `resumed at ${offset} of ${held} held`);
  assert.ok(held - offset <= CHUNK, "at most one chunk re-sent");
}

/**
 * A {@linkcode CutProxy} hook that kills a process at a chosen offset: once `target` bytes of
 * `source` crossed the first connection, the link stalls until `held()` reaches the target,
 * then `victim()` is killed with SIGKILL and the link waits for its death. The kill lands at
 * the chosen offset however busy the machine is. `heldAtKill` is what `held()` said then.
 */
function killAt(
  source: PartialSource,
  target: number,
  held: () => Promise<number>,
  victim: () => Deno.ChildProcess,
): { heldAtKill: number; onForward: (c: ProxiedConnection) => Promise<void> } {
  let armed = true;
  const kill = {
    heldAtKill: -1,
    onForward: async (c: ProxiedConnection) => {
      if (c.index !== 0 || !armed || c.up < framing(source, 0) + target) return;
      armed = false;
      await waitUntil(async () => await held() >= target, 10_000, `${target} bytes in`);
      kill.heldAtKill = await held();
      const child = victim();
      child.kill("SIGKILL");
      await child.status;
    },
  };
  return kill;
}

/**
 * The scene of a cut transfer: a seeded 4 MiB file `name` in a temporary folder, a receiver in
 * this process storing into `dir` there, and a proxy to it that cuts the first connection once
 * `fraction` of the file crossed it (at `cutAt` client bytes). Dispose it to stop both and
 * remove the folder.
 */
async function cutScene(name: string, seed: number, fraction: number) {
  const root = await tempDir();
  const dir = join(root.path, "received");
  const file = await sourceFile(root.path, name, 4 * MiB, seed);
  const cutAt = framing(file.source, 0) + Math.floor(file.bytes.length * fraction);
  const receiver = await RecordingReceiver.start({ dir }).catch(async (err) => {
    await root[Symbol.asyncDispose]();
    throw err;
  });
  const proxy = new CutProxy({
    targetPort: receiver.port,
    cutAfter: (n) => n === 0 ? cutAt : undefined,
  });
  return {
    dir,
    file,
    cutAt,
    receiver,
    proxy,
    async [Symbol.asyncDispose]() {
      await proxy.close();
      await receiver[Symbol.asyncDispose]();
      await root[Symbol.asyncDispose]();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// SIGKILL of `sockit send`: a 24 MiB file through a proxy that stalls the link at the chosen
// offset until the receiver has reported it and the sender is dead. What the kernel had already
// buffered (a few MiB) still arrives after the kill, as it would on a real network; the file is
// large enough that the transfer is still cut short.

const SENDER_KILLS = 8;
for (let i = 0; i < SENDER_KILLS; i++) {
  const fraction = 0.1 + random() * 0.4;
  Deno.test(`resume: SIGKILL of sockit send #${i + 1} at ${(fraction * 100).toFixed(1)}% of 24 MiB, then the same command resumes`, async () => {
    await using root = await tempDir();
    const dir = join(root.path, "received");
    const file = await sourceFile(root.path, "big.bin", 24 * MiB, SEED + i);
    const target = Math.floor(file.bytes.length * fraction);
    await using receiver = await RecordingReceiver.start({ dir });
    // The receiver reports progress (events, and the partial growing on disk).
    const reported = async () =>
      Math.max(receiver.of("file-progress").at(-1)?.bytes ?? 0, await heldBytes(dir));
    const kill = killAt(file.source, target, reported, () => sender.child);
    await using proxy = new CutProxy({ targetPort: receiver.port, onForward: kill.onForward });
    const sender = spawnCli(sendArgs(file.path, proxy.port, "--retries", "0"));
    try {
      await within(30_000, sender.child.status, "the sender to be killed");
    } finally {
      await sender.stop("SIGKILL");
    }
    const atKill = kill.heldAtKill;
    assert.ok(atKill >= target, "killed once the receiver reported the target");
    await receiver.waitFor((e) => e.type === "file-failed", 10_000, "the transfer to fail");
    const held = await heldBytes(dir);
    assert.ok(held >= atKill && held < file.bytes.length, `partial of ${held} bytes`);
    assert.deepEqual(await finalEntries(dir), [], "nothing under a final name after the kill");

    const again = await runCli(sendArgs(file.path, receiver.port), { timeoutMs: 60_000 });
    assert.equal(again.code, 0, again.stderr);
    const [offset] = startOffsets(again.stdout.split("\n"));
    assert.equal(receiver.of("file-start")[1]?.offset, offset, "both sides start at one offset");
    assertResumed(offset, held);
    await assertDelivered(dir, "big.bin", file.sha256);
    console.log(
      `resume: sender kill #${i + 1}: target ${target}, reported ${atKill}, held ${held}, ` +
        `resumed at ${offset}, re-sent ${held - offset} B`,
    );
  });
}

// ---------------------------------------------------------------------------------------------
// SIGKILL of `sockit receive`, restarted on the same folder and port. Half the time the sender
// gave up (`--retries 0`) and is run again; half the time its own retries find the restarted
// receiver and resume without anyone re-running it.

const RECEIVER_KILLS = 6;
for (let i = 0; i < RECEIVER_KILLS; i++) {
  const fraction = 0.1 + random() * 0.8;
  const mode = i % 2 === 0 ? "run again" : "own retries";
  Deno.test(`resume: SIGKILL of sockit receive #${i + 1} at ${(fraction * 100).toFixed(1)}%, restarted; sender ${mode}`, async () => {
    await using root = await tempDir();
    const dir = join(root.path, "received");
    const file = await sourceFile(root.path, "data.bin", 4 * MiB, SEED + 100 + i);
    const target = Math.floor(file.bytes.length * fraction);
    const first = await cliReceiver({ dir, args: ["--json", "--flat"] });
    const kill = killAt(file.source, target, () => heldBytes(dir), () => first.proc.child);
    await using proxy = new CutProxy({ targetPort: first.port, onForward: kill.onForward });
    const retries = mode === "run again" ? "0" : "3";
    const sender = spawnCli(sendArgs(file.path, proxy.port, "--retries", retries));
    let second: CliReceiver | undefined;
    try {
      try {
        await within(20_000, first.proc.child.status, "the receiver to be killed");
      } finally {
        await first.proc.stop("SIGKILL");
      }
      assert.ok(kill.heldAtKill >= target, "killed at the chosen offset");
      const held = await heldBytes(dir);
      assert.ok(held >= target && held < file.bytes.length, `partial of ${held} bytes`);
      assert.deepEqual(await finalEntries(dir), [], "nothing under a final name after the kill");

      let offset: number;
      if (mode === "run again") {
        const status = await within(20_000, sender.child.status, "the sender giving up");
        await sender.stop();
        assert.equal(status.code, 1);
        assert.match(sender.stderr.text, /^sockit: /m, "one error line for the user");
        second = await cliReceiver({ dir, port: first.port, args: ["--json", "--flat"] });
        const again = await runCli(sendArgs(file.path, second.port), { timeoutMs: 30_000 });
        assert.equal(again.code, 0, again.stderr);
        [offset] = startOffsets(again.stdout.split("\n"));
      } else {
        second = await cliReceiver({ dir, port: first.port, args: ["--json", "--flat"] });
        const status = await within(30_000, sender.child.status, "the sender retrying");
        await sender.stop();
        assert.equal(status.code, 0, sender.stderr.text);
        const events = jsonEvents(sender.stdout.lines);
        assert.ok(events.some((e) => e.type === "retry"), "the sender retried by itself");
        const offsets = startOffsets(sender.stdout.lines);
        assert.equal(offsets[0], 0);
        offset = offsets.at(-1)!;
      }
      const restarted = jsonEvents(second.proc.stdout.lines).filter((e) => e.type === "file-start");
      assert.equal(restarted.at(-1)?.offset, offset, "both sides start at one offset");
      assertResumed(offset, held);
      await assertDelivered(dir, "data.bin", file.sha256);
      console.log(
        `resume: receiver kill #${i + 1} (${mode}): target ${target}, held ${held}, ` +
          `resumed at ${offset}`,
      );
    } finally {
      await sender.stop("SIGKILL");
      await second?.proc.stop("SIGKILL");
    }
  });
}

// ---------------------------------------------------------------------------------------------
// A proxy cuts the connection after N bytes (both sides, like a Wi-Fi drop).

const RESEND_CUTS = 4;
for (let i = 0; i < RESEND_CUTS; i++) {
  const fraction = 0.05 + random() * 0.9;
  Deno.test(`resume: a cut at ${(fraction * 100).toFixed(1)}% (#${i + 1}), then sending again crosses only the rest`, async () => {
    await using scene = await cutScene("cut.bin", SEED + 200 + i, fraction);
    const { dir, file, cutAt, receiver, proxy } = scene;
    const options = { paths: [file.path], port: proxy.port, chunkSize: CHUNK, retries: 0 };
    await assert.rejects(within(20_000, sendFiles(options), "the cut send"));
    await receiver.waitFor((e) => e.type === "file-failed", 10_000, "the transfer to fail");
    const delivered = proxy.connections[0].up - framing(file.source, 0);
    const held = await heldBytes(dir);
    assert.ok(held <= delivered, `held ${held} of ${delivered} delivered`);
    assert.deepEqual(await finalEntries(dir), []);

    const events: SendEvent[] = [];
    await within(20_000, sendFiles({ ...options, onEvent: (e) => events.push(e) }), "resending");
    const start = events.find((e) => e.type === "file-start");
    assert.ok(start?.type === "file-start");
    assert.equal(receiver.of("file-start")[1].offset, start.offset);
    assert.equal(start.offset, held, "the offer is everything the receiver held");
    assert.ok(delivered - start.offset <= CHUNK, "at most one chunk re-sent");
    const rest = proxy.connections[1].up - framing(file.source, start.offset);
    assert.ok(rest <= file.bytes.length - start.offset + 512, `${rest} bytes crossed again`);
    assert.ok(proxy.totalUp <= file.bytes.length + CHUNK + 2 * 512, "total across the proxy");
    await assertDelivered(dir, "cut.bin", file.sha256);
    console.log(`resume: cut #${i + 1} at ${cutAt}: held ${held}, resumed at ${start.offset}`);
  });
}

const RETRY_CLI_CUTS = 2;
for (let i = 0; i < RETRY_CLI_CUTS; i++) {
  const fraction = 0.05 + random() * 0.9;
  Deno.test(`resume: sockit send --retries resumes by itself through a cut at ${(fraction * 100).toFixed(1)}% (#${i + 1})`, async () => {
    await using scene = await cutScene("retry.bin", SEED + 300 + i, fraction);
    const { dir, file, cutAt, receiver, proxy } = scene;
    const result = await runCli(sendArgs(file.path, proxy.port, "--retries", "2"), {
      timeoutMs: 30_000,
    });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split("\n");
    assert.equal(jsonEvents(lines).filter((e) => e.type === "retry").length, 1);
    const [first, resumed] = startOffsets(lines);
    assert.equal(first, 0);
    const delivered = proxy.connections[0].up - framing(file.source, 0);
    assertResumed(resumed, delivered);
    assert.deepEqual(receiver.of("file-start").map((e) => e.offset), [0, resumed]);
    assert.equal(proxy.connections.length, 2, "one command, two connections");
    assert.ok(proxy.totalUp <= file.bytes.length + CHUNK + 2 * 512, "total across the proxy");
    await assertDelivered(dir, "retry.bin", file.sha256);
    console.log(`resume: CLI retry #${i + 1}: cut at ${cutAt}, resumed at ${resumed}`);
  });
}

const MULTI_CUTS = 2;
for (let i = 0; i < MULTI_CUTS; i++) {
  // Three cuts in one send, each after 5–30 % of the file crossed that connection; the fourth
  // connection goes through.
  const cuts = [random(), random(), random()].map((r) => 0.05 + r * 0.25);
  Deno.test(`resume: one send survives three cuts (#${i + 1}: after ${cuts.map((c) => (c * 100).toFixed(0) + "%").join(", ")}) and resumes after each`, async () => {
    await using root = await tempDir();
    const dir = join(root.path, "received");
    const file = await sourceFile(root.path, "three.bin", 4 * MiB, SEED + 400 + i);
    const events: SendEvent[] = [];
    await using receiver = await RecordingReceiver.start({ dir });
    await using proxy = new CutProxy({
      targetPort: receiver.port,
      cutAfter: (n) =>
        n < cuts.length
          ? framing(file.source, 0) + Math.floor(file.bytes.length * cuts[n])
          : undefined,
    });
    const starts: number[] = [];
    const result = await within(
      30_000,
      sendFiles({
        paths: [file.path],
        port: proxy.port,
        chunkSize: CHUNK,
        retries: 5,
        retryDelayMs: 20,
        onEvent: (e) => {
          events.push(e);
          if (e.type === "file-start") starts.push(e.offset);
        },
      }),
      "the send with three cuts",
    );
    assert.equal(result.files, 1);
    assert.equal(events.filter((e) => e.type === "retry").length, 3);
    assert.equal(proxy.connections.length, 4);
    assert.equal(starts.length, 4);
    assert.deepEqual(receiver.of("file-start").map((e) => e.offset), starts);
    for (let n = 0; n < 3; n++) {
      const delivered = starts[n] + proxy.connections[n].up - framing(file.source, starts[n]);
      assert.ok(starts[n + 1] > starts[n], `connection ${n + 2} moves on`);
      assert.ok(starts[n + 1] <= delivered, `connection ${n + 2} resumes within what arrived`);
      assert.ok(delivered - starts[n + 1] <= CHUNK, "at most one chunk re-sent after each cut");
    }
    assert.ok(proxy.totalUp <= file.bytes.length + 3 * CHUNK + 4 * 512, "total across the proxy");
    await assertDelivered(dir, "three.bin", file.sha256);
    console.log(`resume: three cuts #${i + 1}: resumed at ${starts.slice(1).join(", ")}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Resume rules.

Deno.test("resume: every byte arrived but the end frame did not: the resend re-sends nothing", async () => {
  await using root = await tempDir();
  const dir = join(root.path, "received");
  const file = await sourceFile(root.path, "whole.bin", 200_000, SEED + 500);
  await using receiver = await RecordingReceiver.start({ dir });
  {
    await using peer = await RawPeer.open(receiver.port);
    await peer.sendFrame({ type: "F", id: 1, ...file.source });
    assert.equal((await peer.frame()).type, "A");
    await peer.sendFrame({ type: "S", id: 1, offset: 0 });
    await peer.send(file.bytes);
    await receiver.waitFor(
      (e) => e.type === "file-progress" && e.bytes === file.bytes.length,
      5000,
      "every byte in",
    );
  }
  await receiver.waitFor((e) => e.type === "file-failed", 5000, "the transfer to fail");
  assert.deepEqual(await partSizes(dir), [file.bytes.length], "all the bytes are kept");
  assert.deepEqual(await finalEntries(dir), [], "but not under a final name: unverified");
  const events: SendEvent[] = [];
  await sendFiles({ paths: [file.path], port: receiver.port, onEvent: (e) => events.push(e) });
  const start = events.find((e) => e.type === "file-start");
  assert.ok(start?.type === "file-start");
  assert.equal(start.offset, file.bytes.length);
  await assertDelivered(dir, "whole.bin", file.sha256);
});

Deno.test("resume: a partial whose bytes are not the sender's (same name, size, time) starts over and ends identical", async () => {
  await using root = await tempDir();
  const dir = join(root.path, "received");
  const file = await sourceFile(root.path, "changed.bin", 300_000, SEED + 600);
  const internal = join(dir, ".sockit");
  await Deno.mkdir(internal, { recursive: true });
  const key = PartialStore.key(file.source);
  await Deno.writeFile(join(internal, `partial-${key}.part`), seededBytes(100_000, 9));
  await Deno.writeTextFile(join(internal, `partial-${key}.json`), JSON.stringify(file.source));
  await using receiver = await RecordingReceiver.start({ dir });
  const events: SendEvent[] = [];
  await sendFiles({ paths: [file.path], port: receiver.port, onEvent: (e) => events.push(e) });
  const start = events.find((e) => e.type === "file-start");
  assert.ok(start?.type === "file-start");
  assert.equal(start.offset, 0, "the prefix hash differs: start over");
  assert.equal(receiver.of("file-start")[0].offset, 0);
  await assertDelivered(dir, "changed.bin", file.sha256);
});

Deno.test("resume: partials older than the time to live are swept at start, never listed; young ones resume", async () => {
  await using root = await tempDir();
  const dir = join(root.path, "received");
  const internal = join(dir, ".sockit");
  await Deno.mkdir(internal, { recursive: true });
  const stale = await sourceFile(root.path, "stale.bin", 100_000, SEED + 700);
  const young = await sourceFile(root.path, "young.bin", 100_000, SEED + 701);
  const plant = async (file: typeof stale, held: number, ageMs: number) => {
    const key = PartialStore.key(file.source);
    const part = join(internal, `partial-${key}.part`);
    const meta = join(internal, `partial-${key}.json`);
    await Deno.writeFile(part, file.bytes.subarray(0, held));
    await Deno.writeTextFile(meta, JSON.stringify(file.source));
    const when = new Date(Date.now() - ageMs);
    for (const path of [part, meta]) await Deno.utime(path, when, when);
  };
  await plant(stale, 20_000, 60 * 60 * 1000);
  await plant(young, 30_000, 1000);
  const leftover = join(internal, `tmp-${crypto.randomUUID()}`);
  await Deno.writeFile(leftover, new Uint8Array(10));
  const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
  await Deno.utime(leftover, old, old);

  await using receiver = await RecordingReceiver.start({ dir, partialTtlMs: 10 * 60 * 1000 });
  assert.deepEqual(await partSizes(dir), [30_000], "only the young partial stays");
  assert.equal((await internalEntries(dir)).length, 2, "its .part and .json");
  assert.deepEqual(await finalEntries(dir), [], "a partial is never a received file");
  assert.equal(receiver.of("file-done").length, 0);

  const events: SendEvent[] = [];
  await sendFiles({
    paths: [stale.path, young.path],
    port: receiver.port,
    onEvent: (e) => events.push(e),
  });
  const offsets = Object.fromEntries(
    events.flatMap((e) => e.type === "file-start" ? [[e.path, e.offset]] : []),
  );
  assert.deepEqual(offsets, { "stale.bin": 0, "young.bin": 30_000 });
  assert.equal(sha256Hex(await Deno.readFile(join(dir, "stale.bin"))), stale.sha256);
  assert.equal(sha256Hex(await Deno.readFile(join(dir, "young.bin"))), young.sha256);
  assert.deepEqual(await internalEntries(dir), []);
});

Deno.test("resume: sockit receive sweeps a partial over 24 hours old at start and reports no file for it", async () => {
  await using root = await tempDir();
  const dir = join(root.path, "received");
  const internal = join(dir, ".sockit");
  await Deno.mkdir(internal, { recursive: true });
  const source = { path: "forgotten.bin", size: 1000, mtime: 0 };
  const key = PartialStore.key(source);
  const part = join(internal, `partial-${key}.part`);
  const meta = join(internal, `partial-${key}.json`);
  await Deno.writeFile(part, new Uint8Array(500));
  await Deno.writeTextFile(meta, JSON.stringify(source));
  const old = new Date(Date.now() - 25 * 60 * 60 * 1000);
  for (const path of [part, meta]) await Deno.utime(path, old, old);
  const receiver = await cliReceiver({ dir, args: ["--flat"] });
  try {
    await waitUntil(async () => (await internalEntries(dir)).length === 0, 5000, "the sweep");
  } finally {
    const status = await receiver.proc.stop("SIGINT");
    assert.equal(status.code, 0);
  }
  assert.match(receiver.proc.stdout.text, /Receiver stopped: 0 files/);
  assert.doesNotMatch(receiver.proc.stdout.text + receiver.proc.stderr.text, /forgotten/);
  assert.deepEqual(await finalEntries(dir), []);
});
