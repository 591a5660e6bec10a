/**
 * Pairing codes and encrypted records end to end (issue 12): the same code transfers, a wrong
 * code fails on both sides with nothing stored, a record altered, reordered, replayed or cut
 * off on the way stores nothing, the guess limits hold, the code never shows on the wire, in
 * the process list or in any output but the receiver's start-up line, classic senders need
 * `--classic`, and `--open` says that anyone can send.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseCode } from "../lib/crypto/code.ts";
import { encodePreface, FRAME_HEADER_SIZE } from "../lib/transfer/protocol.ts";
import { GuessLimiter } from "../lib/transfer/pairing.ts";
import type { ReceiverEvent } from "../lib/transfer/receiver.ts";
import type { SendEvent } from "../lib/transfer/sender.ts";
import { RecordingReceiver } from "./fault_helpers.ts";
import { RawPeer } from "./raw_peer.ts";
import {
  assertOneLineError,
  cliReceiver,
  randomBytes,
  runCli,
  runPython,
  sha256Hex,
  tempDir,
  within,
  writeAll,
} from "./util.ts";

const CODE = "7-guitar-ocean-lamp";
const WRONG = "7-guitar-ocean-lake";
const WORDS = ["guitar", "ocean", "lamp"];

/** Every entry in `dir` except sockit's working folder and its log. */
async function stored(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name !== ".sockit" && entry.name !== "sockit-log.csv") out.push(entry.name);
  }
  return out.sort();
}

/** Writes `bytes` as `name` in a new temporary folder, removed when disposed. */
async function source(name: string, bytes: Uint8Array) {
  const dir = await tempDir("sockit-pair-src-");
  const file = join(dir.path, name);
  await Deno.writeFile(file, bytes);
  return { file, [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose]() };
}

/** True when `haystack` contains `needle` as bytes. */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

Deno.test("pairing: the same code transfers; the wire shows handshake and records, never the content", async () => {
  await using receiver = await RecordingReceiver.start({ code: parseCode(CODE), trace: true });
  const marker = new TextEncoder().encode("homework-marker-".repeat(64));
  const content = new Uint8Array([...marker, ...randomBytes(3 * 1024 * 1024)]);
  await using src = await source("과제.bin", content);
  const { result, events } = await receiver.send([src.file], {
    code: parseCode(CODE),
    trace: true,
  });
  assert.equal(result.files, 1);
  assert.deepEqual(await Deno.readFile(join(receiver.dir, "과제.bin")), content);
  const traces = events.filter((e) => e.type === "trace") as Extract<
    SendEvent,
    { type: "trace" }
  >[];
  const layers = new Set(traces.map((t) => t.layer));
  assert.deepEqual([...layers].sort(), [undefined, "handshake", "plaintext", "record"].sort());
  // What went over the socket (unlabelled preface and hello, handshake, records) never holds
  // the file's bytes or the code; the plaintext layer does hold the file.
  const wire = traces.filter((t) => t.layer !== "plaintext");
  for (const t of wire) {
    assert.ok(!contains(t.bytes, marker.subarray(0, 32)), "file content on the wire");
    const text = new TextDecoder().decode(t.bytes).toLowerCase();
    for (const word of WORDS) assert.ok(!text.includes(word), `${word} on the wire`);
  }
  assert.ok(
    traces.some((t) => t.layer === "plaintext" && contains(t.bytes, marker.subarray(0, 32))),
  );
  // The receiver traces the same layers.
  const received = receiver.events.filter((e) => e.type === "trace") as Extract<
    ReceiverEvent,
    { type: "trace" }
  >[];
  assert.ok(received.some((t) => t.layer === "record" && t.direction === "received"));
  assert.ok(received.some((t) => t.layer === "plaintext" && t.direction === "received"));
});

Deno.test("pairing: a wrong code fails on both sides with wrong-code and nothing is stored", async () => {
  await using receiver = await RecordingReceiver.start({ code: parseCode(CODE) });
  await using src = await source("a.txt", new TextEncoder().encode("hello\n"));
  await assert.rejects(
    receiver.send([src.file], { code: parseCode(WRONG), retries: 3 }),
    (err: Error & { code?: string }) => err.code === "wrong-code",
  );
  const error = await receiver.waitFor((e) => e.type === "session-error", 5000, "the error");
  assert.ok(error.type === "session-error");
  assert.equal(error.code, "wrong-code");
  // Not retried: one pairing only.
  assert.equal(receiver.of("session").length, 1);
  assert.deepEqual(await stored(receiver.dir), []);
  assert.ok(!receiver.events.some((e) => e.type === "file-start"));
});

