#!/usr/bin/env -S deno run --allow-all
/**
 * `deno task bench:link` (root only): sockit against `tar | nc` and rsync (daemon) over emulated
 * classroom links. Builds two network namespaces joined by a veth pair (names unique to this run,
 * removed at exit or interrupt), shapes the link per profile (tc tbf for the rate, iptables
 * `statistic` for loss, our NFQUEUE delay line `bench_link/delay_line.c` for the delay, because
 * this kernel has no netem), runs four workloads with every tool, checks every received file
 * with SHA-256, and writes the medians and ratios into docs/performance.md (between its
 * `bench-link` markers) and docs/performance_link.json.
 *
 * ```sh
 * deno task bench:link                       # everything (about 20 minutes)
 * deno task bench:link --quick               # small sizes, one repetition (1–2 minutes)
 * deno task bench:link --profiles wifi --workloads homework --reps 5
 * BENCH_LINK_REPS=1 BENCH_LINK_HOMEWORK=300 deno task bench:link
 * ```
 *
 * `--help` lists every option (scripts/bench_link/options.ts). Exit code 0 when every sockit run
 * verified, 1 when one did not or the link could not be built (or not as root), 2 for a usage
 * error, 130 when interrupted.
 *
 * @module
 */

import { join } from "node:path";
import { allowAllForSockit, ROOT } from "./bench/context.ts";
import { which } from "./bench/peers.ts";
import { capture } from "./bench/proc.ts";
import { ADDRESS, Link, staleNamespaces } from "./bench_link/link.ts";
import { HELP, parseLinkOptions, PROFILES, USAGE, UsageError } from "./bench_link/options.ts";
import type { LinkOptions, ProfileName, ToolName, WorkloadName } from "./bench_link/options.ts";
import { judgeTargets, renderMarkdown, spliceLinkSection, summarise } from "./bench_link/report.ts";
import type { LinkResults, ProfileRecord, RunRecord } from "./bench_link/report.ts";
import {
  openReceiverFlags,
  runTool,
  startRsyncDaemon,
  startupCost,
  toolVersions,
} from "./bench_link/tools.ts";
import { makeWorkload, verified, verify } from "./bench_link/workloads.ts";
import type { Workload } from "./bench_link/workloads.ts";

/** The message for anyone who is not root. */
export const NOT_ROOT =
  "bench:link: not run: it needs root to create network namespaces, shape the link with tc and " +
  "drop packets with iptables. Run it as root (sudo deno task bench:link); nothing was measured.";

/** Programs the link and the tools need, with the Debian package that has each. */
const NEEDS: { test: () => Promise<boolean>; pkg: string }[] = [
  ...["ip", "tc"].map((cmd) => ({ test: () => has(cmd), pkg: "iproute2" })),
  { test: () => has("iptables"), pkg: "iptables" },
  { test: () => has("ethtool"), pkg: "ethtool" },
  { test: () => has("ping"), pkg: "iputils-ping" },
  { test: () => has("gcc"), pkg: "gcc" },
  { test: () => has("pkg-config"), pkg: "pkg-config" },
  {
    test: () => exists("/usr/include/libnetfilter_queue/libnetfilter_queue.h"),
    pkg: "libnetfilter-queue-dev",
  },
  { test: () => has("rsync"), pkg: "rsync" },
  {
    // The OpenBSD netcat: `-N` closes the connection at the end of its input.
    test: async () => {
      const path = await which("nc");
      if (!path) return false;
      const help = await capture([path, "-h"], { timeoutMs: 5_000 });
      return /OpenBSD netcat/.test(help.stdout + help.stderr);
    },
    pkg: "netcat-openbsd",
  },
];

async function has(command: string): Promise<boolean> {
  return (await which(command)) !== null;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

const started = performance.now();
function log(line: string): void {
  const s = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  console.error(`[bench:link ${s} s] ${line}`);
}

/** Throws, naming the Debian packages to install, when a program or header is missing. */
async function prerequisites(): Promise<void> {
  const missing: string[] = [];
  for (const need of NEEDS) {
    if (!(await need.test()) && !missing.includes(need.pkg)) missing.push(need.pkg);
  }
  if (missing.length > 0) {
    throw new Error(
      `missing programs; install them first: apt-get install ${missing.join(" ")}`,
    );
  }
}

async function commit(): Promise<string> {
  const rev = await capture(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]);
  const status = await capture(["git", "-C", ROOT, "status", "--porcelain"]);
  return (rev.stdout.trim() || "unknown") + (status.stdout.trim() ? "+dirty" : "");
}

async function load(): Promise<string> {
  return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
}

