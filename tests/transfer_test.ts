/**
 * File transfer as a library, over real sockets on 127.0.0.1 (port 0) into temporary folders:
 * `startReceiver` and `sendFiles` together. Sizes around the chunk size, 100 MiB of random
 * bytes, 1 KiB chunks, Korean, emoji and decomposed names, a folder of 1,000 files, 50 senders
 * of the same name at once, overwrite, the size limit, the receiver's and sender's events,
 * and the modification time.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { encodeFrame } from "../lib/transfer/protocol.ts";
import type { SendEvent } from "../lib/transfer/sender.ts";
import { DEFAULT_CHUNK_SIZE } from "../lib/core/streams.ts";
import { finalEntries, internalEntries, RecordingReceiver, snapshot } from "./fault_helpers.ts";
import { randomBytes, sha256File, sha256Hex, tempDir, within } from "./util.ts";

const encoder = new TextEncoder();
const MiB = 1024 * 1024;

/** Writes `size` random bytes to `path` in 1 MiB pieces and returns their SHA-256. */
async function writeRandomFile(path: string, size: number): Promise<string> {
  const hash = createHash("sha256");
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    for (let done = 0; done < size;) {
      const chunk = randomBytes(Math.min(MiB, size - done));
      hash.update(chunk);
      for (let offset = 0; offset < chunk.length;) {
        offset += await file.write(chunk.subarray(offset));
      }
      done += chunk.length;
    }
  } finally {
    file.close();
  }
  return hash.digest("hex");
}

/** The sizes of the file data chunks the sender wrote, from its trace (between S and E). */
function dataChunks(events: SendEvent[]): number[] {
  const start = encodeFrame({ type: "S", id: 1, offset: 0 });
  const sent = events.filter((e) => e.type === "trace" && e.direction === "sent") as Extract<
    SendEvent,
    { type: "trace" }
  >[];
  const sizes: number[] = [];
  let inData = false;
  for (const event of sent) {
    if (inData && event.bytes[0] === 0x45 && event.bytes.length < 200) {
      inData = false; // the E frame
      continue;
    }
    if (inData) sizes.push(event.bytes.length);
    if (event.bytes.length === start.length && event.bytes.every((b, i) => b === start[i])) {
      inData = true;
    }
  }
  return sizes;
}

Deno.test("transfer: sizes 0, 1 and chunk size -1, exact, +1 arrive intact (1 KiB and default chunks)", async () => {
  for (const chunkSize of [1024, DEFAULT_CHUNK_SIZE]) {
    await using receiver = await RecordingReceiver.start({ chunkSize });
    await using src = await tempDir();
    const sizes = [0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 2 * chunkSize + 1];
    const expected = new Map<string, Uint8Array>();
    for (const size of sizes) {
      const name = `size-${size}.bin`;
      const bytes = randomBytes(size);
      expected.set(name, bytes);
      await Deno.writeFile(join(src.path, name), bytes);
    }
    const paths = [...expected.keys()].map((name) => join(src.path, name));
    const { result, events } = await receiver.send(paths, { chunkSize });
    assert.equal(result.files, sizes.length);
    assert.equal(result.rejected, 0);
    assert.equal(result.bytes, sizes.reduce((a, b) => a + b, 0));
    assert.deepEqual(await finalEntries(receiver.dir), [...expected.keys()].sort());
    for (const [name, bytes] of expected) {
      const stored = await Deno.readFile(join(receiver.dir, name));
      assert.equal(stored.length, bytes.length, name);
      assert.ok(stored.every((b, i) => b === bytes[i]), `${name} differs`);
      const done = events.find((e) => e.type === "file-done" && e.path === name);
      assert.ok(done?.type === "file-done");
      assert.equal(done.sha256, sha256Hex(bytes));
      assert.equal(done.stored, name);
    }
    assert.deepEqual(await internalEntries(receiver.dir), []);
  }
});

Deno.test("transfer: chunkSize 1024 moves the bytes in exactly 1 KiB writes", async () => {
  await using receiver = await RecordingReceiver.start({ chunkSize: 1024 });
  await using src = await tempDir();
  const file = join(src.path, "lesson.bin");
  const bytes = randomBytes(5000);
  await Deno.writeFile(file, bytes);
  const { result, events } = await receiver.send([file], { chunkSize: 1024, trace: true });
  assert.equal(result.files, 1);
  assert.deepEqual(dataChunks(events), [1024, 1024, 1024, 1024, 904]);
  assert.deepEqual(await Deno.readFile(join(receiver.dir, "lesson.bin")), bytes);

  // The default moves 1 MiB at a time.
  const big = join(src.path, "big.bin");
  await Deno.writeFile(big, randomBytes(2 * MiB + 10));
  const second = await receiver.send([big], { trace: true });
  assert.deepEqual(dataChunks(second.events), [MiB, MiB, 10]);
});

