/**
 * Encrypted records: the documented byte layout (checked by decrypting with WebCrypto from
 * the documentation alone), round trips through the streams however the wire cuts them, and
 * one refusal test for each way a stream can be attacked or broken: tampered bytes anywhere,
 * replayed, reordered, dropped and truncated records, trailing data, wrong key or direction.
 *
 * @module
 */

import assert from "node:assert/strict";
import { SockitError } from "../lib/core/errors.ts";
import type { ErrorCode } from "../lib/core/errors.ts";
import {
  MAX_RECORD_DATA,
  openStream,
  RECORD_HEADER_BYTES,
  RecordOpener,
  RecordSealer,
  recordSize,
  sealStream,
  TAG_BYTES,
} from "../lib/crypto/records.ts";
import type { RecordKey } from "../lib/crypto/session_keys.ts";
import { concatBytes, recordSessionKeys } from "./util.ts";

/** Seals `frames` (one record each) and the final record; returns the records. */
async function sealAll(key: RecordKey, frames: Uint8Array[]): Promise<Uint8Array[]> {
  const sealer = new RecordSealer(key);
  const records = [];
  for (const [i, frame] of [...frames, new Uint8Array(0)].entries()) {
    const { header, body } = await sealer.seal(frame, { final: i === frames.length });
    assert.equal(header.length, RECORD_HEADER_BYTES);
    records.push(concatBytes(header, body));
  }
  return records;
}

/** A stream of `bytes` cut into chunks of the given sizes (the rest in one last chunk). */
function wire(bytes: Uint8Array, sizes: number[] = []): ReadableStream<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= bytes.length) break;
    chunks.push(bytes.slice(at, at + size));
    at += size;
  }
  if (at < bytes.length) chunks.push(bytes.slice(at));
  return ReadableStream.from(chunks);
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const out = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

/** Opens `bytes` through the stream and returns the error code it fails with. */
async function refusal(key: RecordKey, bytes: Uint8Array): Promise<ErrorCode> {
  try {
    await collect(wire(bytes).pipeThrough(openStream(key)));
  } catch (err) {
    assert.ok(err instanceof SockitError, String(err));
    return err.code;
  }
  assert.fail("the stream was accepted");
}

const frames = [Uint8Array.of(1, 2, 3), new Uint8Array(1000).fill(7), Uint8Array.of(9)];

Deno.test("records: the layout is as documented (length, counter, flags; prefix + counter nonce)", async () => {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  const records = await sealAll({ key, direction: "receiver-to-sender" }, frames);
  assert.equal(records.length, frames.length + 1);
  for (const [i, record] of records.entries()) {
    const data = frames[i] ?? new Uint8Array(0);
    // Small frames are not padded: header, plaintext length, tag.
    assert.equal(record.length, RECORD_HEADER_BYTES + data.length + TAG_BYTES);
    const view = new DataView(record.buffer);
    assert.equal(view.getUint32(0), data.length + TAG_BYTES, "length");
    assert.equal(view.getBigUint64(4), BigInt(i), "counter");
    assert.equal(record[12], i === frames.length ? 1 : 0, "flags");
    const iv = Uint8Array.of(0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, i);
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: record.slice(4, 13) },
      key,
      record.slice(13),
    );
    assert.deepEqual(new Uint8Array(plain), data);
  }
  assert.equal(recordSize(records[0]), records[0].length);
});

