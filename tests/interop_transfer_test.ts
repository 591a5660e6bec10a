/**
 * The lesson's classic file protocol (size digits, `ready`, the bytes, close) both ways against
 * the Python peers in `tests/peers/`, with the CLI as a user runs it on 127.0.0.1 (port 0):
 * the lesson's sender into `sockit receive`, `sockit send --classic` into the lesson's
 * receiver, sizes arriving in pieces, a classic sender that gives up half way, and what the
 * sockit protocol says when it meets a classic-only receiver.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { finalEntries, internalEntries, RecordingReceiver } from "./fault_helpers.ts";
import {
  cliReceiver,
  randomBytes,
  readBytes,
  runCli,
  runPython,
  spawnPython,
  tempDir,
  writeAll,
} from "./util.ts";
import type { BackgroundProcess } from "./util.ts";

const encoder = new TextEncoder();
const MiB = 1024 * 1024;

/** The generated name of a classic file from 127.0.0.1: time, then the sender's address. */
const CLASSIC_NAME = /^classic-\d{8}-\d{6}-127-0-0-1(?: \(\d+\))?/;

/** The folder classic senders' files go to: they carry no name, so their address names it. */
const UNNAMED = "unnamed-127-0-0-1";

/**
 * The lines on which the receiver reports a stored classic file: the stored names, inside the
 * sender's folder {@linkcode UNNAMED}.
 */
async function storedClassic(proc: BackgroundProcess, n: number): Promise<string[]> {
  const lines = await proc.stdout.waitForLines(
    /^Stored unnamed-127-0-0-1\/(.+) from unnamed-127-0-0-1 \(127\.0\.0\.1:\d+\) \(classic sender, unverified\)/,
    n,
  );
  return lines.map((m) => m[1]);
}

/** The files stored in {@linkcode UNNAMED} of `dir`, sorted (and nothing else stored). */
async function classicFiles(dir: string): Promise<string[]> {
  const entries = await finalEntries(dir);
  const inside = entries.filter((e) => e.startsWith(`${UNNAMED}/`));
  assert.deepEqual(entries.filter((e) => e !== UNNAMED && !inside.includes(e)), []);
  return inside.map((e) => e.slice(UNNAMED.length + 1)).sort();
}

/** Runs the lesson's sender on `file` against `port`; asserts it reports every byte sent. */
async function lessonSend(file: string, port: number): Promise<void> {
  const size = (await Deno.stat(file)).size;
  const out = await runPython("lesson_file_sender.py", [
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--file",
    file,
    "--timeout",
    "10",
  ], 20_000);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, new RegExp(`^sent ${size} bytes$`, "m"));
}

/** The lesson's receiver on 127.0.0.1 and a free port, storing into `out`. Dispose it to kill it. */
async function lessonReceiver(out: string): Promise<BackgroundProcess & { port: number }> {
  const args = ["--host", "127.0.0.1", "--port", "0", "--out", out, "--max-seconds", "60"];
  const python = spawnPython("lesson_file_receiver.py", args);
  try {
    const [, port] = await python.stdout.waitFor(/^listening on (\d+)/);
    return Object.assign(python, { port: Number(port) });
  } catch (err) {
    await python.stop("SIGKILL");
    throw err;
  }
}

/** A raw classic connection, every read bounded. */
async function classicConnect(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  return conn;
}

Deno.test("interop: the lesson's sender into sockit receive, byte-identical (0 B, text, 1 MiB)", async () => {
  await using receiver = await cliReceiver();
  await using src = await tempDir();
  const files: [string, Uint8Array][] = [
    ["empty.bin", new Uint8Array(0)],
    ["homework.py", encoder.encode("print('안녕하세요')\n")],
    ["random.bin", randomBytes(MiB)],
  ];
  const stored: string[] = [];
  for (const [name, bytes] of files) {
    await Deno.writeFile(join(src.path, name), bytes);
    await lessonSend(join(src.path, name), receiver.port);
    const all = await storedClassic(receiver.proc, stored.length + 1);
    stored.push(all[stored.length]);
  }
  assert.equal(new Set(stored).size, 3, "three distinct names");
  for (const [i, [, bytes]] of files.entries()) {
    assert.match(stored[i], CLASSIC_NAME);
    assert.ok(!stored[i].includes("."), `no extension for unrecognised content: ${stored[i]}`);
    const got = await Deno.readFile(join(receiver.dir, UNNAMED, stored[i]));
    assert.equal(got.length, bytes.length);
    assert.ok(got.every((b, j) => b === bytes[j]), `${stored[i]} differs`);
  }
  assert.deepEqual(await classicFiles(receiver.dir), [...stored].sort());
  assert.deepEqual(await internalEntries(receiver.dir), []);
});

