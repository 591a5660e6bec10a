/**
 * Faults around the receiver, as a user meets them: Ctrl+C during transfers (partials kept,
 * nothing corrupt under a final name, out within 2 s; a second Ctrl+C quits at once), a full
 * disk and an unwritable folder (a clear message on both sides, nothing half-written), and one
 * misbehaving sender never holding up the others. Loopback only; every wait is bounded.
 *
 * Disk full and the read-only folder need a small tmpfs mount (root on Linux); where that is
 * not possible those tests are ignored and the reason is printed when this file loads.
 *
 * @module
 */

import assert from "node:assert/strict";
import { closeSync, constants, openSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { encodeFrame, encodePreface } from "../lib/transfer/protocol.ts";
import { PartialStore } from "../lib/transfer/partials.ts";
import { sendFiles } from "../lib/transfer/sender.ts";
import type { SendEvent } from "../lib/transfer/sender.ts";
import { RawPeer } from "./raw_peer.ts";
import { SockitError } from "../lib/core/errors.ts";
import {
  CutProxy,
  finalEntries,
  internalEntries,
  partSizes,
  RecordingReceiver,
  seededBytes,
  suiteSeed,
  system,
  tempFiles,
  tmpfsUnavailable,
} from "./fault_helpers.ts";
import {
  cliReceiver,
  delay,
  exitWithin,
  runCli,
  spawnCli,
  tempDir,
  waitUntil,
  within,
} from "./util.ts";

const SEED = suiteSeed("faults");
const NO_TMPFS = await tmpfsUnavailable();
if (NO_TMPFS) console.log(`faults: disk-full and read-only tests skipped: ${NO_TMPFS}`);

/** Writes `count` seeded files of `size` bytes into `dir`; returns their paths and contents. */
async function sources(
  dir: string,
  count: number,
  size: number,
  seed: number,
): Promise<{ path: string; bytes: Uint8Array }[]> {
  const out = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `file-${i}.bin`);
    const bytes = seededBytes(size, seed + i);
    await Deno.writeFile(path, bytes);
    out.push({ path, bytes });
  }
  return out;
}

/** The partial key the receiver uses for a source file sent under its base name. */
async function keyOf(path: string, name: string): Promise<string> {
  const info = await Deno.stat(path);
  return PartialStore.key({ path: name, size: info.size, mtime: info.mtime!.getTime() });
}

/** True when process `pid` has `path` open (Linux: its `/proc/PID/fd` links). */
async function hasOpen(pid: number, path: string): Promise<boolean> {
  for await (const fd of Deno.readDir(`/proc/${pid}/fd`)) {
    if (await Deno.readLink(`/proc/${pid}/fd/${fd.name}`).catch(() => "") === path) return true;
  }
  return false;
}

/**
 * Opens the FIFO at `path` for writing once a reader has it open (polled, bounded): a reader
 * blocked on a FIFO with a writer that never writes is a read that hangs, like a stuck disk.
 */
async function holdFifoOpen(path: string, ms: number): Promise<number> {
  let fd = -1;
  await waitUntil(
    () => {
      try {
        fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
        return true;
      } catch {
        return false; // ENXIO: nobody reads it yet
      }
    },
    ms,
    `a reader of ${path}`,
  );
  return fd;
}

