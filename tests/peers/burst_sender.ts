/**
 * A class of senders behind one address, run inside a test's namespace: COUNT library senders
 * started at once, each sending its own small file, as a burst of connections does.
 *
 *     deno run -A burst_sender.ts HOST PORT COUNT DIR
 *
 * Writes `DIR/burst-<i>.txt` for each sender, sends them all at the same moment to HOST:PORT and
 * prints one JSON line per sender once all are done: `{"i":…,"ok":…,"code":…,"busy":…}` (`code`
 * is the error code when it failed; `busy` counts the times it was told to wait for a turn).
 *
 * @module
 */

import { join } from "node:path";
import { sendFiles } from "../../lib/mod.ts";
import { toSockitError } from "../../lib/core/errors.ts";

const [host, port, count, dir] = Deno.args;
const indices = Array.from({ length: Number(count) }, (_, i) => i);
for (const i of indices) await Deno.writeTextFile(join(dir, `burst-${i}.txt`), `sender ${i}\n`);

const results = await Promise.all(indices.map(async (i) => {
  let busy = 0;
  try {
    await sendFiles({
      paths: [join(dir, `burst-${i}.txt`)],
      host,
      port: Number(port),
      timeoutMs: 20_000,
      busyWaitMs: 30_000,
      onEvent: (event) => {
        if (event.type === "retry" && event.busy) busy++;
      },
    });
    return { i, ok: true, busy };
  } catch (err) {
    return { i, ok: false, code: toSockitError(err).code, busy };
  }
}));
for (const result of results) console.log(JSON.stringify(result));
