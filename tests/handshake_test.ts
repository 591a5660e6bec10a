/**
 * The v2 handshake end to end in memory: the right code gives both sides working record
 * keys; a wrong code fails on both sides with `wrong-code` (the receiver also producing the
 * notice for the sender); every tampered, truncated, replayed, out-of-order or identity-point
 * message fails with `wrong-code` or `protocol` and never yields keys.
 *
 * @module
 */

import assert from "node:assert/strict";
import { SockitError } from "../lib/core/errors.ts";
import { parseCode } from "../lib/crypto/code.ts";
import type { PairingCode } from "../lib/crypto/code.ts";
import { IDENTITY } from "../lib/crypto/cpace.ts";
import {
  CONFIRM_TAG_BYTES,
  Handshake,
  HandshakeError,
  MAX_HANDSHAKE_MESSAGE,
  MessageType,
  NONCE_BYTES,
} from "../lib/crypto/handshake.ts";
import type { HandshakeStep } from "../lib/crypto/handshake.ts";
import { openStream, sealStream } from "../lib/crypto/records.ts";
import type { SessionKeys } from "../lib/crypto/session_keys.ts";

const CODE = parseCode("7-guitar-ocean-lamp");

/** A message index (1–4) and how to change it on the way. */
type Tamper = { message: number; change: (bytes: Uint8Array) => Uint8Array };

type Outcome = SessionKeys | string;

/**
 * Runs a whole handshake in memory, changing one message on the way when asked, and returns
 * each side's outcome: its keys, or its error code. A side whose peer failed without a reply
 * ends with "closed" (what the transport would report).
 */
async function run(
  senderCode: PairingCode,
  receiverCode: PairingCode,
  tamper?: Tamper,
): Promise<{ sender: Outcome; receiver: Outcome; messages: Uint8Array[] }> {
  const sender = Handshake.sender(senderCode);
  const receiver = Handshake.receiver(receiverCode);
  const messages: Uint8Array[] = [];
  const outcome: { sender: Outcome; receiver: Outcome } = { sender: "closed", receiver: "closed" };
  const carry = (bytes: Uint8Array) => {
    messages.push(bytes);
    return tamper?.message === messages.length ? tamper.change(bytes.slice()) : bytes;
  };
  /** Delivers to `side`; returns its reply, or undefined when it finished or failed. */
  const deliver = async (side: "sender" | "receiver", bytes: Uint8Array) => {
    let step: HandshakeStep;
    try {
      step = await (side === "sender" ? sender : receiver).receive(bytes);
    } catch (err) {
      assert.ok(err instanceof HandshakeError, String(err));
      outcome[side] = err.code;
      return err.reply;
    }
    if (step.keys) outcome[side] = step.keys;
    return step.reply;
  };
  const m2 = await deliver("receiver", carry(sender.start()));
  if (!m2) return { ...outcome, messages };
  const m3 = await deliver("sender", carry(m2));
  if (!m3) return { ...outcome, messages };
  const m4 = await deliver("receiver", carry(m3));
  if (m4) await deliver("sender", carry(m4));
  return { ...outcome, messages };
}

function keysOf(outcome: Outcome): SessionKeys {
  assert.equal(typeof outcome, "object", `expected keys, got ${String(outcome)}`);
  return outcome as SessionKeys;
}

async function roundTrip(from: SessionKeys, to: SessionKeys, text: string): Promise<string> {
  const stream = new Response(text).body!
    .pipeThrough(sealStream(from.send))
    .pipeThrough(openStream(to.receive));
  return await new Response(stream).text();
}

Deno.test("handshake: the same code gives both sides keys that work both ways", async () => {
  const { sender, receiver, messages } = await run(CODE, CODE);
  const s = keysOf(sender);
  const r = keysOf(receiver);
  assert.equal(s.sessionId, r.sessionId);
  assert.equal(await roundTrip(s, r, "homework.pdf"), "homework.pdf");
  assert.equal(await roundTrip(r, s, "verdict: ok"), "verdict: ok");
  assert.deepEqual(messages.map((m) => [m[0], m.length]), [[1, 18], [2, 49], [3, 97], [4, 65]]);
  assert.equal(messages[0][1], 2, "version byte");
  assert.equal(MAX_HANDSHAKE_MESSAGE, 97);
});

