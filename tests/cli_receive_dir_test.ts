/**
 * `sockit receive --dir` problems name the folder the user gave, and nothing is created before
 * the port is known to be free.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, runCliWithoutOverride, tempDir } from "./util.ts";

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("receive --dir on a file: one line naming it, nothing created", async () => {
  await using work = await tempDir();
  const file = join(work.path, "notes.txt");
  await Deno.writeTextFile(file, "mine\n");
  const result = await runCli(["receive", "--host", "127.0.0.1", "--port", "0", "--dir", file]);
  assert.equal(result.code, 1, result.stderr);
  assert.deepEqual(lines(result.stderr), [
    `sockit: ${file} is not a folder (a file is in the way). Choose a folder with --dir; it is created if missing.`,
  ]);
  assert.doesNotMatch(result.stderr, /\.sockit|File exists/);
  assert.equal(await Deno.readTextFile(file), "mine\n");
  const below = join(file, "inbox");
  const deeper = await runCli(["receive", "--host", "127.0.0.1", "--port", "0", "--dir", below]);
  assert.equal(deeper.code, 1, deeper.stderr);
  assert.match(
    deeper.stderr,
    new RegExp(`^sockit: ${below.replaceAll(".", "\\.")} is not a folder`),
  );
});

Deno.test("receive: a port in use creates no folder", async () => {
  await using work = await tempDir();
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (busy.addr as Deno.NetAddr).port;
    const dir = join(work.path, "received");
    const result = await runCli([
      "receive",
      "--host",
      "127.0.0.1",
      "--port",
      `${port}`,
      "--dir",
      dir,
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`^sockit: Port ${port} is already in use`));
    assert.equal(await exists(dir), false, "the folder was created before the port was free");
  } finally {
    busy.close();
  }
});

Deno.test("receive --dir on a read-only folder: says the user may not write there", async (t) => {
  await using work = await tempDir();
  const dir = join(work.path, "shared");
  await Deno.mkdir(dir);
  await Deno.chmod(dir, 0o555);
  const result = await runCliWithoutOverride([
    "receive",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--dir",
    dir,
  ]);
  await t.step({
    name: typeof result === "string" ? `as a user would (skipped: ${result})` : "as a user would",
    ignore: typeof result === "string",
    fn: async () => {
      if (typeof result === "string") return;
      assert.equal(result.code, 1, result.stderr);
      assert.deepEqual(lines(result.stderr), [
        `sockit: Cannot store files in ${dir}: this user may not write there. Choose a folder of your own with --dir; it is created if missing.`,
      ]);
      assert.equal(await exists(join(dir, ".sockit")), false);
    },
  });
  await Deno.chmod(dir, 0o755);
});