Deno.test("faults: Ctrl+C during 3 transfers keeps their partials, stores nothing, exits within 2 s; a restart resumes them", async () => {
  await using root = await tempDir();
  const dir = join(root.path, "received");
  const files = await sources(root.path, 3, 4 * 1024 * 1024, SEED);
  const first = await cliReceiver({ dir, args: ["--json", "--flat"] });
  // Slow links, so that all three are in the middle of their bytes when Ctrl+C comes.
  await using proxy = new CutProxy({
    targetPort: first.port,
    rate: (i) => i < 3 ? 2 * 1024 * 1024 : undefined,
  });
  const sends = files.map((f) =>
    sendFiles({ paths: [f.path], port: proxy.port, retries: 0, chunkSize: 16 * 1024 })
      .then(() => "sent", (err) => String(err))
  );
  try {
    await waitUntil(
      async () => (await partSizes(dir)).filter((s) => s >= 256 * 1024).length === 3,
      15_000,
      "three transfers under way",
    );
    const started = performance.now();
    first.proc.child.kill("SIGINT");
    const status = await exitWithin(first.proc.child, 2000);
    const ms = performance.now() - started;
    assert.ok(status, "the receiver exits within 2 s of Ctrl+C");
    assert.equal(status.code, 0);
    console.log(`faults: receiver stopped ${ms.toFixed(0)} ms after Ctrl+C`);
  } finally {
    await first.proc.stop("SIGKILL");
  }
  for (const outcome of await within(10_000, Promise.all(sends), "the senders failing")) {
    assert.notEqual(outcome, "sent", "no sender may think its file arrived");
  }
  assert.deepEqual(await finalEntries(dir), [], "nothing under a final name");
  assert.deepEqual(await tempFiles(dir), []);
  const kept = new Map<string, number>();
  for (const [i, f] of files.entries()) {
    const part = join(dir, ".sockit", `partial-${await keyOf(f.path, `file-${i}.bin`)}.part`);
    const size = (await Deno.stat(part)).size;
    assert.ok(size > 0 && size < f.bytes.length, `partial of file-${i}.bin: ${size} bytes`);
    kept.set(`file-${i}.bin`, size);
  }

  const second = await cliReceiver({ dir, args: ["--json", "--flat"] });
  try {
    const events: SendEvent[] = [];
    const result = await within(
      20_000,
      sendFiles({
        paths: files.map((f) => f.path),
        port: second.port,
        retries: 0,
        chunkSize: 16 * 1024,
        onEvent: (e) => events.push(e),
      }),
      "the resumed send",
    );
    assert.equal(result.files, 3);
    for (const e of events) {
      if (e.type !== "file-start") continue;
      assert.equal(e.offset, kept.get(e.path), `${e.path} resumes where its partial ends`);
    }
    for (const [i, f] of files.entries()) {
      assert.deepEqual(await Deno.readFile(join(dir, `file-${i}.bin`)), f.bytes);
    }
    assert.deepEqual(await internalEntries(dir), [], "no partial left after the resume");
  } finally {
    await second.proc.stop();
  }
});

Deno.test("faults: when stopping hangs (a stuck disk), a second Ctrl+C quits at once with exit 130", async () => {
  await using root = await tempDir();
  const dir = join(root.path, "received");
  // A FIFO where the receiver reads a partial's description blocks that read until a writer
  // comes: the stand-in for a hung disk, so that the first Ctrl+C cannot finish.
  await Deno.mkdir(join(dir, ".sockit"), { recursive: true, mode: 0o700 });
  // Above the small-file size, so the receiver looks for a partial (small files have none).
  const key = PartialStore.key({ path: "stuck.bin", size: 100_000, mtime: 0 });
  const description = join(dir, ".sockit", `partial-${key}.json`);
  const fifo = await system("mkfifo", [description]);
  assert.equal(fifo.code, 0, `mkfifo: ${fifo.err}`);
  const receiver = await cliReceiver({ dir, args: ["--flat"] });
  let writer = -1;
  try {
    await using peer = await RawPeer.open(receiver.port);
    await peer.sendFrame({ type: "F", id: 1, path: "stuck.bin", size: 100_000, mtime: 0 });
    // The receiver is reading the description, and will wait for its bytes forever.
    writer = await holdFifoOpen(description, 10_000);
    receiver.proc.child.kill("SIGINT");
    await receiver.proc.stderr.waitFor(/Stopping/, 5000);
    assert.equal(
      await exitWithin(receiver.proc.child, 500),
      null,
      "the first Ctrl+C waits for the stuck transfer",
    );
    const started = performance.now();
    receiver.proc.child.kill("SIGINT");
    const status = await exitWithin(receiver.proc.child, 1000);
    assert.ok(status, "the second Ctrl+C ends the receiver at once");
    assert.equal(status.code, 130);
    console.log(`faults: second Ctrl+C took ${(performance.now() - started).toFixed(0)} ms`);
  } finally {
    await receiver.proc.stop("SIGKILL");
    if (writer >= 0) closeSync(writer);
  }
  assert.deepEqual(await finalEntries(dir), []);
});

