/**
 * The connection's one timer (`lib/net/watchdog.ts`: idle timeout and deadlines without a timer
 * per read, write or frame), and answers queued on a `Wire`, which leave together before the
 * side that queued them next waits for its peer.
 *
 * @module
 */

import assert from "node:assert/strict";
import { IdleWatchdog } from "../lib/net/watchdog.ts";
import { Wire } from "../lib/net/wire.ts";
import { bufferedFrame, encodeFrame, readFrame } from "../lib/transfer/protocol.ts";
import { delay } from "../lib/core/delay.ts";
import { loopbackPair } from "./util.ts";

/**
 * A watchdog whose expiries resolve `expired` (with the length that expired). Its timer never
 * keeps the process alive (on a connection a pending read or write does), so a test holds a
 * timer of its own until it ends (disposing the result clears it and stops the watchdog).
 */
function watched(idleMs: number) {
  const expired = Promise.withResolvers<number>();
  const calls: number[] = [];
  const watchdog = new IdleWatchdog(idleMs, (ms) => {
    calls.push(ms);
    expired.resolve(ms);
  });
  const alive = setTimeout(() => {}, 60_000);
  return {
    watchdog,
    expired: expired.promise,
    calls,
    [Symbol.dispose]() {
      clearTimeout(alive);
      watchdog.stop();
    },
  };
}

Deno.test("watchdog: a cancelled deadline never expires; the next one does, once, at its length", async () => {
  using watch = watched(0);
  const { watchdog, expired, calls } = watch;
  const early = watchdog.deadline(20);
  early.cancel();
  watchdog.deadline(60);
  const started = performance.now();
  assert.equal(await expired, 60);
  assert.ok(performance.now() - started >= 55, "not before its time");
  assert.deepEqual(calls, [60]);
});

Deno.test("watchdog: a read waiting longer than the idle timeout expires it", async () => {
  using watch = watched(50);
  const { watchdog, expired, calls } = watch;
  const unwatch = watchdog.watch();
  watchdog.readingSince = performance.now();
  assert.equal(await expired, 50);
  assert.deepEqual(calls, [50]);
  unwatch();
});

Deno.test("watchdog: a shorter deadline than the armed timer is still kept", async () => {
  using watch = watched(30_000);
  const { watchdog, expired } = watch;
  const unwatch = watchdog.watch(); // arms for 30 s
  const started = performance.now();
  using _ = watchdog.deadline(40);
  assert.equal(await expired, 40);
  assert.ok(performance.now() - started < 10_000);
  unwatch();
});

Deno.test("watchdog: thousands of watches and deadlines arm the timer once", () => {
  using watch = watched(30_000);
  const { watchdog } = watch;
  const real = globalThis.setTimeout;
  let armed = 0;
  // deno-lint-ignore no-explicit-any
  (globalThis as any).setTimeout = (...args: Parameters<typeof setTimeout>) => {
    armed++;
    return real(...args);
  };
  try {
    for (let i = 0; i < 5000; i++) {
      const unwatch = watchdog.watch();
      watchdog.readingSince = performance.now();
      const deadline = watchdog.deadline(10_000 + i);
      watchdog.readingSince = -1;
      deadline.cancel();
      unwatch();
    }
    // One for the first watch, one more for the first (earlier) deadline: not one per call.
    assert.ok(armed >= 1 && armed <= 2, `armed ${armed} times`);
  } finally {
    globalThis.setTimeout = real;
  }
});

Deno.test("wire: a read waiting for an answer is not idle while this side's writes complete", async () => {
  const idleMs = 150;
  const [client, receiver] = await loopbackPair();
  using sender = new Wire(client, { idleTimeoutMs: idleMs });
  // The sender waits for its verdict while it streams a file: the answer comes only at the end.
  const answer = sender.readExact(1);
  answer.catch(() => {});
  const draining = (async () => {
    const buffer = new Uint8Array(64 * 1024);
    while (await receiver.read(buffer) !== null);
  })();
  // Writes that keep completing for several idle timeouts (bounded in count and time).
  const piece = new Uint8Array(16 * 1024);
  const started = performance.now();
  let pieces = 0;
  while (performance.now() - started < 5 * idleMs && pieces < 100_000) {
    await sender.write(piece);
    pieces++;
    if (pieces % 16 === 0) await delay(idleMs / 5); // a link slower than loopback
  }
  await receiver.write(new Uint8Array([86]));
  assert.deepEqual(await answer, new Uint8Array([86]), "the answer, not a timeout");
  receiver.close();
  await draining.catch(() => {});
});

