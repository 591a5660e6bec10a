/**
 * `sockit spy` and the teaching `--trace` as a library: the annotator on sockit, classic and
 * plain conversations cut into chunks at every possible place, Korean split across chunks,
 * folding of long runs, the rendering of frames and headers, and the relay passing a FIN as a
 * FIN and a reset as a reset (127.0.0.1, port 0).
 *
 * @module
 */

import assert from "node:assert/strict";
import net from "node:net";
import { Annotator, pieces, RUN_EDGE_BYTES, SHOWN_BEFORE_FOLD } from "../lib/spy/annotate.ts";
import type { AnnotatedChunk, Note, RunSummary, Side } from "../lib/spy/annotate.ts";
import { startSpy } from "../lib/spy/relay.ts";
import type { SpyEvent } from "../lib/spy/relay.ts";
import { CLASSIC_READY, encodeFrame, encodePreface } from "../lib/transfer/protocol.ts";
import type { Frame } from "../lib/transfer/protocol.ts";
import { hexRows, printable, renderBytes } from "../lib/net/trace.ts";
import { renderChunk, TraceView } from "../cli/render_trace.ts";
import { renderSpyEvent } from "../cli/render_spy.ts";
import { concatBytes } from "./util.ts";

const encoder = new TextEncoder();
const EN = { lang: "en", color: false } as const;
const KO = { lang: "ko", color: false } as const;

/** Every note of the chunks `from` one side, in order, with the bytes they cover. */
function notes(shown: (AnnotatedChunk | RunSummary)[], from: Side): [Note, Uint8Array][] {
  return shown.filter((s): s is AnnotatedChunk => s.type === "chunk" && s.from === from)
    .flatMap((c) =>
      c.segments.map((s): [Note, Uint8Array] => [s.note, c.bytes.subarray(s.start, s.end)])
    );
}

const FILE = encoder.encode("print('안녕')\n");
const SENDER: Frame[] = [
  { type: "F", id: 1, path: "hw/과제.py", size: FILE.length, mtime: 0 },
  { type: "S", id: 1, offset: 0 },
  { type: "E", id: 1, sha256: "ab".repeat(32) },
  { type: "Q" },
];

/** A sockit sender's whole stream: preface, F, S, the file, E, Q. */
const SENDER_STREAM = concatBytes(
  encodePreface(),
  encodeFrame(SENDER[0]),
  encodeFrame(SENDER[1]),
  FILE,
  encodeFrame(SENDER[2]),
  encodeFrame(SENDER[3]),
);

Deno.test("annotate: a sockit sender's stream cut anywhere names the same frames and bytes", () => {
  for (let cut = 1; cut < SENDER_STREAM.length; cut++) {
    const conversation = new Annotator({ fold: false });
    const shown = [
      ...conversation.feed("client", SENDER_STREAM.subarray(0, cut)),
      ...conversation.feed("client", SENDER_STREAM.subarray(cut)),
    ];
    const all = notes(shown, "client");
    // Every byte is covered exactly once.
    assert.equal(all.reduce((n, [, b]) => n + b.length, 0), SENDER_STREAM.length, `cut ${cut}`);
    const frames = all.flatMap(([n]) => n.kind === "frame-payload" && n.frame ? [n.frame] : []);
    assert.deepEqual(frames, SENDER, `cut ${cut}`);
    const preface = all.filter(([n]) => n.kind === "preface").at(-1)![0];
    assert.deepEqual(preface, { kind: "preface", got: 5, version: 2 }, `cut ${cut}`);
    const data = concatBytes(...all.filter(([n]) => n.kind === "file-data").map(([, b]) => b));
    assert.deepEqual(data, FILE, `cut ${cut}`);
    const headers = all.filter(([n]) => n.kind === "frame-header" && n.got === 5);
    assert.deepEqual(headers.map(([n]) => n.kind === "frame-header" && n.type), [
      "F",
      "S",
      "E",
      "Q",
    ]);
    const start = all.find(([n]) => n.kind === "frame-payload" && n.frame?.type === "S")![0];
    assert.equal(start.kind === "frame-payload" && start.follow, FILE.length);
  }
});

