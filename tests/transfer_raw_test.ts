/**
 * The receiver against a hostile or broken sender, speaking the protocol by hand over a raw
 * `Deno.connect` socket on 127.0.0.1 (port 0): every class of hostile name, a symbolic link
 * inside DIR that points outside, headers that lie about the size, a wrong hash, truncated
 * transfers, an unknown version, an oversized frame, an idle peer and too many peers. Each
 * time nothing may be written outside DIR, nothing kept under a final name, no temporary file
 * left behind, and an honest sender served during and after the abuse.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  encodeFrame,
  encodePreface,
  FRAME_HEADER_SIZE,
  MAX_FRAME_PAYLOAD,
} from "../lib/transfer/protocol.ts";
import type { ReceiverFrame, VerdictFrame } from "../lib/transfer/protocol.ts";
import type { PartialSource } from "../lib/transfer/partials.ts";
import type { ReceiverOptions } from "../lib/transfer/receiver.ts";
import { Arena } from "./arena.ts";
import { RawPeer } from "./raw_peer.ts";
import { randomBytes, sha256Hex as sha256 } from "./util.ts";

const encoder = new TextEncoder();

/** Asserts a verdict frame says the file was stored under `stored`. */
function assertStored(frame: ReceiverFrame, stored: string): asserts frame is VerdictFrame {
  assert.equal(frame.type, "V", JSON.stringify(frame));
  assert.ok(frame.type === "V");
  assert.equal(frame.ok, true, JSON.stringify(frame));
  assert.equal(frame.stored, stored);
}

/**
 * An honest sender in the middle of a file while an abuse happens: call `finish()` afterwards
 * to send the rest and check the verdict.
 */
async function honestInProgress(arena: Arena, name: string) {
  const peer = await RawPeer.open(arena.port);
  const data = randomBytes(64 * 1024);
  await peer.sendFrame({ type: "F", id: 1, path: name, size: data.length, mtime: Date.now() });
  assert.equal((await peer.frame()).type, "A");
  await peer.sendFrame({ type: "S", id: 1, offset: 0 });
  await peer.send(data.subarray(0, 30_000));
  return {
    async finish(): Promise<string> {
      await peer.send(data.subarray(30_000));
      await peer.sendFrame({ type: "E", id: 1, sha256: sha256(data) });
      assertStored(await peer.frame(), name);
      await peer.quit();
      await arena.sessionOver(peer);
      peer.close();
      assert.deepEqual(await Deno.readFile(join(arena.dir, name)), data);
      return name;
    },
    close: () => peer.close(),
  };
}

/** What an abuse leaves behind legitimately: stored files, and partials kept for a resume. */
type Leftovers = { stored?: string[]; partials?: PartialSource[] };

/**
 * Runs `abuse` with an honest transfer in progress around it and another one after it, then
 * checks that nothing but `Leftovers` remains.
 */
async function withAbuse(
  abuse: (arena: Arena) => Promise<Leftovers | void>,
  options: ReceiverOptions = {},
): Promise<void> {
  await using arena = await Arena.start(options);
  await arena.freeze();
  const during = await honestInProgress(arena, "during.bin");
  let left: Leftovers | void;
  try {
    left = await abuse(arena);
  } catch (err) {
    during.close();
    throw err;
  }
  const stored = [await during.finish(), await arena.honestSend("after.bin")];
  await arena.check([...stored, ...(left?.stored ?? [])], left?.partials);
}

