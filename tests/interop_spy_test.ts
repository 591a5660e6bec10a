/**
 * `sockit spy` as a student runs it, between the lesson-style Python programs of
 * `tests/peers/` and sockit, on 127.0.0.1 with port 0: echo clients (several at once, one that
 * resets, one whose Korean is split across two chunks) through the spy to the lesson's threaded
 * echo server; the lesson's file sender and `sockit send` through the spy to `sockit receive`;
 * `--json`, `--lang ko` and usage errors. What the spy prints is checked line by line.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cliReceiver,
  randomBytes,
  runCli,
  runPython,
  spawnCli,
  startPeer,
  tempDir,
} from "./util.ts";
import type { BackgroundProcess, CliOptions, LineReader } from "./util.ts";

const TIME = String.raw`\d\d:\d\d:\d\d\.\d{3}`;

/** Starts `sockit [GLOBALS…] spy --listen 0 --to 127.0.0.1:PORT` and waits for its port. */
async function startSpy(
  port: number,
  globals: string[] = [],
  options: CliOptions = {},
): Promise<{ spy: BackgroundProcess; port: number }> {
  const spy = spawnCli([...globals, "spy", "--listen", "0", "--to", `127.0.0.1:${port}`], options);
  const listening = globals.includes("--json")
    ? /^\{"type":"listening","address":"127\.0\.0\.1:(\d+)"/
    : /127\.0\.0\.1:(\d+)/;
  try {
    const [, found] = await spy.stdout.waitFor(listening, 20_000);
    return { spy, port: Number(found) };
  } catch (err) {
    await spy.stop("SIGKILL");
    throw new Error(`the spy did not start: ${err}\n${spy.stderr.text}`, { cause: err });
  }
}

/**
 * Waits (bounded) until the spy reported connection `conn` closed, and returns the lines it
 * printed about it (head lines and the lines under them) without time stamps, with every
 * address written PEER and the connection number written N.
 */
async function conversation(
  reader: LineReader,
  conn: number,
  closed = "closed",
): Promise<string[]> {
  await reader.waitFor(new RegExp(`^${TIME} #${conn} ${closed}: `));
  const out: string[] = [];
  let mine = false;
  for (const line of reader.lines) {
    const head = line.match(new RegExp(`^${TIME} #(\\d+) `));
    if (head) mine = Number(head[1]) === conn;
    else if (!line.startsWith(" ")) mine = false;
    if (mine) {
      out.push(
        line.replace(new RegExp(`^${TIME} #\\d+`), "#N").replace(/127\.0\.0\.1:\d+/g, "PEER"),
      );
    }
  }
  return out;
}

const KOREAN_ROWS = [
  "      0  ec 95 88 eb 85 95        안녕",
  "    ↳ UTF-8 (what encode() made of the text): 안 = ec 95 88, 녕 = eb 85 95",
];
const FINS = [
  "#N the client closed normally (FIN) → FIN to the server",
  "#N the server closed normally (FIN) → FIN to the client",
];

Deno.test("spy: lesson echo clients (three at once, a reset, split Korean) → spy → threaded echo server", async (t) => {
  const { peer: server, port } = await startPeer("lesson_threaded_echo_server.py", [
    "--max-seconds",
    "90",
  ]);
  await using _server = server;
  const { spy, port: spyPort } = await startSpy(port);
  await using _spy = spy;
  let connections = 0;
  const client = (...args: string[]) => {
    connections++;
    return runPython("lesson_echo_client.py", ["--port", String(spyPort), ...args]);
  };

  await t.step("three clients at once, each its own numbered conversation", async () => {
    const messages = ["안녕", "hello", "hi"];
    const results = await Promise.all(messages.map((message) => client("--message", message)));
    results.forEach((r, i) => assert.equal(r.stdout, `Received ${messages[i]}\n`, r.stderr));
    const byMessage = new Map<string, string[]>();
    for (const conn of [1, 2, 3]) {
      const lines = await conversation(spy.stdout, conn);
      byMessage.set(messages.find((m) => lines[2].endsWith(`  ${m}`))!, lines);
    }
    assert.deepEqual(byMessage.get("안녕"), [
      "#N open: client PEER → spy → server PEER",
      "#N client → server  6 B",
      ...KOREAN_ROWS,
      "#N client ← server  6 B",
      ...KOREAN_ROWS,
      ...FINS,
      "#N closed: the client sent 6 B, the server sent 6 B",
    ]);
    assert.deepEqual(byMessage.get("hello")!.slice(1, 3), [
      "#N client → server  5 B",
      "      0  68 65 6c 6c 6f           hello",
    ]);
    assert.equal(byMessage.get("hi")!.length, 8);
  });

  await t.step("a client that resets: the server sees a reset too", async () => {
    const result = await client("--message", "bye", "--reset");
    assert.equal(result.stdout, "Received bye\n", result.stderr);
    const lines = await conversation(spy.stdout, connections);
    assert.deepEqual(lines.slice(-2), [
      "#N the client reset the connection (RST) → RST to the server",
      "#N closed: the client sent 3 B, the server sent 3 B",
    ]);
    // The lesson's server caught ConnectionResetError: the reset reached it.
    await server.stdout.waitFor(/^Disconnected by 127\.0\.0\.1:\d+ \(reset\)$/, 10_000);
  });

  await t.step("Korean split across two chunks is shown split", async () => {
    const result = await client("--message", "안녕", "--split", "2");
    assert.equal(result.stdout, "Received 안녕\n", result.stderr);
    const lines = await conversation(spy.stdout, connections);
    assert.deepEqual(lines.slice(1, 11), [
      "#N client → server  2 B",
      "      0  ec 95                    \\xec\\x95",
      "    ↳ split character: 2 of its 3 bytes here; decode() of this alone fails",
      "#N client ← server  2 B",
      "      0  ec 95                    \\xec\\x95",
      "    ↳ split character: 2 of its 3 bytes here; decode() of this alone fails",
      "#N client → server  4 B",
      "      0  88 eb 85 95              \\x88녕",
      "    ↳ UTF-8 (what encode() made of the text): 녕 = eb 85 95",
      "    ↳ the first 1 B complete '안', a 3-byte character split in two",
    ]);
  });

  const status = await spy.stop("SIGINT");
  assert.equal(status.code, 0, spy.stderr.text);
  assert.equal(
    spy.stdout.lines.at(-1),
    `Spy stopped: ${connections} connections, 44 B relayed.`,
  );
});

Deno.test("spy: the lesson's file sender → spy → sockit receive, 1 MiB summarised", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "data.bin");
  const data = randomBytes(1024 * 1024);
  await Deno.writeFile(file, data);
  await using receiver = await cliReceiver({ args: ["--classic-name", "data.bin"] });
  const { spy, port } = await startSpy(receiver.port);
  await using _spy = spy;
  const sent = await runPython("lesson_file_sender.py", ["--port", String(port), "--file", file]);
  assert.equal(sent.code, 0, sent.stderr);
  // The lesson's sender gives no name: its file goes to the folder named after its address.
  await receiver.proc.stdout.waitFor(/^Stored unnamed-127-0-0-1\/data\.bin from/);
  assert.deepEqual(await Deno.readFile(join(receiver.dir, "unnamed-127-0-0-1", "data.bin")), data);

  const lines = await conversation(spy.stdout, 1);
  assert.deepEqual(lines.slice(1, 7), [
    "#N client → server  7 B",
    "      0  31 30 34 38 35 37 36     1048576",
    "    ↳ size as 7 ASCII digits (str(size).encode()): 1,048,576 B after 'ready'",
    "#N client ← server  5 B",
    "      0  72 65 61 64 79           ready",
    "    ↳ 'ready': the receiver has the size; 1,048,576 raw bytes follow",
  ]);
  assert.match(lines[7], /^#N client → server {2}\d[\d,]* B$/);
  // Never megabytes of output: a couple of chunks shown, the rest summarised.
  assert.ok(lines.length < 40, lines.join("\n"));
  const hex = (bytes: Uint8Array) =>
    Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
  const run = lines.findIndex((l) => l.includes("raw file bytes up to 1,048,576 of 1,048,576"));
  assert.ok(run > 0, lines.join("\n"));
  assert.match(lines[run - 2], /^#N client → server$/);
  assert.match(lines[run - 1], /^ {4}↳ … \d+ more chunks?, [\d,]+ B \(\d+ recv\(1024\) reads\)$/);
  assert.match(
    lines[run + 1],
    new RegExp(`^ {4}↳ first bytes [0-9a-f ]{23} … last bytes ${hex(data.subarray(-8))}$`),
  );
  assert.ok(
    lines.includes(
      "#N the client closed normally (FIN) → FIN to the server",
    ),
    lines.join("\n"),
  );
  assert.equal(lines.at(-1), "#N closed: the client sent 1.00 MiB, the server sent 5 B");
});

Deno.test("spy: sockit send → spy → sockit receive names every frame", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(join(dir.path, "hw"));
  await Deno.writeTextFile(join(dir.path, "hw", "과제.py"), "print");
  await using receiver = await cliReceiver();
  const { spy, port } = await startSpy(receiver.port);
  await using _spy = spy;
  const sent = await runCli(["send", "hw", "--to", `127.0.0.1:${port}`], {
    cwd: dir.path,
    env: { SOCKIT_NAME: "김민지" },
  });
  assert.equal(sent.code, 0, sent.stderr);
  const lines = await conversation(spy.stdout, 1);
  const notes = lines.filter((l) => l.startsWith("    ↳ ")).map((l) => l.slice(6));
  for (
    const expected of [
      "preface: 'SKIT' and version 2, a sockit sender's first bytes",
      "header: type 0x48 'H' (hello), length 00 00 00 36 = 54 B",
      "H hello: the receiver speaks version 2 (open, no code); largest file: any size",
      'I identify: the sender is "김민지"',
      'F #1 file "hw/과제.py" 5 B',
      "A #1 accept at 0",
      "S #1 start at 0: 5 raw bytes follow",
      "raw file bytes 1–5 of 5",
      'V #1 verdict: stored as "김민지/hw/과제.py", SHA-256 ' + "",
      "Q quit: no more files",
      "Q quit: every answer sent; 1 stored in this session",
    ]
  ) {
    assert.ok(notes.some((n) => n.startsWith(expected)), `${expected}\n${lines.join("\n")}`);
  }
  assert.ok(notes.includes("UTF-8 (what encode() made of the text): 과 = ea b3 bc, 제 = ec a0 9c"));
});