Deno.test("interop: classic files named by their content: PNG and JPEG get .png and .jpg", async () => {
  await using receiver = await cliReceiver();
  await using src = await tempDir();
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...randomBytes(500)]);
  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, ...randomBytes(3000)]);
  await Deno.writeFile(join(src.path, "photo"), png);
  await lessonSend(join(src.path, "photo"), receiver.port);
  const [first] = await storedClassic(receiver.proc, 1);
  await Deno.writeFile(join(src.path, "photo"), jpeg);
  await lessonSend(join(src.path, "photo"), receiver.port);
  const [, second] = await storedClassic(receiver.proc, 2);
  assert.match(first, CLASSIC_NAME);
  assert.match(first, /\.png$/);
  assert.match(second, CLASSIC_NAME);
  assert.match(second, /\.jpg$/);
  assert.deepEqual(await Deno.readFile(join(receiver.dir, UNNAMED, first)), png);
  assert.deepEqual(await Deno.readFile(join(receiver.dir, UNNAMED, second)), jpeg);
});

Deno.test("interop: --classic-name hw stores hw, then hw (1)", async () => {
  await using receiver = await cliReceiver({ args: ["--classic-name", "hw"] });
  await using src = await tempDir();
  await Deno.writeTextFile(join(src.path, "a.py"), "print(1)\n");
  await Deno.writeTextFile(join(src.path, "b.py"), "print(2)\n");
  await lessonSend(join(src.path, "a.py"), receiver.port);
  await storedClassic(receiver.proc, 1);
  await lessonSend(join(src.path, "b.py"), receiver.port);
  assert.deepEqual(await storedClassic(receiver.proc, 2), ["hw", "hw (1)"]);
  assert.deepEqual(await classicFiles(receiver.dir), ["hw", "hw (1)"]);
  assert.equal(await Deno.readTextFile(join(receiver.dir, UNNAMED, "hw")), "print(1)\n");
  assert.equal(await Deno.readTextFile(join(receiver.dir, UNNAMED, "hw (1)")), "print(2)\n");
});

Deno.test("interop: a classic size that arrives in pieces is read whole before 'ready'", async () => {
  // In this process, so that the second piece follows the receiver's read of the first at once
  // (a pause of 150 ms would end the size).
  await using receiver = await RecordingReceiver.start({ trace: true });
  const conn = await classicConnect(receiver.port);
  try {
    await writeAll(conn, encoder.encode("12"));
    // The receiver has read the first piece (its trace shows it) before the second is sent.
    await receiver.waitFor(
      (e) => e.type === "trace" && e.direction === "received" && e.bytes.length === 2,
      5000,
      "the first piece read",
    );
    await writeAll(conn, encoder.encode("34"));
    const ready = await readBytes(conn, 5, 5000);
    assert.equal(new TextDecoder().decode(ready), "ready");
    const data = randomBytes(1234);
    await writeAll(conn, data);
    // The receiver closes once it has exactly 1234 bytes: nothing follows 'ready'.
    assert.equal((await readBytes(conn, 1, 5000)).length, 0, "nothing follows 'ready'");
    const done = await receiver.waitFor((e) => e.type === "file-done", 5000, "the file stored");
    assert.ok(done.type === "file-done");
    assert.deepEqual(await Deno.readFile(join(receiver.dir, done.stored)), data);
  } finally {
    conn.close();
  }
});