Deno.test("faults: Ctrl+C while the receiver checks a 1 GiB partial for a resume still exits within 2 s and keeps it", async () => {
  await using root = await tempDir();
  const dir = join(root.path, "received");
  const source = { path: "big.iso", size: 2 * 1024 ** 3, mtime: 1_700_000_000_000 };
  const key = PartialStore.key(source);
  const internal = join(dir, ".sockit");
  await Deno.mkdir(internal, { recursive: true, mode: 0o700 });
  // A sparse file: 1 GiB that takes no disk space but several seconds to hash here.
  const partPath = join(internal, `partial-${key}.part`);
  const part = await Deno.open(partPath, { write: true, create: true });
  await part.truncate(1024 ** 3);
  part.close();
  await Deno.writeTextFile(
    join(internal, `partial-${key}.json`),
    JSON.stringify({ ...source, created: Date.now() }),
  );
  const receiver = await cliReceiver({ dir, args: ["--flat"] });
  try {
    await using peer = await RawPeer.open(receiver.port);
    await peer.sendFrame({ type: "F", id: 1, ...source });
    const [pid, real] = [receiver.proc.child.pid, await Deno.realPath(partPath)];
    await waitUntil(() => hasOpen(pid, real), 10_000, "the receiver to open the partial");
    const started = performance.now();
    receiver.proc.child.kill("SIGINT");
    const status = await exitWithin(receiver.proc.child, 2000);
    assert.ok(status, "the receiver exits within 2 s although the hash was far from done");
    assert.equal(status.code, 0);
    console.log(`faults: stopped ${(performance.now() - started).toFixed(0)} ms into a 1 GiB hash`);
  } finally {
    await receiver.proc.stop("SIGKILL");
  }
  assert.deepEqual(await partSizes(dir), [1024 ** 3], "the partial is kept for a later resume");
  assert.ok(
    (await internalEntries(dir)).includes(`partial-${key}.json`),
    "and its description",
  );
  assert.deepEqual(await finalEntries(dir), []);
});

Deno.test("faults: Ctrl+C on sockit send stops at once without a stack trace; the next send resumes", async () => {
  await using root = await tempDir();
  const dir = join(root.path, "received");
  const [file] = await sources(root.path, 1, 8 * 1024 * 1024, SEED + 50);
  await using receiver = await RecordingReceiver.start({ dir });
  await using proxy = new CutProxy({
    targetPort: receiver.port,
    rate: (i) => i === 0 ? 4 * 1024 * 1024 : undefined,
  });
  const sender = spawnCli(["send", file.path, "--to", `127.0.0.1:${proxy.port}`]);
  try {
    await waitUntil(async () => ((await partSizes(dir))[0] ?? 0) >= 512 * 1024, 15_000, "bytes");
    sender.child.kill("SIGINT");
    const status = await exitWithin(sender.child, 2000);
    assert.ok(status, "the sender stops within 2 s");
    assert.equal(status.code, 1, "interrupted is not success");
  } finally {
    await sender.stop("SIGKILL");
  }
  assert.match(sender.stderr.text, /Stopping/);
  assert.doesNotMatch(sender.stderr.text + sender.stdout.text, /Unexpected error|\n\s+at /);
  assert.doesNotMatch(sender.stdout.text, /Sent file-0\.bin/);
  // Once the receiver has finished with the dropped connection, the partial is there to resume.
  await receiver.waitFor((e) => e.type === "file-failed", 15_000, "the dropped transfer");
  const [held] = await partSizes(dir);
  assert.deepEqual(await finalEntries(dir), []);
  const again = await runCli(["send", file.path, "--to", `127.0.0.1:${receiver.port}`]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Resuming file-0\.bin after the/);
  assert.equal(receiver.of("file-start")[1].offset, held);
  assert.deepEqual(await Deno.readFile(join(dir, "file-0.bin")), file.bytes);
});

