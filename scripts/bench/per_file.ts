/**
 * What one small file costs each side: the homework folder (1000 files of 1–16 KiB in 30
 * folders, from the fixed seed of `deno task bench:link`) sent over 127.0.0.1 by one sender
 * process to one receiver process, each measuring its own CPU time (user + system, every
 * thread) from the session's start to its end, and the wall time. With `--before DIR` (a copy
 * of an older sockit, e.g. `git archive COMMIT | tar -x -C DIR`), the runs of the two versions
 * alternate and the medians are compared; every run's folder is verified file by file.
 *
 * ```sh
 * deno run -A scripts/bench/per_file.ts --runs 7 --before /tmp/sockit-before
 * ```
 *
 * @module
 */

import { cpuUsage } from "node:process";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { makeWorkload, verified, verify } from "../bench_link/workloads.ts";
import type { Sizes } from "../bench_link/options.ts";

/** What each side reports for one run. */
interface Side {
  files: number;
  /** CPU milliseconds (user + system) from the session's start to its end. */
  cpuMs: number;
  wallMs: number;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    role: { type: "string" },
    lib: { type: "string" },
    dir: { type: "string" },
    port: { type: "string" },
    runs: { type: "string", default: "5" },
    files: { type: "string", default: "1000" },
    before: { type: "string" },
    work: { type: "string", default: "/dev/shm/sockit-per-file" },
  },
});

const cpuMs = () => {
  const { user, system } = cpuUsage();
  return (user + system) / 1000;
};

if (values.role === "receive") {
  const lib = await import(values.lib!);
  let start = 0;
  let wall = 0;
  const done = Promise.withResolvers<Side>();
  const receiver = await lib.startReceiver({
    dir: values.dir!,
    host: "127.0.0.1",
    port: 0,
    onEvent: (event: { type: string; files?: number }) => {
      if (event.type === "session") [start, wall] = [cpuMs(), performance.now()];
      if (event.type === "session-end") {
        done.resolve({
          files: event.files!,
          cpuMs: cpuMs() - start,
          wallMs: performance.now() - wall,
        });
      }
    },
  });
  console.log(JSON.stringify({ port: receiver.addr.port }));
  console.log(JSON.stringify(await done.promise));
  await receiver.close();
} else if (values.role === "send") {
  const lib = await import(values.lib!);
  let start = 0;
  let wall = 0;
  const result = await lib.sendFiles({
    paths: [values.dir!],
    port: Number(values.port),
    onEvent: (event: { type: string }) => {
      if (event.type === "connected") [start, wall] = [cpuMs(), performance.now()];
    },
  });
  const side: Side = {
    files: result.files,
    cpuMs: cpuMs() - start,
    wallMs: performance.now() - wall,
  };
  console.log(JSON.stringify(side));
} else {
  await main();
}

/** One transfer with the sockit at `root`: both sides' figures. */
async function run(root: string, source: string, dest: string): Promise<[Side, Side]> {
  const lib = new URL(`file://${join(root, "lib/mod.ts")}`).href;
  const self = new URL(import.meta.url).pathname;
  const spawn = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", self, "--lib", lib, ...args],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
  const receiver = spawn(["--role", "receive", "--dir", dest]);
  const lines = receiver.stdout.pipeThrough(new TextDecoderStream()).values();
  let buffered = "";
  const nextLine = async (): Promise<string> => {
    while (!buffered.includes("\n")) {
      const { value, done } = await lines.next();
      if (done) throw new Error("the receiver ended early");
      buffered += value;
    }
    const at = buffered.indexOf("\n");
    const line = buffered.slice(0, at);
    buffered = buffered.slice(at + 1);
    return line;
  };
  const { port } = JSON.parse(await nextLine());
  const sender = await spawn(["--role", "send", "--dir", source, "--port", String(port)]).output();
  if (!sender.success) throw new Error("the sender failed");
  const sent: Side = JSON.parse(new TextDecoder().decode(sender.stdout));
  const received: Side = JSON.parse(await nextLine());
  await receiver.status;
  return [sent, received];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
  const runs = Number(values.runs);
  const work = values.work!;
  await Deno.mkdir(work, { recursive: true });
  const sizes = { homeworkFiles: Number(values.files) } as Sizes;
  const workload = await makeWorkload(work, "homework", sizes);
  const source = join(workload.dir, "homework");
  const versions: [string, string][] = [[
    "after",
    resolve(new URL("../..", import.meta.url).pathname),
  ]];
  if (values.before) versions.unshift(["before", resolve(values.before)]);
  const figures = new Map<string, { send: Side[]; receive: Side[] }>();
  for (const [name] of versions) figures.set(name, { send: [], receive: [] });
  const load = () => Deno.loadavg()[0].toFixed(1);
  console.log(`${workload.description}; load ${load()}`);
  for (let i = 0; i < runs; i++) {
    // Alternate which version goes first, so neither always meets the same moment of load.
    const order = i % 2 === 0 ? versions : [...versions].reverse();
    for (const [name, root] of order) {
      const dest = await Deno.makeTempDir({ dir: work, prefix: "dest-" });
      const [sent, received] = await run(root, source, dest);
      const verdict = await verify(dest, workload.files);
      await Deno.remove(dest, { recursive: true });
      if (!verified(verdict)) throw new Error(`run ${i + 1} (${name}): ${JSON.stringify(verdict)}`);
      figures.get(name)!.send.push(sent);
      figures.get(name)!.receive.push(received);
      const per = (side: Side, key: "cpuMs" | "wallMs") => (side[key] / side.files).toFixed(3);
      console.log(
        `run ${i + 1} ${name}: receiver ${per(received, "cpuMs")} CPU ms/file, sender ${
          per(sent, "cpuMs")
        } CPU ms/file, ${per(sent, "wallMs")} ms/file wall (load ${load()}); verified`,
      );
    }
  }
  console.log(`\nmedians of ${runs} alternating runs (ms per file):`);
  console.log("| version | receiver CPU | sender CPU | wall (sender, session) |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [name] of versions) {
    const { send, receive } = figures.get(name)!;
    const per = (sides: Side[], key: "cpuMs" | "wallMs") =>
      median(sides.map((s) => s[key] / s.files)).toFixed(2);
    console.log(
      `| ${name} | ${per(receive, "cpuMs")} | ${per(send, "cpuMs")} | ${per(send, "wallMs")} |`,
    );
  }
}