Deno.test("wire: a read still expires once nothing moves either way", async () => {
  const [client, receiver] = await loopbackPair();
  using sender = new Wire(client, { idleTimeoutMs: 100 });
  using _receiver = receiver;
  await sender.write(new Uint8Array(1024));
  const started = performance.now();
  await assert.rejects(
    sender.readExact(1),
    (err: Error & { code?: string }) => err.code === "timeout",
  );
  assert.ok(performance.now() - started >= 90, "not before the idle timeout");
});

/**
 * `conn` with its `method` calls recorded: the length of the buffer each was given.
 */
function recording(conn: Deno.Conn, method: "read" | "write") {
  const calls: number[] = [];
  const recorded = new Proxy(conn, {
    get(target, key) {
      if (key === method) {
        return (buffer: Uint8Array) => {
          calls.push(buffer.length);
          return target[method](buffer);
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { conn: recorded, calls };
}

Deno.test("wire: queued bytes leave in one write before the side that queued them reads", async () => {
  const [clientConn, serverConn] = await loopbackPair();
  using client = new Wire(clientConn);
  const writes = recording(serverConn, "write");
  using server = new Wire(writes.conn);
  server.queue(new Uint8Array([1]));
  server.queue(new Uint8Array([2]));
  // The server waits for the client, which answers only once it has the queued bytes.
  const reading = server.readExact(1);
  using _ = client.deadline(5000);
  assert.deepEqual(await client.readExact(2), new Uint8Array([1, 2]));
  await client.write(new Uint8Array([3]));
  assert.deepEqual(await reading, new Uint8Array([3]));
  assert.deepEqual(writes.calls, [2], "both queued bytes in one write");
  // A write sends what is queued first, in the same write.
  server.queue(new Uint8Array([4]));
  await server.write(new Uint8Array([5]));
  assert.deepEqual(await client.readExact(2), new Uint8Array([4, 5]));
  assert.deepEqual(writes.calls, [2, 2]);
});

Deno.test("wire: small reads take the frames that arrived together with one socket read", async () => {
  const [conn, accepted] = await loopbackPair();
  using client = new Wire(conn);
  const reads = recording(accepted, "read");
  using server = new Wire(reads.conn);
  await client.write(new Uint8Array(100).fill(7));
  // Wait until all 100 bytes are there, then take them in pieces.
  const first = await server.readExact(10);
  let got = first.length;
  while (got < 100) got += (await server.readExact(Math.min(9, 100 - got))).length;
  assert.ok(reads.calls.length <= 3, `${reads.calls.length} socket reads for 100 bytes at once`);
});

Deno.test("wire: a bulk stream's socket reads ask for at most its chunk size (recv(1024))", async () => {
  const [conn, accepted] = await loopbackPair();
  using client = new Wire(conn);
  const reads = recording(accepted, "read");
  using server = new Wire(reads.conn);
  await client.write(new Uint8Array(5000).fill(1));
  const chunks = await Array.fromAsync(server.readable(5000, 1024));
  assert.equal(chunks.reduce((sum, c) => sum + c.length, 0), 5000);
  assert.ok(reads.calls.every((n) => n <= 1024), `socket reads of ${reads.calls.join(", ")}`);
});

Deno.test("bufferedFrame: a whole frame in the buffer is taken without a wait; a part one is left", async () => {
  const [clientConn, serverConn] = await loopbackPair();
  using client = new Wire(clientConn);
  using server = new Wire(serverConn);
  const start = encodeFrame({ type: "S", id: 1, offset: 0 });
  const end = encodeFrame({ type: "E", id: 1, sha256: "a".repeat(64) });
  await client.write(new Uint8Array([...start, ...end.subarray(0, 8)]));
  while (server.buffered < start.length + 8) {
    assert.equal(await server.waitForMore(5000), "data");
  }
  assert.deepEqual(bufferedFrame(server, "sender"), { type: "S", id: 1, offset: 0 });
  assert.equal(bufferedFrame(server, "sender"), undefined, "the end frame is not whole yet");
  assert.equal(server.buffered, 8, "nothing of it consumed");
  await client.write(end.subarray(8));
  assert.deepEqual(await readFrame(server, "sender"), { type: "E", id: 1, sha256: "a".repeat(64) });
});
