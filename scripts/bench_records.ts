#!/usr/bin/env -S deno run
/**
 * Measures the record layer alone (no network): `sealStream` and `openStream` on this
 * machine, for writes of `--chunk` bytes (default 1 MiB, the size of a full record; the
 * sealed stream is opened in 64 KiB pieces, as a socket delivers it), next to bare WebCrypto
 * AES-256-GCM on the same buffers in the same run (the ceiling). Each figure is MiB/s of
 * wall time and, in brackets, MiB per CPU-second of this process, which a busy machine
 * disturbs less. It prints the figures; nothing is asserted.
 *
 * ```sh
 * deno run scripts/bench_records.ts                  # 256 MiB in 1 MiB writes, 3 runs
 * deno run scripts/bench_records.ts --mib 64 --chunk 65536 --runs 5
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
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
const data = new Uint8Array(chunkSize);
for (let at = 0; at < data.length; at += 65536) {
  crypto.getRandomValues(data.subarray(at, at + 65536));
}
const count = Math.ceil((mib * 1024 * 1024) / chunkSize);
const total = count * chunkSize;

/** Runs `work` and formats its rate: MiB/s of wall time (MiB per CPU-second). */
async function measure(work: () => Promise<void>): Promise<string> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const megabytes = total / 1024 / 1024;
  return `${(megabytes / seconds).toFixed(0)} (${(megabytes / cpuSeconds).toFixed(0)})`;
}

function source(): ReadableStream<Uint8Array> {
  let left = count;
  return new ReadableStream({
    pull(controller) {
      if (left-- > 0) controller.enqueue(data);
      else controller.close();
    },
  });
}

for (let run = 1; run <= runs; run++) {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  const iv = new Uint8Array(12);
  const bare: ArrayBuffer[] = [];
  const encrypt = await measure(async () => {
    for (let i = 0; i < count; i++) {
      bare.push(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, data));
    }
  });
  const decrypt = await measure(async () => {
    for (const sealed of bare) await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, sealed);
  });
  bare.length = 0;

  const parts: Uint8Array[] = [];
  const seal = await measure(async () => {
    for await (const part of source().pipeThrough(sealStream(sender.send))) parts.push(part);
  });
  const pieces: Uint8Array[] = [];
  for (const part of parts) {
    for (let at = 0; at < part.length; at += 65536) pieces.push(part.subarray(at, at + 65536));
  }
  let bytes = 0;
  const open = await measure(async () => {
    const opened = ReadableStream.from(pieces).pipeThrough(openStream(receiver.receive));
    for await (const plain of opened) bytes += plain.length;
  });
  if (bytes !== total) throw new Error(`opened ${bytes} of ${total} bytes`);
  console.log(
    `run ${run}: ${(total / 1024 / 1024).toFixed(0)} MiB in ${chunkSize}-byte writes, MiB/s ` +
      `(MiB per CPU-second): seal ${seal}, open ${open}; ` +
      `bare AES-GCM encrypt ${encrypt}, decrypt ${decrypt}`,
  );
}