Deno.test({
  name:
    "faults: a file larger than the free space is refused before any byte, both sides say so, the receiver serves on",
  ignore: NO_TMPFS !== null,
  async fn() {
    await using root = await tempDir();
    const mountPoint = join(root.path, "disk");
    await Deno.mkdir(mountPoint);
    const mounted = await system("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]);
    assert.equal(mounted.code, 0, mounted.err);
    const dir = join(mountPoint, "received");
    const big = join(root.path, "big.bin");
    const small = join(root.path, "small.bin");
    const bigBytes = seededBytes(2 * 1024 * 1024, SEED + 100);
    const smallBytes = seededBytes(100 * 1024, SEED + 101);
    await Deno.writeFile(big, bigBytes);
    await Deno.writeFile(small, smallBytes);
    const receiver = await cliReceiver({ dir, args: ["--flat"] });
    try {
      const target = `127.0.0.1:${receiver.port}`;
      const failed = await runCli(["send", big, "--to", target], { timeoutMs: 30_000 });
      assert.equal(failed.code, 1, failed.stdout + failed.stderr);
      assert.match(failed.stderr, /disk is full/i, "the sender is told why");
      assert.doesNotMatch(failed.stdout + failed.stderr, /Sent big\.bin|stored as/);
      await receiver.proc.stderr.waitFor(/Refused big\.bin.*disk is full/, 5000);
      await waitUntil(async () => (await internalEntries(dir)).length === 0, 5000, "cleanup");
      assert.deepEqual(await finalEntries(dir), [], "nothing half-written under a final name");

      // A small file fits and arrives intact.
      const ok = await runCli(["send", small, "--to", target], { timeoutMs: 30_000 });
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.deepEqual(await Deno.readFile(join(dir, "small.bin")), smallBytes);

      // Already full when the file is offered: refused up front, with the reason, both sides.
      const filler = join(mountPoint, "filler");
      await system("dd", ["if=/dev/zero", `of=${filler}`, "bs=64k", "count=64"]);
      const refused = await runCli(["send", small, "--to", target], { timeoutMs: 30_000 });
      assert.equal(refused.code, 1, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /disk is full/);
      await receiver.proc.stderr.waitFor(/Refused small\.bin.*disk is full/, 5000);
      assert.deepEqual(await finalEntries(dir), ["small.bin"]);
      assert.deepEqual(await tempFiles(dir), []);
      assert.deepEqual(await partSizes(dir), []);
    } finally {
      await receiver.proc.stop();
      await system("umount", [mountPoint]);
    }
  },
});

Deno.test({
  name:
    "faults: disk full mid-transfer: both sides say so, the partial is removed, the receiver serves on",
  ignore: NO_TMPFS !== null,
  async fn() {
    await using root = await tempDir();
    const mountPoint = join(root.path, "disk");
    await Deno.mkdir(mountPoint);
    const mounted = await system("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint]);
    assert.equal(mounted.code, 0, mounted.err);
    try {
      const file = join(root.path, "fits.bin");
      await Deno.writeFile(file, seededBytes(1024 * 1024, SEED + 102));
      await using receiver = await RecordingReceiver.start({ dir: join(mountPoint, "received") });
      const filler = join(mountPoint, "filler");
      // The file fits when it is offered; then someone else fills the disk under it.
      await assert.rejects(
        sendFiles({
          paths: [file],
          port: receiver.port,
          retries: 0,
          onEvent: (event) => {
            if (event.type !== "file-progress" || event.bytes === 0) return;
            try {
              Deno.statSync(filler);
            } catch {
              const disk = statfsSync(mountPoint);
              const free = disk.bavail * disk.bsize;
              Deno.writeFileSync(filler, new Uint8Array(Math.max(0, free - 4096)));
            }
          },
        }),
        (err: unknown) => err instanceof SockitError && err.details.code === "disk-full",
      );
      const failed = await receiver.waitFor((e) => e.type === "file-failed", 5000, "the failure");
      assert.ok(failed.type === "file-failed" && failed.code === "disk-full");
      await waitUntil(
        async () => (await internalEntries(receiver.dir)).length === 0,
        5000,
        "cleanup",
      );
      assert.deepEqual(await finalEntries(receiver.dir), [], "nothing under a final name");
      // Space again: the receiver serves on.
      await Deno.remove(filler);
      const { result } = await receiver.send([file]);
      assert.equal(result.files, 1);
    } finally {
      await system("umount", [mountPoint]);
    }
  },
});

Deno.test({
  name: "faults: an unwritable folder: the receiver will not start, and says which folder and why",
  ignore: NO_TMPFS !== null,
  async fn() {
    await using root = await tempDir();
    const dir = join(root.path, "readonly");
    await Deno.mkdir(dir);
    const mounted = await system("mount", ["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", dir]);
    assert.equal(mounted.code, 0, mounted.err);
    try {
      const result = await runCli([
        "receive",
        "--open",
        "--dir",
        dir,
        "--port",
        "0",
        "--host",
        "127.0.0.1",
      ], {
        timeoutMs: 15_000,
      });
      assert.equal(result.code, 1);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.equal(lines[0], `sockit: Could not write ${dir}: Read-only file system`);
      assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
    } finally {
      await system("umount", [dir]);
    }
  },
});

Deno.test({
  name:
    "faults: the folder turns read-only while receiving: clear refusal on both sides, nothing written",
  ignore: NO_TMPFS !== null,
  async fn() {
    await using root = await tempDir();
    const dir = join(root.path, "received");
    const file = join(root.path, "homework.py");
    await Deno.writeTextFile(file, "print('hello')\n");
    const receiver = await cliReceiver({ dir, args: ["--flat"] });
    let bound = false;
    try {
      // A read-only bind mount of DIR onto itself (root ignores permission bits).
      assert.equal((await system("mount", ["--bind", dir, dir])).code, 0);
      bound = true;
      const ro = await system("mount", ["-o", "remount,ro,bind", dir]);
      assert.equal(ro.code, 0, ro.err);
      const target = `127.0.0.1:${receiver.port}`;
      const refused = await runCli(["send", file, "--to", target], { timeoutMs: 30_000 });
      assert.equal(refused.code, 1, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /refused homework\.py: the receiver could not write the file/);
      await receiver.proc.stderr.waitFor(/Refused homework\.py.*could not write.*Read-only/, 5000);
      assert.deepEqual(await finalEntries(dir), []);
      await system("umount", [dir]);
      bound = false;
      // Writable again: the same receiver takes the file.
      const ok = await runCli(["send", file, "--to", target], { timeoutMs: 30_000 });
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.deepEqual(await finalEntries(dir), ["homework.py"]);
      assert.deepEqual(await internalEntries(dir), []);
    } finally {
      if (bound) await system("umount", [dir]);
      await receiver.proc.stop();
    }
  },
});

Deno.test("faults: one sender misbehaving in four ways never holds up eight honest ones", async () => {
  await using root = await tempDir();
  const dir = join(root.path, "received");
  const files = await sources(root.path, 8, 256 * 1024, SEED + 200);
  const troubled = join(root.path, "troubled.bin");
  await Deno.writeFile(troubled, seededBytes(2 * 1024 * 1024, SEED + 300));
  await using receiver = await RecordingReceiver.start({
    dir,
    idleTimeoutMs: 1500,
    headerTimeoutMs: 1500,
  });
  // 1. a sender whose link drops every 64 KiB, retrying fast;
  await using proxy = new CutProxy({ targetPort: receiver.port, cutAfter: () => 64 * 1024 });
  const dropping = sendFiles({
    paths: [troubled],
    port: proxy.port,
    retries: 4,
    retryDelayMs: 20,
    chunkSize: 16 * 1024,
  }).then(() => "sent", (err) => String(err));
  // 2. a peer that stalls in the middle of a file;
  const stalled = await RawPeer.open(receiver.port);
  await stalled.sendFrame({ type: "F", id: 1, path: "stalled.bin", size: 1_000_000, mtime: 0 });
  await stalled.frame();
  await stalled.sendFrame({ type: "S", id: 1, offset: 0 });
  await stalled.send(seededBytes(1000, 1));
  // 3. a peer trickling garbage, a byte at a time;
  const trickle = await RawPeer.connect(receiver.port);
  const trickling = (async () => {
    for (const byte of encodePreface().subarray(0, 4)) {
      await trickle.send(new Uint8Array([byte])).catch(() => {});
      await delay(300); // the trickle's pace, not a wait for anything
    }
  })();
  // 4. a peer flooding requests without ever reading an answer.
  const flood = await RawPeer.open(receiver.port);
  const one = encodeFrame({ type: "F", id: 1, path: "../flood", size: 1, mtime: 0 });
  const many = new Uint8Array(one.length * 2000);
  for (let i = 0; i < 2000; i++) many.set(one, i * one.length);
  const flooding = flood.send(many).catch(() => {});

  const started = performance.now();
  const honest = await within(
    15_000,
    Promise.all(
      files.map((f) =>
        sendFiles({ paths: [f.path], port: receiver.port, retries: 0, timeoutMs: 10_000 })
      ),
    ),
    "the honest senders",
  );
  const ms = performance.now() - started;
  console.log(`faults: 8 honest senders done in ${ms.toFixed(0)} ms beside 4 misbehaving ones`);
  for (const result of honest) assert.equal(result.files, 1);
  for (const [i, f] of files.entries()) {
    assert.deepEqual(await Deno.readFile(join(dir, `file-${i}.bin`)), f.bytes);
  }
  assert.notEqual(await within(30_000, dropping, "the dropping sender"), "sent");
  await within(5000, Promise.all([trickling, flooding]), "the abusers");
  for (const peer of [stalled, trickle, flood]) {
    assert.ok(await peer.closedWithin(5000), "the receiver drops every misbehaving peer");
    peer.close();
  }
  assert.ok(
    receiver.of("session-error").some((e) => e.code === "timeout"),
    "the stalled and trickling peers time out",
  );
  // The dropping sender's resumable partial is the only thing in .sockit.
  const parts = await partSizes(dir);
  assert.ok(parts.length <= 2 && parts.every((s) => s > 0), `partials: ${parts}`);
  assert.deepEqual(await tempFiles(dir), []);
  assert.deepEqual((await finalEntries(dir)).sort(), files.map((_, i) => `file-${i}.bin`).sort());
});

for (const change of ["grows", "shrinks"] as const) {
  Deno.test(`faults: a file that ${change} while it is sent is left out with file-changed; the others are stored`, async () => {
    await using temp = await tempDir();
    await using receiver = await RecordingReceiver.start();
    const size = 8 * 1024 * 1024;
    const files = [
      { name: "before.bin", bytes: seededBytes(1024 * 1024, SEED + 901) },
      { name: "notes.bin", bytes: seededBytes(size, SEED + 902) },
      { name: "after.txt", bytes: seededBytes(1000, SEED + 903) },
    ];
    for (const f of files) await Deno.writeFile(join(temp.path, f.name), f.bytes);
    const changing = join(temp.path, "notes.bin");
    let changed = false;
    const events: SendEvent[] = [];
    const result = await within(
      15_000,
      sendFiles({
        paths: files.map((f) => join(temp.path, f.name)),
        port: receiver.port,
        retries: 0,
        chunkSize: 16 * 1024,
        onEvent: (event) => {
          events.push(event);
          // Its first bytes are out: the student saves the file again.
          if (event.type !== "file-progress" || event.path !== "notes.bin" || changed) return;
          changed = true;
          using file = Deno.openSync(changing, { write: true });
          file.truncateSync(change === "grows" ? 2 * size : size / 2);
        },
      }),
      "the send",
    );
    assert.equal(result.files, 2);
    assert.equal(result.failed, 1);
    const failed = events.filter((e) => e.type === "file-failed");
    assert.deepEqual(failed.map((e) => [e.path, e.code, e.details.path]), [
      ["notes.bin", "file-changed", changing],
    ]);
    await receiver.waitFor((e) => e.type === "file-failed", 10_000, "the receiver's report");
    const stored = await finalEntries(receiver.dir);
    assert.deepEqual(stored.filter((p) => p.endsWith(".bin") || p.endsWith(".txt")).sort(), [
      "after.txt",
      "before.bin",
    ]);
  });
}

Deno.test("faults: before leaving out a changed file, the sender takes the verdicts still on their way (no file stored twice)", async () => {
  await using temp = await tempDir();
  await using receiver = await RecordingReceiver.start();
  // Answers come back 300 ms late: the first file's verdict is still on its way when the
  // second file turns out to have changed.
  await using proxy = new CutProxy({ targetPort: receiver.port, latencyMs: 300 });
  const changing = join(temp.path, "notes.bin");
  await Deno.writeFile(join(temp.path, "before.bin"), seededBytes(100_000, SEED + 911));
  await Deno.writeFile(changing, seededBytes(8 * 1024 * 1024, SEED + 912));
  let changed = false;
  const result = await within(
    20_000,
    sendFiles({
      paths: [join(temp.path, "before.bin"), changing],
      port: proxy.port,
      retries: 0,
      onEvent: (event) => {
        if (event.type !== "file-progress" || event.path !== "notes.bin" || changed) return;
        changed = true;
        using file = Deno.openSync(changing, { write: true });
        file.truncateSync(1024);
      },
    }),
    "the send",
  );
  assert.equal(result.files, 1);
  assert.equal(result.failed, 1);
  assert.deepEqual(await finalEntries(receiver.dir), ["before.bin"]);
});

Deno.test("faults: a small file that changed behind other small files: those are stored once, the rest goes on", async () => {
  await using temp = await tempDir();
  await using receiver = await RecordingReceiver.start();
  const names = ["a.txt", "b.txt", "c.txt", "d.txt"];
  for (const [i, name] of names.entries()) {
    await Deno.writeFile(join(temp.path, name), seededBytes(1000, SEED + 920 + i));
  }
  let changed = false;
  const result = await within(
    15_000,
    sendFiles({
      paths: names.map((name) => join(temp.path, name)),
      port: receiver.port,
      retries: 0,
      onEvent: (event) => {
        // a.txt is read and gathered (not yet written) when c.txt is saved again.
        if (event.type !== "file-progress" || event.path !== "a.txt" || changed) return;
        changed = true;
        Deno.truncateSync(join(temp.path, "c.txt"), 10);
      },
    }),
    "the send",
  );
  assert.equal(result.files, 3);
  assert.equal(result.failed, 1);
  assert.deepEqual((await finalEntries(receiver.dir)).sort(), ["a.txt", "b.txt", "d.txt"]);
});