Deno.test("pairing: a code on one side only is a clear error, not a silent downgrade", async () => {
  await using coded = await RecordingReceiver.start({ code: parseCode(CODE) });
  await using open = await RecordingReceiver.start();
  await using src = await source("a.txt", new TextEncoder().encode("hello\n"));
  await assert.rejects(
    coded.send([src.file]),
    (err: Error & { code?: string }) => err.code === "code-needed",
  );
  await assert.rejects(
    open.send([src.file], { code: parseCode(CODE) }),
    (err: Error & { code?: string }) => err.code === "open-receiver",
  );
  // A receiver found by discovery must pair: an open one is refused before any offer.
  await assert.rejects(
    open.send([src.file], { requirePairing: true }),
    (err: Error & { code?: string }) => err.code === "unpaired-receiver",
  );
  assert.ok(!open.events.some((e) => e.type === "file-start"));
  assert.deepEqual(await stored(coded.dir), []);
  assert.deepEqual(await stored(open.dir), []);
  // The code is asked for once, only when a receiver wants one, and the time the user takes to
  // type it is not counted in the transfer's time.
  let asked = 0;
  let typing = 0;
  const began = performance.now();
  const { result } = await coded.send([src.file], {
    code: async () => {
      asked++;
      const start = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 50)); // the user typing
      typing = performance.now() - start;
      return parseCode(CODE);
    },
  });
  const whole = performance.now() - began;
  assert.equal(result.files, 1);
  assert.equal(asked, 1);
  assert.ok(
    result.ms <= whole - typing,
    `${result.ms} ms counted of ${whole} with ${typing} typing`,
  );
});

/** What a man in the middle does to the sender's records (counted from 0 after the handshake). */
type Attack = "tamper" | "reorder" | "replay" | "truncate";

/**
 * A proxy between sender and receiver that passes the preface and the sender's two handshake
 * frames, then applies `attack` to the sender's record number `target`.
 */
function mitm(targetPort: number, attack: Attack, target: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    using client = await listener.accept();
    using server = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
    const down = (async () => {
      const buffer = new Uint8Array(64 * 1024);
      try {
        while (true) {
          const n = await server.read(buffer);
          if (n === null) return;
          await writeAll(client, buffer.slice(0, n));
        }
      } catch {
        // Either side went away.
      }
    })();
    const reader = new ExactReader(client);
    try {
      await writeAll(server, await reader.exact(5)); // the preface
      for (let i = 0; i < 2; i++) { // the sender's P and C, as they come
        const header = await reader.exact(FRAME_HEADER_SIZE);
        const length = new DataView(header.buffer).getUint32(1);
        await writeAll(server, header);
        await writeAll(server, await reader.exact(length));
      }
      let held: Uint8Array | undefined;
      for (let index = 0;; index++) {
        const header = await reader.exact(13);
        const length = new DataView(header.buffer).getUint32(0);
        const body = await reader.exact(length);
        const record = new Uint8Array(header.length + body.length);
        record.set(header);
        record.set(body, header.length);
        if (index !== target && !(attack === "reorder" && index === target + 1)) {
          await writeAll(server, record);
          continue;
        }
        if (attack === "tamper") {
          record[record.length - 20] ^= 0x01;
          await writeAll(server, record);
        } else if (attack === "replay") {
          await writeAll(server, record);
          await writeAll(server, record);
        } else if (attack === "truncate") {
          break; // the rest, final record included, never arrives
        } else if (index === target) {
          held = record;
        } else {
          await writeAll(server, record);
          await writeAll(server, held!);
        }
      }
    } catch {
      // The sender or the receiver ended the connection.
    }
    try {
      server.closeWrite();
    } catch {
      // Already closed.
    }
    await within(5000, down, "the receiver's side to end").catch(() => {});
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await done.catch(() => {});
    },
  };
}

