/**
 * The echo server and client as a library, over real sockets on 127.0.0.1 (port 0): round
 * trips, characters split across reads, many clients at once, resets, shutdown, `runEcho`,
 * and the `textLines` splitter.
 *
 * @module
 */

import assert from "node:assert/strict";
import { EchoClient, rttStats, runEcho, textLines } from "../lib/echo/client.ts";
import type { EchoClientEvent } from "../lib/echo/client.ts";
import { startEchoServer } from "../lib/echo/server.ts";
import type { EchoServer, EchoServerEvent, EchoServerOptions } from "../lib/echo/server.ts";
import { SockitError } from "../lib/core/errors.ts";
import { EventLog, randomBytes, readBytes, resetClient, within, writeAll } from "./util.ts";

const encoder = new TextEncoder();

type Event<T extends EchoServerEvent["type"]> = Extract<EchoServerEvent, { type: T }>;

/** An echo server on 127.0.0.1:0 whose events are recorded and can be waited for. */
class RecordingServer extends EventLog<EchoServerEvent> implements AsyncDisposable {
  readonly server: EchoServer;

  constructor(options: EchoServerOptions = {}) {
    super();
    this.server = startEchoServer({
      host: "127.0.0.1",
      port: 0,
      ...options,
      // Trace hooks must not keep the bytes they are given: copy them.
      onEvent: (e) => this.record(e.type === "trace" ? { ...e, bytes: e.bytes.slice() } : e),
    });
  }

  get port(): number {
    return this.server.addr.port;
  }

  /** Events of one type for one peer. */
  ofPeer<T extends EchoServerEvent["type"]>(type: T, peer: string): Event<T>[] {
    return this.of(type).filter((e) => "peer" in e && e.peer === peer);
  }

  /** Waits at most `timeoutMs` for an event of `type` (already recorded ones count). */
  async waitForType<T extends EchoServerEvent["type"]>(
    type: T,
    match: (e: Event<T>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Event<T>> {
    return await this.waitFor(
      (e) => e.type === type && match(e as Event<T>),
      timeoutMs,
      type,
    ) as Event<T>;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.server.close();
  }
}

/** The server-side name of a client connection: its local address. */
function peerOf(conn: Deno.Conn): string {
  return `127.0.0.1:${(conn.localAddr as Deno.NetAddr).port}`;
}

/** Echoes `data` through a plain socket (no sockit client code) and returns what came back. */
async function rawEcho(port: number, data: Uint8Array, timeoutMs = 10_000): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const [, back] = await Promise.all([
      writeAll(conn, data),
      readBytes(conn, data.length, timeoutMs),
    ]);
    return back;
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the read timeout.
    }
  }
}

Deno.test("echo: ASCII, Korean and empty messages come back unchanged", async () => {
  await using rec = new RecordingServer();
  const client = await EchoClient.connect({ host: "127.0.0.1", port: rec.port, timeoutMs: 5000 });
  try {
    for (const text of ["hello", "안녕", "안녕하세요, sockit! 😀", "line\r\nbreak\ttab", ""]) {
      const reply = await client.echo(text);
      assert.equal(reply.text, text);
      assert.equal(reply.bytes, encoder.encode(text).length);
      assert.ok(reply.matched, text);
      assert.ok(reply.rttMs >= 0 && reply.rttMs < 5000);
    }
  } finally {
    client.close();
  }
  await rec.waitForType("disconnected");
  const listening = rec.of("listening")[0];
  assert.equal(listening.address, `127.0.0.1:${rec.port}`);
  assert.deepEqual(listening.reachable, []);
  const [disconnected] = rec.of("disconnected");
  assert.equal(disconnected.reason, "closed");
  const total = ["hello", "안녕", "안녕하세요, sockit! 😀", "line\r\nbreak\ttab"]
    .reduce((sum, t) => sum + encoder.encode(t).length, 0);
  assert.equal(disconnected.bytes, total);
  assert.equal(
    rec.of("received").map((e) => e.text).join(""),
    "hello안녕안녕하세요, sockit! 😀line\r\nbreak\ttab",
  );
});