const HOSTILE_NAMES: string[] = [
  // absolute (the root exists in the snapshot, so a write there would be seen)
  "/abs-escape.txt",
  "\\abs-escape.txt",
  // `..` and `.` segments
  "..",
  ".",
  "../escape.txt",
  "../../../../escape.txt",
  "a/../../escape.txt",
  "a/b/../../../../../escape.txt",
  "./x.txt",
  "a/./x.txt",
  // drive letters
  "C:\\escape.txt",
  "C:escape.txt",
  "c:/escape.txt",
  "Z:",
  // UNC and device paths
  "\\\\server\\share\\escape.txt",
  "//server/share/escape.txt",
  "\\\\?\\C:\\escape.txt",
  "\\\\.\\COM1",
  // backslashes are separators
  "..\\..\\x",
  "..\\..\\..\\..\\escape.txt",
  "a\\..\\..\\escape.txt",
  // NUL, control characters, terminal escape sequences, invisible direction marks
  "a\u0000b.txt",
  "escape.txt\u0000.png",
  "line\nbreak.txt",
  "carriage\rreturn.txt",
  "tab\t.txt",
  "bell\u0007.txt",
  "\u001b[2J\u001b[31mred.txt",
  "\u001b]0;pwned\u0007title.txt",
  "\u009b31mcsi.txt",
  "del\u007f.txt",
  "sep\u2028line.txt",
  "evil\u202Etxt.exe",
  // Windows reserved names, with any extension and any case
  "CON",
  "con.txt",
  "Nul.tar.gz",
  "PRN.py",
  "aux",
  "COM1.py",
  "com9",
  "LPT1.txt",
  "lpt9.log",
  "COM\u00B9.txt",
  "CON .txt",
  "CONIN$",
  "folder/AUX.c",
  // characters Windows cannot store
  "what?.txt",
  "a:b.txt",
  "star*.txt",
  'quote".txt',
  "pipe|.txt",
  "<tag>.txt",
  // trailing dots and spaces
  "trailing.",
  "trailing ",
  "...",
  "folder./x.txt",
  "folder /x.txt",
  // empty names and empty segments
  "",
  "a//b.txt",
  "a/",
  "/",
  // over-long names and paths (limits in UTF-8 bytes)
  "x".repeat(256),
  "가".repeat(86),
  `${"d".repeat(200)}/`.repeat(21) + "f.txt",
  "a/".repeat(64) + "deep.txt",
  // sockit's own working folder
  ".sockit",
  ".sockit/tmp-00000000-0000-0000-0000-000000000000",
  ".SOCKIT/evil.txt",
  ".sockit/../evil.txt",
  "SOCKIT~1/evil.txt",
  // not Unicode at all (a lone surrogate)
  "\ud800.txt",
];

Deno.test("raw: every hostile name is refused with bad-name, the session goes on, nothing escapes", async () => {
  await withAbuse(async (arena) => {
    const peer = await RawPeer.open(arena.port);
    try {
      for (const name of HOSTILE_NAMES) {
        const id = peer.nextId++;
        await peer.sendFrame({ type: "F", id, path: name, size: 10, mtime: Date.now() });
        const reply = await peer.frame();
        assert.equal(reply.type, "R", `${JSON.stringify(name)}: ${JSON.stringify(reply)}`);
        assert.ok(reply.type === "R");
        assert.equal(reply.code, "bad-name", JSON.stringify(name));
      }
      // Empty folders with hostile names are refused the same way.
      for (const name of ["../evil-dir", "/evil-dir", "C:\\evil", ".sockit/x", "NUL", "a\u0000b"]) {
        await peer.sendFrame({ type: "D", id: peer.nextId++, path: name });
        const reply = await peer.frame();
        assert.ok(reply.type === "R", `${JSON.stringify(name)}: ${JSON.stringify(reply)}`);
        assert.equal(reply.code, "bad-name");
      }
      // The same connection still delivers a good file.
      assertStored(await peer.sendFile("good.txt", encoder.encode("good\n")), "good.txt");
      await peer.quit();
      await arena.sessionOver(peer);
    } finally {
      peer.close();
    }
    const refused = arena.events.filter((e) => e.type === "file-rejected");
    assert.equal(refused.length, HOSTILE_NAMES.length + 6);
    assert.ok(refused.every((e) => e.type === "file-rejected" && e.code === "bad-name"));
    assert.equal(await Deno.readTextFile(join(arena.dir, "good.txt")), "good\n");
    return { stored: ["good.txt"] };
  });
});

