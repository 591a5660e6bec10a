/**
 * The small-file path (files of at most 64 KiB: one read, one hash update, one write; no
 * resumable partial; each folder checked once per session): what arrives is what was sent,
 * modification times are kept, a cut small file leaves nothing behind and starts over, and a
 * folder (or `.sockit/`) swapped for a symbolic link between two files of one session never
 * leads a byte outside the receiving folder.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { SMALL_FILE_SIZE } from "../lib/core/streams.ts";
import {
  finalEntries,
  internalEntries,
  RecordingReceiver,
  seededBytes,
  seededRandom,
  snapshot,
  suiteSeed,
  tree,
} from "./fault_helpers.ts";
import { RawPeer } from "./raw_peer.ts";
import { tempDir } from "./util.ts";

const SEED = suiteSeed("small files");

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Sends `path` whole through `peer` (F, A, S, bytes, E) and returns the verdict frame. */
async function sendWhole(peer: RawPeer, id: number, path: string, bytes: Uint8Array) {
  await peer.sendFrame({ type: "F", id, path, size: bytes.length, mtime: 0 });
  const answer = await peer.frame(5000);
  if (answer.type !== "A") return answer;
  await peer.sendFrame({ type: "S", id, offset: 0 });
  await peer.send(bytes);
  await peer.sendFrame({ type: "E", id, sha256: sha256(bytes) });
  return await peer.frame(5000);
}

Deno.test("small files: a nested folder around the small-file size arrives identical, every mtime kept", async () => {
  await using root = await tempDir();
  const source = join(root.path, "homework");
  const random = seededRandom(SEED);
  // Both sides of the threshold, empty and one-byte files, and files of 1–16 KiB in folders.
  const sizes = [
    0,
    1,
    SMALL_FILE_SIZE - 1,
    SMALL_FILE_SIZE,
    SMALL_FILE_SIZE + 1,
    3 * SMALL_FILE_SIZE,
  ];
  for (let i = 0; i < 60; i++) sizes.push(1024 + Math.floor(random() * 15 * 1024));
  const mtimes = new Map<string, number>();
  for (const [i, size] of sizes.entries()) {
    const path = join(source, `unit${i % 3}`, `lab${i % 4}`, `f${i}.py`);
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeFile(path, seededBytes(size, SEED + i));
    const mtime = new Date(1_700_000_000_000 + i * 1000);
    await Deno.utime(path, mtime, mtime);
    mtimes.set(`homework/unit${i % 3}/lab${i % 4}/f${i}.py`, mtime.getTime());
  }
  await using receiver = await RecordingReceiver.start();
  const { result } = await receiver.send([source]);
  assert.equal(result.files, sizes.length);
  assert.deepEqual(await snapshot(join(receiver.dir, "homework")), await snapshot(source));
  for (const [path, mtime] of mtimes) {
    const info = await Deno.stat(join(receiver.dir, path));
    assert.equal(info.mtime?.getTime(), mtime, `mtime of ${path}`);
  }
  assert.deepEqual(await internalEntries(receiver.dir), [], "nothing left in .sockit");
});

Deno.test("small files: a small file cut in the middle keeps nothing and starts over at 0 when sent again", async () => {
  await using receiver = await RecordingReceiver.start();
  const bytes = seededBytes(10_000, SEED + 100);
  {
    await using peer = await RawPeer.open(receiver.port);
    await peer.sendFrame({ type: "F", id: 1, path: "cut.py", size: bytes.length, mtime: 0 });
    assert.equal((await peer.frame(5000)).type, "A");
    await peer.sendFrame({ type: "S", id: 1, offset: 0 });
    await peer.send(bytes.subarray(0, 4000));
    peer.close();
    await receiver.waitFor((e) => e.type === "file-failed" && e.path === "cut.py", 5000, "cut");
  }
  assert.deepEqual(await finalEntries(receiver.dir), [], "nothing stored");
  assert.deepEqual(await internalEntries(receiver.dir), [], "no partial, no temporary file");
  await using peer = await RawPeer.open(receiver.port);
  await peer.sendFrame({ type: "F", id: 1, path: "cut.py", size: bytes.length, mtime: 0 });
  const offer = await peer.frame(5000);
  assert.deepEqual(offer.type === "A" && offer.offset, 0, "no resume offered");
  await peer.sendFrame({ type: "S", id: 1, offset: 0 });
  await peer.send(bytes);
  await peer.sendFrame({ type: "E", id: 1, sha256: sha256(bytes) });
  const verdict = await peer.frame(5000);
  assert.ok(verdict.type === "V" && verdict.ok);
  assert.deepEqual(await Deno.readFile(join(receiver.dir, "cut.py")), bytes);
});

