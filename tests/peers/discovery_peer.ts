/**
 * A receiver with the pairing code `NAMEPLATE-guitar-ocean-lamp` that announces its nameplate
 * and a NAME of the test's choosing, run inside a test's namespace: the library's receiver and
 * announcer.
 *
 *     deno run -A discovery_peer.ts PORT NAMEPLATE NAME DIR
 *
 * Receives into DIR on 0.0.0.0:PORT and announces NAMEPLATE and NAME until killed; prints the
 * announcer's events as JSON lines.
 *
 * @module
 */

import { parseCode, startAnnouncer, startReceiver } from "../../lib/mod.ts";

const [port, nameplate, name, dir] = Deno.args;
const code = parseCode(`${nameplate}-guitar-ocean-lamp`);
const receiver = await startReceiver({ dir, port: Number(port), code });
startAnnouncer({
  port: receiver.addr.port,
  nameplate: Number(nameplate),
  name,
  onEvent: (event) => console.log(JSON.stringify(event)),
});
