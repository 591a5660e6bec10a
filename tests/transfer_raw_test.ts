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
import { createHash } from "node:crypto";
import { join } from "node:path";
import { formatAddr } from "../lib/address.ts";
import {
  decodeFrame,
  encodeFrame,
  encodePreface,
  FRAME_HEADER_SIZE,
  MAX_FRAME_PAYLOAD,
} from "../lib/protocol.ts";
import type { ReceiverFrame, SenderFrame, VerdictFrame } from "../lib/protocol.ts";
import { PartialStore } from "../lib/partials.ts";
import type { PartialSource } from "../lib/partials.ts";
import { startReceiver } from "../lib/receiver.ts";
import type { Receiver, ReceiverEvent, ReceiverOptions } from "../lib/receiver.ts";
import { sendFiles } from "../lib/sender.ts";
import { randomBytes, tempDir } from "./util.ts";

const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Rejects when `promise` takes longer than `ms`, so no test can hang. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A sender written by hand: raw bytes and frames over a plain socket, every read bounded. */
class RawPeer {
  #buffer = new Uint8Array(0);
  #closed = false;

  private constructor(readonly conn: Deno.TcpConn) {}

  /** Connects; with a preface (the default), also reads the receiver's hello. */
  static async open(
    port: number,
    preface: Uint8Array | null = encodePreface(),
  ): Promise<RawPeer> {
    const peer = new RawPeer(await Deno.connect({ hostname: "127.0.0.1", port }));
    if (preface) {
      await peer.write(preface);
      const hello = await peer.frame();
      assert.equal(hello.type, "H", `expected hello, got ${JSON.stringify(hello)}`);
    }
    return peer;
  }

  /** This side's address as the receiver names it (`127.0.0.1:PORT`). */
  get name(): string {
    return formatAddr(this.conn.localAddr);
  }

  async write(bytes: Uint8Array): Promise<void> {
    for (let offset = 0; offset < bytes.length;) {
      offset += await this.conn.write(bytes.subarray(offset));
    }
  }

  send(frame: SenderFrame): Promise<void> {
    return this.write(encodeFrame(frame));
  }