Deno.test("small files: a wrong hash for a small file is caught and nothing is stored", async () => {
  await using receiver = await RecordingReceiver.start();
  await using peer = await RawPeer.open(receiver.port);
  const bytes = seededBytes(5000, SEED + 200);
  await peer.sendFrame({ type: "F", id: 1, path: "x.py", size: bytes.length, mtime: 0 });
  assert.equal((await peer.frame(5000)).type, "A");
  await peer.sendFrame({ type: "S", id: 1, offset: 0 });
  await peer.send(bytes);
  await peer.sendFrame({ type: "E", id: 1, sha256: sha256(bytes.subarray(1)) });
  const verdict = await peer.frame(5000);
  assert.ok(verdict.type === "V" && !verdict.ok && verdict.code === "hash-mismatch");
  assert.equal(verdict.type === "V" && verdict.sha256, sha256(bytes), "the receiver's own hash");
  assert.deepEqual(await finalEntries(receiver.dir), []);
});

/** Outside the receiving folder: must stay empty. */
async function outsideFolder(root: string): Promise<string> {
  const outside = join(root, "outside");
  await Deno.mkdir(outside, { recursive: true });
  return outside;
}

Deno.test("small files: a folder swapped for a link between two files of one session is refused, nothing lands outside", async () => {
  await using root = await tempDir();
  const outside = await outsideFolder(root.path);
  await using receiver = await RecordingReceiver.start({ dir: join(root.path, "received") });
  await using peer = await RawPeer.open(receiver.port);
  const first = await sendWhole(peer, 1, "hw/a.py", seededBytes(3000, SEED + 300));
  assert.ok(first.type === "V" && first.ok);
  // Between two files of the same session: hw/ becomes a link to a folder outside.
  await Deno.rename(join(receiver.dir, "hw"), join(root.path, "moved"));
  await Deno.symlink(outside, join(receiver.dir, "hw"));
  const second = await sendWhole(peer, 2, "hw/b.py", seededBytes(3000, SEED + 301));
  assert.ok(second.type === "R" && second.code === "name-conflict", JSON.stringify(second));
  assert.deepEqual(await tree(outside), [], "nothing outside");
});

Deno.test("small files: a link planted where an offered file's folder was still missing is refused for the next offer", async () => {
  await using root = await tempDir();
  const outside = await outsideFolder(root.path);
  await using receiver = await RecordingReceiver.start({ dir: join(root.path, "received") });
  await using peer = await RawPeer.open(receiver.port);
  // Offered while new/ does not exist yet (pipelined offers run ahead of the first file).
  await peer.sendFrame({ type: "F", id: 1, path: "new/a.py", size: 3000, mtime: 0 });
  assert.equal((await peer.frame(5000)).type, "A");
  await Deno.symlink(outside, join(receiver.dir, "new"));
  const bytes = seededBytes(3000, SEED + 350);
  const second = await sendWhole(peer, 2, "new/b.py", bytes);
  assert.ok(second.type === "R" && second.code === "name-conflict", JSON.stringify(second));
  assert.deepEqual(await tree(outside), [], "nothing outside");
});

