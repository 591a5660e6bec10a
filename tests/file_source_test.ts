/**
 * A file read for sending must still be the size it had when the send was planned:
 * `fileSource` with a `length` and `readWhole` refuse a file that ends early or goes on with
 * `file-changed`, and read an unchanged one exactly.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import type { SockitError } from "../lib/core/errors.ts";
import { fileSource, readWhole } from "../lib/core/streams.ts";
import { concatBytes, randomBytes, tempDir } from "./util.ts";

async function withFile(
  bytes: Uint8Array,
  use: (path: string) => void | Promise<void>,
): Promise<void> {
  await using temp = await tempDir();
  const path = join(temp.path, "f.bin");
  await Deno.writeFile(path, bytes);
  await use(path);
}

async function drain(path: string, options: { offset?: number; length: number }) {
  const chunks: Uint8Array[] = [];
  const file = await Deno.open(path);
  for await (const chunk of fileSource(file, { chunkSize: 4096, path, ...options })) {
    chunks.push(chunk.slice());
  }
  return concatBytes(...chunks);
}

const changed = (path: string) => (err: SockitError) =>
  err.code === "file-changed" && err.details.path === path;

Deno.test("fileSource with a length: exactly that many bytes, from an offset too", async () => {
  const bytes = randomBytes(10_000);
  await withFile(bytes, async (path) => {
    assert.deepEqual(await drain(path, { length: 10_000 }), bytes);
    assert.deepEqual(await drain(path, { offset: 8192, length: 1808 }), bytes.subarray(8192));
    assert.deepEqual(await drain(path, { length: 0, offset: 10_000 }), new Uint8Array(0));
  });
});

Deno.test("fileSource with a length: a file that ends early or goes on is file-changed", async () => {
  await withFile(randomBytes(10_000), async (path) => {
    await assert.rejects(drain(path, { length: 10_001 }), changed(path));
    await assert.rejects(drain(path, { length: 9_999 }), changed(path));
    await assert.rejects(drain(path, { length: 8192 }), changed(path)); // a chunk boundary
    await assert.rejects(drain(path, { offset: 100, length: 0 }), changed(path));
  });
});

Deno.test("readWhole: the rest of the file, which must be the size given", async () => {
  const bytes = randomBytes(3000);
  await withFile(bytes, (path) => {
    const read = (size: number, offset = 0) => {
      using file = Deno.openSync(path);
      if (offset) file.seekSync(offset, Deno.SeekMode.Start);
      return readWhole(file, size, path);
    };
    assert.deepEqual(read(3000), bytes);
    assert.deepEqual(read(1000, 2000), bytes.subarray(2000));
    assert.throws(() => read(3001), changed(path));
    assert.throws(() => read(2999), changed(path));
  });
});
