/**
 * The echo sections: round trips per second and latency for 1 and for 100 clients against
 * `sockit echo-server` and the lesson-style threaded Python server, measured with two load
 * generators (Deno and Python), and how many idle connections each server holds, with its RSS.
 *
 * @module
 */

import { BENCH_DIR, helperCommand, peerPath, pythonPeer, sockitCommand } from "./context.ts";
import type { Context } from "./context.ts";
import { closedPort, delay, median, rssKiB, spawnTimed, waitListening } from "./proc.ts";
import type { Timed } from "./proc.ts";

/** An echo server under test. */
interface ServerSpec {
  id: "sockit" | "sockit-quiet" | "python";
  label: string;
  needs: string[];
  start(context: Context, port: number, openFiles?: number): Timed;
}

const SERVERS: ServerSpec[] = [
  {
    id: "sockit",
    label: "sockit echo-server",
    needs: [],
    start: (_context, port, openFiles) =>
      spawnTimed(
        sockitCommand(["echo-server", "--host", "127.0.0.1", "--port", String(port)]),
        { stdout: "null", openFiles },
      ),
  },
  {
    // Not a target: shows what printing one line per message costs the CLI.
    id: "sockit-quiet",
    label: "sockit --quiet echo-server (no line per message)",
    needs: [],
    start: (_context, port, openFiles) =>
      spawnTimed(
        sockitCommand(["--quiet", "echo-server", "--host", "127.0.0.1", "--port", String(port)]),
        { stdout: "null", openFiles },
      ),
  },
  {
    id: "python",
    label: "lesson-style threaded Python",
    needs: ["python3"],
    start: (context, port, openFiles) =>
      spawnTimed([
        peerPath(context, "python3")!,
        pythonPeer("lesson_threaded_echo_server.py"),
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--max-seconds",
        "3600",
      ], { stdout: "null", openFiles }),
  },
];

/** One load generator run. */
export interface LoadRun {
  generator: "deno" | "python";
  clients: number;
  roundTrips: number;
  seconds: number;
  perSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  mismatches: number;
  errorCount: number;
  errors: string[];
  /** CPU seconds the generator used per second of measurement (1.0 = one core busy). */
  generatorCores: number | null;
  /** CPU seconds the server used per second of the whole run (warm-up included). */
  serverCores: number | null;
  /** True when every echo matched and no connection failed. */
  verified: boolean;
}

/** Medians of one (server, clients, generator) cell. */
export interface EchoCell {
  server: string;
  clients: number;
  generator: "deno" | "python";
  runs: LoadRun[];
  perSecond: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  generatorCores: number | null;
  serverCores: number | null;
  verifiedAll: boolean;
}

/** The echo section's results. */
export interface EchoResult {
  seconds: number;
  warmup: number;
  size: number;
  runs: number;
  skipped: { server: string; reason: string }[];
  cells: EchoCell[];
}

/** CPU ticks (user + system) of process `pid`, from /proc. */
async function cpuTicks(pid: number): Promise<number | null> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

const TICKS_PER_SECOND = 100;

async function startServer(
  context: Context,
  spec: ServerSpec,
  openFiles?: number,
): Promise<{ server: Timed; port: number }> {
  const port = closedPort();
  const server = spec.start(context, port, openFiles);
  try {
    await waitListening(port, 30_000);
  } catch (err) {
    await server.stop(1000);
    throw new Error(
      `${spec.id} echo server did not start: ${err} ${server.stderr?.lines.slice(-3).join(" ")}`,
    );
  }
  return { server, port };
}