Deno.test("small files: a parent folder moved outside and linked back (same inode below) is refused before a byte moves", async () => {
  await using root = await tempDir();
  const outside = await outsideFolder(root.path);
  await using receiver = await RecordingReceiver.start({ dir: join(root.path, "received") });
  await using peer = await RawPeer.open(receiver.port);
  const first = await sendWhole(peer, 1, "unit/lab/a.py", seededBytes(3000, SEED + 400));
  assert.ok(first.type === "V" && first.ok);
  // unit/ moves outside and a link takes its place: unit/lab is still the very folder checked.
  await Deno.rename(join(receiver.dir, "unit"), join(outside, "unit"));
  await Deno.symlink(join(outside, "unit"), join(receiver.dir, "unit"));
  const second = await sendWhole(peer, 2, "unit/lab/b.py", seededBytes(3000, SEED + 401));
  assert.ok(second.type === "R" && second.code === "name-conflict", JSON.stringify(second));
  assert.deepEqual(await tree(join(outside, "unit", "lab")), ["a.py"], "only the first file");
});

Deno.test("small files: a folder swapped for a link after the file was accepted fails its commit, nothing outside", async () => {
  await using root = await tempDir();
  const outside = await outsideFolder(root.path);
  await using receiver = await RecordingReceiver.start({ dir: join(root.path, "received") });
  await using peer = await RawPeer.open(receiver.port);
  const first = await sendWhole(peer, 1, "hw/a.py", seededBytes(3000, SEED + 500));
  assert.ok(first.type === "V" && first.ok);
  const bytes = seededBytes(3000, SEED + 501);
  await peer.sendFrame({ type: "F", id: 2, path: "hw/b.py", size: bytes.length, mtime: 0 });
  assert.equal((await peer.frame(5000)).type, "A");
  // Accepted (its folder checked); now, before its bytes, hw/ becomes a link.
  await Deno.rename(join(receiver.dir, "hw"), join(root.path, "moved"));
  await Deno.symlink(outside, join(receiver.dir, "hw"));
  await peer.sendFrame({ type: "S", id: 2, offset: 0 });
  await peer.send(bytes);
  await peer.sendFrame({ type: "E", id: 2, sha256: sha256(bytes) });
  const answer = await peer.frame(5000);
  assert.ok(answer.type === "X" && answer.code === "name-conflict", JSON.stringify(answer));
  assert.deepEqual(await tree(outside), [], "nothing outside");
  assert.deepEqual(await internalEntries(receiver.dir), [], "the temporary file is gone");
});

Deno.test("small files: .sockit swapped for a link between two files of one session gets no byte outside", async () => {
  await using root = await tempDir();
  const outside = await outsideFolder(root.path);
  await Deno.chmod(outside, 0o700);
  await using receiver = await RecordingReceiver.start({ dir: join(root.path, "received") });
  await using peer = await RawPeer.open(receiver.port);
  const first = await sendWhole(peer, 1, "a.py", seededBytes(3000, SEED + 600));
  assert.ok(first.type === "V" && first.ok);
  await Deno.rename(join(receiver.dir, ".sockit"), join(root.path, "old-sockit"));
  await Deno.symlink(outside, join(receiver.dir, ".sockit"));
  const second = await sendWhole(peer, 2, "b.py", seededBytes(3000, SEED + 601));
  assert.ok(second.type === "R" && second.code === "name-conflict", JSON.stringify(second));
  assert.deepEqual(await tree(outside), [], "nothing outside");
  assert.deepEqual(await finalEntries(receiver.dir), ["a.py"]);
});

Deno.test("small files: .sockit made writable by others between two files of one session is refused", async () => {
  await using receiver = await RecordingReceiver.start();
  await using peer = await RawPeer.open(receiver.port);
  const first = await sendWhole(peer, 1, "a.py", seededBytes(3000, SEED + 700));
  assert.ok(first.type === "V" && first.ok);
  await Deno.chmod(join(receiver.dir, ".sockit"), 0o777);
  const second = await sendWhole(peer, 2, "b.py", seededBytes(3000, SEED + 701));
  assert.equal(second.type, "R", JSON.stringify(second));
  const refused = receiver.of("file-rejected").find((e) => e.path === "b.py");
  assert.match(refused?.reason ?? "", /writable by others/);
  assert.deepEqual(await finalEntries(receiver.dir), ["a.py"]);
});