Deno.test("echo: a 1 MiB random message comes back byte for byte", async () => {
  await using rec = new RecordingServer();
  const data = randomBytes(1024 * 1024);
  // Through a plain socket, so the comparison is the test's own ...
  const back = await rawEcho(rec.port, data);
  assert.equal(back.length, data.length);
  assert.ok(back.every((b, i) => b === data[i]), "raw echo differs");
  // ... and through EchoClient, whose own check must agree.
  const client = await EchoClient.connect({ port: rec.port, timeoutMs: 10_000 });
  try {
    const reply = await client.echo(data);
    assert.equal(reply.bytes, data.length);
    assert.ok(reply.matched);
  } finally {
    client.close();
  }
  await rec.waitForType(
    "disconnected",
    (e) => e.bytes === data.length && rec.of("disconnected").length === 2,
  );
  const summary = await rec.server.close();
  assert.deepEqual(summary, { connections: 2, bytes: 2 * data.length });
});

Deno.test("echo: EchoClient notices an echo that differs from what was sent", async () => {
  // A broken "echo" server that adds one to every byte.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(1024);
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      await writeAll(conn, buf.subarray(0, n).map((b) => (b + 1) & 0xff));
    }
    conn.close();
  })();
  const client = await EchoClient.connect({ port: (listener.addr as Deno.NetAddr).port });
  try {
    const reply = await client.echo("abc");
    assert.equal(reply.matched, false);
    assert.equal(reply.text, "bcd");
  } finally {
    client.close();
    await serving;
    listener.close();
  }
});

Deno.test("echo: a server that never answers makes the client fail with timeout", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = await EchoClient.connect({
    port: (listener.addr as Deno.NetAddr).port,
    timeoutMs: 300,
  });
  const silent = await accepted;
  const started = performance.now();
  try {
    await assert.rejects(client.echo("anyone there?"), (err: unknown) => {
      assert.ok(err instanceof SockitError, String(err));
      assert.equal(err.code, "timeout");
      assert.equal(err.details.seconds, 0.3);
      return true;
    });
    assert.ok(performance.now() - started < 3000, "the timeout took too long");
  } finally {
    client.close();
    silent.close();
    listener.close();
  }
});

Deno.test("echo: Korean split at every byte boundary is received and echoed intact", async () => {
  await using rec = new RecordingServer();
  const text = "안녕하세요";
  const bytes = encoder.encode(text);
  assert.equal(bytes.length, 15);
  for (let split = 1; split < bytes.length; split++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: rec.port });
    try {
      conn.setNoDelay(true);
      const peer = peerOf(conn);
      const echoed = readBytes(conn, bytes.length, 5000);
      await writeAll(conn, bytes.subarray(0, split));
      // Wait until the server has read the first part, so the split really reaches it.
      await rec.waitForType("received", (e) => e.peer === peer);
      await writeAll(conn, bytes.subarray(split));
      const back = await echoed;
      assert.deepEqual(back, bytes, `echo with split at ${split}`);
      const received = rec.ofPeer("received", peer);
      assert.deepEqual(
        received.map((e) => e.bytes),
        [split, bytes.length - split],
        `split ${split}`,
      );
      assert.equal(received.map((e) => e.text).join(""), text, `text with split at ${split}`);
      // The first part shows only the characters it completes; no replacement characters.
      assert.ok(!received.some((e) => e.text.includes("\uFFFD")), `U+FFFD at split ${split}`);
      assert.equal(received[0].text, text.slice(0, Math.floor(split / 3)));
    } finally {
      conn.close();
    }
  }
  await rec.waitForType("disconnected", () => rec.of("disconnected").length === bytes.length - 1);
});

Deno.test("echo: 200 concurrent clients each get their own bytes back", async () => {
  await using rec = new RecordingServer();
  const clients = 200;
  const results = await within(
    30_000,
    Promise.all(Array.from({ length: clients }, async (_, i) => {
      const data = new Uint8Array([
        ...encoder.encode(`client ${i}:`),
        ...randomBytes(100 + i * 7),
      ]);
      const back = await rawEcho(rec.port, data, 20_000);
      return back.length === data.length && back.every((b, j) => b === data[j]);
    })),
    `${clients} concurrent clients`,
  );
  const wrong = results.flatMap((ok, i) => ok ? [] : [i]);
  assert.deepEqual(wrong, [], `clients whose echo differed: ${wrong.join(", ")}`);
  await rec.waitForType("disconnected", () => rec.of("disconnected").length === clients, 10_000);
  assert.ok(rec.of("disconnected").every((e) => e.reason === "closed"));
  assert.equal(new Set(rec.of("connected").map((e) => e.peer)).size, clients);
  const summary = await rec.server.close();
  assert.equal(summary.connections, clients);
  let bytes = 0;
  for (let i = 0; i < clients; i++) bytes += encoder.encode(`client ${i}:`).length + 100 + i * 7;
  assert.equal(summary.bytes, bytes);
});

