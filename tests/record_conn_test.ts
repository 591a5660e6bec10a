/**
 * The record layer on a real loopback connection (`lib/transfer/record_conn.ts`): how a large
 * write is cut into records on the wire, reading records of every size however the socket
 * delivers them, and refusing a stream cut or altered in the middle of bulk data.
 *
 * @module
 */

import assert from "node:assert/strict";
import { SockitError } from "../lib/core/errors.ts";
import {
  MAX_RECORD_DATA,
  RECORD_HEADER_BYTES,
  RecordOpener,
  RecordSealer,
  recordSize,
  TAG_BYTES,
} from "../lib/crypto/records.ts";
import { KeySchedule } from "../lib/crypto/session_keys.ts";
import type { SessionKeys } from "../lib/crypto/session_keys.ts";
import { Wire } from "../lib/net/wire.ts";
import { BULK_RECORD_DATA, RecordConn } from "../lib/transfer/record_conn.ts";

async function session(): Promise<{ sender: SessionKeys; receiver: SessionKeys }> {
  const schedule = new KeySchedule(crypto.getRandomValues(new Uint8Array(64)), new Uint8Array(0));
  return {
    sender: await schedule.recordKeys("sender"),
    receiver: await schedule.recordKeys("receiver"),
  };
}

/** A connected pair of loopback sockets. */
async function socketPair(): Promise<[Deno.TcpConn, Deno.TcpConn]> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [client, server] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  return [client, server];
}

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, at + 65536));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Everything `conn` delivers until its end. */
async function readAll(conn: { read(target: Uint8Array): Promise<number | null> }) {
  const parts: Uint8Array[] = [];
  const target = new Uint8Array(1024 * 1024);
  for (;;) {
    const n = await conn.read(target);
    if (n === null) return concat(parts);
    parts.push(target.slice(0, n));
  }
}

/** Seals `frames` (one record each) and, with `final`, the final record, as one byte stream. */
async function sealed(sealer: RecordSealer, frames: Uint8Array[], final = true) {
  const parts: Uint8Array[] = [];
  for (const frame of final ? [...frames, new Uint8Array(0)] : frames) {
    const last = final && parts.length === frames.length * 2;
    const { header, body } = await sealer.seal(frame, { final: last });
    parts.push(header, body);
  }
  return concat(parts);
}

/** Writes `bytes` to `conn` in pieces of the given sizes, cycling through them. */
async function writeInPieces(conn: Deno.Conn, bytes: Uint8Array, sizes: number[]) {
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const piece = bytes.subarray(at, at + sizes[i % sizes.length]);
    for (let done = 0; done < piece.length;) done += await conn.write(piece.subarray(done));
    at += piece.length;
  }
}

Deno.test("record conn: a large write leaves in records of 128 KiB, small writes as they are", async () => {
  const keys = await session();
  const [client, server] = await socketPair();
  const writer = new RecordConn(new Wire(client), keys.sender);
  const writes = [random(5), random(MAX_RECORD_DATA + 3), random(40_000)];
  const sending = (async () => {
    for (const bytes of writes) await writer.write(bytes);
    await writer.closeWrite();
  })();
  const raw = await readAll(server);
  await sending;
  writer.close();
  server.close();
  const opener = new RecordOpener(keys.receiver.receive);
  const sizes: number[] = [];
  const plain: Uint8Array[] = [];
  for (let at = 0; at < raw.length;) {
    const size = recordSize(raw.subarray(at));
    sizes.push(size - RECORD_HEADER_BYTES - TAG_BYTES);
    plain.push((await opener.open(raw.subarray(at, at + size))).data);
    at += size;
  }
  assert.equal(BULK_RECORD_DATA, 128 * 1024);
  assert.deepEqual(sizes, [5, ...Array(8).fill(BULK_RECORD_DATA), 3, 40_000, 0]);
  assert.deepEqual(concat(plain), concat(writes));
  assert.equal(opener.finished, true);
});

Deno.test("record conn: reads records of every size exactly, however the socket cuts them", async () => {
  const keys = await session();
  const frames = [1, MAX_RECORD_DATA, 100, 70_000, MAX_RECORD_DATA, 300_000, 16_384, 5, 20_000]
    .map(random);
  const stream = await sealed(new RecordSealer(keys.sender.send), frames);
  for (const pieces of [[7, 65_537, 1, 300_000], [stream.length], [13, 1_000_000]]) {
    const [client, server] = await socketPair();
    const reader = new RecordConn(new Wire(server), keys.receiver);
    const sending = writeInPieces(client, stream, pieces).then(() => client.closeWrite());
    assert.deepEqual(await readAll(reader), concat(frames), `pieces ${pieces}`);
    await sending;
    client.close();
    reader.close();
  }
});

Deno.test("record conn: a stream cut or altered inside bulk data is refused", async () => {
  const keys = await session();
  const frames = [random(300), random(MAX_RECORD_DATA), random(BULK_RECORD_DATA), random(9)];
  const whole = await sealed(new RecordSealer(keys.sender.send), frames);
  const second = recordSize(whole) + RECORD_HEADER_BYTES + 5_000;
  const altered = whole.slice();
  altered[second] ^= 1;
  const cases: [string, Uint8Array, string][] = [
    ["cut inside a 1 MiB record", whole.subarray(0, second), "record-truncated"],
    ["cut before the final record", whole.subarray(0, whole.length - 29), "record-truncated"],
    ["a bit flipped in a 1 MiB record", altered, "record-tampered"],
  ];
  for (const [what, bytes, code] of cases) {
    const [client, server] = await socketPair();
    const reader = new RecordConn(new Wire(server), keys.receiver);
    const sending = writeInPieces(client, bytes, [65_536]).then(() => client.closeWrite());
    await assert.rejects(
      readAll(reader),
      (err) => err instanceof SockitError && err.code === code,
      what,
    );
    await sending.catch(() => {});
    client.close();
    reader.close();
  }
});
