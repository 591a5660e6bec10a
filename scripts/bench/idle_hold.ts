/**
 * Idle-connection helper: opens `--count` connections to an echo server (at most
 * `--concurrency` connecting at once), proves each one is served with one 64-byte round trip,
 * prints `{"phase":"holding","held":n,"failed":n}`, keeps them all open and silent for
 * `--hold` seconds, then checks that a sample still echoes, prints
 * `{"phase":"done","held":n,"stillServed":n,"sampled":n}` and closes them.
 * Run it with a raised `ulimit -n`.
 *
 * @module
 */

import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
    count: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "200" },
    hold: { type: "string", default: "3" },
  },
});
const port = Number(values.port);
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const message = new TextEncoder().encode("x".repeat(64));

async function roundTrip(conn: Deno.TcpConn): Promise<boolean> {
  const timer = setTimeout(() => conn.close(), 10_000);
  try {
    await conn.write(message);
    const back = new Uint8Array(64);
    let got = 0;
    while (got < 64) {
      const n = await conn.read(back.subarray(got));
      if (n === null) return false;
      got += n;
    }
    return back.every((b, i) => b === message[i]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

const conns: Deno.TcpConn[] = [];
let failed = 0;
let firstError = "";
let next = 0;
async function opener(): Promise<void> {
  while (next < count) {
    next++;
    try {
      const conn = await Deno.connect({ hostname: values.host, port });
      conn.setNoDelay(true);
      if (await roundTrip(conn)) conns.push(conn);
      else {
        failed++;
        firstError ||= "no echo";
        conn.close();
      }
    } catch (err) {
      failed++;
      firstError ||= String(err);
    }
  }
}
const started = performance.now();
await Promise.all(Array.from({ length: Math.max(1, concurrency) }, opener));
const openSeconds = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({ phase: "holding", held: conns.length, failed, firstError, openSeconds }),
);
await new Promise((r) => setTimeout(r, Number(values.hold) * 1000));
const sample = conns.filter((_, i) => i % Math.max(1, Math.floor(conns.length / 100)) === 0);
const still = (await Promise.all(sample.map(roundTrip))).filter(Boolean).length;
console.log(JSON.stringify({
  phase: "done",
  held: conns.length,
  stillServed: still,
  sampled: sample.length,
}));
for (const conn of conns) {
  try {
    conn.close();
  } catch {
    // Closed by the server.
  }
}
Deno.exit(0);
