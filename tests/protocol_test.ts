/**
 * The wire format of the sockit protocol, version 2, without sockets: the preface, every frame
 * type encoded and decoded back, everything `decodeFrame` must refuse (and refuse before
 * reading an oversized payload), the classic size parser, the classic/sockit first-byte test,
 * and the content sniffing used to name classic files.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  CLASSIC_MAX_DIGITS,
  CLASSIC_READY,
  decodeFrame,
  decodeFrameHeader,
  decodeFramePayload,
  decodePreface,
  encodeFrame,
  encodePreface,
  FRAME_HEADER_SIZE,
  isClassicStart,
  MAGIC,
  MAX_FRAME_PAYLOAD,
  parseClassicSize,
  PREFACE_SIZE,
  PROTOCOL_VERSION,
  ProtocolError,
} from "../lib/transfer/protocol.ts";
import type { Frame, RejectCode } from "../lib/transfer/protocol.ts";
import { guessExtension, SNIFF_BYTES } from "../lib/transfer/sniff.ts";
import { rawFrame } from "./raw_peer.ts";

const encoder = new TextEncoder();
const HASH = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

/** Decodes a whole encoded frame the way `readFrame` would. */
function decode(bytes: Uint8Array, from: "sender" | "receiver"): Promise<Frame> {
  return Promise.resolve().then(() => decodeFrame(bytes, from));
}

