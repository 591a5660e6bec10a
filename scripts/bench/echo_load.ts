/**
 * Bounded echo load generator (Deno): `--clients` connections (Nagle off), each sending a
 * `--size`-byte message and waiting for the whole echo before sending the next (closed loop,
 * one message in flight per client). After `--warmup` seconds it counts round trips for
 * `--seconds` seconds, checks every echo byte for byte, and prints one JSON line:
 * `{"roundTrips", "seconds", "perSecond", "p50Ms", "p99Ms", "mismatches", "errors", "clients"}`.
 *
 * ```sh
 * deno run --allow-net scripts/bench/echo_load.ts --port 9999 --clients 100 --seconds 5
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
    clients: { type: "string", default: "1" },
    seconds: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    size: { type: "string", default: "64" },
  },
});
const port = Number(values.port);
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const size = Number(values.size);
if (![port, clients, seconds, warmup, size].every((n) => Number.isFinite(n) && n >= 0)) {
  console.error("usage: echo_load.ts --port PORT [--clients N] [--seconds S] [--size BYTES]");
  Deno.exit(2);
}

/** Round-trip times in ms, kept in a preallocated array (bounded). */
const MAX_SAMPLES = 4_000_000;
const samples = new Float64Array(MAX_SAMPLES);
let count = 0;
let total = 0;
let mismatches = 0;
const errors: string[] = [];
let measuring = false;
let running = true;

async function client(id: number): Promise<void> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: values.host, port });
  } catch (err) {
    errors.push(`connect: ${err}`);
    return;
  }
  conn.setNoDelay(true);
  const message = new Uint8Array(size);
  for (let i = 0; i < size; i++) message[i] = (id * 31 + i * 7) & 0xff;
  const back = new Uint8Array(size);
  try {
    while (running) {
      const t0 = performance.now();
      let written = 0;
      while (written < size) written += await conn.write(message.subarray(written));
      let got = 0;
      while (got < size) {
        const n = await conn.read(back.subarray(got));
        if (n === null) throw new Error("the server closed the connection");
        got += n;
      }
      const rtt = performance.now() - t0;
      for (let i = 0; i < size; i++) {
        if (back[i] !== message[i]) {
          mismatches++;
          break;
        }
      }
      if (measuring) {
        if (count < MAX_SAMPLES) samples[count] = rtt;
        count++;
      }
      total++;
    }
  } catch (err) {
    if (running) errors.push(String(err));
  } finally {
    conn.close();
  }
}

const tasks: Promise<void>[] = [];
for (let i = 0; i < clients; i++) tasks.push(client(i));
await new Promise((r) => setTimeout(r, warmup * 1000));
measuring = true;
const started = performance.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
measuring = false;
const elapsed = (performance.now() - started) / 1000;
running = false;
await Promise.race([Promise.all(tasks), new Promise((r) => setTimeout(r, 5000))]);

const kept = samples.subarray(0, Math.min(count, MAX_SAMPLES)).sort();
const quantile = (q: number) =>
  kept.length ? kept[Math.min(kept.length - 1, Math.floor(q * kept.length))] : null;
console.log(JSON.stringify({
  generator: "deno",
  clients,
  size,
  roundTrips: count,
  seconds: elapsed,
  perSecond: count / elapsed,
  p50Ms: quantile(0.5),
  p99Ms: quantile(0.99),
  mismatches,
  errors: errors.slice(0, 5),
  errorCount: errors.length,
}));
Deno.exit(0);
