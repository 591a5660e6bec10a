/**
 * The receiver's limits against one misbehaving classmate (issue 11): every frame within the
 * header deadline, unfinished openings that do not hold transfer slots, a per-address limit,
 * and the others listed in docs/faults.md. Each limit is set small here so that it shows fast.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { encodeFrame } from "../lib/transfer/protocol.ts";
import { RawPeer } from "./raw_peer.ts";
import { delay, RecordingReceiver } from "./fault_helpers.ts";

/** Sends `bytes` one at a time, `everyMs` apart, until done or the receiver hangs up. */
async function trickle(peer: RawPeer, bytes: Uint8Array, everyMs: number): Promise<number> {
  for (let i = 0; i < bytes.length; i++) {
    try {
      await peer.send(bytes.subarray(i, i + 1));
    } catch {
      return i;
    }
    await delay(everyMs);
  }
  return bytes.length;
}

const content = new TextEncoder().encode("homework, slowly\n");
const sha256 = createHash("sha256").update(content).digest("hex");

for (const which of ["S", "E"] as const) {
  Deno.test(`limits: a trickling ${which} frame is dropped at the header deadline`, async () => {
    await using receiver = await RecordingReceiver.start({
      headerTimeoutMs: 600,
      idleTimeoutMs: 5000,
    });
    await using peer = await RawPeer.open(receiver.port);
    await peer.sendFrame({ type: "F", path: "slow.txt", size: content.length, mtime: 0 });
    const accept = await peer.frame(5000);
    assert.equal(accept.type, "A");
    let slow = encodeFrame({ type: "S", offset: 0 });
    if (which === "E") {
      await peer.send(slow);
      await peer.send(content);
      slow = encodeFrame({ type: "E", sha256 });
    }
    const sent = await trickle(peer, slow, 200);
    const failed = await receiver.waitFor(
      (e) => e.type === "file-failed" && e.peer === peer.name,
      5000,
      "the trickled transfer to fail",
    );
    assert.ok(failed.type === "file-failed");
    assert.equal(failed.code, "timeout");
    assert.ok(sent < slow.length, `all ${slow.length} bytes of the ${which} frame went through`);
    assert.equal(receiver.of("file-done").length, 0);
  });
}
