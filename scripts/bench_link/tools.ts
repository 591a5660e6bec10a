/**
 * The tools `deno task bench:link` compares, each as one timed run: the receiving side already
 * listens (sockit's receiver and tar|nc's listeners are started per run, the rsync daemon once),
 * the clock starts right before the senders start and stops once every sender (and, for tar|nc,
 * every receiving pipeline) has exited.
 *
 * @module
 */

import { join } from "node:path";
import { sockitCommand } from "../bench/context.ts";
import { capture } from "../bench/proc.ts";
import { ADDRESS } from "./link.ts";
import type { Exit, Link, Proc } from "./link.ts";
import type { ToolName } from "./options.ts";
import type { Workload } from "./workloads.ts";

/** The rsync daemon's port in namespace B. */
const RSYNC_PORT = 8730;

/** What one timed run produced. */
export interface Timing {
  seconds: number;
  /** 0 when every process exited 0; otherwise the first other exit code. */
  code: number;
  /** Error output of the processes that failed. */
  errors: string[];
}

/** Everything a run needs besides the workload. */
export interface RunContext {
  link: Link;
  /** The receiving folder (exists, empty). */
  dest: string;
  /** Its name under the rsync module (the folder `work/recv` is the module). */
  destName: string;
  /** First port of this run (a concurrent tar|nc run uses one per sender from here). */
  port: number;
  /** `timeout` of every process. */
  timeoutS: number;
  /** Extra flags for `sockit receive` (`--open` once receivers require a pairing code). */
  receiveFlags: string[];
}

async function settle(procs: Proc[]): Promise<{ code: number; errors: string[] }> {
  const exits: Exit[] = await Promise.all(procs.map((p) => p.exited));
  const failed = exits.filter((e) => e.code !== 0);
  return {
    code: failed[0]?.code ?? 0,
    errors: failed.map((e) => `exit ${e.code}: ${e.stderr.trim()}`),
  };
}

async function runSockit(run: RunContext, workload: Workload): Promise<Timing> {
  const { link, port } = run;
  const groups = workload.perItemSender ? workload.items.map((i) => [i]) : [workload.items];
  // The senders all come from namespace A's one address, a class behind one router: let each
  // of them be served at once, as they would be from their own machines.
  const perAddress = groups.length > 1 ? ["--max-per-address", String(groups.length)] : [];
  const receiver = link.spawn(
    "b",
    sockitCommand([
      "receive",
      ...run.receiveFlags,
      "--host",
      ADDRESS.b,
      "--port",
      String(port),
      "--dir",
      run.dest,
      "--quiet",
      // One folder for every sender, as tar and rsync write: verified where the workload says.
      "--flat",
      ...perAddress,
    ]),
    { timeoutS: run.timeoutS + 30 },
  );
  try {
    await link.listening(port);
    const t0 = performance.now();
    const senders = groups.map((items) =>
      link.spawn(
        "a",
        sockitCommand([
          "send",
          ...items.map((i) => join(workload.dir, i)),
          "--to",
          `${ADDRESS.b}:${port}`,
          "--quiet",
        ]),
        { timeoutS: run.timeoutS },
      )
    );
    const result = await settle(senders);
    return { seconds: (performance.now() - t0) / 1000, ...result };
  } finally {
    await link.stop(receiver);
  }
}

async function runTarNc(run: RunContext, workload: Workload): Promise<Timing> {
  const { link, port } = run;
  const groups = workload.perItemSender ? workload.items.map((i) => [i]) : [workload.items];
  const receivers = groups.map((_, i) =>
    link.spawn("b", [
      "bash",
      "-o",
      "pipefail",
      "-c",
      'nc -l "$1" "$2" </dev/null | tar -x -C "$3"',
      "tarnc",
      ADDRESS.b,
      String(port + i),
      run.dest,
    ], { timeoutS: run.timeoutS })
  );
  try {
    await link.listening(port, groups.length);
  } catch (err) {
    await Promise.all(receivers.map((r) => link.stop(r)));
    throw err;
  }
  const t0 = performance.now();
  const senders = groups.map((items, i) =>
    link.spawn("a", [
      "bash",
      "-o",
      "pipefail",
      "-c",
      'tar -c -C "$1" "${@:4}" | nc -N "$2" "$3"',
      "tarnc",
      workload.dir,
      ADDRESS.b,
      String(port + i),
      ...items,
    ], { timeoutS: run.timeoutS })
  );
  const result = await settle([...senders, ...receivers]);
  return { seconds: (performance.now() - t0) / 1000, ...result };
}