Deno.test("raw: a symbolic link inside DIR never leads a file outside", async () => {
  await using arena = await Arena.start();
  await Deno.symlink(arena.outside, join(arena.dir, "link"));
  await Deno.mkdir(join(arena.dir, "sub"));
  await Deno.symlink(arena.outside, join(arena.dir, "sub", "deeper"));
  await Deno.symlink(join(arena.outside, "target.txt"), join(arena.dir, "victim.txt"));
  await arena.freeze();
  const setup = ["link", "sub", "sub/deeper", "victim.txt"];

  // As an empty folder: refused at once.
  const peer = await RawPeer.open(arena.port);
  await peer.sendFrame({ type: "D", id: peer.nextId++, path: "link/made-by-sender" });
  const folder = await peer.frame();
  assert.ok(folder.type === "R", JSON.stringify(folder));
  assert.equal(folder.code, "name-conflict");

  // As a folder on a file's path: the bytes are never stored there.
  for (const path of ["link/pwned.txt", "sub/deeper/pwned.txt"]) {
    const data = encoder.encode("pwned\n");
    const verdict = await peer.sendFile(path, data).catch((err) => err);
    // Refused with name-conflict: as a reject, a failed verdict, or the session's end.
    assert.ok(
      !(verdict instanceof Error) && verdict.type !== "A" && verdict.type !== "H" &&
        !(verdict.type === "V" && verdict.ok) && "code" in verdict &&
        verdict.code === "name-conflict",
      `${path}: ${verdict instanceof Error ? verdict.message : JSON.stringify(verdict)}`,
    );
    if (verdict.type === "X") break;
  }
  peer.close();
  await arena.sessionOver(peer);

  // A link where the file goes is not followed: the new file gets a name of its own.
  const again = await RawPeer.open(arena.port);
  assertStored(await again.sendFile("victim.txt", encoder.encode("new\n")), "victim (1).txt");
  await again.quit();
  await arena.sessionOver(again);
  again.close();
  assert.equal(await Deno.readTextFile(join(arena.outside, "target.txt")), "outside, keep me\n");
  await arena.honestSend("after.bin");
  await arena.check([...setup, "victim (1).txt", "after.bin"]);
  assert.ok(!arena.events.some((e) => e.type === "file-done" && e.stored.includes("pwned")));
});

Deno.test("raw: with overwrite, a symbolic link at the final name is replaced, not followed", async () => {
  await using arena = await Arena.start({ overwrite: true });
  await Deno.symlink(join(arena.outside, "target.txt"), join(arena.dir, "victim.txt"));
  await arena.freeze();
  const peer = await RawPeer.open(arena.port);
  assertStored(await peer.sendFile("victim.txt", encoder.encode("replaced\n")), "victim.txt");
  await peer.quit();
  await arena.sessionOver(peer);
  peer.close();
  assert.equal((await Deno.lstat(join(arena.dir, "victim.txt"))).isSymlink, false);
  assert.equal(await Deno.readTextFile(join(arena.dir, "victim.txt")), "replaced\n");
  await arena.check(["victim.txt"]);
});

Deno.test("raw: a header that promises more bytes than come, then E and close, stores nothing", async () => {
  await withAbuse(async (arena) => {
    // The E frame arrives while data is still expected; then the sender leaves. With 100,000
    // declared the receiver is still waiting for data when the connection drops (a partial
    // is kept for a resume, as after any lost connection: the file is above the small-file
    // size); with 100 it takes the start of the E frame as data and the rest as a broken
    // frame (nothing is kept).
    for (const declared of [100_000, 100]) {
      const peer = await RawPeer.open(arena.port);
      const data = randomBytes(50);
      await peer.sendFrame({
        type: "F",
        id: 1,
        path: `fewer-${declared}.bin`,
        size: declared,
        mtime: 0,
      });
      assert.equal((await peer.frame()).type, "A");
      await peer.sendFrame({ type: "S", id: 1, offset: 0 });
      await peer.send(data);
      await peer.sendFrame({ type: "E", id: 1, sha256: sha256(data) });
      peer.close();
      const end = await arena.sessionOver(peer);
      assert.equal(end.type, "session-error");
      assert.ok(
        arena.events.some((e) =>
          e.type === "file-failed" && e.peer === peer.name && e.path === `fewer-${declared}.bin`
        ),
      );
    }
    const dropped = { path: "fewer-100000.bin", size: 100_000, mtime: 0 };
    const end = encodeFrame({ type: "E", id: 1, sha256: sha256(randomBytes(1)) });
    await arena.checkPartial(dropped, 50 + end.length);
    return { partials: [dropped] };
  });
});

