/**
 * Property-based fuzzing (fast-check) of everything that parses bytes from the network: the
 * frame decoder, the classic size parser and the preface decoder never throw anything but a
 * `ProtocolError`, and what they accept round-trips. Then a live receiver gets random byte
 * strings on real connections and must keep serving.
 *
 * `SOCKIT_FUZZ_RUNS` sets the runs per property (default 1000; `deno task fuzz` uses 200 000),
 * `SOCKIT_FUZZ_CONNECTIONS` the connections of the network fuzz (default 200). A failure prints
 * fast-check's seed and path, to replay it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import {
  decodeFrameHeader,
  decodeFramePayload,
  decodePreface,
  encodeFrame,
  encodePreface,
  FRAME_HEADER_SIZE,
  MAGIC,
  MAX_FRAME_PAYLOAD,
  parseClassicSize,
  PREFACE_SIZE,
  ProtocolError,
  REJECT_CODES,
} from "../lib/transfer/protocol.ts";
import type { Frame } from "../lib/transfer/protocol.ts";
import { sendFiles } from "../lib/transfer/sender.ts";
import { finalEntries, internalEntries, RecordingReceiver, tree } from "./fault_helpers.ts";
import { rawFrame } from "./raw_peer.ts";
import { concatBytes, tempDir, within } from "./util.ts";

const RUNS = Number(Deno.env.get("SOCKIT_FUZZ_RUNS") ?? "1000");
const CONNECTIONS = Number(Deno.env.get("SOCKIT_FUZZ_CONNECTIONS") ?? "200");

/** Thrown by the fuzz payload reader when the input has fewer bytes than the length asks. */
class ShortInput extends Error {}

const SENDER_TYPES = ["P", "C", "F", "D", "S", "E", "Q"];
const RECEIVER_TYPES = ["H", "P", "C", "A", "R", "V", "Q", "X"];

/** Decodes `bytes` as one frame the way `readFrame` does: the header first, then the payload. */
function decode(bytes: Uint8Array, from: "sender" | "receiver"): Promise<Frame> {
  return Promise.resolve().then(() => {
    if (bytes.length < FRAME_HEADER_SIZE) throw new ShortInput();
    const header = decodeFrameHeader(bytes.subarray(0, FRAME_HEADER_SIZE), from);
    // The length is checked before anything is read: never more than the limit.
    assert.ok(header.length <= MAX_FRAME_PAYLOAD, `asked to read a payload of ${header.length}`);
    if (FRAME_HEADER_SIZE + header.length > bytes.length) throw new ShortInput();
    const payload = bytes.slice(FRAME_HEADER_SIZE, FRAME_HEADER_SIZE + header.length);
    return decodeFramePayload(header, payload, from);
  });
}

/** The property every decode must satisfy: a frame of an allowed type, or a ProtocolError. */
async function decodesOrRefuses(bytes: Uint8Array, from: "sender" | "receiver"): Promise<void> {
  let frame: Frame;
  try {
    frame = await decode(bytes, from);
  } catch (err) {
    if (err instanceof ShortInput) return;
    assert.ok(err instanceof ProtocolError, `threw ${err} for ${hex(bytes)}`);
    assert.equal(err.code, "protocol");
    assert.ok(REJECT_CODES.includes(err.reject));
    assert.equal(typeof err.details.reason, "string");
    return;
  }
  const allowed = from === "sender" ? SENDER_TYPES : RECEIVER_TYPES;
  assert.ok(allowed.includes(frame.type), `${from} may not send ${frame.type}`);
  // What was accepted encodes again and decodes to the same frame.
  assert.deepEqual(await decode(encodeFrame(frame), from), frame);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 64), (b) => b.toString(16).padStart(2, "0")).join("");
}

const typeByte = fc.oneof(
  fc.constantFrom(...[...SENDER_TYPES, ...RECEIVER_TYPES].map((t) => t.charCodeAt(0))),
  fc.integer({ min: 0, max: 255 }),
);
const side = fc.constantFrom("sender" as const, "receiver" as const);
const sha = fc.stringMatching(/^[0-9a-f]{64}$/);
const count = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const text = fc.string({ unit: "binary", maxLength: 200 });