Deno.test("annotate: the receiver's frames are named; a broken frame turns the rest plain", () => {
  const conversation = new Annotator();
  conversation.feed("client", encodePreface());
  const hello = conversation.feed(
    "server",
    encodeFrame({ type: "H", version: 2, auth: "none", maxSize: null, window: 64 }),
  );
  assert.deepEqual(notes(hello, "server").map(([n]) => n.kind), ["frame-header", "frame-payload"]);
  // A sender frame type from the receiver breaks the protocol.
  const bad = conversation.feed("server", encodeFrame({ type: "S", id: 1, offset: 0 }));
  const [[note]] = notes(bad, "server");
  assert.equal(note.kind, "unexpected");
  const after = conversation.feed("server", encoder.encode("anything"));
  assert.deepEqual(notes(after, "server").map(([n]) => n.kind), ["plain"]);
});

Deno.test("annotate: the classic protocol: size digits, ready, then exactly size raw bytes", () => {
  for (const size of [1, 1023, 1024, 5000]) {
    const conversation = new Annotator({ fold: false });
    const digits = conversation.feed("client", encoder.encode(String(size)));
    assert.deepEqual(notes(digits, "client")[0][0], {
      kind: "classic-size",
      text: String(size),
      size,
    });
    // "ready" may arrive in pieces too.
    const re = conversation.feed("server", CLASSIC_READY.subarray(0, 2));
    assert.deepEqual(notes(re, "server")[0][0], { kind: "classic-ready", got: 2 });
    const ady = conversation.feed("server", CLASSIC_READY.subarray(2));
    assert.deepEqual(notes(ady, "server")[0][0], { kind: "classic-ready", got: 5, size });
    const data = conversation.feed("client", new Uint8Array(size + 3));
    const kinds = notes(data, "client").map(([n]) => n.kind);
    assert.deepEqual(kinds, ["file-data", "plain"], `size ${size}`);
    assert.deepEqual(notes(data, "client")[0][0], {
      kind: "file-data",
      from: 0,
      to: size,
      total: size,
    });
  }
});

Deno.test("annotate: digits answered by anything but ready were not the classic protocol", () => {
  const conversation = new Annotator();
  conversation.feed("client", encoder.encode("123"));
  const echo = conversation.feed("server", encoder.encode("123"));
  assert.deepEqual(notes(echo, "server").map(([n]) => n.kind), ["plain"]);
  const more = conversation.feed("client", encoder.encode("456"));
  assert.deepEqual(notes(more, "client").map(([n]) => n.kind), ["plain"]);
  // Not a size in digits: plain from the start.
  const words = new Annotator().feed("client", encoder.encode("12 apples"));
  assert.deepEqual(notes(words, "client").map(([n]) => n.kind), ["plain"]);
});

Deno.test("annotate: text that is neither protocol is plain, even when it starts with S", () => {
  for (const text of ["안녕", "Sally", "S", "hello"]) {
    const shown = new Annotator().feed("client", encoder.encode(text));
    assert.deepEqual(notes(shown, "client").map(([n]) => n.kind), [
      text === "S" ? "preface" : "plain",
    ]);
  }
  const off = new Annotator({ recognise: false }).feed("client", encodePreface());
  assert.deepEqual(notes(off, "client").map(([n]) => n.kind), ["plain"]);
});

Deno.test("annotate: a Korean character split across two chunks is marked on both", () => {
  const bytes = encoder.encode("안녕");
  for (const cut of [1, 2, 4, 5]) {
    const conversation = new Annotator();
    const [first] = conversation.feed("client", bytes.subarray(0, cut)) as AnnotatedChunk[];
    const [second] = conversation.feed("client", bytes.subarray(cut)) as AnnotatedChunk[];
    const char = cut < 3 ? "안" : "녕";
    const here = cut % 3;
    assert.deepEqual(first.starts, { here, width: 3 }, `cut ${cut}`);
    assert.deepEqual(second.completes, { here: 3 - here, width: 3, char }, `cut ${cut}`);
    assert.equal(second.starts, undefined);
  }
  // A whole character is not split.
  const [whole] = new Annotator().feed("client", bytes) as AnnotatedChunk[];
  assert.equal(whole.starts, undefined);
  assert.equal(whole.completes, undefined);
});

