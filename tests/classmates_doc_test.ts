/**
 * docs/classmates.md's commands work as written: `deno task bundle`, `deno run -A sockit.js`,
 * `deno install -g -A -n sockit sockit.js`, and what each way then prints for classmates to type.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, tempDir } from "./util.ts";

const decoder = new TextDecoder();

async function run(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  const result = await new Deno.Command(command, {
    args,
    cwd,
    env: { NO_COLOR: "1", LANG: "C.UTF-8", LC_ALL: "", LC_MESSAGES: "", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  return {
    code: result.code,
    out: decoder.decode(result.stdout) + decoder.decode(result.stderr),
  };
}

Deno.test("docs/classmates.md: ways A and B work as written", async () => {
  const guide = await Deno.readTextFile(join(ROOT, "docs/classmates.md"));
  for (
    const command of [
      "deno task bundle",
      "deno run -A sockit.js --version",
      "deno install -g -A -n sockit sockit.js",
      "deno run -A sockit.js send FILE --to 192.168.0.12",
    ]
  ) assert.ok(guide.includes(command), `the guide shows ${command}`);

  await using work = await tempDir();
  const bundled = await run(Deno.execPath(), ["task", "--quiet", "bundle"], ROOT);
  assert.equal(bundled.code, 0, bundled.out);
  assert.match(bundled.out, /wrote dist\/sockit\.js/);
  await Deno.copyFile(join(ROOT, "dist", "sockit.js"), join(work.path, "sockit.js"));

  // A: the file, from a classmate's folder.
  const version = await run(Deno.execPath(), ["run", "-A", "sockit.js", "--version"], work.path);
  assert.equal(version.code, 0, version.out);
  assert.match(version.out, /^sockit \d+\.\d+\.\d+ \(Deno /);
  const hintA = await run(Deno.execPath(), ["run", "-A", "sockit.js", "send"], work.path);
  assert.equal(hintA.code, 2, hintA.out);
  assert.match(hintA.out, /for example: deno run -A sockit\.js send homework\.py --to /);

  // B: installed as `sockit` (into a folder of the test's own, not the user's).
  const root = join(work.path, "install");
  const installed = await run(
    Deno.execPath(),
    ["install", "-g", "-A", "-n", "sockit", "sockit.js"],
    work.path,
    { DENO_INSTALL_ROOT: root },
  );
  assert.equal(installed.code, 0, installed.out);
  const bin = join(root, "bin");
  const path = `${bin}:${Deno.env.get("PATH") ?? ""}`;
  const hintB = await run(join(bin, "sockit"), ["send"], work.path, { PATH: path });
  assert.equal(hintB.code, 2, hintB.out);
  assert.match(hintB.out, /for example: sockit send homework\.py --to /);
  assert.match(hintB.out, /^Run 'sockit --help' for usage\.$/m);
});