/** Exact reads from a raw connection. */
class ExactReader {
  #conn: Deno.Conn;
  #buffered = new Uint8Array(0);
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }
  async exact(n: number): Promise<Uint8Array> {
    while (this.#buffered.length < n) {
      const chunk = new Uint8Array(64 * 1024);
      const got = await this.#conn.read(chunk);
      if (got === null) throw new Error("closed");
      const merged = new Uint8Array(this.#buffered.length + got);
      merged.set(this.#buffered);
      merged.set(chunk.subarray(0, got), this.#buffered.length);
      this.#buffered = merged;
    }
    const out = this.#buffered.slice(0, n);
    this.#buffered = this.#buffered.slice(n);
    return out;
  }
}

for (
  const [attack, code] of [
    ["tamper", "record-tampered"],
    ["reorder", "record-reordered"],
    ["replay", "record-replayed"],
    ["truncate", "record-truncated"],
  ] as const
) {
  Deno.test(`pairing: a record stream attacked by ${attack} stores nothing of the file in flight`, async () => {
    await using receiver = await RecordingReceiver.start({ code: parseCode(CODE) });
    // Offers (record 0), S (1), then 1 MiB data records (2, 3, …): attack the second data record.
    await using proxy = mitm(receiver.port, attack, 3);
    const content = randomBytes(3 * 1024 * 1024 + 5);
    await using src = await source("big.bin", content);
    await assert.rejects(
      receiver.send([src.file], { code: parseCode(CODE), port: proxy.port, retries: 0 }),
    );
    const failed = await receiver.waitFor(
      (e) => e.type === "file-failed" || e.type === "session-error",
      10_000,
      "the failure",
    );
    assert.ok(failed.type === "file-failed" || failed.type === "session-error");
    assert.equal(failed.code, code);
    assert.deepEqual(await stored(receiver.dir), [], "nothing under a final name");
    assert.ok(!receiver.events.some((e) => e.type === "file-done"));
    // Not kept for a resume either: tampering is no lost connection.
    const internal = [...Deno.readDirSync(join(receiver.dir, ".sockit"))].map((e) => e.name);
    assert.deepEqual(internal.filter((n) => n.endsWith(".part")), []);
  });
}

Deno.test("guess limits: delays per address double up to 60 s, are forgotten after 10 minutes, and a total raises a notice", () => {
  let now = 0;
  const notices: [string, number][] = [];
  const guesses = new GuessLimiter({
    now: () => now,
    onGuessing: (address, failures) => notices.push([address, failures]),
  });
  const delays = [];
  for (let i = 0; i < 9; i++) {
    delays.push(guesses.delayFor("10.0.0.5"));
    guesses.failed("10.0.0.5");
  }
  assert.deepEqual(delays, [0, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  assert.equal(guesses.delayFor("10.0.0.6"), 0, "another address is not slowed");
  now += 10 * 60_000;
  assert.equal(guesses.delayFor("10.0.0.5"), 0, "forgotten 10 minutes after the last failure");
  // More than 20 failures in 10 minutes over all addresses: everyone waits at least 5 s.
  for (let i = 0; i < 21; i++) guesses.failed(`10.0.1.${i}`);
  assert.equal(guesses.delayFor("10.0.0.99"), 5000);
  assert.deepEqual(notices, [["10.0.1.20", 21]]);
  // A right code forgets its own address's delay.
  guesses.failed("10.0.0.7");
  guesses.succeeded("10.0.0.7");
  assert.equal(guesses.delayFor("10.0.0.7"), 5000, "only the total remains");
});

Deno.test("guess limits: the receiver delays a guessing address and notices a total, over the wire", async () => {
  await using receiver = await RecordingReceiver.start({
    code: parseCode(CODE),
    guessLimits: { firstDelayMs: 100, totalFailures: 2 },
  });
  await using src = await source("a.txt", new TextEncoder().encode("hello\n"));
  for (let i = 0; i < 3; i++) {
    await assert.rejects(
      receiver.send([src.file], { code: parseCode(WRONG) }),
      (err: Error & { code?: string }) => err.code === "wrong-code",
    );
  }
  const delays = receiver.of("pairing-delayed").map((e) => e.type === "pairing-delayed" && e.ms);
  assert.deepEqual(delays, [100, 200]);
  const notice = receiver.of("guessing");
  assert.equal(notice.length, 1);
  assert.ok(notice[0].type === "guessing" && notice[0].failures === 3);
  // Seeing the receiver's share and leaving without a confirmation is a guess too.
  const peer = await RawPeer.connect(receiver.port);
  await peer.send(encodePreface());
  assert.equal((await peer.frame()).type, "H");
  await peer.sendFrame({ type: "P", nonce: "00".repeat(16) });
  const share = await peer.frame(10_000);
  assert.equal(share.type, "P");
  peer.close();
  await receiver.waitFor(
    (e) => e.type === "session-error" && receiver.of("session-error").length === 4,
    5000,
    "the fourth failed pairing",
  );
  assert.equal(receiver.of("guessing").length, 2);
  // The right code still gets through (after its delay) and is stored.
  const { result } = await receiver.send([src.file], { code: parseCode(CODE) });
  assert.equal(result.files, 1);
});

Deno.test("cli: the code shows once, on the receiver's start-up line; never in argv, output or on the wire", async () => {
  await using receiver = await cliReceiver({ code: CODE, globals: ["--trace"], args: ["--flat"] });
  await using src = await source("a.txt", new TextEncoder().encode("hello\n"));
  // The processes' command lines (what ps shows) hold no word of the code.
  const cmdline = await Deno.readTextFile(`/proc/${receiver.proc.child.pid}/cmdline`);
  for (const word of WORDS) assert.ok(!cmdline.includes(word));
  const sent = await runCli(
    ["--json", "--trace", "send", src.file, "--to", `127.0.0.1:${receiver.port}`],
    { env: { SOCKIT_CODE: CODE } },
  );
  assert.equal(sent.code, 0, sent.stderr);
  await receiver.proc.stdout.waitFor(/^Stored a\.txt/m);
  // Everything the sender printed, every traced byte (as hex and as text) included.
  const hexOf = (text: string) =>
    Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, "0")).join("");
  for (const word of WORDS) {
    assert.ok(!(sent.stdout + sent.stderr).includes(word), `${word} in the sender's output`);
    assert.ok(!sent.stdout.includes(hexOf(word)), `${word} in the sender's traced bytes`);
  }
  assert.match(sent.stdout, /"layer":"record"/);
  // The receiver shows it only at start: its code line and the web page's address (whose
  // fragment carries it to the page; the browser never sends a fragment).
  const shown = receiver.proc.stdout.text.split("\n").filter((line) => line.includes("guitar"));
  assert.deepEqual(shown, [
    `Code: ${CODE}`,
    `Phones and browsers: open http://127.0.0.1:${receiver.port}/#code=${CODE}`,
  ]);
  assert.ok(!receiver.proc.stderr.text.includes("guitar"));
  // A code on the command line is refused before anything happens.
  const argv = await runCli(["send", src.file, "--code", CODE, "--to", "127.0.0.1:9"]);
  assertOneLineError(argv, 2, /does not take the pairing code on the command line/);
  const receive = await runCli(["receive", "--code", CODE]);
  assertOneLineError(receive, 2, /does not take the pairing code on the command line/);
});

Deno.test("cli: a wrong code is one clear line on both sides; --code-file gives the code", async () => {
  await using receiver = await cliReceiver({ code: CODE, args: ["--flat"] });
  await using src = await source("a.txt", new TextEncoder().encode("hello\n"));
  const wrong = await runCli(["send", src.file, "--to", `127.0.0.1:${receiver.port}`], {
    env: { SOCKIT_CODE: WRONG },
  });
  assertOneLineError(wrong, 1, /The code does not match — check it with the person receiving\./);
  await receiver.proc.stderr.waitFor(
    /Connection from 127\.0\.0\.1:\d+ ended: the code does not match/,
  );
  assert.deepEqual(await stored(receiver.dir), []);
  await using codes = await tempDir();
  await Deno.writeTextFile(join(codes.path, "code.txt"), ` ${CODE.toUpperCase()}\n`);
  const right = await runCli([
    "send",
    src.file,
    "--code-file",
    join(codes.path, "code.txt"),
    "--to",
    `127.0.0.1:${receiver.port}`,
  ]);
  assert.equal(right.code, 0, right.stderr);
  assert.deepEqual(await stored(receiver.dir), ["a.txt"]);
  // Without a code, on no terminal: the receiver's need is said in one line.
  const none = await runCli(["send", src.file, "--to", `127.0.0.1:${receiver.port}`]);
  assertOneLineError(none, 1, /asks for a pairing code/);
});

Deno.test("cli: the lesson's Python sender is refused by a receiver with a code, and taken with --classic", async () => {
  await using src = await source("lesson.bin", randomBytes(10_000));
  const lessonSend = (port: number) =>
    runPython("lesson_file_sender.py", [
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--file",
      src.file,
      "--timeout",
      "10",
    ], 20_000);
  {
    await using receiver = await cliReceiver({ code: CODE, args: ["--flat"] });
    const refused = await lessonSend(receiver.port);
    assert.notEqual(refused.code, 0);
    await receiver.proc.stderr.waitFor(
      /Refused a classic \(lesson\) sender .* start with --classic\./,
    );
    assert.deepEqual(await stored(receiver.dir), []);
  }
  {
    await using receiver = await cliReceiver({ code: CODE, args: ["--flat", "--classic"] });
    const taken = await lessonSend(receiver.port);
    assert.equal(taken.code, 0, taken.stderr);
    await receiver.proc.stdout.waitFor(/^Stored classic-/m);
    const [name] = await stored(receiver.dir);
    assert.equal(
      sha256Hex(await Deno.readFile(join(receiver.dir, name))),
      sha256Hex(await Deno.readFile(src.file)),
    );
  }
});

Deno.test("cli: --open says anyone can send and takes sockit and classic senders without a code", async () => {
  await using receiver = await cliReceiver();
  assert.match(receiver.proc.stdout.text, /anyone on this network can send files here/);
  assert.doesNotMatch(receiver.proc.stdout.text, /Code:/);
  await using src = await source("a.txt", new TextEncoder().encode("hello\n"));
  const sent = await runCli(["send", src.file, "--to", `127.0.0.1:${receiver.port}`]);
  assert.equal(sent.code, 0, sent.stderr);
  const classic = await runCli([
    "send",
    "--classic",
    src.file,
    "--to",
    `127.0.0.1:${receiver.port}`,
  ]);
  assert.equal(classic.code, 0, classic.stderr);
});