/** Rep 1 runs the tools in the given order, rep 2 reversed, then rotated by one, and so on. */
export function toolOrder(tools: readonly ToolName[], rep: number): ToolName[] {
  const shift = Math.floor((rep - 1) / 2) % tools.length;
  const rotated = [...tools.slice(shift), ...tools.slice(0, shift)];
  return rep % 2 === 0 ? rotated.reverse() : rotated;
}

async function measure(options: LinkOptions, work: string, link: Link): Promise<LinkResults> {
  const loadStart = await load();
  const measuredCommit = await commit();
  const delayLine = await link.buildDelayLine();
  const recvRoot = join(work, "recv");
  await Deno.mkdir(recvRoot, { recursive: true });
  const lifetimeS = options.budgetS + options.timeoutS + 300;
  if (options.tools.includes("rsync")) await startRsyncDaemon(link, work, recvRoot, lifetimeS);
  const receiveFlags = await openReceiverFlags();
  const startup = await startupCost(
    link,
    Math.max(...options.profiles.map((p) => options.sizes[p].senders)),
  );
  log(
    `sockit start-up: ${startup.oneS.map((x) => x.toFixed(2)).join(", ")} s for one process, ` +
      `${startup.allS.toFixed(2)} s for ${startup.count} at once`,
  );
  const runs: RunRecord[] = [];
  const profiles: ProfileRecord[] = [];
  let skipped = 0;
  let seq = 0;

  const runOne = async (
    profile: ProfileName,
    workload: Workload,
    tool: ToolName,
    rep: number,
    position: number,
  ) => {
    if ((performance.now() - started) / 1000 > options.budgetS) {
      skipped++;
      log(
        `time budget of ${options.budgetS} s spent: skipping ${profile}/${workload.name}/${tool}`,
      );
      return;
    }
    if (!link.delayLinesAlive()) {
      throw new Error("a delay line stopped: the link is no longer shaped");
    }
    seq++;
    const destName = `${profile}-${workload.name}-${tool}-r${rep}`;
    const dest = join(recvRoot, destName);
    await Deno.mkdir(dest, { recursive: true });
    const load1 = Number((await load()).split(" ")[0]);
    const port = 20000 + (seq % 800) * 50;
    const timing = await runTool(tool, {
      link,
      dest,
      destName,
      port,
      timeoutS: options.timeoutS,
      receiveFlags,
    }, workload);
    const verdict = await verify(dest, workload.files);
    const counted = timing.code === 0 && verified(verdict);
    runs.push({
      profile,
      workload: workload.name,
      tool,
      rep,
      position,
      seconds: timing.seconds,
      code: timing.code,
      verdict,
      counted,
      load1,
      ...(counted ? {} : { errors: timing.errors.map((e) => e.slice(-1000)) }),
    });
    log(
      `${destName}: ${
        timing.seconds.toFixed(3)
      } s, exit ${timing.code}, ${verdict.matched}/${verdict.expected} verified` +
        (counted
          ? ""
          : ` — NOT COUNTED (missing ${verdict.missing}, wrong ${verdict.mismatched}, extra ${verdict.extra}) ${
            timing.errors.join(" | ").slice(-300)
          }`),
    );
    await Deno.remove(dest, { recursive: true });
  };

  for (const name of options.profiles) {
    const profile = PROFILES[name];
    const sizes = options.sizes[name];
    const workloads: Workload[] = [];
    for (const w of options.workloads) {
      workloads.push(await makeWorkload(join(work, "data"), w as WorkloadName, sizes));
    }
    await link.shape(profile, options.congestionControl, delayLine);
    const ping = await link.ping();
    log(
      `profile ${name} (${profile.label}): ping RTT ${
        ping ? `${ping.min}/${ping.avg}/${ping.max} ms` : "failed"
      }`,
    );
    for (const workload of workloads) {
      for (let rep = 1; rep <= options.reps; rep++) {
        const order = toolOrder(options.tools, rep);
        for (const [i, tool] of order.entries()) await runOne(name, workload, tool, rep, i + 1);
      }
    }
    const delay = await link.unshape();
    profiles.push({
      ...profile,
      ping,
      delay,
      workloads: workloads.map((w) => ({
        name: w.name,
        description: w.description,
        files: w.files.length,
        bytes: w.bytes,
      })),
    });
  }
  const rows = summarise(runs, profiles);
  return {
    meta: {
      date: new Date().toISOString(),
      command: ["deno task bench:link", ...Deno.args].join(" "),
      quick: options.quick,
      kernel: Deno.osRelease(),
      cores: navigator.hardwareConcurrency,
      commit: measuredCommit,
      versions: await toolVersions(),
      congestionControl: options.congestionControl,
      reps: options.reps,
      timeoutS: options.timeoutS,
      budgetS: options.budgetS,
      wallS: Math.round((performance.now() - started) / 1000),
      skippedRuns: skipped,
      startup,
      load: { start: loadStart, end: await load() },
    },
    profiles,
    runs,
    rows,
    targets: judgeTargets(rows),
  };
}