Deno.test("raw: more bytes than the header declared is a protocol error and stores nothing", async () => {
  await withAbuse(async (arena) => {
    const peer = await RawPeer.open(arena.port);
    try {
      const data = randomBytes(10);
      await peer.sendFrame({ type: "F", id: 1, path: "more.bin", size: 10, mtime: 0 });
      assert.equal((await peer.frame()).type, "A");
      await peer.sendFrame({ type: "S", id: 1, offset: 0 });
      await peer.send(data);
      await peer.send(encoder.encode("XXXXXXXXXXXXXXXXXXXX"));
      await peer.sendFrame({ type: "E", id: 1, sha256: sha256(data) });
      await arena.expectX(peer, "bad-header");
    } finally {
      peer.close();
    }
    assert.equal((await arena.sessionOver(peer)).type, "session-error");
  });
});

Deno.test("raw: a wrong hash in E gets hash-mismatch, nothing stored, the session goes on", async () => {
  await withAbuse(async (arena) => {
    const peer = await RawPeer.open(arena.port);
    try {
      const data = randomBytes(5000);
      const wrong = sha256(encoder.encode("something else"));
      const verdict = await peer.sendFile("damaged.bin", data, { sha256: wrong });
      assert.ok(verdict.type === "V", JSON.stringify(verdict));
      assert.equal(verdict.ok, false);
      assert.equal(verdict.code, "hash-mismatch");
      assert.equal(verdict.sha256, sha256(data), "the receiver tells what it got");
      assert.equal(verdict.stored, undefined);
      assertStored(await peer.sendFile("damaged.bin", data), "damaged.bin");
      await peer.quit();
      await arena.sessionOver(peer);
    } finally {
      peer.close();
    }
    assert.ok(
      arena.events.some((e) => e.type === "file-failed" && e.code === "hash-mismatch"),
    );
    return { stored: ["damaged.bin"] };
  });
});

Deno.test("raw: a transfer cut off in the middle leaves no final file, only a hidden partial for a resume", async () => {
  await withAbuse(async (arena) => {
    const peer = await RawPeer.open(arena.port);
    await peer.sendFrame({ type: "F", id: 1, path: "cut.bin", size: 1024 * 1024, mtime: 0 });
    assert.equal((await peer.frame()).type, "A");
    await peer.sendFrame({ type: "S", id: 1, offset: 0 });
    await peer.send(randomBytes(100 * 1024));
    await arena.receiver.waitFor(
      (e) => e.type === "file-start" && e.path === "cut.bin",
      10_000,
      "file-start",
    );
    peer.close();
    assert.equal((await arena.sessionOver(peer)).type, "session-error");
    const failed = arena.events.find((e) => e.type === "file-failed" && e.path === "cut.bin");
    assert.ok(failed?.type === "file-failed");
    assert.equal(failed.code, "closed-early");
    assert.ok(!arena.events.some((e) => e.type === "file-done" && e.path === "cut.bin"));
    // Only the hidden partial stays, for a resume of the same file.
    const cut = { path: "cut.bin", size: 1024 * 1024, mtime: 0 };
    await arena.checkPartial(cut, 100 * 1024);
    return { partials: [cut] };
  });
});

Deno.test("raw: an unknown version (v1 too) gets unsupported-version listing version 2", async () => {
  await withAbuse(async (arena) => {
    for (const version of [1, 0, 3, 255]) {
      const peer = await RawPeer.connect(arena.port);
      try {
        await peer.send(encodePreface(version));
        const answer = await arena.expectX(peer, "unsupported-version");
        assert.deepEqual(answer.supported, [2]);
      } finally {
        peer.close();
      }
    }
  });
});

