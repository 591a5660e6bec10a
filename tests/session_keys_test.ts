/**
 * The key schedule after CPace: HKDF-SHA-256 outputs and HMAC-SHA-512 tags recomputed with
 * WebCrypto (an independent implementation) from the documented labels, tags bound to the
 * role, the transcript and the ISK, per-direction AES-256-GCM keys that only work one way.
 *
 * @module
 */

import assert from "node:assert/strict";
import { lvCat } from "../lib/crypto/cpace.ts";
import { KeySchedule, transcriptBytes } from "../lib/crypto/session_keys.ts";
import type { RecordKey } from "../lib/crypto/session_keys.ts";
import { SockitError } from "../lib/core/errors.ts";

const text = (s: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(s);
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

/** HKDF-SHA-256 through WebCrypto, as the module documents it. */
async function webHkdf(isk: Uint8Array<ArrayBuffer>, label: string, bytes: number) {
  const base = await crypto.subtle.importKey("raw", isk, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: text("sockit v2"), info: text(`sockit v2 ${label}`) },
    base,
    bytes * 8,
  );
  return new Uint8Array(bits);
}

const transcript = transcriptBytes({
  version: 2,
  senderNonce: random(16),
  receiverNonce: random(16),
  senderShare: random(32),
  receiverShare: random(32),
});

Deno.test("session keys: the transcript layout is lv_cat of its parts", () => {
  const parts = {
    version: 2,
    senderNonce: random(16),
    receiverNonce: random(16),
    senderShare: random(32),
    receiverShare: random(32),
  };
  assert.deepEqual(
    transcriptBytes(parts),
    lvCat(
      text("sockit v2 transcript"),
      Uint8Array.of(2),
      parts.senderNonce,
      parts.receiverNonce,
      parts.senderShare,
      parts.receiverShare,
    ),
  );
  // Swapping the nonces (or the shares) changes the transcript: the roles are in it.
  assert.notDeepEqual(
    transcriptBytes({
      ...parts,
      senderNonce: parts.receiverNonce,
      receiverNonce: parts.senderNonce,
    }),
    transcriptBytes(parts),
  );
});

Deno.test("session keys: tags are HMAC-SHA-512 under the HKDF confirm key", async () => {
  const isk = random(64);
  const schedule = new KeySchedule(isk, transcript);
  const macKey = await crypto.subtle.importKey(
    "raw",
    await webHkdf(isk, "confirm", 32),
    { name: "HMAC", hash: "SHA-512" },
    false,
    ["sign"],
  );
  for (const role of ["sender", "receiver"] as const) {
    const data = lvCat(text("sockit v2 confirm"), text(role), transcript);
    const expected = new Uint8Array(await crypto.subtle.sign("HMAC", macKey, data));
    assert.deepEqual(schedule.tag(role), expected, role);
    assert.equal(expected.length, 64);
  }
  const id = Array.from(
    await webHkdf(isk, "session id", 8),
    (b) => b.toString(16).padStart(2, "0"),
  );
  assert.equal(schedule.sessionId, id.join("").match(/..../g)!.join("-"));
  assert.match(schedule.sessionId, /^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/);
});

Deno.test("session keys: a tag verifies only for its role, transcript and ISK, whole", () => {
  const isk = random(64);
  const a = new KeySchedule(isk, transcript);
  const b = new KeySchedule(isk, transcript);
  const tag = a.tag("sender");
  assert.equal(b.verify("sender", tag), true);
  assert.equal(b.verify("receiver", tag), false, "reflected to the other role");
  assert.equal(new KeySchedule(random(64), transcript).verify("sender", tag), false, "other ISK");
  const other = transcript.slice();
  other[other.length - 1] ^= 1;
  assert.equal(new KeySchedule(isk, other).verify("sender", tag), false, "other transcript");
  assert.equal(b.verify("sender", tag.subarray(0, 32)), false, "truncated");
  assert.equal(b.verify("sender", new Uint8Array(0)), false, "empty");
  for (const i of [0, 31, 63]) {
    const flipped = tag.slice();
    flipped[i] ^= 0x80;
    assert.equal(b.verify("sender", flipped), false, `byte ${i} flipped`);
  }
  assert.notDeepEqual(a.tag("sender"), a.tag("receiver"));
  assert.equal(a.sessionId, b.sessionId);
  assert.notEqual(a.sessionId, new KeySchedule(random(64), transcript).sessionId);
});

async function seal(key: RecordKey, data: Uint8Array<ArrayBuffer>) {
  const iv = new Uint8Array(12);
  return new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key.key, data));
}

async function open(key: RecordKey, sealed: Uint8Array<ArrayBuffer>) {
  const iv = new Uint8Array(12);
  return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key.key, sealed));
}

Deno.test("session keys: each direction has its own AES-256-GCM key, usable one way", async () => {
  const isk = random(64);
  const sender = await new KeySchedule(isk, transcript).recordKeys("sender");
  const receiver = await new KeySchedule(isk, transcript).recordKeys("receiver");
  assert.equal(sender.send.direction, "sender-to-receiver");
  assert.equal(sender.receive.direction, "receiver-to-sender");
  assert.equal(receiver.send.direction, "receiver-to-sender");
  assert.equal(receiver.receive.direction, "sender-to-receiver");
  assert.equal(sender.sessionId, receiver.sessionId);
  for (const { key } of [sender.send, sender.receive]) {
    assert.equal(key.extractable, false);
    assert.equal((key.algorithm as AesKeyAlgorithm).length, 256);
  }
  assert.deepEqual(sender.send.key.usages, ["encrypt"]);
  assert.deepEqual(sender.receive.key.usages, ["decrypt"]);

  const message = text("homework.pdf");
  assert.deepEqual(await open(receiver.receive, await seal(sender.send, message)), message);
  assert.deepEqual(await open(sender.receive, await seal(receiver.send, message)), message);
  // A record sealed for one direction does not open in the other.
  await assert.rejects(open(sender.receive, await seal(sender.send, message)));
  // The raw key is HKDF(ISK, "sockit v2 sender-to-receiver").
  const raw = await webHkdf(isk, "sender-to-receiver", 32);
  const web = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["decrypt"]);
  const sealed = await seal(sender.send, message);
  const opened = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: new Uint8Array(12) },
    web,
    sealed,
  );
  assert.deepEqual(new Uint8Array(opened), message);
});

Deno.test("session keys: a destroyed schedule derives nothing more", async () => {
  const schedule = new KeySchedule(random(64), transcript);
  schedule.destroy();
  assert.throws(
    () => schedule.tag("sender"),
    (e) => e instanceof SockitError && e.code === "internal",
  );
  await assert.rejects(schedule.recordKeys("sender"), SockitError);
});