async function load(
  context: Context,
  server: Timed,
  port: number,
  generator: "deno" | "python",
  clients: number,
  options: { seconds: number; warmup: number; size: number },
): Promise<LoadRun> {
  const args = [
    "--port",
    String(port),
    "--clients",
    String(clients),
    "--seconds",
    String(options.seconds),
    "--warmup",
    String(options.warmup),
    "--size",
    String(options.size),
  ];
  const command = generator === "deno"
    ? helperCommand("echo_load.ts", args)
    : [peerPath(context, "python3")!, `${BENCH_DIR}echo_load.py`, ...args];
  const serverPid = await server.pid();
  const before = await cpuTicks(serverPid);
  const started = performance.now();
  const run = spawnTimed(command, {
    stdout: "piped",
    timeoutMs: (options.seconds + options.warmup + 60) * 1000,
  });
  const done = await run.finished;
  const wall = (performance.now() - started) / 1000;
  const after = await cpuTicks(serverPid);
  const base = {
    generator,
    clients,
    generatorCores: null,
    serverCores: before !== null && after !== null
      ? (after - before) / TICKS_PER_SECOND / wall
      : null,
  };
  try {
    const report = JSON.parse(run.stdout!.lines.find((l) => l.startsWith("{")) ?? "");
    const cpu = done.usage ? done.usage.userS + done.usage.sysS : null;
    return {
      ...base,
      roundTrips: report.roundTrips,
      seconds: report.seconds,
      perSecond: report.perSecond,
      p50Ms: report.p50Ms,
      p99Ms: report.p99Ms,
      mismatches: report.mismatches,
      errorCount: report.errorCount,
      errors: report.errors,
      // Start-up and warm-up are included in the CPU time, so this slightly overstates.
      generatorCores: cpu === null ? null : cpu / (options.seconds + options.warmup),
      verified: report.mismatches === 0 && report.errorCount === 0 && report.roundTrips > 0,
    };
  } catch {
    return {
      ...base,
      roundTrips: 0,
      seconds: 0,
      perSecond: 0,
      p50Ms: null,
      p99Ms: null,
      mismatches: 0,
      errorCount: 1,
      errors: [`the load generator failed: ${run.stderr?.lines.slice(-3).join(" ")}`],
      verified: false,
    };
  }
}

/** Round trips for each server × client count × generator, `context.runs` alternating rounds. */
export async function echoSection(
  context: Context,
  options: {
    clients: number[];
    seconds: number;
    warmup: number;
    size: number;
    generators: ("deno" | "python")[];
  },
): Promise<EchoResult> {
  const skipped: EchoResult["skipped"] = [];
  const servers = SERVERS.filter((spec) => {
    const missing = spec.needs.filter((n) => !context.peers.get(n)?.path);
    if (missing.length) {
      skipped.push({ server: spec.id, reason: `${missing.join(", ")} not available` });
      context.log(`echo: ${spec.id} skipped (${missing.join(", ")} not available)`);
    }
    return missing.length === 0;
  });
  const generators = options.generators.filter((g) => {
    if (g === "python" && !context.peers.get("python3")?.path) {
      skipped.push({ server: `generator ${g}`, reason: "python3 not available" });
      return false;
    }
    return true;
  });
  const runs = new Map<string, LoadRun[]>();
  const key = (server: string, clients: number, generator: string) =>
    `${server}/${clients}/${generator}`;
  for (let round = 0; round < context.runs; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const spec of order) {
      let started;
      try {
        started = await startServer(context, spec);
      } catch (err) {
        context.log(`echo: ${err}`);
        continue;
      }
      for (const clients of options.clients) {
        for (const generator of generators) {
          const run = await load(
            context,
            started.server,
            started.port,
            generator,
            clients,
            options,
          );
          const k = key(spec.id, clients, generator);
          runs.set(k, [...(runs.get(k) ?? []), run]);
          context.log(
            `echo ${round + 1}/${context.runs} ${spec.id} ${clients} client(s), ${generator} ` +
              `generator: ${run.perSecond.toFixed(0)}/s, p50 ${run.p50Ms?.toFixed(3)} ms, ` +
              `p99 ${run.p99Ms?.toFixed(3)} ms, verified ${run.verified}` +
              (run.errors.length ? ` (${run.errors[0]})` : ""),
          );
        }
      }
      await started.server.stop(5000);
    }
  }
  const cells: EchoCell[] = [];
  for (const spec of servers) {
    for (const clients of options.clients) {
      for (const generator of generators) {
        const list = runs.get(key(spec.id, clients, generator)) ?? [];
        const ok = list.filter((r) => r.verified);
        cells.push({
          server: spec.id,
          clients,
          generator,
          runs: list,
          perSecond: median(ok.map((r) => r.perSecond)),
          p50Ms: median(ok.map((r) => r.p50Ms)),
          p99Ms: median(ok.map((r) => r.p99Ms)),
          generatorCores: median(ok.map((r) => r.generatorCores)),
          serverCores: median(ok.map((r) => r.serverCores)),
          verifiedAll: list.length > 0 && list.every((r) => r.verified),
        });
      }
    }
  }
  return {
    seconds: options.seconds,
    warmup: options.warmup,
    size: options.size,
    runs: context.runs,
    skipped,
    cells,
  };
}