Deno.test("transfer: 100 MiB of random bytes arrive with the same SHA-256", async () => {
  await using receiver = await RecordingReceiver.start();
  await using src = await tempDir();
  const file = join(src.path, "random-100MiB.bin");
  const size = 100 * MiB;
  const expected = await writeRandomFile(file, size);
  const started = performance.now();
  const { result, events } = await receiver.send([file]);
  const ms = performance.now() - started;
  assert.equal(result.files, 1);
  assert.equal(result.bytes, size);
  const stored = join(receiver.dir, "random-100MiB.bin");
  assert.equal((await Deno.stat(stored)).size, size);
  assert.equal(await sha256File(stored), expected);
  const sent = events.find((e) => e.type === "file-done");
  assert.ok(sent?.type === "file-done");
  assert.equal(sent.sha256, expected);
  const got = receiver.of("file-done")[0];
  assert.equal(got.sha256, expected);
  assert.equal(got.size, size);
  assert.deepEqual(await internalEntries(receiver.dir), []);
  assert.ok(ms < 60_000, `100 MiB took ${ms} ms`);
});

Deno.test("transfer: Korean, emoji and decomposed (NFD) names arrive, stored as NFC", async () => {
  await using receiver = await RecordingReceiver.start();
  await using src = await tempDir();
  const nfd = "과제.py".normalize("NFD");
  assert.notEqual(nfd, "과제.py", "the test name must really be decomposed");
  const folder = join(src.path, "숙제 폴더");
  await Deno.mkdir(join(folder, "하위".normalize("NFD")), { recursive: true });
  const files: [string, string][] = [
    [join(src.path, nfd), "print('안녕')\n"],
    [join(src.path, "🎉 party 🐍.txt"), "emoji\n"],
    [join(src.path, "보고서 (최종).hwp"), "hwp\n"],
    [join(folder, "하위".normalize("NFD"), "메모.txt".normalize("NFD")), "nested\n"],
  ];
  for (const [path, text] of files) await Deno.writeTextFile(path, text);
  // The disk keeps the decomposed bytes (otherwise this test would prove nothing).
  assert.ok([...Deno.readDirSync(src.path)].some((e) => e.name === nfd));

  const { result, events } = await receiver.send([
    join(src.path, nfd),
    join(src.path, "🎉 party 🐍.txt"),
    join(src.path, "보고서 (최종).hwp"),
    folder,
  ]);
  assert.equal(result.files, 4);
  assert.deepEqual(
    await finalEntries(receiver.dir),
    [
      "과제.py",
      "보고서 (최종).hwp",
      "숙제 폴더",
      "숙제 폴더/하위",
      "숙제 폴더/하위/메모.txt",
      "🎉 party 🐍.txt",
    ]
      .sort(),
  );
  for (const name of await finalEntries(receiver.dir)) assert.equal(name, name.normalize("NFC"));
  assert.equal(await Deno.readTextFile(join(receiver.dir, "과제.py")), "print('안녕')\n");
  assert.equal(await Deno.readTextFile(join(receiver.dir, "🎉 party 🐍.txt")), "emoji\n");
  assert.equal(
    await Deno.readTextFile(join(receiver.dir, "숙제 폴더", "하위", "메모.txt")),
    "nested\n",
  );
  const stored = events.flatMap((e) => e.type === "file-done" ? [e.stored] : []).sort();
  assert.deepEqual(
    stored,
    ["과제.py", "보고서 (최종).hwp", "숙제 폴더/하위/메모.txt", "🎉 party 🐍.txt"].sort(),
  );
});