Deno.test("raw: a frame longer than 16 KiB gets bad-header at once and the connection closes", async () => {
  await withAbuse(async (arena) => {
    for (const [type, length] of [["F", MAX_FRAME_PAYLOAD + 1], ["D", 0xffffffff]] as const) {
      const peer = await RawPeer.open(arena.port);
      try {
        const head = new Uint8Array(FRAME_HEADER_SIZE);
        head[0] = type.charCodeAt(0);
        new DataView(head.buffer).setUint32(1, length);
        await peer.send(head);
        // No payload follows: the answer must not wait for it.
        await arena.expectX(peer, "bad-header", 2000);
      } finally {
        peer.close();
      }
    }
  });
});

Deno.test("raw: garbage instead of a preface ends only that connection", async () => {
  await withAbuse(async (arena) => {
    for (
      const garbage of ["GET / HTTP/1.1\r\n\r\n", "SKIP\u0001", "\u0000\u0000\u0000\u0000\u0000"]
    ) {
      const peer = await RawPeer.connect(arena.port);
      try {
        await peer.send(encoder.encode(garbage));
        assert.ok(await peer.closedWithin(5000), "the receiver closes the connection");
      } finally {
        peer.close();
      }
      assert.equal((await arena.sessionOver(peer)).type, "session-error");
    }
  });
});

Deno.test("raw: a peer that stops sending is dropped after the idle timeout", async () => {
  await using arena = await Arena.start({ idleTimeoutMs: 300 });
  await arena.freeze();
  const peer = await RawPeer.open(arena.port);
  try {
    await peer.sendFrame({ type: "F", id: 1, path: "stalled.bin", size: 100_000, mtime: 0 });
    assert.equal((await peer.frame()).type, "A");
    await peer.sendFrame({ type: "S", id: 1, offset: 0 });
    await peer.send(randomBytes(10));
    const started = performance.now();
    assert.ok(await peer.closedWithin(5000), "the receiver closes the connection");
    assert.ok(performance.now() - started < 4000, "dropped within a few idle periods");
  } finally {
    peer.close();
  }
  const end = await arena.sessionOver(peer);
  assert.ok(end.type === "session-error");
  assert.equal(end.code, "timeout");
  await arena.honestSend("after.bin");
  const stalled = { path: "stalled.bin", size: 100_000, mtime: 0 };
  await arena.checkPartial(stalled, 10);
  await arena.check(["after.bin"], [stalled]);
});

Deno.test("raw: an opening or a frame header that never completes is dropped after the header timeout", async () => {
  await using arena = await Arena.start({ headerTimeoutMs: 300 });
  await arena.freeze();
  const opening = await RawPeer.connect(arena.port);
  const header = await RawPeer.open(arena.port);
  try {
    await opening.send(encodePreface().subarray(0, 3));
    await header.send(encodeFrame({ type: "Q" }).subarray(0, 3));
    const started = performance.now();
    assert.ok(await opening.closedWithin(5000), "the receiver closes the connection");
    assert.ok(await header.closedWithin(5000), "the receiver closes the connection");
    assert.ok(performance.now() - started < 4000, "dropped soon after the header timeout");
  } finally {
    opening.close();
    header.close();
  }
  for (const peer of [opening, header]) {
    const end = await arena.sessionOver(peer);
    assert.ok(end.type === "session-error");
    assert.equal(end.code, "timeout");
  }
  await arena.honestSend("after.bin");
  await arena.check(["after.bin"]);
});

Deno.test("raw: beyond maxConnections a sender is told busy; the others carry on", async () => {
  await using arena = await Arena.start({ maxConnections: 2 });
  await arena.freeze();
  const first = await honestInProgress(arena, "first.bin");
  const second = await honestInProgress(arena, "second.bin");
  const third = await RawPeer.connect(arena.port);
  try {
    await third.send(encodePreface());
    await arena.expectX(third, "busy");
  } finally {
    third.close();
  }
  // Once both sessions have ended (finish() waits for their end events) there is room again.
  await first.finish();
  await second.finish();
  await arena.honestSend("after.bin");
  await arena.check(["first.bin", "second.bin", "after.bin"]);
});
