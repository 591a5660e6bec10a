/**
 * `sockit send` failures a classmate meets, each one line with the right cause: a file they may
 * not read, a receiver that never answers within --timeout, and Ctrl+C in the middle.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, runCliWithoutOverride, tempDir } from "./util.ts";

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

Deno.test("send: a file without read permission says permission denied, before connecting", async (t) => {
  await using dir = await tempDir();
  const file = join(dir.path, "homework.py");
  await Deno.writeTextFile(file, "print(1)\n");
  await Deno.chmod(file, 0o000);
  // Nothing listens on this port: a permission problem must be found before any connection.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const result = await runCliWithoutOverride(["send", file, "--to", `127.0.0.1:${port}`]);
  await t.step({
    name: typeof result === "string" ? `as a user would (skipped: ${result})` : "as a user would",
    ignore: typeof result === "string",
    fn: () => {
      if (typeof result === "string") return;
      assert.equal(result.code, 1, result.stderr);
      assert.deepEqual(lines(result.stderr), [
        `sockit: Permission denied: this user may not read ${file}. Allow reading it (or copy it into a folder of your own) and send again.`,
      ]);
      assert.doesNotMatch(result.stderr, /connection|\{"reason"/);
    },
  });
});

Deno.test("send: --timeout against a silent server is one timeout line, no retries", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn); // accept, never answer
  })();
  try {
    await using dir = await tempDir();
    await Deno.writeTextFile(join(dir.path, "a.txt"), "a\n");
    const result = await runCli([
      "--json",
      "send",
      join(dir.path, "a.txt"),
      "--to",
      `127.0.0.1:${port}`,
      "--timeout",
      "1",
    ]);
    assert.equal(result.code, 1, result.stderr);
    const events = lines(result.stdout).map((line) => JSON.parse(line));
    assert.deepEqual(events.filter((e) => e.type === "retry"), [], result.stdout);
    assert.equal(events.at(-1).type, "error");
    assert.equal(events.at(-1).code, "timeout");
    assert.deepEqual(lines(result.stderr), [
      `sockit: 127.0.0.1:${port} did not answer within 1 s. Check that it is running, that you are on the same network, and that its firewall allows sockit.`,
    ]);
    assert.equal(held.length, 1, "one connection, not one per retry");
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of held) conn.close();
  }
});