Deno.test("transfer: a folder of 1,000 small files, nested, with empty folders, arrives identical", async () => {
  await using receiver = await RecordingReceiver.start();
  await using src = await tempDir();
  const root = join(src.path, "project");
  const paths: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const deep = i % 3 === 0 ? `e${i % 7}/` : "";
    paths.push(i < 10 ? `top-${i}.txt` : `d${i % 10}/${deep}f${i}.txt`);
  }
  for (const folder of new Set(paths.map((p) => p.split("/").slice(0, -1).join("/")))) {
    await Deno.mkdir(join(root, folder), { recursive: true });
  }
  await Promise.all(
    paths.map((p, i) =>
      Deno.writeTextFile(join(root, p), i === 5 ? "" : `file ${i} ${crypto.randomUUID()}\n`)
    ),
  );
  await Deno.mkdir(join(root, "empty"));
  await Deno.mkdir(join(root, "d3", "also-empty", "deeper-empty"), { recursive: true });

  const { result, events } = await within(
    45_000,
    receiver.send([root]),
    "sending 1,000 files",
  );
  assert.equal(result.files, 1000);
  assert.equal(result.rejected, 0);
  const plan = events.find((e) => e.type === "plan");
  assert.deepEqual(plan, {
    type: "plan",
    files: 1000,
    folders: 2,
    bytes: result.bytes,
  });
  assert.equal(events.filter((e) => e.type === "folder").length, 2);
  const want = await snapshot(src.path);
  const got = await snapshot(receiver.dir, [".sockit"]);
  assert.equal(Object.values(got).filter((e) => e !== "folder").length, 1000);
  assert.deepEqual(got, want);
  assert.equal(got["project/empty"], "folder");
  assert.equal(got["project/d3/also-empty/deeper-empty"], "folder");
  await receiver.waitFor((e) => e.type === "session-end", 10_000, "a session-end event");
  assert.deepEqual(
    receiver.of("session-end").map((e) => e.files),
    [1000],
  );
});

Deno.test("transfer: 50 senders of homework.py at once yield 50 distinct verified files", async () => {
  await using receiver = await RecordingReceiver.start();
  await using src = await tempDir();
  const senders = 50;
  const contents: string[] = [];
  const files: string[] = [];
  for (let i = 0; i < senders; i++) {
    await Deno.mkdir(join(src.path, `student-${i}`));
    const file = join(src.path, `student-${i}`, "homework.py");
    contents.push(`# student ${i}\nprint(${i} * ${i})  # ${crypto.randomUUID()}\n`);
    files.push(file);
    await Deno.writeTextFile(file, contents[i]);
  }
  const outcomes = await within(
    30_000,
    Promise.all(files.map((file) => receiver.send([file]))),
    "50 concurrent senders",
  );
  const storedBy = outcomes.map(({ result, events }, i) => {
    assert.equal(result.files, 1, `sender ${i}`);
    const done = events.find((e) => e.type === "file-done");
    assert.ok(done?.type === "file-done" && done.stored, `sender ${i} got a verdict`);
    return done.stored;
  });
  const expectedNames = [
    "homework.py",
    ...Array.from({ length: senders - 1 }, (_, n) => `homework (${n + 1}).py`),
  ];
  assert.deepEqual([...storedBy].sort(), [...expectedNames].sort(), "every sender a new name");
  assert.deepEqual(await finalEntries(receiver.dir), [...expectedNames].sort());
  // Each stored file holds the content of the sender that was told its name.
  for (let i = 0; i < senders; i++) {
    assert.equal(await Deno.readTextFile(join(receiver.dir, storedBy[i])), contents[i]);
  }
  const stored = await Promise.all(
    expectedNames.map((name) => Deno.readTextFile(join(receiver.dir, name))),
  );
  assert.deepEqual([...stored].sort(), [...contents].sort(), "each content exactly once");
  assert.equal(receiver.of("file-done").length, senders);
  assert.deepEqual(await internalEntries(receiver.dir), []);
});

Deno.test("transfer: a taken name gets a number; with overwrite it is replaced", async () => {
  await using src = await tempDir();
  const file = join(src.path, "homework.py");
  {
    await using receiver = await RecordingReceiver.start();
    await Deno.writeTextFile(file, "first\n");
    await receiver.send([file]);
    await Deno.writeTextFile(file, "second\n");
    const { events } = await receiver.send([file]);
    assert.ok(events.some((e) => e.type === "file-done" && e.stored === "homework (1).py"));
    assert.deepEqual(await finalEntries(receiver.dir), ["homework (1).py", "homework.py"]);
    assert.equal(await Deno.readTextFile(join(receiver.dir, "homework.py")), "first\n");
    assert.equal(await Deno.readTextFile(join(receiver.dir, "homework (1).py")), "second\n");
  }
  {
    await using receiver = await RecordingReceiver.start({ overwrite: true });
    await Deno.writeTextFile(file, "first\n");
    await receiver.send([file]);
    await Deno.writeTextFile(file, "second, longer\n");
    const { result, events } = await receiver.send([file]);
    assert.equal(result.files, 1);
    assert.ok(events.some((e) => e.type === "file-done" && e.stored === "homework.py"));
    assert.deepEqual(await finalEntries(receiver.dir), ["homework.py"]);
    assert.equal(await Deno.readTextFile(join(receiver.dir, "homework.py")), "second, longer\n");
    assert.deepEqual(await internalEntries(receiver.dir), []);
  }
});

