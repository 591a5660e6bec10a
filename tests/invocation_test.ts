/**
 * The commands sockit prints work for how it was started: `deno task`, the bundled file with
 * `deno run`, an installed `sockit`, or a compiled executable.
 *
 * @module
 */

import assert from "node:assert/strict";
import { commandPrefix, type Launch } from "../cli/invocation.ts";
import { renderDiscoveryEvent } from "../cli/render_discovery.ts";
import { runTask, tempDir } from "./util.ts";

function launch(overrides: Partial<Launch>): Launch {
  return {
    env: { PATH: "/usr/local/bin:/usr/bin" },
    mainModule: "file:///home/kim/sockit/main.ts",
    execPath: "/usr/bin/deno",
    cwd: "/home/kim",
    os: "linux",
    readText: () => undefined,
    ...overrides,
  };
}

Deno.test("commandPrefix: deno task", () => {
  assert.equal(commandPrefix(launch({ env: { SOCKIT_FROM_TASK: "1" } })), "deno task sockit");
});

Deno.test("commandPrefix: the bundled file run with deno run", () => {
  const bundle = "file:///home/kim/Downloads/sockit.js";
  assert.equal(
    commandPrefix(launch({ mainModule: bundle, cwd: "/home/kim/Downloads" })),
    "deno run -A sockit.js",
  );
  assert.equal(commandPrefix(launch({ mainModule: bundle })), "deno run -A Downloads/sockit.js");
  assert.equal(
    commandPrefix(launch({ mainModule: bundle, cwd: "/tmp" })),
    "deno run -A /home/kim/Downloads/sockit.js",
  );
});

Deno.test("commandPrefix: an installed launcher on PATH that runs this script", () => {
  const scripts: Record<string, string> = {
    "/home/kim/.deno/bin/sockit":
      '#!/bin/sh\nexec deno run --allow-net "file:///home/kim/sockit/main.ts" "$@"\n',
  };
  const env = { PATH: "/usr/bin:/home/kim/.deno/bin" };
  assert.equal(commandPrefix(launch({ env, readText: (p) => scripts[p] })), "sockit");
  // A launcher named sockit that runs something else is not ours.
  const other = { "/home/kim/.deno/bin/sockit": "#!/bin/sh\nexec deno run other.ts\n" };
  assert.equal(
    commandPrefix(launch({ env, readText: (p) => (other as Record<string, string>)[p] })),
    "deno run -A sockit/main.ts",
  );
});

Deno.test("commandPrefix: a compiled executable, by name on PATH or by path", () => {
  const exe = "/home/kim/Downloads/sockit";
  const compiled = { execPath: exe, mainModule: "file:///tmp/deno-compile-sockit/main.ts" };
  assert.equal(commandPrefix(launch({ ...compiled, cwd: "/home/kim/Downloads" })), "./sockit");
  assert.equal(
    commandPrefix(launch({ ...compiled, env: { PATH: "/usr/bin:/home/kim/Downloads" } })),
    "sockit",
  );
  assert.equal(commandPrefix(launch({ ...compiled, cwd: "/tmp" })), exe);
});

Deno.test("deno task: the help hint and examples name deno task sockit", async () => {
  await using work = await tempDir();
  const out = await runTask("send", [], work.path);
  const stderr = out.stderr;
  assert.equal(out.code, 2, stderr);
  assert.match(stderr, /for example: deno task sockit send homework\.py --to 192\.168\.0\.12$/m);
  assert.match(stderr, /^Run 'deno task sockit --help' for usage\.$/m);
  assert.doesNotMatch(stderr, /'sockit --help'/);
});

Deno.test("the receiver's announcing line suggests the command as sockit was started", () => {
  const line = renderDiscoveryEvent(
    { lang: "en", color: false },
    {
      type: "announcing",
      id: "x",
      host: "0.0.0.0",
      targets: [{ address: "192.168.0.12", broadcast: "192.168.0.255" }],
      group: "239.255.0.1",
      discoveryPort: 6000,
    },
    false,
    "deno run -A sockit.js",
  );
  assert.match(line!.text, /classmates can simply run 'deno run -A sockit\.js send FILE'\.$/);
});