Deno.test("annotate: long runs of raw bytes fold into one summary with first and last bytes", () => {
  const size = 64 * 1024;
  const file = new Uint8Array(size).map((_, i) => i % 251);
  const conversation = new Annotator();
  conversation.feed("client", encoder.encode(String(size)));
  conversation.feed("server", CLASSIC_READY);
  const shown: (AnnotatedChunk | RunSummary)[] = [];
  for (let at = 0; at < size; at += 1000) {
    shown.push(...conversation.feed("client", file.subarray(at, at + 1000)));
  }
  shown.push(...conversation.finish());
  const chunks = shown.filter((s) => s.type === "chunk");
  assert.equal(chunks.length, SHOWN_BEFORE_FOLD);
  const runs = shown.filter((s): s is RunSummary => s.type === "run");
  assert.equal(runs.length, 1);
  const run = runs[0];
  const chunkCount = Math.ceil(size / 1000);
  assert.equal(run.chunks, chunkCount - SHOWN_BEFORE_FOLD);
  assert.equal(run.length, size - SHOWN_BEFORE_FOLD * 1000);
  assert.deepEqual(run.first, file.subarray(2000, 2000 + RUN_EDGE_BYTES));
  assert.deepEqual(run.last, file.subarray(-RUN_EDGE_BYTES));
  assert.equal(run.to, size);
  assert.equal(run.total, size);
  assert.equal(run.pieces, run.chunks); // every 1000-byte chunk is one recv(1024)
  // The other side speaking ends a run: the summary comes before its chunk.
  const again = new Annotator();
  for (let i = 0; i < 5; i++) again.feed("client", encoder.encode("same"));
  const reply = again.feed("server", encoder.encode("reply"));
  assert.deepEqual(reply.map((s) => s.type), ["run", "chunk"]);
});

Deno.test("annotate: recv(1024) pieces", () => {
  assert.deepEqual(pieces(6), [6]);
  assert.deepEqual(pieces(1024), [1024]);
  assert.deepEqual(pieces(3000), [1024, 1024, 952]);
});

Deno.test("bytes: one display style; escapes never let control characters through", () => {
  const bytes = new Uint8Array([0x61, 0x0a, 0x5c, 0x1b, 0xec, 0x95, 0x88, 0xe2, 0x80, 0xae, 0xff]);
  assert.equal(renderBytes(bytes), "a\\n\\\\\\x1b안\\xe2\\x80\\xae\\xff");
  // Binary file bytes show no stray characters; text file bytes show their text.
  const conversation = new Annotator();
  conversation.feed("client", encoder.encode("12"));
  conversation.feed("server", CLASSIC_READY);
  const [binary] = conversation.feed(
    "client",
    new Uint8Array([0xd1, 0x96, 0x41, 0xff]),
  ) as AnnotatedChunk[];
  assert.equal(
    renderChunk(EN, "", binary)[1],
    "      0  d1 96 41 ff              \\xd1\\x96A\\xff",
  );
  const [text] = conversation.feed("client", encoder.encode("і안녕1234")) as AnnotatedChunk[];
  assert.equal(renderChunk(EN, "", text)[1], "      0  d1 96 ec 95 88 eb 85 95  і안녕");
  // Valid UTF-8 that would confuse a terminal (a combining mark, right-to-left) stays escaped.
  assert.equal(
    renderBytes(new Uint8Array([0xd9, 0x9c, 0xd7, 0x90, 0x41])),
    "\\xd9\\x9c\\xd7\\x90A",
  );
  // Text from the network in messages uses the same escapes (backslashes stay as typed).
  assert.equal(printable("a\n\x1b[2J\u202e\\"), "a\\n\\x1b[2J\\xe2\\x80\\xae\\");
  assert.deepEqual(hexRows(encoder.encode("hi 안녕 12345")), [
    "    0  68 69 20 ec 95 88 eb 85  hi 안녕",
    "    8  95 20 31 32 33 34 35      12345",
  ]);
});