for (const mode of ["unread", "linger"] as const) {
  Deno.test(`echo: a client reset (${mode}) is reported as reset; the server keeps serving`, async () => {
    await using rec = new RecordingServer();
    const peer = await resetClient(rec.port, mode);
    const gone = await rec.waitForType("disconnected", (e) => e.peer === peer);
    assert.equal(gone.reason, "reset");
    assert.equal(gone.bytes, 3);
    assert.deepEqual(rec.of("client-error"), []);

    const client = await EchoClient.connect({ port: rec.port, timeoutMs: 5000 });
    try {
      assert.ok((await client.echo("still serving")).matched);
    } finally {
      client.close();
    }
    await rec.waitForType("disconnected", (e) => e.peer !== peer);
    const summary = await rec.server.close();
    assert.deepEqual(summary, { connections: 2, bytes: 3 + 13 });
    assert.deepEqual(rec.of("disconnected").map((e) => e.reason), ["reset", "closed"]);
  });
}

Deno.test("echo: close() ends active connections and returns the totals", async () => {
  const rec = new RecordingServer();
  const a = await EchoClient.connect({ port: rec.port, timeoutMs: 5000 });
  const b = await EchoClient.connect({ port: rec.port, timeoutMs: 5000 });
  try {
    assert.ok((await a.echo("abc")).matched);
    assert.ok((await b.echo("안녕")).matched);
    await rec.waitForType("connected", () => rec.of("connected").length === 2);
    const summary = await within(3000, rec.server.close(), "close()");
    assert.deepEqual(summary, { connections: 2, bytes: 3 + 6 });
    assert.deepEqual(await rec.server.finished, summary);
    assert.deepEqual(await rec.server.close(), summary, "a second close() gives the same totals");
    const last = rec.events.at(-1)!;
    assert.deepEqual(last, { type: "stopped", connections: 2, bytes: 9 });
    assert.deepEqual(rec.of("disconnected").map((e) => e.reason), ["closed", "closed"]);
    // The clients' connections are really gone ...
    for (const client of [a, b]) {
      await assert.rejects(client.echo("x"), (err: unknown) => {
        assert.ok(err instanceof SockitError, String(err));
        assert.ok(["closed-early", "connection-reset"].includes(err.code), err.code);
        return true;
      });
    }
    // ... and so is the listener.
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: rec.port }));
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("echo: aborting the signal stops the server", async () => {
  const controller = new AbortController();
  const server = startEchoServer({ host: "127.0.0.1", port: 0, signal: controller.signal });
  assert.deepEqual(await rawEcho(server.addr.port, encoder.encode("hi")), encoder.encode("hi"));
  controller.abort();
  assert.deepEqual(await server.finished, { connections: 1, bytes: 2 });
});

Deno.test("echo: startEchoServer throws address-in-use for a busy port", () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    assert.throws(
      () => startEchoServer({ host: "127.0.0.1", port: (busy.addr as Deno.NetAddr).port }),
      (err: unknown) => err instanceof SockitError && err.code === "address-in-use",
    );
  } finally {
    busy.close();
  }
});

Deno.test("runEcho: count 3 gives three replies in order and ping statistics", async () => {
  await using rec = new RecordingServer();
  const events: EchoClientEvent[] = [];
  const result = await runEcho({
    port: rec.port,
    messages: ["ping"],
    count: 3,
    intervalMs: 0,
    timeoutMs: 5000,
    onEvent: (e) => events.push(e),
  });
  const shown = events.filter((e) => e.type !== "trace");
  assert.deepEqual(shown.map((e) => e.type), ["connected", "reply", "reply", "reply", "stats"]);
  const replies = events.filter((e) => e.type === "reply");
  assert.deepEqual(replies.map((e) => e.seq), [1, 2, 3]);
  assert.ok(replies.every((e) => e.text === "ping" && e.matched && e.bytes === 4));
  assert.equal(replies[0].peer, `127.0.0.1:${rec.port}`);
  const stats = events.at(-1);
  assert.ok(stats?.type === "stats", "statistics come last");
  assert.equal(stats.sent, 3);
  assert.equal(stats.matched, 3);
  assert.ok(stats.min <= stats.avg && stats.avg <= stats.max, JSON.stringify(stats));
  assert.deepEqual(stats, { type: "stats", ...result });
  assert.equal(result.sent, 3);
  await rec.waitForType("disconnected");
  assert.equal(rec.of("connected").length, 1, "one connection for all three round trips");
});