const id = fc.integer({ min: 1, max: 0xffff_ffff });
const hexOf = (digits: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${digits}}$`));

/** Every valid frame a sender writes (as plain objects: fast-check's records have no prototype). */
const senderFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ type: fc.constant("P" as const), nonce: hexOf(32) }),
  fc.record({ type: fc.constant("C" as const), share: hexOf(64), confirm: hexOf(128) }),
  fc.record({ type: fc.constant("F" as const), id, path: text, size: count, mtime: fc.integer() }),
  fc.record({ type: fc.constant("D" as const), id, path: text }),
  fc.record({ type: fc.constant("S" as const), id, offset: count }),
  fc.record({ type: fc.constant("E" as const), id, sha256: sha }),
  fc.record({ type: fc.constant("Q" as const) }),
);

/** Every valid frame a receiver writes. */
const receiverFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({
    type: fc.constant("H" as const),
    version: fc.integer({ min: 0, max: 255 }),
    auth: fc.constantFrom("cpace" as const, "none" as const),
    maxSize: fc.option(count, { nil: null }),
    window: fc.integer({ min: 1, max: 1 << 20 }),
  }),
  fc.record({ type: fc.constant("P" as const), nonce: hexOf(32), share: hexOf(64) }),
  fc.record({ type: fc.constant("C" as const), confirm: hexOf(128) }),
  fc.record({ type: fc.constant("A" as const), id, offset: count, prefixSha256: sha }, {
    requiredKeys: ["type", "id", "offset"],
  }),
  fc.record({
    type: fc.constant("R" as const),
    id,
    code: fc.constantFrom(...REJECT_CODES),
    message: fc.string({ maxLength: 100 }),
  }),
  fc.record({
    type: fc.constant("V" as const),
    id,
    ok: fc.constant(false),
    sha256: sha,
    code: fc.constantFrom(...REJECT_CODES),
    message: fc.string({ maxLength: 100 }),
  }, { requiredKeys: ["type", "id", "ok", "sha256"] }),
  fc.record({
    type: fc.constant("V" as const),
    id,
    ok: fc.constant(true),
    sha256: sha,
    stored: text,
  }),
  fc.record({ type: fc.constant("Q" as const), files: count, bytes: count }),
  fc.record({
    type: fc.constant("X" as const),
    code: fc.constantFrom(...REJECT_CODES),
    message: fc.string({ maxLength: 100 }),
    supported: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 4 }),
  }, { requiredKeys: ["type", "code", "message"] }),
);

/** A valid frame of either side, with the side that writes it. */
const validFrame: fc.Arbitrary<["sender" | "receiver", Frame]> = fc.oneof(
  senderFrame.map((frame): ["sender", Frame] => ["sender", { ...frame } as Frame]),
  receiverFrame.map((frame): ["receiver", Frame] => ["receiver", { ...frame } as Frame]),
);

/** A mutation of a valid encoding: flipped bytes, a truncation, insertions, a new length. */
const mutated = fc.tuple(
  validFrame,
  fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.nat(255) }),
      fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant("insert" as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ maxLength: 8 }),
      }),
      fc.record({
        kind: fc.constant("length" as const),
        value: fc.oneof(fc.nat(64), fc.constant(MAX_FRAME_PAYLOAD + 1), fc.nat()),
      }),
    ),
    { minLength: 1, maxLength: 4 },
  ),
).map(([[, frame], mutations]) => {
  let bytes = encodeFrame(frame);
  for (const m of mutations) {
    const at = "at" in m ? m.at % (bytes.length + 1) : 0;
    if (m.kind === "flip" && bytes.length > 0) {
      bytes = bytes.slice();
      bytes[at % bytes.length] ^= m.value || 1;
    } else if (m.kind === "cut") {
      bytes = bytes.slice(0, at);
    } else if (m.kind === "insert") {
      const out = new Uint8Array(bytes.length + m.bytes.length);
      out.set(bytes.subarray(0, at));
      out.set(m.bytes, at);
      out.set(bytes.subarray(at), at + m.bytes.length);
      bytes = out;
    } else if (m.kind === "length" && bytes.length >= FRAME_HEADER_SIZE) {
      bytes = bytes.slice();
      new DataView(bytes.buffer).setUint32(1, m.value >>> 0);
    }
  }
  return bytes;
});

/** JSON values of every shape, including the fields' names with values of the wrong kind. */
const anyJson = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.record({
    path: fc.anything(),
    size: fc.anything(),
    mtime: fc.anything(),
    offset: fc.anything(),
    sha256: fc.anything(),
    code: fc.anything(),
    message: fc.anything(),
    ok: fc.anything(),
    stored: fc.anything(),
    version: fc.anything(),
    maxSize: fc.anything(),
    supported: fc.anything(),
    prefixSha256: fc.anything(),
  }, { requiredKeys: [] }).map((value) => {
    try {
      return JSON.stringify(value) ?? "null";
    } catch {
      return "{}";
    }
  }),
);

Deno.test("fuzz: decodeFrame on arbitrary bytes returns a frame or throws ProtocolError", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 300 }),
      side,
      (bytes, from) => decodesOrRefuses(bytes, from),
    ),
    { numRuns: RUNS },
  );
});

Deno.test("fuzz: decodeFrame on arbitrary payloads with a matching length", async () => {
  await fc.assert(
    fc.asyncProperty(
      typeByte,
      fc.uint8Array({ maxLength: 300 }),
      side,
      (type, payload, from) => decodesOrRefuses(rawFrame(type, payload), from),
    ),
    { numRuns: RUNS },
  );
});

Deno.test("fuzz: decodeFrame on arbitrary JSON under every frame type", async () => {
  await fc.assert(
    fc.asyncProperty(
      typeByte,
      anyJson,
      side,
      (type, json, from) => decodesOrRefuses(rawFrame(type, new TextEncoder().encode(json)), from),
    ),
    { numRuns: RUNS },
  );
});

Deno.test("fuzz: every valid frame round-trips through encodeFrame and decodeFrame", async () => {
  await fc.assert(
    fc.asyncProperty(validFrame, async ([from, frame]) => {
      assert.deepEqual(await decode(encodeFrame(frame), from), frame);
    }),
    { numRuns: RUNS },
  );
});

Deno.test("fuzz: mutated valid frames never make decodeFrame throw anything but ProtocolError", async () => {
  await fc.assert(
    fc.asyncProperty(mutated, side, (bytes, from) => decodesOrRefuses(bytes, from)),
    { numRuns: RUNS },
  );
});

Deno.test("fuzz: parseClassicSize on arbitrary bytes returns a safe size or throws ProtocolError", () => {
  const digitsLike = fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.stringMatching(/^[0-9]{0,40}(\r?\n)?$/).map((s) => new TextEncoder().encode(s)),
    fc.array(fc.constantFrom(0x30, 0x35, 0x39, 0x0a, 0x0d, 0x20, 0x2d, 0x2b, 0x2e, 0x65), {
      maxLength: 20,
    }).map((a) => new Uint8Array(a)),
  );
  fc.assert(
    fc.property(digitsLike, (bytes) => {
      let size: number;
      try {
        size = parseClassicSize(bytes);
      } catch (err) {
        assert.ok(err instanceof ProtocolError, `threw ${err} for ${hex(bytes)}`);
        assert.ok(err.reject === "bad-header" || err.reject === "too-large");
        return;
      }
      assert.ok(Number.isSafeInteger(size) && size >= 0);
      // Digits only, with an optional line ending (\n, \r\n, or a lone \r).
      const text = new TextDecoder().decode(bytes).replace(/\r?\n$|\r$/, "");
      assert.match(text, /^[0-9]{1,16}$/, "only digits are accepted");
      // Accepted values round-trip, with or without a line ending.
      for (const ending of ["", "\n", "\r\n"]) {
        assert.equal(parseClassicSize(new TextEncoder().encode(String(size) + ending)), size);
      }
    }),
    { numRuns: RUNS },
  );
});

Deno.test("fuzz: every safe size round-trips through parseClassicSize", () => {
  fc.assert(
    fc.property(count, fc.constantFrom("", "\n", "\r\n"), (size, ending) => {
      assert.equal(parseClassicSize(new TextEncoder().encode(`${size}${ending}`)), size);
    }),
    { numRuns: RUNS },
  );
});

Deno.test("fuzz: decodePreface accepts exactly SKIT and a version byte, else ProtocolError", () => {
  const nearPreface = fc.oneof(
    fc.uint8Array({ maxLength: 10 }),
    fc.tuple(fc.nat(255), fc.nat(PREFACE_SIZE)).map(([version, cut]) =>
      encodePreface(version).slice(0, PREFACE_SIZE - cut)
    ),
    fc.tuple(fc.nat(255), fc.nat(3), fc.nat(255)).map(([version, at, value]) => {
      const bytes = encodePreface(version);
      bytes[at] = value;
      return bytes;
    }),
  );
  fc.assert(
    fc.property(nearPreface, (bytes) => {
      const isPreface = bytes.length === PREFACE_SIZE && MAGIC.every((b, i) => bytes[i] === b);
      try {
        const version = decodePreface(bytes);
        assert.ok(isPreface, `accepted ${hex(bytes)}`);
        assert.equal(version, bytes[4]);
        assert.deepEqual(encodePreface(version), bytes);
      } catch (err) {
        assert.ok(err instanceof ProtocolError, `threw ${err}`);
        assert.ok(!isPreface, `refused the preface ${hex(bytes)}`);
      }
    }),
    { numRuns: RUNS },
  );
});

Deno.test(`fuzz: ${CONNECTIONS} connections of random bytes never stop a live receiver`, async () => {
  await using root = await tempDir();
  const dir = join(root.path, "received");
  await using receiver = await RecordingReceiver.start({
    dir,
    idleTimeoutMs: 200,
    headerTimeoutMs: 200,
    classicQuietMs: 20,
  });
  const preface = encodePreface();
  const file = encodeFrame({ type: "F", id: 1, path: "fuzz.bin", size: 50, mtime: 0 });
  const start = encodeFrame({ type: "S", id: 1, offset: 0 });
  const junk = fc.uint8Array({ maxLength: 600 });
  const opening = fc.oneof(
    junk,
    junk.map((b) => concatBytes(preface, b)),
    fc.tuple(typeByte, fc.uint8Array({ maxLength: 100 }), junk).map(([type, payload, tail]) =>
      concatBytes(preface, rawFrame(type, payload), tail)
    ),
    fc.tuple(anyJson, junk).map(([json, tail]) =>
      concatBytes(preface, rawFrame(0x46, new TextEncoder().encode(json)), tail)
    ),
    junk.map((b) => concatBytes(preface, file, start, b)),
    fc.tuple(fc.stringMatching(/^[0-9]{1,3}$/), junk).map(([digits, tail]) =>
      concatBytes(new TextEncoder().encode(digits), tail)
    ),
    mutated.map((b) => concatBytes(preface, b)),
  );
  await fc.assert(
    fc.asyncProperty(opening, fc.boolean(), async (bytes, halfClose) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: receiver.port });
      try {
        await conn.write(bytes).catch(() => {});
        if (halfClose) await conn.closeWrite().catch(() => {});
        // The receiver answers and closes, or drops the connection within its timeouts.
        const buffer = new Uint8Array(4096);
        const ended = within(
          3000,
          (async () => {
            while (true) {
              const n = await conn.read(buffer).catch(() => null);
              if (n === null) return;
            }
          })(),
          "the receiver to end the connection",
        );
        await ended;
      } finally {
        conn.close();
      }
    }),
    { numRuns: CONNECTIONS },
  );
  // Still serving, nothing outside DIR, and no temporary file left behind.
  const src = join(root.path, "honest.txt");
  await Deno.writeTextFile(src, "still here\n");
  const result = await sendFiles({ paths: [src], port: receiver.port, retries: 0 });
  assert.equal(result.files, 1);
  assert.ok((await finalEntries(dir)).includes("honest.txt"));
  const outside = (await tree(root.path)).filter((p) =>
    p !== "received" && !p.startsWith("received/") && p !== "honest.txt"
  );
  assert.deepEqual(outside, []);
  assert.ok(!(await internalEntries(dir)).some((n) => n.startsWith("tmp-")));
  console.log(
    `fuzz: ${CONNECTIONS} random connections: ${receiver.of("session-error").length} refused, ` +
      `${receiver.of("file-done").length} classic files stored`,
  );
});