Deno.test("render: a sockit frame is named and its five header bytes explained", () => {
  const conversation = new Annotator();
  conversation.feed("client", encodePreface());
  const file = encodeFrame({ type: "F", id: 1, path: "hw/과제.py", size: 5, mtime: 0 });
  const [chunk] = conversation.feed("client", file) as AnnotatedChunk[];
  const lines = renderChunk(EN, "head", chunk);
  const length = file.length - 5;
  assert.equal(lines[0], "head");
  assert.equal(
    lines[1],
    `      0  46 00 00 00 ${length.toString(16)}           F\\x00\\x00\\x00${
      String.fromCharCode(length)
    }`,
  );
  assert.match(
    lines[2],
    new RegExp(
      `↳ header: type 0x46 'F' \\(file\\), length 00 00 00 ${length.toString(16)} = ${length} B$`,
    ),
  );
  assert.ok(lines.some((l) => l.endsWith('↳ F #1 file "hw/과제.py" 5 B')), lines.join("\n"));
  assert.ok(lines.some((l) => l.includes("과 = ea b3 bc, 제 = ec a0 9c")), lines.join("\n"));
  const skipped = `… ${length - 16 - 8} B not shown …`;
  assert.ok(lines.some((l) => l.includes(skipped)), lines.join("\n"));
  assert.ok(lines.some((l) => l.endsWith('"path":"')), lines.join("\n"));
  const korean = renderChunk(KO, "head", chunk);
  assert.ok(korean.some((l) => l.endsWith('↳ F #1 파일 "hw/과제.py" 5 B')), korean.join("\n"));
});

Deno.test("render: --trace of a classic receiver explains the size, ready and the data", () => {
  const view = new TraceView(EN, "server");
  const peer = "127.0.0.1:5000";
  const at = (direction: "sent" | "received", bytes: Uint8Array) =>
    view.render({ type: "trace", peer, direction, bytes });
  assert.match(
    at("received", encoder.encode("1048576")),
    /size as 7 ASCII digits \(str\(size\)\.encode\(\)\): 1,048,576 B after 'ready'/,
  );
  assert.match(
    at("sent", CLASSIC_READY),
    /'ready': the receiver has the size; 1,048,576 raw bytes follow$/,
  );
  const first = at("received", new Uint8Array(3000));
  assert.match(first, /a recv\(1024\) loop reads this as 3 pieces: 1,024 \+ 1,024 \+ 952/);
  assert.match(first, /raw file bytes 1–3,000 of 1,048,576/);
  assert.match(first, /… 2,976 B not shown …/);
  assert.match(
    at("received", new Uint8Array(3000 + 64 * 1024)),
    /reads this as 67 pieces: 66 × 1,024 \+ 952$/m,
  );
  assert.equal(at("received", new Uint8Array(3000)), ""); // folded
  assert.match(
    view.end(peer),
    /^← {2}127\.0\.0\.1:5000\n {4}↳ … 1 more chunk, 3,000 B \(3 recv\(1024\) reads\)\n {4}↳ raw file bytes up to 74,536 of 1,048,576\n {4}↳ first bytes 00 00 00 00 00 00 00 00 … last bytes 00 00 00 00 00 00 00 00$/,
  );
});

/**
 * A server on 127.0.0.1:0 that runs `handle` for each connection, with a spy in front of it
 * recording its events. Dispose it to stop both.
 */