  /** Reads more bytes into the buffer; false at end of stream. Bounded by `timeoutMs`. */
  async #fill(timeoutMs: number): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    const n = await within(
      timeoutMs,
      this.conn.read(chunk).catch((err) => {
        // A reset after the receiver closed counts as the end.
        if (err instanceof Deno.errors.ConnectionReset) return null;
        throw err;
      }),
      "waiting for the receiver",
    );
    if (n === null) return false;
    const merged = new Uint8Array(this.#buffer.length + n);
    merged.set(this.#buffer);
    merged.set(chunk.subarray(0, n), this.#buffer.length);
    this.#buffer = merged;
    return true;
  }

  async readExact(n: number, timeoutMs = 5000): Promise<Uint8Array> {
    while (this.#buffer.length < n) {
      if (!(await this.#fill(timeoutMs))) {
        throw new Error(`the receiver closed after ${this.#buffer.length} of ${n} bytes`);
      }
    }
    const out = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.slice(n);
    return out;
  }

  /** Reads one receiver frame. */
  async frame(timeoutMs = 5000): Promise<ReceiverFrame> {
    const head = await this.readExact(FRAME_HEADER_SIZE, timeoutMs);
    return await decodeFrame(
      head,
      (n) => this.readExact(n, timeoutMs),
      "receiver",
    ) as ReceiverFrame;
  }

  /** Resolves once the receiver closed the connection (after any bytes still in flight). */
  async closedByReceiver(timeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (await this.#fill(Math.max(1, deadline - performance.now()))) {
      this.#buffer = new Uint8Array(0);
    }
  }

  /** Offers a file and, if accepted, sends `data`, then an E frame with `hash`. */
  async sendFile(
    path: string,
    data: Uint8Array,
    hash = sha256(data),
  ): Promise<ReceiverFrame> {
    await this.send({ type: "F", path, size: data.length, mtime: Date.now() });
    const reply = await this.frame();
    if (reply.type !== "A") return reply;
    await this.send({ type: "S", offset: 0 });
    await this.write(data);
    await this.send({ type: "E", sha256: hash });
    return await this.frame();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}

/** Asserts a verdict frame says the file was stored under `stored`. */
function assertStored(frame: ReceiverFrame, stored: string): asserts frame is VerdictFrame {
  assert.equal(frame.type, "V", JSON.stringify(frame));
  assert.ok(frame.type === "V");
  assert.equal(frame.ok, true, JSON.stringify(frame));
  assert.equal(frame.stored, stored);
}

type Snapshot = Map<string, string>;

/** Every path under `root` (except `skip`), with its kind and content hash. */
async function snapshot(root: string, skip: string): Promise<Snapshot> {
  const out: Snapshot = new Map();
  const walk = async (folder: string) => {
    for await (const entry of Deno.readDir(folder)) {
      const full = join(folder, entry.name);
      if (full === skip) continue;
      if (entry.isSymlink) out.set(full, `link -> ${await Deno.readLink(full)}`);
      else if (entry.isDirectory) {
        out.set(full, "folder");
        await walk(full);
      } else out.set(full, sha256(await Deno.readFile(full)));
    }
  };
  await walk(root);
  return out;
}

/** Every entry inside DIR, relative, except sockit's working folder. */
async function inside(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (folder: string, prefix: string) => {
    for await (const entry of Deno.readDir(folder)) {
      if (prefix === "" && entry.name === ".sockit") continue;
      out.push(prefix + entry.name);
      if (entry.isDirectory && !entry.isSymlink) {
        await walk(join(folder, entry.name), prefix + entry.name + "/");
      }
    }
  };
  await walk(dir, "");
  return out.sort();
}

/** What is left in `DIR/.sockit` (temporary files). */
function temps(dir: string): string[] {
  try {
    return [...Deno.readDirSync(join(dir, ".sockit"))].map((e) => e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/**
 * A receiver whose DIR sits four folders deep inside a temporary root (so `..` traversals
 * would land inside the root, where the snapshot sees them), next to a folder `outside` with
 * a file a symbolic link may point at. Records events; can wait for one peer's session end.
 */
class Arena implements AsyncDisposable {
  readonly events: ReceiverEvent[] = [];
  receiver!: Receiver;
  before!: Snapshot;
  #waiters: (() => void)[] = [];

  private constructor(readonly root: string, readonly dir: string, readonly outside: string) {}

  static async start(options: ReceiverOptions = {}): Promise<Arena> {
    const root = await Deno.makeTempDir({ prefix: "sockit-raw-" });
    const dir = join(root, "l1", "l2", "l3", "received");
    const outside = join(root, "outside");
    await Deno.mkdir(dir, { recursive: true });
    await Deno.mkdir(outside);
    await Deno.writeTextFile(join(outside, "target.txt"), "outside, keep me\n");
    const arena = new Arena(root, dir, outside);
    arena.receiver = await startReceiver({
      host: "127.0.0.1",
      port: 0,
      dir,
      ...options,
      onEvent: (event) => {
        arena.events.push(event);
        const waiters = arena.#waiters;
        arena.#waiters = [];
        waiters.forEach((wake) => wake());
      },
    });
    return arena;
  }

  get port(): number {
    return this.receiver.addr.port;
  }

  /** Takes the snapshot of everything outside DIR (call after any setup inside the root). */
  async freeze(): Promise<void> {
    this.before = await snapshot(this.root, this.dir);
  }

  /** Waits (bounded) for an event matching `test`. */
  async waitFor(test: (e: ReceiverEvent) => boolean, what: string, timeoutMs = 10_000) {
    const deadline = performance.now() + timeoutMs;
    while (!this.events.some(test)) {
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(
          `no ${what} within ${timeoutMs} ms; events: ${JSON.stringify(this.events)}`,
        );
      }
      await within(
        left + 50,
        new Promise<void>((resolve) => {
          this.#waiters.push(resolve);
          setTimeout(resolve, left);
        }),
        what,
      );
    }
    return this.events.find(test)!;
  }

  /** Waits until the receiver is done with `peer`'s connection (ended well or not). */
  sessionOver(peer: RawPeer): Promise<ReceiverEvent> {
    return this.waitFor(
      (e) => (e.type === "session-end" || e.type === "session-error") && e.peer === peer.name,
      `end of ${peer.name}`,
    );
  }

  /**
   * Nothing outside DIR changed, DIR holds exactly `expected`, and its working folder holds no
   * temporary file: only the resumable partials of transfers cut off by a lost connection.
   */
  async check(expected: string[], partials: PartialSource[] = []): Promise<void> {
    assert.deepEqual(await snapshot(this.root, this.dir), this.before, "outside DIR changed");
    assert.deepEqual(await inside(this.dir), [...expected].sort());
    const kept = partials.flatMap((source) => {
      const key = PartialStore.key(source);
      return [`partial-${key}.json`, `partial-${key}.part`];
    });
    assert.deepEqual(temps(this.dir).sort(), kept.sort(), "temporary files left");
  }

  /** Checks the kept partial of `source` holds at most `most` bytes and describes `source`. */
  async checkPartial(source: PartialSource, most: number): Promise<void> {
    const base = join(this.dir, ".sockit", `partial-${PartialStore.key(source)}`);
    const size = (await Deno.stat(`${base}.part`)).size;
    assert.ok(size <= most, `partial of ${size} bytes, at most ${most} arrived`);
    const meta = JSON.parse(await Deno.readTextFile(`${base}.json`));
    assert.deepEqual([meta.path, meta.size, meta.mtime], [source.path, source.size, source.mtime]);
  }

  /** An honest sender through the library: sends one file and checks it was stored. */
  async honestSend(name: string): Promise<string> {
    await using src = await tempDir();
    const bytes = randomBytes(20_000);
    await Deno.writeFile(join(src.path, name), bytes);
    const result = await within(
      20_000,
      sendFiles({ paths: [join(src.path, name)], host: "127.0.0.1", port: this.port }),
      "an honest sender",
    );
    assert.equal(result.files, 1);
    assert.deepEqual(await Deno.readFile(join(this.dir, name)), bytes);
    return name;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await within(10_000, this.receiver.close(), "closing the receiver");
    await Deno.remove(this.root, { recursive: true }).catch(() => {});
  }
}

/**
 * An honest sender in the middle of a file while an abuse happens: call `finish()` afterwards
 * to send the rest and check the verdict.
 */
async function honestInProgress(arena: Arena, name: string) {
  const peer = await RawPeer.open(arena.port);
  const data = randomBytes(64 * 1024);
  await peer.send({ type: "F", path: name, size: data.length, mtime: Date.now() });
  assert.equal((await peer.frame()).type, "A");
  await peer.send({ type: "S", offset: 0 });
  await peer.write(data.subarray(0, 30_000));
  return {
    async finish(): Promise<string> {
      await peer.write(data.subarray(30_000));
      await peer.send({ type: "E", sha256: sha256(data) });
      assertStored(await peer.frame(), name);
      await peer.send({ type: "Q" });
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
        await peer.send({ type: "F", path: name, size: 10, mtime: Date.now() });
        const reply = await peer.frame();
        assert.equal(reply.type, "R", `${JSON.stringify(name)}: ${JSON.stringify(reply)}`);
        assert.ok(reply.type === "R");
        assert.equal(reply.code, "bad-name", JSON.stringify(name));
      }
      // Empty folders with hostile names are refused the same way.
      for (const name of ["../evil-dir", "/evil-dir", "C:\\evil", ".sockit/x", "NUL", "a\u0000b"]) {
        await peer.send({ type: "D", path: name });
        const reply = await peer.frame();
        assert.ok(reply.type === "R", `${JSON.stringify(name)}: ${JSON.stringify(reply)}`);
        assert.equal(reply.code, "bad-name");
      }
      // The same connection still delivers a good file.
      assertStored(await peer.sendFile("good.txt", encoder.encode("good\n")), "good.txt");
      await peer.send({ type: "Q" });
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
  await peer.send({ type: "D", path: "link/made-by-sender" });
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
  await again.send({ type: "Q" });
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
  await peer.send({ type: "Q" });
  await arena.sessionOver(peer);
  peer.close();
  assert.equal((await Deno.lstat(join(arena.dir, "victim.txt"))).isSymlink, false);
  assert.equal(await Deno.readTextFile(join(arena.dir, "victim.txt")), "replaced\n");
  await arena.check(["victim.txt"]);
});

Deno.test("raw: a header that promises more bytes than come, then E and close, stores nothing", async () => {
  await withAbuse(async (arena) => {
    // The E frame arrives while data is still expected; then the sender leaves. With 1000
    // declared the receiver is still waiting for data when the connection drops (a partial
    // is kept for a resume, as after any lost connection); with 100 it takes the start of
    // the E frame as data and the rest as a broken frame (nothing is kept).
    for (const declared of [1000, 100]) {
      const peer = await RawPeer.open(arena.port);
      const data = randomBytes(50);
      await peer.send({ type: "F", path: `fewer-${declared}.bin`, size: declared, mtime: 0 });
      assert.equal((await peer.frame()).type, "A");
      await peer.send({ type: "S", offset: 0 });
      await peer.write(data);
      await peer.send({ type: "E", sha256: sha256(data) });
      peer.close();
      const end = await arena.sessionOver(peer);
      assert.equal(end.type, "session-error");
      assert.ok(
        arena.events.some((e) =>
          e.type === "file-failed" && e.peer === peer.name && e.path === `fewer-${declared}.bin`
        ),
      );
    }
    const dropped = { path: "fewer-1000.bin", size: 1000, mtime: 0 };
    await arena.checkPartial(dropped, 50 + 82);
    return { partials: [dropped] };
  });
});

Deno.test("raw: more bytes than the header declared is a protocol error and stores nothing", async () => {
  await withAbuse(async (arena) => {
    const peer = await RawPeer.open(arena.port);
    try {
      const data = randomBytes(10);
      await peer.send({ type: "F", path: "more.bin", size: 10, mtime: 0 });
      assert.equal((await peer.frame()).type, "A");
      await peer.send({ type: "S", offset: 0 });
      await peer.write(data);
      await peer.write(encoder.encode("XXXXXXXXXXXXXXXXXXXX"));
      await peer.send({ type: "E", sha256: sha256(data) });
      const answer = await peer.frame();
      assert.ok(answer.type === "X", JSON.stringify(answer));
      assert.equal(answer.code, "bad-header");
      await peer.closedByReceiver();
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
      const verdict = await peer.sendFile("damaged.bin", data, wrong);
      assert.ok(verdict.type === "V", JSON.stringify(verdict));
      assert.equal(verdict.ok, false);
      assert.equal(verdict.code, "hash-mismatch");
      assert.equal(verdict.sha256, sha256(data), "the receiver tells what it got");
      assert.equal(verdict.stored, undefined);
      assertStored(await peer.sendFile("damaged.bin", data), "damaged.bin");
      await peer.send({ type: "Q" });
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
    await peer.send({ type: "F", path: "cut.bin", size: 1024 * 1024, mtime: 0 });
    assert.equal((await peer.frame()).type, "A");
    await peer.send({ type: "S", offset: 0 });
    await peer.write(randomBytes(100 * 1024));
    await arena.waitFor((e) => e.type === "file-start" && e.path === "cut.bin", "file-start");
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

Deno.test("raw: an unknown version gets unsupported-version listing version 1", async () => {
  await withAbuse(async (arena) => {
    for (const version of [2, 0, 255]) {
      const peer = await RawPeer.open(arena.port, null);
      try {
        await peer.write(encodePreface(version));
        const answer = await peer.frame();
        assert.ok(answer.type === "X", JSON.stringify(answer));
        assert.equal(answer.code, "unsupported-version");
        assert.deepEqual(answer.supported, [1]);
        await peer.closedByReceiver();
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
        await peer.write(head);
        // No payload follows: the answer must not wait for it.
        const answer = await peer.frame(2000);
        assert.ok(answer.type === "X", JSON.stringify(answer));
        assert.equal(answer.code, "bad-header");
        await peer.closedByReceiver(2000);
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
      const peer = await RawPeer.open(arena.port, null);
      try {
        await peer.write(encoder.encode(garbage));
        await peer.closedByReceiver();
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
    await peer.send({ type: "F", path: "stalled.bin", size: 1000, mtime: 0 });
    assert.equal((await peer.frame()).type, "A");
    await peer.send({ type: "S", offset: 0 });
    await peer.write(randomBytes(10));
    const started = performance.now();
    await peer.closedByReceiver(5000);
    assert.ok(performance.now() - started < 4000, "dropped within a few idle periods");
  } finally {
    peer.close();
  }
  const end = await arena.sessionOver(peer);
  assert.ok(end.type === "session-error");
  assert.equal(end.code, "timeout");
  await arena.honestSend("after.bin");
  const stalled = { path: "stalled.bin", size: 1000, mtime: 0 };
  await arena.checkPartial(stalled, 10);
  await arena.check(["after.bin"], [stalled]);
});

Deno.test("raw: an opening or a frame header that never completes is dropped after the header timeout", async () => {
  await using arena = await Arena.start({ headerTimeoutMs: 300 });
  await arena.freeze();
  const opening = await RawPeer.open(arena.port, null);
  const header = await RawPeer.open(arena.port);
  try {
    await opening.write(encodePreface().subarray(0, 3));
    await header.write(encodeFrame({ type: "Q" }).subarray(0, 3));
    const started = performance.now();
    await opening.closedByReceiver(5000);
    await header.closedByReceiver(5000);
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
  const third = await RawPeer.open(arena.port, null);
  try {
    await third.write(encodePreface());
    const answer = await third.frame();
    assert.ok(answer.type === "X", JSON.stringify(answer));
    assert.equal(answer.code, "busy");
    await third.closedByReceiver();
  } finally {
    third.close();
  }
  await first.finish();
  await second.finish();
  // Once they are done there is room again.
  await sleep(20);
  await arena.honestSend("after.bin");
  await arena.check(["first.bin", "second.bin", "after.bin"]);
});
