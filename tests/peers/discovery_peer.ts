/**
 * The discovery library run on its own inside a test's namespace, for what the CLI cannot do
 * yet (announcing a nameplate: the receiver takes no pairing code before issue 12 lands).
 *
 * - `announce PORT NAMEPLATE NAME`: announces until killed; prints each event as JSON.
 * - `choose NAMEPLATE`: listens (up to 3 s, less once that nameplate is heard) and prints the
 *   choice as JSON.
 *
 * @module
 */

import { chooseReceiver, discoverReceivers, startAnnouncer } from "../../lib/mod.ts";

const [mode, ...args] = Deno.args;
if (mode === "announce") {
  const [port, nameplate, name] = args;
  startAnnouncer({
    port: Number(port),
    nameplate: Number(nameplate),
    name,
    onEvent: (event) => console.log(JSON.stringify(event)),
  });
} else if (mode === "choose") {
  const nameplate = Number(args[0]);
  const found = await discoverReceivers({
    until: (receivers) => receivers.some((r) => r.nameplate === nameplate),
  });
  console.log(JSON.stringify(chooseReceiver(found, { nameplate })));
} else {
  console.error("usage: discovery_peer.ts announce PORT NAMEPLATE NAME | choose NAMEPLATE");
  Deno.exit(2);
}