Deno.test("transfer: maxSize refuses a larger file with too-large and stores nothing of it", async () => {
  await using receiver = await RecordingReceiver.start({ maxSize: 100 });
  await using src = await tempDir();
  await Deno.writeFile(join(src.path, "fits.bin"), randomBytes(100));
  await Deno.writeFile(join(src.path, "large.bin"), randomBytes(101));
  await Deno.writeFile(join(src.path, "after.bin"), randomBytes(3));
  const { result, events } = await receiver.send([
    join(src.path, "fits.bin"),
    join(src.path, "large.bin"),
    join(src.path, "after.bin"),
  ]);
  assert.equal(result.rejected, 1);
  assert.equal(result.files, 2, "the session goes on after a refusal");
  assert.equal(result.bytes, 103);
  const refused = events.filter((e) => e.type === "file-rejected");
  assert.equal(refused.length, 1);
  assert.ok(refused[0].type === "file-rejected");
  assert.equal(refused[0].path, "large.bin");
  assert.equal(refused[0].code, "too-large");
  assert.ok(!events.some((e) => e.type === "file-start" && e.path === "large.bin"));
  const logged = receiver.of("file-rejected");
  assert.equal(logged.length, 1);
  assert.equal(logged[0].code, "too-large");
  assert.equal(logged[0].path, "large.bin");
  assert.match(logged[0].peer, /^127\.0\.0\.1:\d+$/);
  assert.deepEqual(await finalEntries(receiver.dir), ["after.bin", "fits.bin"]);
  assert.deepEqual(await internalEntries(receiver.dir), []);
});

Deno.test("transfer: the receiver's file-done names sender, stored path, size, time and SHA-256", async () => {
  await using receiver = await RecordingReceiver.start();
  await using src = await tempDir();
  const bytes = randomBytes(4321);
  await Deno.mkdir(join(src.path, "lab"));
  await Deno.writeFile(join(src.path, "lab", "data.csv"), bytes);
  await receiver.send([join(src.path, "lab")]);
  await receiver.waitFor((e) => e.type === "file-done", 10_000, "a file-done event");
  const [done] = receiver.of("file-done");
  assert.match(done.peer, /^127\.0\.0\.1:\d+$/);
  assert.equal(done.path, "lab/data.csv");
  assert.equal(done.stored, "lab/data.csv");
  assert.equal(done.size, 4321);
  assert.equal(done.sha256, sha256Hex(bytes));
  assert.equal(done.classic, false);
  assert.equal(typeof done.ms, "number");
  assert.ok(done.ms >= 0 && done.ms < 30_000, `ms ${done.ms}`);
  assert.equal(typeof done.id, "number");
  const session = receiver.of("session")[0];
  assert.deepEqual(session, { type: "session", peer: done.peer, protocol: "sockit" });
  await receiver.waitFor((e) => e.type === "session-end", 10_000, "a session-end event");
  assert.deepEqual(receiver.of("session-end")[0], {
    type: "session-end",
    peer: done.peer,
    files: 1,
    bytes: 4321,
  });
  const summary = await receiver.receiver.close();
  assert.deepEqual(summary, { sessions: 1, files: 1, bytes: 4321 });
  assert.equal(receiver.of("stopped").length, 1);
});