Deno.test("spy: --json prints one event per line; --lang ko speaks Korean", async () => {
  const { peer: server, port } = await startPeer("lesson_threaded_echo_server.py", [
    "--max-seconds",
    "60",
  ]);
  await using _server = server;
  {
    const { spy, port: spyPort } = await startSpy(port, ["--json"]);
    await using _spy = spy;
    const result = await runPython("lesson_echo_client.py", ["--port", String(spyPort)]);
    assert.equal(result.code, 0, result.stderr);
    await spy.stdout.waitFor(/^\{"type":"closed"/);
    await spy.stop("SIGINT");
    const events = spy.stdout.lines.map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => e.type), [
      "listening",
      "open",
      "chunk",
      "chunk",
      "end",
      "end",
      "closed",
      "stopped",
    ]);
    const [, open, sent, echoed] = events;
    assert.equal(open.conn, 1);
    assert.equal(typeof open.time, "number");
    assert.deepEqual([sent.from, echoed.from], ["client", "server"]);
    assert.deepEqual(sent.bytes, { length: 6, hex: "ec9588eb8595", text: "안녕" });
    assert.deepEqual(sent.pieces, [6]);
    assert.deepEqual(sent.segments, [{ start: 0, end: 6, note: { kind: "plain" } }]);
    assert.deepEqual(events.slice(4, 6).map((e) => [e.from, e.how, e.passed]), [
      ["client", "fin", "fin"],
      ["server", "fin", "fin"],
    ]);
    assert.deepEqual(events[7], { type: "stopped", connections: 1, bytes: 12 });
  }
  {
    const { spy, port: spyPort } = await startSpy(port, [], { env: { LANG: "ko_KR.UTF-8" } });
    await using _spy = spy;
    assert.match(
      spy.stdout.lines[0],
      /^스파이가 127\.0\.0\.1:\d+ 에서 기다리며 127\.0\.0\.1:\d+(?:으로|로) 중계합니다/,
    );
    const result = await runPython("lesson_echo_client.py", ["--port", String(spyPort)]);
    assert.equal(result.code, 0, result.stderr);
    const lines = await conversation(spy.stdout, 1, "닫힘");
    assert.deepEqual(lines.slice(1, 4), [
      "#N 클라이언트 → 서버  6 B",
      KOREAN_ROWS[0],
      "    ↳ UTF-8 (encode() 가 글자를 바꾼 바이트): 안 = ec 95 88, 녕 = eb 85 95",
    ]);
    assert.equal(
      lines.at(-3),
      "#N 클라이언트 쪽이 정상적으로 닫음 (FIN) → 서버 쪽에 FIN 전달",
    );
  }
});

Deno.test("spy: usage errors are exit 2 with one line", async () => {
  for (
    const args of [
      ["spy", "--listen", "0"],
      ["spy", "--to", "127.0.0.1:9999"],
      ["spy", "--listen", "0", "--to", "127.0.0.1"],
      ["spy", "--listen", "70000", "--to", "127.0.0.1:9999"],
    ]
  ) {
    const result = await runCli(args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, /^sockit: /);
  }
});
