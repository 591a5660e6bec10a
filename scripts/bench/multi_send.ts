/**
 * Load helper for the scale benchmark: sends every file given on the command line over its
 * own connection, all at once, with sockit's library sender (each file verified by the
 * receiver's SHA-256 verdict), and prints one JSON line:
 * `{"files": n, "bytes": n, "seconds": s, "failures": [...]}` where `seconds` runs from
 * before the first connection to the last verdict (Deno's start-up is not included).
 *
 * ```sh
 * deno run --allow-all scripts/bench/multi_send.ts --port 6000 a.bin b.bin …
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { sendFiles } from "../../lib/transfer/sender.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: { host: { type: "string", default: "127.0.0.1" }, port: { type: "string" } },
  allowPositionals: true,
});
const port = Number(values.port);
if (!Number.isInteger(port) || positionals.length === 0) {
  console.error("usage: multi_send.ts --port PORT FILE…");
  Deno.exit(2);
}

const failures: string[] = [];
let files = 0;
let bytes = 0;
const started = performance.now();
await Promise.all(positionals.map(async (path) => {
  try {
    const result = await sendFiles({ paths: [path], host: values.host, port, timeoutMs: 120_000 });
    files += result.files;
    bytes += result.bytes;
    if (result.rejected > 0) failures.push(`${path}: rejected`);
  } catch (err) {
    failures.push(`${path}: ${err instanceof Error ? err.message : err}`);
  }
}));
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ files, bytes, seconds, failures }));
Deno.exit(failures.length > 0 ? 1 : 0);