Deno.test("interop: a classic sender that closes early leaves no file", async () => {
  await using receiver = await cliReceiver();
  const conn = await classicConnect(receiver.port);
  try {
    await writeAll(conn, encoder.encode("100000"));
    assert.equal(new TextDecoder().decode(await readBytes(conn, 5, 5000)), "ready");
    await writeAll(conn, randomBytes(40_000));
  } finally {
    conn.close();
  }
  await receiver.proc.stderr.waitFor(
    /^Transfer of \(classic\) from unnamed-127-0-0-1 \(127\.0\.0\.1:\d+\) failed/,
  );
  assert.deepEqual(await finalEntries(receiver.dir), []);
  assert.deepEqual(await internalEntries(receiver.dir), []);
  assert.ok(!receiver.proc.stdout.text.includes("Stored "), receiver.proc.stdout.text);

  // A sender that closes before any size digit ended arrives is no file either.
  const digits = await classicConnect(receiver.port);
  await writeAll(digits, encoder.encode("55"));
  digits.close();
  // And the receiver still serves the next classic sender.
  await using src = await tempDir();
  await Deno.writeTextFile(join(src.path, "ok.txt"), "still here\n");
  await lessonSend(join(src.path, "ok.txt"), receiver.port);
  const [stored] = await storedClassic(receiver.proc, 1);
  assert.deepEqual(await classicFiles(receiver.dir), [stored]);
  assert.equal(await Deno.readTextFile(join(receiver.dir, UNNAMED, stored)), "still here\n");
});

Deno.test("interop: sockit send --classic into the lesson's receiver, byte-identical (0 B, 1 MiB)", async () => {
  await using out = await tempDir();
  await using src = await tempDir();
  await using python = await lessonReceiver(out.path);
  const empty = new Uint8Array(0);
  const random = randomBytes(MiB);
  await Deno.writeFile(join(src.path, "empty.bin"), empty);
  await Deno.writeFile(join(src.path, "random.bin"), random);
  const result = await runCli([
    "send",
    "--classic",
    join(src.path, "empty.bin"),
    join(src.path, "random.bin"),
    "--to",
    `127.0.0.1:${python.port}`,
  ], { timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  await python.stdout.waitFor(/^received 2 /);
  assert.match(python.stdout.text, /^received 1 0$/m);
  assert.match(python.stdout.text, new RegExp(`^received 2 ${MiB}$`, "m"));
  assert.deepEqual(await Deno.readFile(join(out.path, "received-1")), empty);
  assert.deepEqual(await Deno.readFile(join(out.path, "received-2")), random);
  // The CLI says plainly that classic mode could not check the content.
  assert.match(result.stdout, /Sent empty\.bin \(0 B\)$/m);
  assert.match(result.stdout, /Sent random\.bin \(1\.00 MiB[,)]/);
  assert.match(result.stdout, /Classic mode cannot verify the content/);
  assert.ok(!result.stdout.includes("SHA-256 verified"), result.stdout);
  // Two files in classic mode: the lesson's own receiver (one fixed file name) would keep only
  // the last, which the sender says before sending (this peer numbers its files).
  assert.match(result.stderr, /^Careful: --classic sends 2 files one after another, /);
  assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
});

Deno.test("interop: sockit protocol to a classic-only receiver fails at once with one clear line", async () => {
  await using out = await tempDir();
  await using src = await tempDir();
  await using python = await lessonReceiver(out.path);
  await Deno.writeTextFile(join(src.path, "homework.py"), "print(1)\n");
  const started = performance.now();
  const result = await runCli(
    ["send", join(src.path, "homework.py"), "--to", `127.0.0.1:${python.port}`],
    {
      timeoutMs: 30_000,
    },
  );
  const ms = performance.now() - started;
  assert.equal(result.code, 1);
  assert.ok(ms < 8000, `gave up after ${ms} ms (no long retries against the wrong program)`);
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], /^sockit: /);
  assert.match(lines[0], new RegExp(`127\\.0\\.0\\.1:${python.port}`));
  assert.match(lines[0], /not a sockit receiver/);
  assert.match(lines[0], /--classic/);
  assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
  assert.doesNotMatch(result.stdout, /Sent |stored as/);
  // The lesson's receiver saw no size and stored nothing.
  await python.stdout.waitFor(/^failed 1 /);
  assert.deepEqual([...Deno.readDirSync(out.path)], []);
});