async function spiedServer(handle: (socket: net.Socket) => void) {
  const upstream = net.createServer({ allowHalfOpen: true }, handle);
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", () => resolve()));
  const events: SpyEvent[] = [];
  const spy = await startSpy({
    to: { host: "127.0.0.1", port: (upstream.address() as net.AddressInfo).port },
    port: 0,
    onEvent: (e) => events.push(e),
  });
  return {
    events,
    connect: () => Deno.connect({ hostname: "127.0.0.1", port: spy.addr.port }),
    [Symbol.asyncDispose]: async () => {
      await spy.close();
      upstream.close();
    },
  };
}

/** Waits (bounded) until `events` holds one matching `test`. */
async function until(events: SpyEvent[], test: (e: SpyEvent) => boolean): Promise<SpyEvent> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const found = events.find(test);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no such event in ${JSON.stringify(events.map((e) => e.type))}`);
}

Deno.test("relay: a half close passes as a FIN, and the other direction keeps flowing", async () => {
  // The server answers only once the client has finished sending (it needs the FIN).
  const spied = await spiedServer((socket) => {
    const got: Uint8Array[] = [];
    socket.on("data", (d) => got.push(d));
    socket.on("end", () => socket.end(concatBytes(...got).reverse()));
  });
  {
    await using _spied = spied;
    const conn = await spied.connect();
    await conn.write(encoder.encode("abc"));
    await conn.closeWrite();
    const reply = new Uint8Array(10);
    const n = await conn.read(reply);
    assert.equal(new TextDecoder().decode(reply.subarray(0, n!)), "cba");
    assert.equal(await conn.read(reply), null);
    conn.close();
    await until(spied.events, (e) => e.type === "closed");
    const ends = spied.events.filter((e) => e.type === "end");
    assert.deepEqual(ends.map((e) => e.type === "end" && [e.from, e.how, e.passed]), [
      ["client", "fin", "fin"],
      ["server", "fin", "fin"],
    ]);
    const closed = spied.events.find((e) => e.type === "closed");
    assert.deepEqual(closed && closed.type === "closed" && [closed.client, closed.server], [3, 3]);
  }
  assert.deepEqual(spied.events.at(-1), { type: "stopped", connections: 1, bytes: 6 });
});

Deno.test("relay: a reset from the server reaches the client as a reset", async () => {
  await using spied = await spiedServer((socket) =>
    socket.on("data", () => socket.resetAndDestroy())
  );
  const conn = await spied.connect();
  await conn.write(encoder.encode("hi"));
  await assert.rejects(conn.read(new Uint8Array(10)), Deno.errors.ConnectionReset);
  conn.close();
  const end = await until(spied.events, (e) => e.type === "end");
  assert.deepEqual(end.type === "end" && [end.from, end.how, end.passed], [
    "server",
    "reset",
    "reset",
  ]);
  assert.match(
    renderSpyEvent(EN, end)!.text,
    /^\d\d:\d\d:\d\d\.\d{3} #1 the server reset the connection \(RST\) → RST to the client$/,
  );
});

Deno.test("relay: a server that is not there: the client is reset and told why", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const events: SpyEvent[] = [];
  const spy = await startSpy({
    to: { host: "127.0.0.1", port },
    port: 0,
    onEvent: (e) => events.push(e),
  });
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: spy.addr.port });
    await assert.rejects(conn.read(new Uint8Array(10)), Deno.errors.ConnectionReset);
    conn.close();
    const failed = await until(events, (e) => e.type === "connect-failed");
    assert.equal(failed.type === "connect-failed" && failed.code, "connection-refused");
    assert.match(
      renderSpyEvent(EN, failed)!.text,
      new RegExp(`Nothing is listening at 127\\.0\\.0\\.1:${port}`),
    );
  } finally {
    await spy.close();
  }
});

Deno.test("relay: listening on a port in use is a SockitError", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await assert.rejects(
      startSpy({ to: { host: "127.0.0.1", port: 1 }, port: (busy.addr as Deno.NetAddr).port }),
      (err: Error & { code?: string }) => err.code === "address-in-use",
    );
  } finally {
    busy.close();
  }
});