async function runRsync(run: RunContext, workload: Workload): Promise<Timing> {
  const { link } = run;
  const groups = workload.perItemSender ? workload.items.map((i) => [i]) : [workload.items];
  const t0 = performance.now();
  const clients = groups.map((items) =>
    link.spawn("a", [
      "rsync",
      "-a",
      ...items.map((i) => join(workload.dir, i)),
      `rsync://${ADDRESS.b}:${RSYNC_PORT}/bench/${run.destName}/`,
    ], { timeoutS: run.timeoutS })
  );
  const result = await settle(clients);
  return { seconds: (performance.now() - t0) / 1000, ...result };
}

/** Runs `tool` once on `workload`. */
export function runTool(tool: ToolName, run: RunContext, workload: Workload): Promise<Timing> {
  switch (tool) {
    case "sockit":
      return runSockit(run, workload);
    case "tarnc":
      return runTarNc(run, workload);
    case "rsync":
      return runRsync(run, workload);
  }
}

/**
 * Starts the rsync daemon in namespace B with module `bench` = `recvRoot` (no chroot, as root,
 * unlimited connections) and waits until it listens.
 */
export async function startRsyncDaemon(
  link: Link,
  work: string,
  recvRoot: string,
  lifetimeS: number,
): Promise<Proc> {
  const config = join(work, "rsyncd.conf");
  await Deno.writeTextFile(
    config,
    [
      "use chroot = no",
      "uid = root",
      "gid = root",
      "max connections = 0",
      `log file = ${join(work, "rsyncd.log")}`,
      "[bench]",
      `  path = ${recvRoot}`,
      "  read only = false",
      "",
    ].join("\n"),
  );
  const daemon = link.spawn("b", [
    "rsync",
    "--daemon",
    "--no-detach",
    `--config=${config}`,
    `--address=${ADDRESS.b}`,
    `--port=${RSYNC_PORT}`,
  ], { timeoutS: lifetimeS });
  await link.listening(RSYNC_PORT);
  return daemon;
}

/**
 * sockit's start-up alone in namespace A (`sockit --version` loads the same modules as a send):
 * three single processes one after the other, then `count` at once, in seconds. The concurrent
 * workload starts that many at once, so this is the part of it no protocol change can remove.
 */
export async function startupCost(
  link: Link,
  count: number,
): Promise<{ oneS: number[]; count: number; allS: number }> {
  const run = async (n: number) => {
    const t0 = performance.now();
    const procs = Array.from(
      { length: n },
      () => link.spawn("a", sockitCommand(["--version"]), { timeoutS: 120 }),
    );
    await settle(procs);
    return (performance.now() - t0) / 1000;
  };
  const oneS = [await run(1), await run(1), await run(1)];
  return { oneS, count, allS: await run(count) };
}

/** Flags `sockit receive` needs to accept anyone (when this version has `--open`). */
export async function openReceiverFlags(): Promise<string[]> {
  const help = await capture(sockitCommand(["receive", "--help"]));
  return /--open\b/.test(help.stdout) ? ["--open"] : [];
}

/** The tools' versions, for the report. */
export async function toolVersions(): Promise<Record<string, string>> {
  const first = async (command: string[]) => {
    const out = await capture(command);
    return (out.stdout || out.stderr).trim().split("\n")[0] ?? "";
  };
  return {
    deno: Deno.version.deno,
    sockit: await first(sockitCommand(["--version"])),
    rsync: await first(["rsync", "--version"]),
    tar: await first(["tar", "--version"]),
    nc: await first(["dpkg-query", "-W", "-f", "netcat-openbsd ${Version}", "netcat-openbsd"]),
  };
}