Deno.test("transfer: the modification time is preserved", async () => {
  await using receiver = await RecordingReceiver.start();
  await using src = await tempDir();
  const old = new Date("2001-09-09T01:46:40.000Z");
  const odd = new Date(1_234_567_890_123);
  await Deno.writeTextFile(join(src.path, "old.txt"), "old\n");
  await Deno.writeTextFile(join(src.path, "odd.txt"), "odd\n");
  await Deno.utime(join(src.path, "old.txt"), old, old);
  await Deno.utime(join(src.path, "odd.txt"), odd, odd);
  await receiver.send([join(src.path, "old.txt"), join(src.path, "odd.txt")]);
  const oldStored = (await Deno.stat(join(receiver.dir, "old.txt"))).mtime!;
  const oddStored = (await Deno.stat(join(receiver.dir, "odd.txt"))).mtime!;
  assert.equal(oldStored.getTime(), old.getTime());
  assert.ok(Math.abs(oddStored.getTime() - odd.getTime()) <= 1, `${oddStored.toISOString()}`);
});

Deno.test("transfer: the sender reports plan, connected, file-start, progress, file-done, done", async () => {
  await using receiver = await RecordingReceiver.start();
  await using src = await tempDir();
  await Deno.writeFile(join(src.path, "a.txt"), encoder.encode("hello\n"));
  await Deno.mkdir(join(src.path, "b", "empty"), { recursive: true });
  await Deno.writeFile(join(src.path, "b", "c.bin"), randomBytes(3 * 1024));
  const { result, events } = await receiver.send([join(src.path, "a.txt"), join(src.path, "b")], {
    chunkSize: 1024,
  });
  // Pipelined: a file's verdict may come while the next file is sent, so the order holds per
  // file (start, progress, done) and for the session (plan, connected, …, done).
  const types = events.map((e) => e.type);
  assert.deepEqual([types[0], types[1], types[types.length - 1]], ["plan", "connected", "done"]);
  for (const path of ["a.txt", "b/c.bin"]) {
    const own = events.filter((e) => "path" in e && e.path === path).map((e) => e.type);
    assert.deepEqual(own.filter((t, i) => !(t === "file-progress" && own[i - 1] === t)), [
      "file-start",
      "file-progress",
      "file-done",
    ]);
  }
  assert.equal(types.filter((t) => t === "folder").length, 1);
  assert.deepEqual(events[0], { type: "plan", files: 2, folders: 1, bytes: 6 + 3072 });
  assert.deepEqual(events[1], {
    type: "connected",
    peer: `127.0.0.1:${receiver.port}`,
    protocol: "sockit",
  });
  assert.deepEqual(events[2], { type: "file-start", path: "a.txt", size: 6, offset: 0 });
  const progress = events.filter((e) => e.type === "file-progress");
  const last = progress[progress.length - 1];
  assert.ok(last.type === "file-progress");
  assert.equal(last.path, "b/c.bin");
  assert.equal(last.bytes, 3072);
  assert.equal(last.totalBytes, 6 + 3072);
  assert.equal(last.totalSize, 6 + 3072);
  for (const p of progress) assert.ok(p.type === "file-progress" && p.bytes <= p.size);
  const done = events.filter((e) => e.type === "file-done");
  assert.deepEqual(done.map((e) => e.type === "file-done" && e.stored), ["a.txt", "b/c.bin"]);
  assert.ok(events.some((e) => e.type === "folder" && e.path === "b/empty"));
  const end = events[events.length - 1];
  assert.ok(end.type === "done");
  assert.equal(end.files, 2);
  assert.equal(end.bytes, 6 + 3072);
  assert.equal(end.rejected, 0);
  assert.equal(end.ms, result.ms);
  assert.ok((await Deno.stat(join(receiver.dir, "b", "empty"))).isDirectory);
});

Deno.test("transfer: a folder of small files goes out in a few writes, and the answers come back in few", async () => {
  await using receiver = await RecordingReceiver.start();
  await using src = await tempDir();
  const folder = join(src.path, "hw");
  await Deno.mkdir(folder);
  for (let i = 0; i < 40; i++) await Deno.writeFile(join(folder, `${i}.py`), randomBytes(1000));
  const { result, events } = await receiver.send([folder], { trace: true });
  assert.equal(result.files, 40);
  const count = (direction: string) =>
    events.filter((e) => e.type === "trace" && e.direction === direction).length;
  // Preface; the offers; then the 40 files (40 KB) gathered into writes of up to 64 KiB; Q.
  assert.ok(count("sent") <= 6, `${count("sent")} writes for 40 files`);
  // Hello, then accepts and verdicts queued and sent together, then Q: far fewer than 80.
  assert.ok(count("received") <= 20, `${count("received")} reads for 40 files' answers`);
  const stored = (await finalEntries(receiver.dir)).filter((p) => p.endsWith(".py"));
  assert.equal(stored.length, 40);
});
