import assert from "node:assert/strict";
import { join } from "node:path";
import { startReceiver } from "../lib/transfer/receiver.ts";
import { ROOT, runCommand, tempDir } from "./util.ts";

/** The named variables of this environment that are set. */
function pick(...names: string[]): Record<string, string> {
  return Object.fromEntries(
    names.flatMap((n) => Deno.env.get(n) === undefined ? [] : [[n, Deno.env.get(n)!]]),
  );
}

Deno.test("deno task send: a path is relative to where the user typed the command", async () => {
  await using work = await tempDir();
  await using inbox = await tempDir();
  await Deno.writeTextFile(join(work.path, "숙제.txt"), "from the user's folder\n");
  const receiver = await startReceiver({ dir: inbox.path, host: "127.0.0.1", port: 0 });
  try {
    const out = await runCommand(
      new Deno.Command(Deno.execPath(), {
        args: [
          "task",
          "--quiet",
          "--config",
          join(ROOT, "deno.json"),
          "send",
          "숙제.txt",
          "--to",
          `127.0.0.1:${receiver.addr.port}`,
        ],
        cwd: work.path,
        // `deno task` keeps an INIT_CWD it inherits (this suite may itself run under `deno task`),
        // so start it from a clean environment, as from a fresh terminal.
        clearEnv: true,
        env: {
          ...pick("PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"),
          NO_COLOR: "1",
          LANG: "C.UTF-8",
        },
        stdout: "piped",
        stderr: "piped",
      }),
    );
    assert.equal(out.code, 0, out.stderr);
    assert.equal(await Deno.readTextFile(join(inbox.path, "숙제.txt")), "from the user's folder\n");
  } finally {
    await receiver.close();
  }
});