Deno.test("handshake: only the words count; typing variants and nameplates do not", async () => {
  const { sender, receiver } = await run(parseCode("42 GUITAR ocean lamp"), CODE);
  assert.equal(keysOf(sender).sessionId, keysOf(receiver).sessionId);
});

Deno.test("handshake: each run has fresh nonces, shares and keys", async () => {
  const one = await run(CODE, CODE);
  const two = await run(CODE, CODE);
  assert.notEqual(keysOf(one.sender).sessionId, keysOf(two.sender).sessionId);
  for (let i = 0; i < 4; i++) {
    assert.notDeepEqual(one.messages[i], two.messages[i], `message ${i + 1}`);
  }
});

Deno.test("handshake: a wrong code fails on both sides as wrong-code, with the notice", async () => {
  for (const other of ["7-guitar-ocean-lake", "7-lamp-ocean-guitar", "7-guitar-ocean-lamp-zoo"]) {
    const { sender, receiver, messages } = await run(parseCode(other), CODE);
    assert.equal(receiver, "wrong-code", other);
    assert.equal(sender, "wrong-code", other);
    assert.deepEqual(messages.at(-1), Uint8Array.of(MessageType.wrongCode));
  }
});

Deno.test("handshake: errors never carry the code's words", async () => {
  const receiver = Handshake.receiver(CODE);
  const sender = Handshake.sender(parseCode("7-guitar-ocean-lake"));
  const m2 = await receiver.receive(sender.start());
  const m3 = await sender.receive(m2.reply!);
  const err = await receiver.receive(m3.reply!).then(() => assert.fail("accepted"), (e) => e);
  assert.ok(err instanceof HandshakeError && err instanceof SockitError);
  const shown = `${err.message} ${JSON.stringify(err.details)} ${err.stack}`;
  for (const word of [...CODE.words, "lake"]) assert.ok(!shown.includes(word), word);
});

/** Flips one bit of byte `at` (counted from the end when negative). */
const flip = (at: number, bit = 1): Tamper["change"] => (bytes) => {
  bytes[at < 0 ? bytes.length + at : at] ^= bit;
  return bytes;
};

Deno.test("handshake: a changed bit in any message never yields keys on the side that reads it", async () => {
  const cases: [number, number, string][] = [
    // [message, byte, outcome of the side reading it (or the sender, for a receiver's failure)]
    [1, 0, "protocol"], // type
    [1, 1, "protocol"], // version
    [1, 2, "wrong-code"], // sender nonce: the sid differs
    [1, 17, "wrong-code"],
    [2, 0, "protocol"],
    [2, 1, "wrong-code"], // receiver nonce
    [2, 16, "wrong-code"],
    [3, 0, "protocol"],
    [3, -1, "wrong-code"], // sender's tag
    [3, 40, "wrong-code"],
    [4, 0, "protocol"],
    [4, -1, "wrong-code"], // receiver's tag
    [4, 1, "wrong-code"],
  ];
  for (const [message, at, expected] of cases) {
    const result = await run(CODE, CODE, { message, change: flip(at) });
    const reader = message % 2 === 1 ? result.receiver : result.sender;
    assert.equal(reader, expected, `message ${message}, byte ${at}`);
    assert.equal(
      typeof result.sender,
      "string",
      `sender got keys (message ${message}, byte ${at})`,
    );
  }
});

Deno.test("handshake: a changed key share is refused either as invalid or as a wrong code", async () => {
  for (const message of [2, 3]) {
    const start = message === 2 ? 1 + NONCE_BYTES : 1;
    for (const offset of [0, 13, 31]) {
      for (const bit of [0x01, 0x40, 0x80]) {
        const result = await run(CODE, CODE, { message, change: flip(start + offset, bit) });
        const reader = message === 3 ? result.receiver : result.sender;
        assert.ok(
          reader === "protocol" || reader === "wrong-code",
          `${message}/${offset}: ${reader}`,
        );
        assert.equal(typeof result.sender, "string");
        assert.equal(typeof result.receiver, "string");
      }
    }
  }
});

