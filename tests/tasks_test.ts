import assert from "node:assert/strict";
import { join } from "node:path";
import { startReceiver } from "../lib/transfer/receiver.ts";
import { runTask, tempDir } from "./util.ts";

Deno.test("deno task send: a path is relative to where the user typed the command", async () => {
  await using work = await tempDir();
  await using inbox = await tempDir();
  await Deno.writeTextFile(join(work.path, "숙제.txt"), "from the user's folder\n");
  const receiver = await startReceiver({ dir: inbox.path, host: "127.0.0.1", port: 0 });
  try {
    const out = await runTask(
      "send",
      ["숙제.txt", "--to", `127.0.0.1:${receiver.addr.port}`],
      work.path,
    );
    assert.equal(out.code, 0, out.stderr);
    assert.equal(await Deno.readTextFile(join(inbox.path, "숙제.txt")), "from the user's folder\n");
  } finally {
    await receiver.close();
  }
});