/** One idle-connections measurement. */
export interface IdleRow {
  server: string;
  count: number;
  held: number;
  failed: number;
  firstError?: string;
  /** Of a sample re-checked after holding, how many still echoed. */
  stillServed: number | null;
  sampled: number | null;
  /** Seconds it took to open (and prove) every connection. */
  openSeconds: number | null;
  /** Server RSS before any connection, in MiB. */
  baselineRssMiB: number | null;
  /** Highest server RSS seen while the connections were held, in MiB. */
  rssMiB: number | null;
  /** The server's peak RSS over its life (GNU time), in MiB. */
  peakRssMiB: number | null;
}

/** How many idle connections each server holds, and its RSS while holding them. */
export async function idleSection(
  context: Context,
  options: { counts: number[]; holdSeconds: number },
): Promise<IdleRow[]> {
  const rows: IdleRow[] = [];
  const servers = SERVERS.filter((s) =>
    s.id !== "sockit-quiet" && s.needs.every((n) => context.peers.get(n)?.path)
  );
  const openFiles = Math.max(...options.counts) * 2 + 1024;
  for (const count of options.counts) {
    for (const spec of servers) {
      let started;
      try {
        started = await startServer(context, spec, openFiles);
      } catch (err) {
        context.log(`idle: ${err}`);
        continue;
      }
      const { server, port } = started;
      await delay(300); // let the server settle before its baseline RSS is read
      const pid = await server.pid();
      const baseline = await rssKiB(pid);
      const holder = spawnTimed(
        helperCommand("idle_hold.ts", [
          "--port",
          String(port),
          "--count",
          String(count),
          "--hold",
          String(options.holdSeconds),
        ]),
        { stdout: "piped", openFiles, timeoutMs: 300_000 },
      );
      let holding: Record<string, unknown> = {};
      let done: Record<string, unknown> = {};
      let rss: number | null = null;
      try {
        holding = JSON.parse(
          (await holder.stdout!.waitFor(/"holding"/, 240_000)).input!,
        );
        const until = performance.now() + Math.max(500, options.holdSeconds * 1000 - 500);
        while (performance.now() < until) {
          const now = await rssKiB(pid);
          if (now !== null) rss = Math.max(rss ?? 0, now);
          await delay(100); // the RSS sampling interval
        }
        done = JSON.parse(
          (await holder.stdout!.waitFor(/"done"/, 60_000)).input!,
        );
      } catch (err) {
        context.log(`idle: ${spec.id} ${count}: ${err}`);
      }
      await holder.finished;
      const stopped = await server.stop(5000);
      const row: IdleRow = {
        server: spec.id,
        count,
        held: Number(holding.held ?? 0),
        failed: Number(holding.failed ?? count),
        ...(holding.firstError ? { firstError: String(holding.firstError) } : {}),
        stillServed: typeof done.stillServed === "number" ? done.stillServed : null,
        sampled: typeof done.sampled === "number" ? done.sampled : null,
        openSeconds: typeof holding.openSeconds === "number" ? holding.openSeconds : null,
        baselineRssMiB: baseline === null ? null : baseline / 1024,
        rssMiB: rss === null ? null : rss / 1024,
        peakRssMiB: stopped.usage ? stopped.usage.maxRssKiB / 1024 : null,
      };
      rows.push(row);
      context.log(
        `idle ${spec.id} ${count}: held ${row.held} (failed ${row.failed}), RSS ` +
          `${row.rssMiB?.toFixed(1)} MiB (baseline ${row.baselineRssMiB?.toFixed(1)} MiB)`,
      );
    }
  }
  return rows;
}
