#!/usr/bin/env -S deno run --allow-all
/**
 * `deno task bench`: sockit against netcat, socat, iperf3, `cp` and the lesson-style Python
 * programs, on this machine, in one run, over 127.0.0.1 only. hyperfine times every transfer
 * (`scripts/bench/transfer.ts`); the echo load, idle connection holding and RSS sampling are
 * the bench's own (`scripts/bench/echo.ts`). Writes the tables to `docs/performance.md`
 * (between its marker comments) and every figure to `docs/performance.json`. It installs
 * nothing: hyperfine and GNU time are required, the peers are skipped when missing (Debian
 * packages hyperfine, time, netcat-openbsd, socat, iperf3, python3).
 *
 * ```sh
 * deno task bench                                   # everything, full sizes (about 10 minutes)
 * deno task bench --only transfer --size 256m --runs 5
 * deno task bench --only echo --clients 1,100 --echo-seconds 5
 * deno task bench --smoke --out /tmp/bench          # tiny sizes, correctness only
 * ```
 *
 * Options:
 * - `--only LIST`: sections among `transfer`, `scale`, `memory`, `echo` (round trips and idle
 *   connections), `idle` (idle connections only). Default: all.
 * - `--size SIZE`: transfer file size (default 1g). `--runs N`: runs of each measurement
 *   (default 3).
 * - `--tools LIST`: transfer tools (nc, socat, python, sockit, sockit-1k, sockit-classic, cp, iperf3;
 *   also `sockit-1k-both`, not run by default: `--chunk-size 1k` on the receiver too).
 * - `--senders N`, `--sender-size SIZE`, `--single-size SIZE`, `--scale-modes library,cli`:
 *   the scale section (default 40 × 25m against one of `--size`).
 * - `--memory-sizes LIST`: the memory section (default 256m,4g).
 * - `--clients LIST` (default 1,100), `--echo-seconds S` (5), `--generators deno,python`.
 * - `--idle LIST`: idle connection counts (default 1000,10000; `none` to skip).
 * - `--dir DIR`: where test files go (default /dev/shm when it exists).
 * - `--out PREFIX`: writes PREFIX.md and PREFIX.json (default docs/performance; with `--smoke`,
 *   a temporary folder).
 * - `--report FILE.json`: measure nothing; judge the targets and write the Markdown again from a
 *   saved JSON (to FILE.md, or to `--out PREFIX`.md).
 * - `--smoke`: 1 run, tiny sizes, short echo runs: checks the benchmark works, measures nothing.
 *
 * Exit code 0 when every sockit run verified, 1 otherwise, 2 for a usage error.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { allowAllForSockit, ROOT } from "./bench/context.ts";
import type { Context } from "./bench/context.ts";
import { echoSection, idleSection } from "./bench/echo.ts";
import { formatBytes as formatSize, parseSize } from "../lib/core/format.ts";
import { isTmpfs, removeAll } from "./bench/files.ts";
import { findPeers } from "./bench/peers.ts";
import { capture, killAll } from "./bench/proc.ts";
import { judgeTargets, renderTables, spliceDocument } from "./bench/report.ts";
import type { BenchResults } from "./bench/report.ts";
import { memorySection, scaleSection, transferSection } from "./bench/sections.ts";

const SECTIONS = ["transfer", "scale", "memory", "echo", "idle"] as const;
type Section = typeof SECTIONS[number];

/** With `--report FILE.json`: only render FILE.json again (targets and Markdown), measure nothing. */
let reportOnly: { json: string; out: string } | undefined;

interface Options {
  sections: Set<Section>;
  size: number;
  runs: number;
  tools?: string[];
  senders: number;
  senderSize: number;
  singleSize?: number;
  scaleModes: ("library" | "cli")[];
  memorySizes: number[];
  clients: number[];
  echoSeconds: number;
  warmup: number;
  generators: ("deno" | "python")[];
  idle: number[];
  holdSeconds: number;
  dir?: string;
  out: string;
  smoke: boolean;
}

