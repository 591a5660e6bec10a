/**
 * `deno task bench:link` without any network load: its options (flags, `BENCH_LINK_*`
 * variables, refusals), the order of tools between repetitions, the medians and ratios, the
 * Markdown splice, and that it refuses to run for anyone but root. The benchmark itself needs
 * root and minutes; it is run by hand (docs/performance.md).
 *
 * @module
 */

import assert from "node:assert/strict";
import { NOT_ROOT, toolOrder } from "../scripts/bench_link.ts";
import { HELP, parseLinkOptions, TOOLS, UsageError } from "../scripts/bench_link/options.ts";
import type { LinkOptions } from "../scripts/bench_link/options.ts";
import {
  judgeTargets,
  LINK_BEGIN,
  LINK_END,
  spliceLinkSection,
  summarise,
} from "../scripts/bench_link/report.ts";
import type { ProfileRecord, RunRecord } from "../scripts/bench_link/report.ts";
import { ROOT, tempDir } from "./util.ts";

const DEFAULTS = { root: "/repo/", tempDir: "/tmp/quick" };

function parse(args: string[], env: Record<string, string> = {}): LinkOptions {
  const options = parseLinkOptions(args, env, DEFAULTS);
  assert.notEqual(options, HELP);
  return options as LinkOptions;
}

Deno.test("bench:link options: full defaults write into docs/, quick ones elsewhere", () => {
  const full = parse([]);
  assert.deepEqual(full.profiles, ["lan1g", "wifi", "wifi-bad"]);
  assert.deepEqual(full.workloads, ["single", "homework", "mixed", "concurrent"]);
  assert.deepEqual(full.tools, [...TOOLS]);
  assert.equal(full.reps, 3);
  assert.equal(full.markdown, "/repo/docs/performance.md");
  assert.equal(full.json, "/repo/docs/performance_link.json");
  assert.equal(full.sizes.lan1g.homeworkFiles, 1000);
  assert.equal(full.sizes["wifi-bad"].homeworkFiles, 150);
  assert.equal(full.sizes.lan1g.senders, 40);
  assert.equal(full.sizes.lan1g.senderBytes, 2 * 1024 * 1024);

  const quick = parse(["--quick"]);
  assert.equal(quick.reps, 1);
  assert.ok(quick.budgetS < full.budgetS);
  assert.ok(quick.sizes.lan1g.homeworkFiles < full.sizes.lan1g.homeworkFiles);
  assert.equal(quick.markdown, "/tmp/quick/performance.md");
});

Deno.test("bench:link options: flags win over BENCH_LINK_* variables, sizes apply to every profile", () => {
  const env = {
    BENCH_LINK_REPS: "5",
    BENCH_LINK_PROFILES: "wifi",
    BENCH_LINK_QUICK: "1",
    BENCH_LINK_KEEP_WORK: "1",
  };
  const options = parse(
    ["--reps", "2", "--homework", "300", "--mixed", "40:512k", "--concurrent", "10:1m"],
    env,
  );
  assert.equal(options.reps, 2);
  assert.deepEqual(options.profiles, ["wifi"]);
  assert.equal(options.quick, true);
  assert.equal(options.keepWork, true);
  for (const sizes of Object.values(options.sizes)) {
    assert.equal(sizes.homeworkFiles, 300);
    assert.equal(sizes.mixedFiles, 40);
    assert.equal(sizes.mixedMaxBytes, 512 * 1024);
    assert.equal(sizes.senders, 10);
    assert.equal(sizes.senderBytes, 1024 * 1024);
  }
  assert.equal(parse(["--single", "1.5m"]).sizes.wifi.singleBytes, 1.5 * 1024 * 1024);
  // tar|nc is the reference of every ratio: always run.
  assert.deepEqual(parse(["--tools", "sockit"]).tools, ["sockit", "tarnc"]);
  assert.equal(parseLinkOptions(["--help"], {}, DEFAULTS), HELP);
});

Deno.test("bench:link options: bad values are refused with what to change", () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [["--reps", "0"], {}, /--reps: '0' is not a whole number/],
    [["--profiles", "lan1g,mars"], {}, /unknown 'mars' \(choose from lan1g, wifi, wifi-bad\)/],
    [["--workloads", ""], {}, /--workloads: empty list/],
    [["--tools", "scp"], {}, /--tools: unknown 'scp'/],
    [["--mixed", "10:1k"], {}, /largest file \(1k\) must be at least 2k/],
    [["--single", "lots"], {}, /--single: 'lots' is not a size/],
    [["--cc", "vegas"], {}, /--cc: 'vegas'/],
    [["--budget", "-1"], {}, /--budget/],
    [["--bogus"], {}, /bogus/],
    [[], { BENCH_LINK_QUICK: "maybe" }, /BENCH_LINK_QUICK: 'maybe' \(1 or 0\)/],
    [[], { BENCH_LINK_TIMEOUT: "1.5" }, /--timeout: '1.5'/],
  ];
  for (const [args, env, message] of cases) {
    assert.throws(() => parseLinkOptions(args, env, DEFAULTS), (err: unknown) => {
      assert.ok(err instanceof UsageError, `${args.join(" ")}: ${err}`);
      assert.match(err.message, message);
      return true;
    });
  }
});

