/**
 * The benchmark cannot rot: `scripts/bench.ts --smoke` (tiny sizes, one run; peers that are not
 * installed are skipped and reported) must run every section end to end, hyperfine timing the
 * transfers; every sockit run must deliver byte-identical files, and the JSON must have every
 * section. Nothing here looks at speed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ROOT, runCommand } from "./util.ts";

interface Run {
  verified: boolean | null;
  error?: string;
}

Deno.test("deno task bench --smoke runs every section and sockit's files arrive intact", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-bench-smoke-" });
  const out = `${dir}/performance`;
  try {
    const result = await runCommand(
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", "--quiet", `${ROOT}scripts/bench.ts`, "--smoke", "--out", out],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }),
      { timeoutMs: 300_000 },
    );
    const log = result.stderr;
    assert.equal(result.code, 0, `the smoke benchmark failed:\n${log}`);

    const json = JSON.parse(await Deno.readTextFile(`${out}.json`));
    for (const key of ["meta", "peers", "transfer", "scale", "memory", "echo", "idle", "targets"]) {
      assert.ok(key in json, `the JSON has no '${key}' section`);
    }
    assert.equal(json.meta.smoke, true);
    assert.equal(json.meta.deno, Deno.version.deno);

    // Every transfer tool either ran once or says why it was skipped.
    const tools = new Map<string, { skipped?: string; runs: Run[] }>(
      json.transfer.tools.map((t: { id: string }) => [t.id, t]),
    );
    for (
      const id of ["nc", "socat", "python", "sockit", "sockit-1k", "sockit-classic", "cp", "iperf3"]
    ) {
      const tool = tools.get(id);
      assert.ok(tool, `no row for ${id}`);
      assert.ok(tool.skipped || tool.runs.length === 1, `${id} neither ran nor was skipped`);
      if (tool.skipped) assert.match(log, new RegExp(`${id} skipped`));
    }
    for (const id of ["sockit", "sockit-1k", "sockit-classic"]) {
      const tool = tools.get(id)!;
      assert.equal(tool.skipped, undefined, `${id} must never be skipped`);
      for (const run of tool.runs) {
        assert.equal(run.verified, true, `${id} did not deliver identical bytes: ${run.error}`);
      }
    }
    for (const peer of json.peers) {
      if (peer.status === "skipped") assert.match(peer.reason, /not installed|could not/);
    }

    assert.ok(json.scale.modes.length > 0);
    for (const mode of json.scale.modes) {
      assert.equal(mode.verifiedAll, true, `scale (${mode.mode}): a file was not identical`);
      assert.equal(mode.many[0].senders, json.scale.senders);
    }
    assert.equal(json.memory.length, 4); // two sizes, open and paired
    for (const row of json.memory) assert.equal(row.verifiedAll, true);

    const sockitEcho = json.echo.cells.filter((c: { server: string }) => c.server === "sockit");
    assert.ok(sockitEcho.length > 0, "no echo measurement against sockit");
    for (const cell of sockitEcho) {
      assert.equal(cell.verifiedAll, true, `echo ${cell.clients}/${cell.generator} not verified`);
    }
    const idle = json.idle.filter((r: { server: string }) => r.server === "sockit");
    assert.ok(idle.length > 0);
    for (const row of idle) assert.equal(row.held, row.count);

    assert.ok(json.targets.length >= 5);
    const markdown = await Deno.readTextFile(`${out}.md`);
    assert.match(markdown, /bench:begin/);
    assert.match(markdown, /### File transfer/);
    assert.match(markdown, /### Echo/);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