/** Asserts that decoding `bytes` fails with a `ProtocolError` whose reject code is `reject`. */
async function assertRefused(
  bytes: Uint8Array,
  from: "sender" | "receiver",
  reject: RejectCode = "bad-header",
): Promise<void> {
  await assert.rejects(decode(bytes, from), (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected a ProtocolError, got ${err}`);
    assert.equal(err.code, "protocol");
    assert.equal(err.reject, reject);
    assert.equal(typeof err.details.reason, "string");
    return true;
  });
}

Deno.test("protocol: the preface is SKIT and the version byte, and starts no classic session", () => {
  const preface = encodePreface();
  assert.equal(PREFACE_SIZE, 5);
  assert.equal(PROTOCOL_VERSION, 2);
  assert.deepEqual([...preface], [0x53, 0x4b, 0x49, 0x54, 0x02]);
  assert.deepEqual([...preface.subarray(0, 4)], [...MAGIC]);
  assert.equal(new TextDecoder().decode(preface.subarray(0, 4)), "SKIT");
  assert.equal(isClassicStart(preface[0]), false);
  assert.equal(decodePreface(preface), 2);
  // Another version still decodes (the receiver answers unsupported-version itself).
  assert.equal(decodePreface(encodePreface(1)), 1);
  assert.equal(decodePreface(encodePreface(255)), 255);
});

Deno.test("protocol: decodePreface refuses wrong magic and wrong length", () => {
  for (
    const bad of [
      new Uint8Array([0x53, 0x4b, 0x49, 0x55, 1]),
      encoder.encode("1024\n"),
      encoder.encode("GET /"),
      new Uint8Array([0x53, 0x4b, 0x49, 0x54]),
      new Uint8Array([0x53, 0x4b, 0x49, 0x54, 1, 0]),
      new Uint8Array(0),
    ]
  ) {
    assert.throws(() => decodePreface(bad), ProtocolError, `refuses ${[...bad]}`);
  }
});

Deno.test("protocol: every frame type survives encode and decode", async () => {
  const NONCE = "0123456789abcdef0123456789abcdef";
  const SHARE = HASH;
  const TAG = HASH + HASH;
  const sender: Frame[] = [
    { type: "P", nonce: NONCE },
    { type: "C", share: SHARE, confirm: TAG },
    { type: "F", id: 1, path: "과제/homework.py", size: 1234, mtime: 1_700_000_000_123 },
    { type: "F", id: 2, path: "empty.txt", size: 0, mtime: 0 },
    { type: "F", id: 0xffff_ffff, path: "huge.bin", size: Number.MAX_SAFE_INTEGER, mtime: -1 },
    { type: "D", id: 3, path: "project/empty" },
    { type: "S", id: 1, offset: 0 },
    { type: "S", id: 2, offset: 4096 },
    { type: "E", id: 1, sha256: HASH },
    { type: "Q" },
  ];
  const receiver: Frame[] = [
    { type: "H", version: 2, auth: "none", maxSize: null, window: 64 },
    { type: "H", version: 2, auth: "cpace", maxSize: 1024, window: 1 },
    { type: "P", nonce: NONCE, share: SHARE },
    { type: "C", confirm: TAG },
    { type: "A", id: 1, offset: 0 },
    { type: "A", id: 2, offset: 1024, prefixSha256: HASH },
    { type: "R", id: 3, code: "bad-name", message: "the name is not safe" },
    { type: "V", id: 1, ok: true, stored: "homework (1).py", sha256: HASH },
    {
      type: "V",
      id: 2,
      ok: false,
      sha256: HASH,
      code: "hash-mismatch",
      message: "the content that arrived differs",
    },
    { type: "V", id: 3, ok: false, sha256: "", code: "write-failed", message: "no" },
    { type: "Q", files: 2, bytes: 1234 },
    { type: "X", code: "busy", message: "try again" },
    { type: "X", code: "wrong-code", message: "the code does not match" },
    { type: "X", code: "unsupported-version", message: "v2 only", supported: [2] },
  ];
  for (const frame of sender) assert.deepEqual(await decode(encodeFrame(frame), "sender"), frame);
  for (const frame of receiver) {
    assert.deepEqual(await decode(encodeFrame(frame), "receiver"), frame);
  }
});

Deno.test("protocol: the frame layout is type, u32 big-endian length, JSON", () => {
  // The example in the module documentation, byte for byte.
  assert.deepEqual(
    [...encodeFrame({ type: "S", id: 1, offset: 0 })],
    [0x53, 0, 0, 0, 0x13, ...encoder.encode('{"id":1,"offset":0}')],
  );
  assert.deepEqual([...encodeFrame({ type: "Q" })], [0x51, 0, 0, 0, 2, 0x7b, 0x7d]);
  const file = encodeFrame({ type: "F", id: 7, path: "é", size: 1, mtime: 2 });
  const json = '{"id":7,"path":"é","size":1,"mtime":2}';
  assert.equal(file[0], 0x46);
  assert.equal(new DataView(file.buffer).getUint32(1), encoder.encode(json).length);
  assert.equal(new TextDecoder().decode(file.subarray(FRAME_HEADER_SIZE)), json);
});

Deno.test("protocol: encodeFrame refuses a payload over MAX_FRAME_PAYLOAD", () => {
  assert.equal(MAX_FRAME_PAYLOAD, 16 * 1024);
  // {"id":1,"code":"internal","message":"…"} is 39 bytes plus the message.
  const fits = "m".repeat(MAX_FRAME_PAYLOAD - 39);
  assert.equal(
    encodeFrame({ type: "R", id: 1, code: "internal", message: fits }).length,
    FRAME_HEADER_SIZE + MAX_FRAME_PAYLOAD,
  );
  assert.throws(
    () => encodeFrame({ type: "R", id: 1, code: "internal", message: fits + "m" }),
    ProtocolError,
  );
});

Deno.test("protocol: decodeFrame refuses frame types the peer may not send", async () => {
  for (const type of ["H", "A", "R", "V", "X", "Z", "f", "\0", "\xff"]) {
    await assertRefused(rawFrame(type, "{}"), "sender");
  }
  for (const type of ["F", "D", "S", "E", "I", "Z", "h"]) {
    await assertRefused(rawFrame(type, "{}"), "receiver");
  }
});

Deno.test("protocol: decodeFrameHeader refuses an oversized length before any payload", () => {
  for (const length of [MAX_FRAME_PAYLOAD + 1, 1 << 20, 0xffffffff]) {
    const head = rawFrame("F", "", length).subarray(0, FRAME_HEADER_SIZE);
    assert.throws(() => decodeFrameHeader(head, "sender"), ProtocolError);
  }
  // Exactly the limit is accepted (and the payload then judged on its content).
  const head = rawFrame("Q", "", MAX_FRAME_PAYLOAD).subarray(0, FRAME_HEADER_SIZE);
  const header = decodeFrameHeader(head, "sender");
  assert.deepEqual(header, { type: "Q", length: MAX_FRAME_PAYLOAD });
  assert.throws(
    () => decodeFramePayload(header, new Uint8Array(MAX_FRAME_PAYLOAD).fill(0x20), "sender"),
    ProtocolError,
  );
});

Deno.test("protocol: decodeFrame refuses a frame cut short or followed by more bytes", async () => {
  const whole = encodeFrame({ type: "S", id: 1, offset: 7 });
  await assertRefused(whole.subarray(0, whole.length - 1), "sender");
  await assertRefused(whole.subarray(0, 3), "sender");
  await assertRefused(new Uint8Array([...whole, 0x20]), "sender");
});

Deno.test("protocol: decodeFrame refuses payloads that are not UTF-8 JSON objects", async () => {
  const payloads: (string | Uint8Array)[] = [
    new Uint8Array([0xff, 0xfe]),
    new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), // {"\xc3(":1}
    new Uint8Array([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]), // a UTF-8 surrogate
    "",
    "{",
    "{'path': 'x'}",
    "null",
    "[]",
    '["F", "x"]',
    "1",
    '"text"',
    "true",
  ];
  for (const payload of payloads) {
    await assertRefused(rawFrame("Q", payload), "sender");
    await assertRefused(rawFrame("H", payload), "receiver");
  }
});

Deno.test("protocol: decodeFrame refuses wrong field types and missing fields", async () => {
  const bad: [string, unknown, "sender" | "receiver"][] = [
    ["F", { id: 1, size: 1, mtime: 0 }, "sender"],
    ["F", { id: 1, path: 1, size: 1, mtime: 0 }, "sender"],
    ["F", { id: 1, path: null, size: 1, mtime: 0 }, "sender"],
    ["F", { id: 1, path: ["a"], size: 1, mtime: 0 }, "sender"],
    ["F", { id: 1, path: "a", size: "1", mtime: 0 }, "sender"],
    ["F", { id: 1, path: "a", size: true, mtime: 0 }, "sender"],
    ["F", { id: 1, path: "a", size: 1 }, "sender"],
    ["F", { id: 1, path: "a", size: 1, mtime: "2024-01-01" }, "sender"],
    ["F", { id: 1, path: "a", size: 1, mtime: 1e300 }, "sender"],
    ["F", { id: 1, path: "a".repeat(4096 * 4 + 1), size: 1, mtime: 0 }, "sender"],
    ["D", { id: 1 }, "sender"],
    ["D", { id: 1, path: 7 }, "sender"],
    ["S", { id: 1 }, "sender"],
    ["S", { id: 1, offset: "0" }, "sender"],
    ["E", { id: 1 }, "sender"],
    ["E", { id: 1, sha256: 5 }, "sender"],
    ["H", { version: "2", auth: "none", maxSize: null, window: 64 }, "receiver"],
    ["H", { version: 2, auth: "none", window: 64 }, "receiver"],
    ["H", { version: 2, auth: "none", maxSize: "big", window: 64 }, "receiver"],
    ["H", { version: 2, maxSize: null, window: 64 }, "receiver"],
    ["H", { version: 2, auth: "password", maxSize: null, window: 64 }, "receiver"],
    ["H", { version: 2, auth: "none", maxSize: null }, "receiver"],
    ["H", { version: 2, auth: "none", maxSize: null, window: 0 }, "receiver"],
    // Ids: present, whole, from 1 to 2^32 - 1.
    ["F", { path: "a", size: 1, mtime: 0 }, "sender"],
    ["F", { id: 0, path: "a", size: 1, mtime: 0 }, "sender"],
    ["F", { id: 2 ** 32, path: "a", size: 1, mtime: 0 }, "sender"],
    ["D", { id: "1", path: "a" }, "sender"],
    ["S", { id: -1, offset: 0 }, "sender"],
    ["E", { id: 1.5, sha256: HASH }, "sender"],
    ["A", { offset: 0 }, "receiver"],
    ["R", { id: null, code: "bad-name", message: "x" }, "receiver"],
    ["V", { ok: true, sha256: HASH, stored: "a" }, "receiver"],
    // The handshake: exact lengths of lower-case hex.
    ["P", {}, "sender"],
    ["P", { nonce: "0123456789abcdef0123456789abcde" }, "sender"],
    ["P", { nonce: "0123456789ABCDEF0123456789ABCDEF" }, "sender"],
    ["P", { nonce: "0123456789abcdef0123456789abcdef" }, "receiver"], // no share
    ["P", { nonce: "0123456789abcdef0123456789abcdef", share: HASH + "00" }, "receiver"],
    ["C", { confirm: HASH + HASH }, "sender"], // no share
    ["C", { share: HASH, confirm: HASH }, "sender"],
    ["C", { confirm: (HASH + HASH).replace("a", "g") }, "receiver"],
    ["Q", {}, "receiver"], // the receiver's carries its totals
    ["Q", { files: 1, bytes: -1 }, "receiver"],
    ["A", { id: 1, offset: 0, prefixSha256: "nope" }, "receiver"],
    ["R", { id: 1, code: "bad-name" }, "receiver"],
    ["R", { id: 1, code: "no-such-code", message: "x" }, "receiver"],
    ["R", { id: 1, code: 1, message: "x" }, "receiver"],
    ["R", { id: 1, code: "bad-name", message: "m".repeat(1025) }, "receiver"],
    ["V", { id: 1, ok: "yes", sha256: HASH, stored: "a" }, "receiver"],
    ["V", { id: 1, ok: 1, sha256: HASH, stored: "a" }, "receiver"],
    ["V", { id: 1, ok: true, sha256: HASH }, "receiver"], // ok without a stored name
    ["V", { id: 1, ok: true, sha256: HASH, stored: 3 }, "receiver"],
    ["V", { id: 1, ok: false, sha256: HASH, code: "whatever" }, "receiver"],
    ["X", { code: "busy" }, "receiver"],
    ["X", { code: "unsupported-version", message: "x", supported: 1 }, "receiver"],
    ["X", { code: "unsupported-version", message: "x", supported: ["1"] }, "receiver"],
    ["X", { code: "unsupported-version", message: "x", supported: [1.5] }, "receiver"],
  ];
  for (const [type, fields, from] of bad) {
    await assertRefused(rawFrame(type, JSON.stringify(fields)), from);
  }
});

Deno.test("protocol: decodeFrame refuses negative, fractional and unsafe sizes and offsets", async () => {
  for (const value of [-1, -0.5, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 1e21]) {
    const size = JSON.stringify({ id: 1, path: "a", size: value, mtime: 0 });
    await assertRefused(rawFrame("F", size), "sender");
    await assertRefused(rawFrame("S", JSON.stringify({ id: 1, offset: value })), "sender");
    await assertRefused(rawFrame("A", JSON.stringify({ id: 1, offset: value })), "receiver");
    const hello = { version: 2, auth: "none", maxSize: value, window: 64 };
    await assertRefused(rawFrame("H", JSON.stringify(hello)), "receiver");
  }
  // JSON has no NaN or Infinity: such text is not JSON at all.
  await assertRefused(rawFrame("F", '{"id":1,"path":"a","size":NaN,"mtime":0}'), "sender");
  await assertRefused(rawFrame("F", '{"id":1,"path":"a","size":Infinity,"mtime":0}'), "sender");
  // The largest safe size is fine.
  const max = await decode(
    rawFrame("F", JSON.stringify({ id: 1, path: "a", size: Number.MAX_SAFE_INTEGER, mtime: 0 })),
    "sender",
  );
  assert.deepEqual(max, { type: "F", id: 1, path: "a", size: Number.MAX_SAFE_INTEGER, mtime: 0 });
});

Deno.test("protocol: decodeFrame refuses hashes that are not 64 lower-case hex digits", async () => {
  for (
    const sha256 of [
      "",
      HASH.toUpperCase(),
      HASH.slice(1),
      HASH + "0",
      HASH.slice(0, 63) + "g",
      ` ${HASH.slice(1)}`,
      `0x${HASH.slice(2)}`,
    ]
  ) {
    await assertRefused(rawFrame("E", JSON.stringify({ sha256 })), "sender");
    await assertRefused(
      rawFrame("A", JSON.stringify({ offset: 1, prefixSha256: sha256 })),
      "receiver",
    );
    if (sha256 !== "") {
      await assertRefused(
        rawFrame("V", JSON.stringify({ ok: true, stored: "a", sha256 })),
        "receiver",
      );
    }
  }
});

Deno.test("protocol: decodeFrame ignores unknown extra fields (later versions may add some)", async () => {
  const frame = await decode(rawFrame("S", '{"id":1,"offset":3,"future":"x"}'), "sender");
  assert.deepEqual(frame, { type: "S", id: 1, offset: 3 });
});

Deno.test("protocol: parseClassicSize takes ASCII digits with an optional line ending", () => {
  const parse = (text: string) => parseClassicSize(encoder.encode(text));
  assert.equal(parse("0"), 0);
  assert.equal(parse("1"), 1);
  assert.equal(parse("1048576"), 1048576);
  assert.equal(parse("007"), 7);
  assert.equal(parse("1234\n"), 1234);
  assert.equal(parse("1234\r\n"), 1234);
  assert.equal(CLASSIC_MAX_DIGITS, 16);
  assert.equal(parse("9007199254740991"), Number.MAX_SAFE_INTEGER);
  assert.equal(parse("9007199254740991\r\n"), Number.MAX_SAFE_INTEGER);
});

Deno.test("protocol: parseClassicSize refuses empty, non-digit and overlong sizes", () => {
  const refuses = (text: string, reject: RejectCode) => {
    assert.throws(() => parseClassicSize(encoder.encode(text)), (err: unknown) => {
      assert.ok(err instanceof ProtocolError, `${JSON.stringify(text)}: ${err}`);
      assert.equal(err.reject, reject, JSON.stringify(text));
      return true;
    });
  };
  for (
    const text of ["", "\n", "\r\n", "\r", "12a", "a12", " 12", "12 ", "-1", "+1", "1.5", "1e3"]
  ) refuses(text, "bad-header");
  for (const text of ["12\n\n", "12\n3", "\n12", "٣", "１２"]) refuses(text, "bad-header");
  refuses("12345678901234567", "too-large"); // 17 digits
  refuses("0".repeat(17), "too-large");
  refuses("1".repeat(40) + "\n", "too-large");
  refuses("9007199254740992", "too-large"); // 16 digits, beyond the safe range
  refuses("9999999999999999", "too-large");
});

Deno.test("protocol: isClassicStart is true exactly for ASCII digits", () => {
  for (let byte = 0; byte < 256; byte++) {
    assert.equal(isClassicStart(byte), byte >= 0x30 && byte <= 0x39, `byte ${byte}`);
  }
  assert.equal(isClassicStart(MAGIC[0]), false);
  assert.deepEqual([...CLASSIC_READY], [...encoder.encode("ready")]);
});

Deno.test("sniff: guessExtension recognises JPEG, PNG, GIF, PDF and ZIP", () => {
  const cases: [number[], string][] = [
    [[0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46], ".jpg"],
    [[0xff, 0xd8, 0xff, 0xe1], ".jpg"],
    [
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52],
      ".png",
    ],
    [[...encoder.encode("GIF87a"), 1, 0], ".gif"],
    [[...encoder.encode("GIF89a"), 1, 0], ".gif"],
    [[...encoder.encode("%PDF-1.7\n")], ".pdf"],
    [[0x50, 0x4b, 0x03, 0x04, 0x14, 0], ".zip"],
    [[0x50, 0x4b, 0x05, 0x06, 0, 0], ".zip"],
  ];
  for (const [bytes, ext] of cases) assert.equal(guessExtension(new Uint8Array(bytes)), ext);
  assert.equal(SNIFF_BYTES >= 8, true, "PNG needs 8 bytes");
});

Deno.test("sniff: guessExtension returns nothing for unknown or truncated content", () => {
  const unknown: number[][] = [
    [],
    [...encoder.encode("print('hello')\n")],
    [...encoder.encode("GIF88a")],
    [...encoder.encode("%PDF")], // too short for the signature
    [0xff, 0xd8], // a JPEG cut short
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a], // a PNG cut short
    [0x50, 0x4b, 0x07, 0x08],
    [0, 0xff, 0xd8, 0xff], // a signature not at the start
  ];
  for (const bytes of unknown) assert.equal(guessExtension(new Uint8Array(bytes)), "");
});