Deno.test("bench:link: every tool goes first, and last, across repetitions", () => {
  const orders = [1, 2, 3, 4, 5, 6].map((rep) => toolOrder(TOOLS, rep));
  assert.deepEqual(orders[0], ["sockit", "tarnc", "rsync"]);
  assert.deepEqual(orders[1], ["rsync", "tarnc", "sockit"]);
  for (const tool of TOOLS) {
    assert.ok(orders.some((o) => o[0] === tool), `${tool} never first`);
    assert.ok(orders.some((o) => o.at(-1) === tool), `${tool} never last`);
  }
  for (const order of orders) assert.deepEqual([...order].sort(), [...TOOLS].sort());
});

Deno.test("bench:link: medians count only verified runs; ratios are to tar|nc of the same cell", () => {
  const verdict = (ok: boolean) => ({
    expected: 2,
    matched: ok ? 2 : 1,
    missing: 0,
    mismatched: ok ? 0 : 1,
    extra: 0,
  });
  const run = (tool: RunRecord["tool"], seconds: number, ok = true): RunRecord => ({
    profile: "wifi",
    workload: "homework",
    tool,
    rep: 1,
    position: 1,
    seconds,
    code: 0,
    verdict: verdict(ok),
    counted: ok,
    load1: null,
  });
  const profile = {
    name: "wifi",
    workloads: [{ name: "homework", description: "", files: 2, bytes: 2_000_000 }],
  } as ProfileRecord;
  const rows = summarise([
    run("tarnc", 1),
    run("tarnc", 3),
    run("tarnc", 2),
    run("sockit", 4),
    run("sockit", 0.1, false), // not verified: never a median, however fast
    run("sockit", 6),
  ], [profile]);
  const sockit = rows.find((r) => r.tool === "sockit")!;
  assert.equal(sockit.runs, 3);
  assert.equal(sockit.counted, 2);
  assert.equal(sockit.medianS, 5);
  assert.equal(sockit.ratioToTarNc, 2.5);
  assert.equal(sockit.mbps, 0.4);
  const homework = judgeTargets(rows)[0];
  assert.equal(homework.met, false);
  assert.match(homework.measured, /wifi 2\.50×/);
  assert.equal(judgeTargets(rows)[1].met, null, "mixed was not measured");
});

Deno.test("bench:link: the generated section replaces only its own region", () => {
  const doc =
    `# Performance\n\nhand-written\n\n${LINK_BEGIN}\n\nold\n\n${LINK_END}\n\n## After\n\nkept\n`;
  const out = spliceLinkSection(doc, "new table");
  assert.equal(
    out,
    `# Performance\n\nhand-written\n\n${LINK_BEGIN}\n\nnew table\n\n${LINK_END}\n\n## After\n\nkept\n`,
  );
  const appended = spliceLinkSection("# Performance\n\nother\n", "table");
  assert.ok(appended.startsWith("# Performance\n\nother\n\n## Emulated classroom links\n"));
  assert.ok(appended.includes(`${LINK_BEGIN}\n\ntable\n\n${LINK_END}`));
});

/** True when anyone may enter every folder above `path` and has `bits` (0o4 read, 0o1 run) on it. */
function openToOthers(path: string, bits: number): boolean {
  const parts = path.split("/").filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const mode = Deno.statSync("/" + parts.slice(0, i).join("/")).mode ?? 0;
    if ((mode & (i === parts.length ? bits : 0o1)) === 0) return false;
  }
  return true;
}

// As root the script is run as nobody, which needs a Deno binary and a project anyone may use.
const cannotDropRoot = Deno.uid() === 0 &&
  !(openToOthers(Deno.execPath(), 0o1) && openToOthers(`${ROOT}scripts/bench_link.ts`, 0o4));

Deno.test({
  name: "bench:link refuses to run without root, with a clear message and nothing built",
  ignore: cannotDropRoot,
}, async () => {
  await using home = await tempDir("sockit-bench-link-");
  await Deno.chmod(home.path, 0o777);
  // As root, drop to nobody for this one process; otherwise we are already not root.
  const asUser = Deno.uid() === 0
    ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    : [];
  const command = [
    ...asUser,
    Deno.execPath(),
    "run",
    "--allow-all",
    "--quiet",
    `${ROOT}scripts/bench_link.ts`,
    "--quick",
  ];
  const out = await new Deno.Command(command[0], {
    args: command.slice(1),
    env: { HOME: home.path, DENO_DIR: `${home.path}/deno` },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1, stderr);
  assert.equal(stderr.trim(), NOT_ROOT);
  assert.doesNotMatch(stderr, /at .*\.ts:\d+/, "no stack trace");

  // A usage error is reported before anything else (exit 2), for anyone.
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", `${ROOT}scripts/bench_link.ts`, "--reps", "zero"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(bad.code, 2);
  assert.match(new TextDecoder().decode(bad.stderr), /^bench:link: --reps: 'zero'/);
});