Deno.test("runEcho: trace events only when asked for", async () => {
  await using rec = new RecordingServer();
  const events: EchoClientEvent[] = [];
  await runEcho({ port: rec.port, messages: ["hi"], onEvent: (e) => events.push(e) });
  assert.ok(events.some((e) => e.type === "reply"));
  assert.ok(!events.some((e) => e.type === "trace"));
});

Deno.test("runEcho: streamed messages, interval, trace and abort", async () => {
  await using rec = new RecordingServer();
  async function* lines() {
    yield "하나";
    yield "two";
  }
  const events: EchoClientEvent[] = [];
  const result = await runEcho({
    port: rec.port,
    messages: lines(),
    trace: true,
    onEvent: (e) => events.push(e),
  });
  assert.deepEqual(result.sent, 2);
  assert.deepEqual(events.filter((e) => e.type === "reply").map((e) => e.text), ["하나", "two"]);
  assert.ok(!events.some((e) => e.type === "stats"), "no statistics without --count");
  const traces = events.filter((e) => e.type === "trace");
  const sent = traces.filter((e) => e.direction === "sent").map((e) =>
    new TextDecoder().decode(e.bytes)
  );
  assert.deepEqual(sent, ["하나", "two"]);
  const received = traces.filter((e) => e.direction === "received").reduce(
    (n, e) => n + e.bytes.length,
    0,
  );
  assert.equal(received, 9);

  const started = performance.now();
  const paced = await runEcho({ port: rec.port, messages: ["x"], count: 3, intervalMs: 60 });
  assert.equal(paced.sent, 3);
  assert.ok(performance.now() - started >= 110, "interval between round trips was not kept");

  const controller = new AbortController();
  const stopped = await runEcho({
    port: rec.port,
    messages: ["y"],
    count: 100,
    intervalMs: 20,
    signal: controller.signal,
    onEvent: (e) => e.type === "reply" && e.seq === 2 && controller.abort(),
  });
  assert.equal(stopped.sent, 2);
});

Deno.test("rttStats summarises round-trip times", () => {
  assert.deepEqual(rttStats([]), { min: 0, avg: 0, max: 0 });
  assert.deepEqual(rttStats([1, 2, 3]), { min: 1, avg: 2, max: 3 });
  assert.deepEqual(rttStats([5]), { min: 5, avg: 5, max: 5 });
});

async function linesOf(chunks: Uint8Array[]): Promise<string[]> {
  return await Array.fromAsync(ReadableStream.from(chunks).pipeThrough(textLines()));
}

Deno.test("textLines: lines survive any chunk boundary, Korean and CRLF included", async () => {
  const text = "첫 줄\r\n\n둘째 줄\nthird\r\n끝";
  const expected = ["첫 줄", "", "둘째 줄", "third", "끝"];
  const bytes = encoder.encode(text);
  for (let split = 0; split <= bytes.length; split++) {
    assert.deepEqual(
      await linesOf([bytes.subarray(0, split), bytes.subarray(split)]),
      expected,
      `split at ${split}`,
    );
  }
  // One byte at a time.
  assert.deepEqual(await linesOf([...bytes].map((b) => new Uint8Array([b]))), expected);
});

Deno.test("textLines: trailing newline, empty input, lone CR", async () => {
  assert.deepEqual(await linesOf([encoder.encode("a\nb\n")]), ["a", "b"]);
  assert.deepEqual(await linesOf([encoder.encode("a\r"), encoder.encode("\nb\r\n")]), ["a", "b"]);
  assert.deepEqual(await linesOf([]), []);
  assert.deepEqual(await linesOf([encoder.encode("\n")]), [""]);
  assert.deepEqual(await linesOf([encoder.encode("a\rb\n")]), ["a\rb"]);
  // Korean split mid-character with nothing else in the chunk.
  const ko = encoder.encode("한\n");
  assert.deepEqual(await linesOf([ko.subarray(0, 1), ko.subarray(1, 2), ko.subarray(2)]), ["한"]);
});