Deno.test("handshake: identity and invalid points are refused as protocol errors", async () => {
  const invalid = Uint8Array.from(
    "2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c".match(/../g)!,
    (h) => parseInt(h, 16),
  );
  for (const point of [IDENTITY, invalid, new Uint8Array(32).fill(0xff)]) {
    const toSender = await run(CODE, CODE, {
      message: 2,
      change: (m) => (m.set(point, 1 + NONCE_BYTES), m),
    });
    assert.equal(toSender.sender, "protocol");
    assert.equal(toSender.receiver, "closed");
    const toReceiver = await run(CODE, CODE, { message: 3, change: (m) => (m.set(point, 1), m) });
    assert.equal(toReceiver.receiver, "protocol");
    assert.equal(toReceiver.sender, "closed");
  }
});

Deno.test("handshake: truncated, extended and empty messages are protocol errors", async () => {
  for (const message of [1, 2, 3, 4]) {
    for (
      const change of [
        (m: Uint8Array) => m.subarray(0, -1),
        (m: Uint8Array) => Uint8Array.from([...m, 0]),
        () => new Uint8Array(0),
      ]
    ) {
      const result = await run(CODE, CODE, { message, change });
      assert.equal(
        message % 2 === 1 ? result.receiver : result.sender,
        "protocol",
        `message ${message}`,
      );
    }
  }
});

async function code(promise: Promise<unknown>): Promise<string> {
  return await promise.then(
    () => "accepted",
    (e) => (e instanceof HandshakeError ? e.code : String(e)),
  );
}

Deno.test("handshake: a message replayed within a run is refused", async () => {
  const sender = Handshake.sender(CODE);
  const receiver = Handshake.receiver(CODE);
  const m1 = sender.start();
  const m2 = (await receiver.receive(m1)).reply!;
  assert.equal(await code(receiver.receive(m1)), "protocol");
  // The receiver is now failed for good, even for the right next message.
  const m3 = (await sender.receive(m2)).reply!;
  assert.equal(await code(receiver.receive(m3)), "protocol");
  assert.equal(await code(sender.receive(m2)), "protocol");
});

Deno.test("handshake: messages replayed from an earlier run do not complete a new one", async () => {
  const old = await run(CODE, CODE);
  const [m1, m2, m3, m4] = old.messages;
  // Against a new receiver: the old hello is answered, the old confirmation does not match.
  const receiver = Handshake.receiver(CODE);
  await receiver.receive(m1);
  assert.equal(await code(receiver.receive(m3)), "wrong-code");
  // Against a new sender: the old share is used, the old confirmation does not match.
  const sender = Handshake.sender(CODE);
  sender.start();
  await sender.receive(m2);
  assert.equal(await code(sender.receive(m4)), "wrong-code");
});

Deno.test("handshake: misuse is refused, and nothing works after a failure or the end", async () => {
  assert.throws(
    () => Handshake.receiver(CODE).start(),
    (e) => e instanceof HandshakeError && e.code === "protocol",
  );
  const sender = Handshake.sender(CODE);
  sender.start();
  assert.throws(() => sender.start(), HandshakeError);
  // A wrong-code notice before the confirmation is out of order.
  assert.equal(
    await code(Handshake.sender(CODE).receive(Uint8Array.of(MessageType.wrongCode))),
    "protocol",
  );
  const receiver = Handshake.receiver(CODE);
  const s = Handshake.sender(CODE);
  const m2 = (await receiver.receive(s.start())).reply!;
  const m3 = (await s.receive(m2)).reply!;
  const m4 = (await receiver.receive(m3)).reply!;
  await s.receive(m4);
  assert.equal(s.done && receiver.done, true);
  assert.equal(await code(s.receive(m4)), "protocol");
  assert.equal(await code(receiver.receive(new Uint8Array(1 + CONFIRM_TAG_BYTES))), "protocol");
});
