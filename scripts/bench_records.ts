#!/usr/bin/env -S deno run
/**
 * Measures the record layer alone (no network): MiB/s of `sealStream` and of `openStream`
 * on this machine, for writes of `--chunk` bytes (default 1 MiB, the size of a full record),
 * next to bare WebCrypto AES-256-GCM on the same buffers in the same run (the ceiling), so
 * the layer's own cost shows even on a busy machine. It prints the figures; nothing is
 * asserted.
 *
 * ```sh
 * deno run scripts/bench_records.ts                  # 256 MiB in 1 MiB writes, 3 runs
 * deno run scripts/bench_records.ts --mib 64 --chunk 65536 --runs 5
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { openStream, sealStream } from "../lib/crypto/records.ts";
import { KeySchedule } from "../lib/crypto/session_keys.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    mib: { type: "string", default: "256" },
    chunk: { type: "string", default: String(1024 * 1024) },
    runs: { type: "string", default: "3" },
  },
}).values;
const mib = Number(args.mib);
const chunkSize = Number(args.chunk);
const runs = Number(args.runs);
if (![mib, chunkSize, runs].every((n) => Number.isInteger(n) && n > 0)) {
  console.error("bench_records: --mib, --chunk and --runs take positive whole numbers");
  Deno.exit(2);
}

const schedule = new KeySchedule(crypto.getRandomValues(new Uint8Array(64)), new Uint8Array(0));
const sender = await schedule.recordKeys("sender");
const receiver = await schedule.recordKeys("receiver");
const chunk = crypto.getRandomValues(new Uint8Array(Math.min(chunkSize, 65536)));
const data = new Uint8Array(chunkSize);
for (let at = 0; at < data.length; at += chunk.length) {
  data.set(chunk.subarray(0, data.length - at), at);
}
const count = Math.ceil((mib * 1024 * 1024) / chunkSize);

function source(): ReadableStream<Uint8Array> {
  let left = count;
  return new ReadableStream({
    pull(controller) {
      if (left-- > 0) controller.enqueue(data);
      else controller.close();
    },
  });
}

/** Bare `crypto.subtle` AES-256-GCM over the same writes: MiB/s to encrypt and to decrypt. */
async function bare(): Promise<[number, number]> {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  const iv = new Uint8Array(12);
  const sealed: ArrayBuffer[] = [];
  let start = performance.now();
  for (let i = 0; i < count; i++) {
    sealed.push(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, data));
  }
  const encryptMs = performance.now() - start;
  start = performance.now();
  for (const s of sealed) await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, s);
  return [encryptMs, performance.now() - start];
}

for (let run = 1; run <= runs; run++) {
  const [encryptMs, decryptMs] = await bare();
  const records: Uint8Array[] = [];
  let start = performance.now();
  for await (const record of source().pipeThrough(sealStream(sender.send))) records.push(record);
  const sealMs = performance.now() - start;
  start = performance.now();
  let bytes = 0;
  for await (
    const plain of ReadableStream.from(records).pipeThrough(openStream(receiver.receive))
  ) {
    bytes += plain.length;
  }
  const openMs = performance.now() - start;
  const total = count * chunkSize;
  if (bytes !== total) throw new Error(`opened ${bytes} of ${total} bytes`);
  const rate = (ms: number) => (total / 1024 / 1024 / (ms / 1000)).toFixed(0);
  console.log(
    `run ${run}: ${(total / 1024 / 1024).toFixed(0)} MiB in ${chunkSize}-byte writes: ` +
      `seal ${rate(sealMs)} MiB/s, open ${rate(openMs)} MiB/s ` +
      `(bare AES-GCM: encrypt ${rate(encryptMs)} MiB/s, decrypt ${rate(decryptMs)} MiB/s)`,
  );
}
