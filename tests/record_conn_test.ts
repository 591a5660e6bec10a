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
import { Wire } from "../lib/net/wire.ts";
import { BULK_RECORD_DATA, RecordConn } from "../lib/transfer/record_conn.ts";
import { concatBytes, loopbackPair, randomBytes, recordSessionKeys } from "./util.ts";

/** Everything `conn` delivers until its end. */
async function readAll(conn: { read(target: Uint8Array): Promise<number | null> }) {
  const parts: Uint8Array[] = [];
  const target = new Uint8Array(1024 * 1024);
  for (;;) {
    const n = await conn.read(target);
    if (n === null) return concatBytes(...parts);
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
  return concatBytes(...parts);
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
  const keys = await recordSessionKeys();
  const [client, server] = await loopbackPair();
  const writer = new RecordConn(new Wire(client), keys.sender);
  const writes = [randomBytes(5), randomBytes(MAX_RECORD_DATA + 3), randomBytes(40_000)];
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
  assert.deepEqual(concatBytes(...plain), concatBytes(...writes));
  assert.equal(opener.finished, true);
});

Deno.test("record conn: reads records of every size exactly, however the socket cuts them", async () => {
  const keys = await recordSessionKeys();
  const frames = [1, MAX_RECORD_DATA, 100, 70_000, MAX_RECORD_DATA, 300_000, 16_384, 5, 20_000]
    .map(randomBytes);
  const stream = await sealed(new RecordSealer(keys.sender.send), frames);
  for (const pieces of [[7, 65_537, 1, 300_000], [stream.length], [13, 1_000_000]]) {
    const [client, server] = await loopbackPair();
    const reader = new RecordConn(new Wire(server), keys.receiver);
    const sending = writeInPieces(client, stream, pieces).then(() => client.closeWrite());
    assert.deepEqual(await readAll(reader), concatBytes(...frames), `pieces ${pieces}`);
    await sending;
    client.close();
    reader.close();
  }
});

Deno.test("record conn: a stream cut or altered inside bulk data is refused", async () => {
  const keys = await recordSessionKeys();
  const frames = [
    randomBytes(300),
    randomBytes(MAX_RECORD_DATA),
    randomBytes(BULK_RECORD_DATA),
    randomBytes(9),
  ];
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
    const [client, server] = await loopbackPair();
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
