/**
 * A receiver with the pairing code `NAMEPLATE-guitar-ocean-lamp` that announces its nameplate
 * and a NAME of the test's choosing, run inside a test's namespace: the library's receiver and
 * announcer. With another receiver's nameplate and name, it is an impostor.
 *
 *     deno run -A discovery_peer.ts PORT NAMEPLATE NAME DIR
 *
 * Receives into DIR on 0.0.0.0:PORT and announces NAMEPLATE and NAME until killed; prints the
 * announcer's and the receiver's events as JSON lines, with every byte that crossed the wire
 * (`trace` events, with all their bytes as hex).
 *
 * @module
 */

import { parseCode, startAnnouncer, startReceiver } from "../../lib/mod.ts";
import { hexBytes } from "../../lib/net/trace.ts";

/** One event as a JSON line, byte arrays whole as hex (`"53 4b …"`). */
const print = (event: object) =>
  console.log(JSON.stringify(event, (_, v) => v instanceof Uint8Array ? hexBytes(v) : v));

const [port, nameplate, name, dir] = Deno.args;
const code = parseCode(`${nameplate}-guitar-ocean-lamp`);
const receiver = await startReceiver({
  dir,
  port: Number(port),
  code,
  trace: true,
  onEvent: print,
});
startAnnouncer({ port: receiver.addr.port, nameplate: Number(nameplate), name, onEvent: print });
