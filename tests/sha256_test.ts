/**
 * The two forms of the whole-file SHA-256 (`lib/core/sha256.ts`) give the same digests as
 * `node:crypto` over whole bytes, whichever way the bytes arrive: through the transform in
 * chunks, through `update` (a resumed prefix), after a `reset`, and past the size the gathering
 * form was made for.
 *
 * @module
 */

import assert from "node:assert/strict";
import { gatheredSha256, sha256Stream } from "../lib/core/sha256.ts";
import type { StreamHash } from "../lib/core/sha256.ts";
import { concatBytes, randomBytes, sha256Hex } from "./util.ts";

const FORMS: [string, (size: number) => Promise<StreamHash>][] = [
  ["streaming", () => sha256Stream()],
  ["gathered", (size) => Promise.resolve(gatheredSha256(size))],
];

async function through(hash: StreamHash, chunks: Uint8Array[]): Promise<void> {
  await ReadableStream.from(chunks).pipeThrough(hash.transform).pipeTo(new WritableStream());
}

for (const [name, make] of FORMS) {
  Deno.test(`sha256 (${name}): chunks through the transform, a prefix by update, peek`, async () => {
    const prefix = randomBytes(70_000);
    const chunks = [randomBytes(1), randomBytes(65_536), randomBytes(200_001), new Uint8Array(0)];
    const whole = concatBytes(prefix, ...chunks);
    const hash = await make(whole.length);
    hash.update(prefix);
    assert.equal(await hash.peek(), sha256Hex(prefix));
    await through(hash, chunks);
    assert.equal(await hash.digest(), sha256Hex(whole));
  });

  Deno.test(`sha256 (${name}): reset forgets the prefix; more bytes than announced still count`, async () => {
    const hash = await make(10);
    hash.update(randomBytes(5000));
    hash.reset();
    const bytes = randomBytes(300_000);
    await through(hash, [bytes.subarray(0, 7), bytes.subarray(7)]);
    assert.equal(await hash.digest(), sha256Hex(bytes));
  });

  Deno.test(`sha256 (${name}): nothing at all`, async () => {
    const hash = await make(0);
    assert.equal(
      await hash.digest(),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });
}