Deno.test("records: streams round-trip any data however the wire cuts it", async () => {
  const { sender, receiver } = await recordSessionKeys();
  // Random throughout (getRandomValues fills 64 KiB per call), so records all differ.
  const payload = new Uint8Array(3 * MAX_RECORD_DATA + 12345);
  for (let at = 0; at < payload.length; at += 65536) {
    crypto.getRandomValues(payload.subarray(at, at + 65536));
  }
  const cases: { writes: Uint8Array[]; cuts: number[] }[] = [
    { writes: [], cuts: [] }, // nothing but the final record
    { writes: frames, cuts: Array(200).fill(1) }, // one byte at a time
    { writes: frames, cuts: [5, 13, 20, 1, 4000] },
    { writes: [payload], cuts: Array(100).fill(65536) }, // large records arrive in pieces
    { writes: [payload], cuts: Array(3000).fill(1111) },
    { writes: [payload.subarray(0, MAX_RECORD_DATA)], cuts: [] },
  ];
  for (const { writes, cuts } of cases) {
    const sealed = concatBytes(
      ...await collect(ReadableStream.from(writes).pipeThrough(sealStream(sender.send))),
    );
    const opened = await collect(wire(sealed, cuts).pipeThrough(openStream(receiver.receive)));
    assert.deepEqual(concatBytes(...opened), concatBytes(...writes));
  }
});

Deno.test("records: each write is one record, bulk data is cut at 1 MiB", async () => {
  const { sender } = await recordSessionKeys();
  const writes = [Uint8Array.of(1), new Uint8Array(MAX_RECORD_DATA + 1), new Uint8Array(10)];
  const chunks = await collect(ReadableStream.from(writes).pipeThrough(sealStream(sender.send)));
  // Each record leaves as its header, then its body (never copied into one buffer).
  assert.deepEqual(chunks.filter((_, i) => i % 2 === 0).map((h) => h.length), Array(5).fill(13));
  assert.deepEqual(
    chunks.filter((_, i) => i % 2 === 1).map((body) => body.length - TAG_BYTES),
    [1, MAX_RECORD_DATA, 1, 10, 0],
  );
});

Deno.test("records: a changed bit anywhere is refused as tampered", async () => {
  const { sender, receiver } = await recordSessionKeys();
  const stream = concatBytes(...await sealAll(sender.send, frames));
  const first = RECORD_HEADER_BYTES + frames[0].length + TAG_BYTES;
  // Flags (12), first ciphertext byte (13), tag (last byte of record 0), a later record.
  for (const at of [12, 13, first - 1, first + 20, stream.length - 1]) {
    for (const bit of [0x01, 0x80]) {
      const bad = stream.slice();
      bad[at] ^= bit;
      assert.equal(await refusal(receiver.receive, bad), "record-tampered", `byte ${at}`);
    }
  }
  // A changed length makes the record boundaries wrong, or the length impossible.
  for (const length of [0, 15, MAX_RECORD_DATA + TAG_BYTES + 1, 0xffffffff]) {
    const bad = stream.slice();
    new DataView(bad.buffer).setUint32(0, length);
    assert.equal(await refusal(receiver.receive, bad), "record-tampered", `length ${length}`);
  }
  const longer = stream.slice();
  new DataView(longer.buffer).setUint32(0, frames[0].length + TAG_BYTES + 1);
  assert.equal(await refusal(receiver.receive, longer), "record-tampered", "one byte longer");
});

Deno.test("records: replayed, reordered and dropped records are refused", async () => {
  const { sender, receiver } = await recordSessionKeys();
  const [r0, r1, r2, r3, fin] = await sealAll(sender.send, [...frames, Uint8Array.of(4)]);
  assert.equal(
    await refusal(receiver.receive, concatBytes(r0, r1, r1, r2, r3, fin)),
    "record-replayed",
  );
  assert.equal(await refusal(receiver.receive, concatBytes(r0, r1, r0, fin)), "record-replayed");
  assert.equal(
    await refusal(receiver.receive, concatBytes(r0, r2, r1, r3, fin)),
    "record-reordered",
  );
  assert.equal(await refusal(receiver.receive, concatBytes(r0, r1, r3, fin)), "record-reordered");
  assert.equal(await refusal(receiver.receive, concatBytes(r1, r2, r3, fin)), "record-reordered");
  // A changed counter is found either way, before decryption.
  const early = r2.slice();
  new DataView(early.buffer).setBigUint64(4, 1n);
  assert.equal(await refusal(receiver.receive, concatBytes(r0, r1, early)), "record-replayed");
});