/** Writes the JSON (unless `json` is null) and the generated section of the Markdown. */
async function write(results: LinkResults, markdown: string, json: string | null): Promise<void> {
  for (const path of json ? [markdown, json] : [markdown]) {
    await Deno.mkdir(join(path, ".."), { recursive: true });
  }
  if (json) await Deno.writeTextFile(json, JSON.stringify(results, null, 2) + "\n");
  let existing: string | null = null;
  try {
    existing = await Deno.readTextFile(markdown);
  } catch {
    // A new document.
  }
  await Deno.writeTextFile(markdown, spliceLinkSection(existing, renderMarkdown(results)));
  // Keep both tidy for `deno fmt --check`, with the project's settings wherever they are.
  await capture([
    Deno.execPath(),
    "fmt",
    "--quiet",
    "--config",
    `${ROOT}deno.json`,
    markdown,
    ...(json ? [json] : []),
  ]);
}

async function main(): Promise<number> {
  let options: LinkOptions | typeof HELP;
  try {
    options = parseLinkOptions(Deno.args, Deno.env.toObject(), {
      root: ROOT,
      tempDir: join(Deno.env.get("TMPDIR") ?? "/tmp", `sockit-bench-link-quick`),
    });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`bench:link: ${err.message}\nSee deno task bench:link --help.`);
    return 2;
  }
  if (options === HELP) {
    console.log(USAGE);
    return 0;
  }
  if (options.report) {
    const results: LinkResults = JSON.parse(await Deno.readTextFile(options.report));
    await write(results, options.markdown, null);
    console.error(`bench:link: wrote ${options.markdown} from ${options.report}`);
    return 0;
  }
  if (Deno.uid() !== 0) {
    console.error(NOT_ROOT);
    return 1;
  }
  try {
    await prerequisites();
  } catch (err) {
    console.error(`bench:link: ${(err as Error).message}`);
    return 1;
  }
  for (const name of await staleNamespaces()) {
    log(`removing namespace ${name} left by a run that was killed`);
    await capture(["ip", "netns", "del", name]);
  }
  const work = await Deno.makeTempDir({
    dir: (await exists("/dev/shm")) ? "/dev/shm" : undefined,
    prefix: "sockit-link-",
  });
  // Deno requires --allow-all for any path under /dev (sockit's --dir is in /dev/shm).
  allowAllForSockit();
  const lifetimeS = options.budgetS + options.timeoutS + 300;
  let link: Link | undefined;
  const cleanUp = async () => {
    await link?.[Symbol.asyncDispose]();
    link = undefined;
    if (options.keepWork) log(`work folder kept: ${work}`);
    else await Deno.remove(work, { recursive: true }).catch(() => {});
  };
  const interrupted = (signal: Deno.Signal) => () => {
    log(`${signal}: stopping every process started, removing the namespaces`);
    void cleanUp().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", interrupted("SIGINT"));
  Deno.addSignalListener("SIGTERM", interrupted("SIGTERM"));
  try {
    link = await Link.create(work, lifetimeS);
    log(
      `namespaces ${link.ns.a} (${ADDRESS.a}) and ${link.ns.b} (${ADDRESS.b}); ` +
        `${options.reps} repetition(s); profiles ${options.profiles.join(", ")}; ` +
        `workloads ${options.workloads.join(", ")}; tools ${options.tools.join(", ")}; ` +
        `budget ${options.budgetS} s; work folder ${work}`,
    );
    const results = await measure(options, work, link);
    await write(results, options.markdown, options.json);
    log(`done in ${results.meta.wallS} s: ${options.markdown}, ${options.json}`);
    for (const target of results.targets) {
      log(
        `target ${target.goal}: ${target.measured} — ${
          target.met === null ? "not measured" : target.met ? "met" : "missed"
        }`,
      );
    }
    const failed = results.runs.filter((r) => r.tool === "sockit" && !r.counted).length;
    if (failed) log(`${failed} sockit run(s) did not verify`);
    return failed ? 1 : 0;
  } catch (err) {
    log(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await cleanUp();
  }
}

if (import.meta.main) Deno.exit(await main());
