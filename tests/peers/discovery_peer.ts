/**
 * A receiver that announces a pairing code's nameplate, run inside a test's namespace: the
 * library's receiver and announcer, for what `sockit receive` cannot do yet (it takes no pairing
 * code before issue 12 is wired into it).
 *
 *     deno run -A discovery_peer.ts PORT NAMEPLATE NAME DIR
 *
 * Receives into DIR on 0.0.0.0:PORT and announces NAMEPLATE and NAME until killed; prints the
 * announcer's events as JSON lines.
 *
 * @module
 */

import { startAnnouncer, startReceiver } from "../../lib/mod.ts";

const [port, nameplate, name, dir] = Deno.args;
const receiver = await startReceiver({ dir, port: Number(port) });
startAnnouncer({
  port: receiver.addr.port,
  nameplate: Number(nameplate),
  name,
  onEvent: (event) => console.log(JSON.stringify(event)),
});