function usage(message: string): never {
  console.error(
    `bench: ${message}\nSee the comment at the top of scripts/bench.ts for the options.`,
  );
  Deno.exit(2);
}

function list(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : text.split(",").map((s) => s.trim()).filter(Boolean);
}

function numbers(text: string | undefined, what: string): number[] | undefined {
  const items = list(text);
  if (!items) return undefined;
  if (items.length === 1 && items[0] === "none") return [];
  const values = items.map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < 1)) usage(`${what}: '${text}'`);
  return values;
}

function parseOptions(args: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        only: { type: "string" },
        size: { type: "string" },
        runs: { type: "string" },
        tools: { type: "string" },
        senders: { type: "string" },
        "sender-size": { type: "string" },
        "single-size": { type: "string" },
        "scale-modes": { type: "string" },
        "memory-sizes": { type: "string" },
        clients: { type: "string" },
        "echo-seconds": { type: "string" },
        generators: { type: "string" },
        idle: { type: "string" },
        dir: { type: "string" },
        out: { type: "string" },
        report: { type: "string" },
        smoke: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values;
  if (v.help) {
    console.log(
      "usage: deno task bench [--only transfer,scale,memory,echo,idle] [--size 1g] " +
        "[--runs 3] [--smoke] [--out PREFIX] …  (see scripts/bench.ts)",
    );
    Deno.exit(0);
  }
  if (v.report) {
    reportOnly = { json: v.report, out: v.out ?? v.report.replace(/\.json$/, "") };
  }
  const smoke = !!v.smoke;
  const size = (text: string | undefined, fallback: string) => {
    try {
      return parseSize(text ?? fallback);
    } catch (err) {
      usage(`'${text ?? fallback}' is not a size (use e.g. 1g, 25m, 256k): ${err}`);
    }
  };
  let sections = new Set<Section>(SECTIONS);
  if (v.only) {
    const names = list(v.only)!;
    for (const name of names) {
      if (!SECTIONS.includes(name as Section)) usage(`unknown section '${name}'`);
    }
    sections = new Set(names as Section[]);
    if (sections.has("echo")) sections.add("idle");
  }
  const runs = Number(v.runs ?? (smoke ? 1 : 3));
  if (!Number.isInteger(runs) || runs < 1) usage(`--runs: '${v.runs}'`);
  const senders = numbers(v.senders, "--senders")?.[0] ?? (smoke ? 4 : 40);
  const seconds = Number(v["echo-seconds"] ?? (smoke ? 1 : 5));
  if (!(seconds > 0)) usage(`--echo-seconds: '${v["echo-seconds"]}'`);
  const modes = (list(v["scale-modes"]) ?? ["library", "cli"]) as ("library" | "cli")[];
  if (modes.some((m) => m !== "library" && m !== "cli")) {
    usage(`--scale-modes: '${v["scale-modes"]}'`);
  }
  const generators = (list(v.generators) ?? ["deno", "python"]) as ("deno" | "python")[];
  if (generators.some((g) => g !== "deno" && g !== "python")) {
    usage(`--generators: '${v.generators}'`);
  }
  return {
    sections,
    size: size(v.size, smoke ? "1m" : "1g"),
    runs,
    tools: list(v.tools),
    senders,
    senderSize: size(v["sender-size"], smoke ? "256k" : "25m"),
    singleSize: v["single-size"] ? size(v["single-size"], "1g") : undefined,
    scaleModes: modes,
    memorySizes: (list(v["memory-sizes"]) ?? (smoke ? ["1m", "4m"] : ["256m", "4g"]))
      .map((s) => size(s, s)),
    clients: numbers(v.clients, "--clients") ?? (smoke ? [1, 10] : [1, 100]),
    echoSeconds: seconds,
    warmup: smoke ? 0.3 : 1,
    generators,
    idle: numbers(v.idle, "--idle") ?? (smoke ? [100] : [1000, 10000]),
    holdSeconds: smoke ? 1 : 3,
    dir: v.dir,
    out: v.out ??
      (smoke
        ? join(Deno.makeTempDirSync({ prefix: "sockit-bench-" }), "performance")
        : `${ROOT}docs/performance`),
    smoke,
  };
}