Deno.test("records: a stream without its final record is truncated", async () => {
  const { sender, receiver } = await recordSessionKeys();
  const records = await sealAll(sender.send, frames);
  const whole = concatBytes(...records);
  assert.equal(await refusal(receiver.receive, new Uint8Array(0)), "record-truncated");
  assert.equal(
    await refusal(receiver.receive, concatBytes(...records.slice(0, -1))),
    "record-truncated",
  );
  for (const cut of [1, 3, 4, 12, 20, whole.length - 1]) {
    assert.equal(
      await refusal(receiver.receive, whole.subarray(0, cut)),
      "record-truncated",
      `${cut}`,
    );
  }
});

Deno.test("records: nothing may follow the final record", async () => {
  const { sender, receiver } = await recordSessionKeys();
  const records = await sealAll(sender.send, frames);
  const whole = concatBytes(...records);
  for (const extra of [Uint8Array.of(0), new Uint8Array(4), records[0], records.at(-1)!]) {
    assert.equal(await refusal(receiver.receive, concatBytes(whole, extra)), "record-tampered");
  }
});

Deno.test("records: another session, the other direction or its prefix do not open", async () => {
  const one = await recordSessionKeys();
  const two = await recordSessionKeys();
  const stream = concatBytes(...await sealAll(one.sender.send, frames));
  assert.equal(await refusal(two.receiver.receive, stream), "record-tampered", "other session");
  assert.equal(await refusal(one.sender.receive, stream), "record-tampered", "other direction");
  // Same AES key, other direction: only the nonce prefix differs, and that is enough.
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  const reflected = concatBytes(...await sealAll({ key, direction: "sender-to-receiver" }, frames));
  assert.equal(
    await refusal({ key, direction: "receiver-to-sender" }, reflected),
    "record-tampered",
  );
  assert.equal(
    await collect(wire(reflected).pipeThrough(openStream({ key, direction: "sender-to-receiver" })))
      .then((c) => concatBytes(...c).length),
    frames.reduce((n, f) => n + f.length, 0),
  );
});

Deno.test("records: an opener that refused once refuses everything after", async () => {
  const { sender, receiver } = await recordSessionKeys();
  const [r0, r1] = await sealAll(sender.send, frames);
  const opener = new RecordOpener(receiver.receive);
  const bad = r0.slice();
  bad[20] ^= 1;
  await assert.rejects(
    opener.open(bad),
    (e) => e instanceof SockitError && e.code === "record-tampered",
  );
  await assert.rejects(
    opener.open(r0),
    (e) => e instanceof SockitError && e.code === "record-tampered",
  );
  await assert.rejects(opener.open(r1), SockitError);
  assert.throws(
    () => opener.end(),
    (e) => e instanceof SockitError && e.code === "record-truncated",
  );
});

Deno.test("records: the sealer refuses to go on after the final record or past 1 MiB", async () => {
  const { sender } = await recordSessionKeys();
  const sealer = new RecordSealer(sender.send);
  await assert.rejects(sealer.seal(new Uint8Array(MAX_RECORD_DATA + 1)), SockitError);
  await sealer.seal(new Uint8Array(MAX_RECORD_DATA), { final: true });
  assert.equal(sealer.finished, true);
  await assert.rejects(
    sealer.seal(Uint8Array.of(1)),
    (e) => e instanceof SockitError && e.code === "internal",
  );
});

Deno.test("records: recordSize reads the length and refuses impossible ones", () => {
  assert.equal(recordSize(Uint8Array.of(0, 0, 0, 16)), RECORD_HEADER_BYTES + 16);
  assert.equal(
    recordSize(Uint8Array.of(0, 0x10, 0, 0x10)),
    RECORD_HEADER_BYTES + MAX_RECORD_DATA + 16,
  );
  for (const bytes of [[0, 0, 0, 15], [0, 0x10, 0, 0x11], [0xff, 0xff, 0xff, 0xff]]) {
    assert.throws(
      () => recordSize(Uint8Array.from(bytes)),
      (e) => e instanceof SockitError && e.code === "record-tampered",
    );
  }
});