async function workDir(preferred?: string): Promise<string> {
  const candidates = preferred ? [preferred] : ["/dev/shm", Deno.env.get("TMPDIR") ?? "/tmp"];
  for (const base of candidates) {
    try {
      const dir = await Deno.makeTempDir({ dir: base, prefix: "sockit-bench-" });
      return dir;
    } catch {
      // Try the next.
    }
  }
  if (preferred) usage(`cannot create a folder in ${preferred}`);
  return await Deno.makeTempDir({ prefix: "sockit-bench-" });
}

async function cpuModel(): Promise<string> {
  try {
    const text = await Deno.readTextFile("/proc/cpuinfo");
    return /model name\s*:\s*(.+)/.exec(text)?.[1].trim() ?? Deno.build.arch;
  } catch {
    return Deno.build.arch;
  }
}

/** The 1-minute load average (other work on the machine skews every figure). */
async function loadAverage(): Promise<number | null> {
  try {
    return Number((await Deno.readTextFile("/proc/loadavg")).split(" ")[0]);
  } catch {
    return null;
  }
}

async function memoryGiB(): Promise<number | null> {
  try {
    const text = await Deno.readTextFile("/proc/meminfo");
    const kib = Number(/MemTotal:\s+(\d+) kB/.exec(text)?.[1]);
    return Number.isFinite(kib) ? kib / 1024 / 1024 : null;
  } catch {
    return null;
  }
}

/** True when every sockit run of every section verified its bytes. */
function sockitVerified(results: BenchResults): boolean {
  const checks: boolean[] = [];
  for (const tool of results.transfer?.tools ?? []) {
    if (tool.id.startsWith("sockit")) checks.push(...tool.runs.map((r) => r.verified === true));
  }
  for (const mode of results.scale?.modes ?? []) {
    checks.push(...[...mode.single, ...mode.many].map((r) => r.verified));
  }
  for (const row of results.memory ?? []) checks.push(row.verifiedAll);
  for (const cell of results.echo?.cells ?? []) {
    if (cell.server === "sockit") checks.push(cell.verifiedAll);
  }
  for (const row of results.idle ?? []) {
    if (row.server === "sockit") checks.push(row.held === row.count);
  }
  return checks.every(Boolean);
}

/** Writes PREFIX.json and PREFIX.md (keeping the hand-written parts of the Markdown). */
async function writeResults(results: BenchResults, prefix: string): Promise<void> {
  results.targets = judgeTargets(results);
  const out = resolve(prefix);
  await Deno.mkdir(resolve(out, ".."), { recursive: true });
  await Deno.writeTextFile(`${out}.json`, JSON.stringify(results, null, 2) + "\n");
  let existing: string | null = null;
  try {
    existing = await Deno.readTextFile(`${out}.md`);
  } catch {
    // A new document.
  }
  await Deno.writeTextFile(`${out}.md`, spliceDocument(existing, renderTables(results)));
  // Keep the Markdown tidy for `deno fmt --check`.
  await capture([Deno.execPath(), "fmt", "--quiet", `${out}.md`]);
}

async function main(): Promise<number> {
  const options = parseOptions(Deno.args);
  if (reportOnly) {
    const results: BenchResults = JSON.parse(await Deno.readTextFile(reportOnly.json));
    results.meta.load ??= [];
    await writeResults(results, reportOnly.out);
    console.error(`bench: rendered ${reportOnly.out}.md from ${reportOnly.json}`);
    return 0;
  }
  const started = performance.now();
  const log = (line: string) =>
    console.error(
      `[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`,
    );
  const made: { work?: string } = {};
  const stop = () => {
    log("interrupted: stopping every program started");
    void killAll()
      .then(() => made.work ? removeAll(made.work) : undefined)
      .finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);

  const peers = await findPeers();
  for (const peer of peers.values()) {
    log(
      `peer ${peer.name}: ${peer.status}${
        peer.reason ? ` (${peer.reason})` : ` ${peer.version ?? ""}`
      }`,
    );
  }
  const work = made.work = await workDir(options.dir);
  const context: Context = {
    work,
    peers,
    runs: options.runs,
    smoke: options.smoke,
    log,
    notes: [],
  };
  if ((await Deno.realPath(work)).startsWith("/dev/")) {
    allowAllForSockit();
    context.notes.push(
      `sockit ran with --allow-all instead of the tasks' permission flags: Deno requires ` +
        `--allow-all for any path under /dev, so \`sockit receive --dir ${work}\` fails with ` +
        "`--allow-write` alone. Permissions are checked when a file is opened, not per read " +
        "or write, so the figures are the same.",
    );
  }
  for (const peer of peers.values()) {
    if (peer.status === "skipped") context.notes.push(`${peer.name} skipped: ${peer.reason}.`);
  }
  if (!peers.get("time")?.path || !peers.get("hyperfine")?.path) {
    log("bench: hyperfine and GNU time are needed (Debian packages hyperfine, time)");
    return 2;
  }
  const command = ["deno task bench", ...Deno.args].join(" ");
  const results: BenchResults = {
    meta: {
      date: new Date().toISOString(),
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
      cpu: await cpuModel(),
      cores: navigator.hardwareConcurrency,
      memoryGiB: await memoryGiB(),
      kernel: Deno.osRelease(),
      command,
      smoke: options.smoke,
      workDir: work,
      workTmpfs: await isTmpfs(work),
      load: [],
    },
    peers: [...peers.values()],
    notes: context.notes,
    targets: [],
  };
  log(
    `work folder ${work}${
      results.meta.workTmpfs ? " (tmpfs)" : ""
    }; results to ${options.out}.{md,json}`,
  );
  const section = async (name: string, run: () => Promise<void>) => {
    const before = await loadAverage();
    await run();
    const after = await loadAverage();
    results.meta.load.push({ section: name, before, after });
  };
  try {
    if (options.sections.has("transfer")) {
      log(`== transfer (${formatSize(options.size)}, ${options.runs} runs)`);
      await section("transfer", async () => {
        results.transfer = await transferSection(context, options.size, options.tools);
      });
    }
    if (options.sections.has("scale")) {
      log(`== scale (${options.senders} × ${formatSize(options.senderSize)})`);
      await section("scale", async () => {
        results.scale = await scaleSection(context, {
          senders: options.senders,
          eachBytes: options.senderSize,
          singleBytes: options.singleSize ?? results.transfer?.bytes ?? options.size,
          modes: options.scaleModes,
        });
      });
    }
    if (options.sections.has("memory")) {
      log(`== memory (${options.memorySizes.map(formatSize).join(", ")})`);
      await section("memory", async () => {
        results.memory = await memorySection(context, options.memorySizes);
      });
    }
    if (options.sections.has("echo")) {
      log(`== echo (clients ${options.clients.join(", ")})`);
      await section("echo", async () => {
        results.echo = await echoSection(context, {
          clients: options.clients,
          seconds: options.echoSeconds,
          warmup: options.warmup,
          size: 64,
          generators: options.generators,
        });
      });
    }
    if (options.sections.has("idle") && options.idle.length > 0) {
      log(`== idle connections (${options.idle.join(", ")})`);
      await section("idle", async () => {
        results.idle = await idleSection(context, {
          counts: options.idle,
          holdSeconds: options.holdSeconds,
        });
      });
    }
  } finally {
    await killAll();
    await removeAll(work);
  }
  results.meta.durationS = (performance.now() - started) / 1000;
  const out = resolve(options.out);
  await writeResults(results, out);
  for (const target of results.targets) {
    log(
      `target ${
        target.met === null ? "n/a " : target.met ? "MET " : "MISS"
      } ${target.goal}: ${target.measured}`,
    );
  }
  log(`wrote ${out}.md and ${out}.json in ${results.meta.durationS.toFixed(0)} s`);
  return sockitVerified(results) ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
