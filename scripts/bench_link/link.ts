/**
 * The emulated link of `deno task bench:link`: two network namespaces (A sends, B receives)
 * joined by one veth pair, shaped per profile, and every process of the benchmark started inside
 * one of them under `timeout`, so nothing leaves this machine and nothing runs unbounded.
 *
 * Each direction is shaped where it can be done without netem (this kernel has none):
 * - rate: `tc qdisc … tbf` on the sending end's egress;
 * - loss: an iptables `statistic --mode random` DROP rule on the receiving end's raw PREROUTING;
 * - delay: after it, an NFQUEUE rule feeding `delay_line.c` (built here with gcc), which holds
 *   each packet for half the RTT. Delaying on arrival, not in the sender's qdisc, matters: a
 *   packet held in the sender's own queue still counts against its socket, and TCP Small Queues
 *   would then throttle the sender as no real Wi-Fi link does.
 *
 * @module
 */

import { join } from "node:path";
import { capture } from "../bench/proc.ts";
import type { LinkProfile } from "./options.ts";

/** The benchmark's addresses: RFC 2544's benchmarking range, and only inside the namespaces. */
export const ADDRESS = { a: "198.18.0.1", b: "198.18.0.2" } as const;
const PREFIX = "198.18.0.0/30";
/** Namespace names start with this, followed by the side and the harness's pid. */
const NS_PREFIX = "sklink-";

/** A side of the link. */
export type Side = "a" | "b";

/** How a process started by {@linkcode Link.spawn} ended. */
export interface Exit {
  code: number;
  /** The last lines it wrote to standard error (for the log of a failed run). */
  stderr: string;
}

/** A process started inside a namespace. */
export interface Proc {
  /** PID of its `timeout` (the leader of its process group). */
  pid: number;
  /** Its standard output as lines, when asked for. */
  lines?: AsyncIterableIterator<string>;
  /** False once it exited. */
  running: boolean;
  exited: Promise<Exit>;
}

/** What a delay line counted over one profile. */
export interface DelayStats {
  /** The side whose arriving packets it delayed. */
  side: Side;
  delay_us: number;
  packets: number;
  batches: number;
  mean_late_us: number;
  worst_late_us: number;
  batches_late_over_1ms: number;
  overflow: number;
}

/** Runs a command that must succeed (setup steps); throws with its error output otherwise. */
async function must(command: string[], what: string): Promise<string> {
  const out = await capture(command, { timeoutMs: 30_000 });
  if (out.code !== 0) {
    throw new Error(`${what} failed (${command.join(" ")}): ${out.stderr.trim() || out.code}`);
  }
  return out.stdout;
}

async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncIterableIterator<string> {
  let pending = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (pending + text).split("\n");
    pending = parts.pop()!;
    yield* parts;
  }
  if (pending) yield pending;
}

/** Keeps the last `limit` characters of a stream. */
async function tailOf(stream: ReadableStream<Uint8Array>, limit = 2000): Promise<string> {
  let tail = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    tail = (tail + text).slice(-limit);
  }
  return tail;
}

/** Namespaces left by an earlier run that was killed before it could clean up. */
export async function staleNamespaces(): Promise<string[]> {
  const out = await capture(["ip", "netns", "list"]);
  const stale: string[] = [];
  for (const line of out.stdout.split("\n")) {
    const match = new RegExp(`^(${NS_PREFIX}[ab]-(\\d+))\\b`).exec(line);
    if (!match) continue;
    try {
      await Deno.stat(`/proc/${match[2]}`);
    } catch {
      stale.push(match[1]);
    }
  }
  return stale;
}

/** The two namespaces and the veth pair between them. Dispose of it to tear everything down. */
export class Link implements AsyncDisposable {
  readonly ns: Record<Side, string>;
  readonly dev: Record<Side, string>;
  readonly #live = new Set<Proc>();
  readonly #work: string;
  readonly #lifetimeS: number;
  #anchor?: Proc;
  #delayLines: { side: Side; proc: Proc }[] = [];
  #built = false;

  private constructor(work: string, lifetimeS: number) {
    const id = Deno.pid;
    this.ns = { a: `${NS_PREFIX}a-${id}`, b: `${NS_PREFIX}b-${id}` };
    this.dev = { a: `sklA${id}`, b: `sklB${id}` };
    this.#work = work;
    this.#lifetimeS = lifetimeS;
  }

  /**
   * Creates the namespaces and the veth pair (no shaping yet). `lifetimeS` bounds the helper
   * process kept in B. On failure, whatever was made is removed again.
   */
  static async create(work: string, lifetimeS: number): Promise<Link> {
    const link = new Link(work, lifetimeS);
    try {
      await link.#build();
    } catch (err) {
      await link[Symbol.asyncDispose]();
      throw err;
    }
    return link;
  }

  async #build(): Promise<void> {
    const { ns, dev } = this;
    await must(["ip", "netns", "add", ns.a], "ip netns add");
    this.#built = true;
    await must(["ip", "netns", "add", ns.b], "ip netns add");
    await must(
      [
        "ip",
        "link",
        "add",
        dev.a,
        "netns",
        ns.a,
        "type",
        "veth",
        "peer",
        "name",
        dev.b,
        "netns",
        ns.b,
      ],
      "veth pair",
    );
    for (const side of ["a", "b"] as const) {
      await must(["ip", "-n", ns[side], "link", "set", "lo", "up"], "lo up");
      await must(
        ["ip", "-n", ns[side], "addr", "add", `${ADDRESS[side]}/30`, "dev", dev[side]],
        "address",
      );
      await must(["ip", "-n", ns[side], "link", "set", dev[side], "up"], "link up");
      // Rate and loss must act on real 1500-byte packets, not on 64 KiB offload super-packets.
      await must(
        [
          "ip",
          "netns",
          "exec",
          ns[side],
          "ethtool",
          "-K",
          dev[side],
          "tso",
          "off",
          "gso",
          "off",
          "gro",
          "off",
        ],
        "ethtool -K",
      );
    }
    // A process living in B, so that B's sockets can be read from /proc/PID/net/tcp.
    this.#anchor = this.spawn("b", ["sleep", String(this.#lifetimeS)], {
      timeoutS: this.#lifetimeS + 5,
    });
  }

  /**
   * Starts `command` in namespace `side` under `timeout -k 5 timeoutS` (in its own process
   * group, which `timeout` makes), with standard error kept for the log.
   */
  spawn(
    side: Side,
    command: string[],
    options: { timeoutS: number; stdout?: "lines" },
  ): Proc {
    const child = new Deno.Command("ip", {
      args: [
        "netns",
        "exec",
        this.ns[side],
        "timeout",
        "-k",
        "5",
        String(options.timeoutS),
        ...command,
      ],
      stdin: "null",
      stdout: options.stdout === "lines" ? "piped" : "null",
      stderr: "piped",
    }).spawn();
    const stderr = tailOf(child.stderr);
    const proc: Proc = {
      pid: child.pid,
      lines: options.stdout === "lines" ? linesOf(child.stdout) : undefined,
      running: true,
      exited: child.status.then(async (status) => {
        proc.running = false;
        this.#live.delete(proc);
        // Deno reports a process ended by a signal as 128 + its number, as shells do.
        return { code: status.code, stderr: await stderr };
      }),
    };
    this.#live.add(proc);
    return proc;
  }

  /** Stops one process and everything it started: TERM, then KILL to its group after `graceMs`. */
  async stop(proc: Proc, graceMs = 3000): Promise<Exit> {
    try {
      Deno.kill(proc.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => {
      try {
        Deno.kill(-proc.pid, "SIGKILL");
      } catch {
        // Gone.
      }
    }, graceMs);
    const exit = await proc.exited;
    clearTimeout(timer);
    return exit;
  }

  /** Waits (at most `timeoutMs`) until `count` sockets listen on ports `port`… in namespace B. */
  async listening(port: number, count = 1, timeoutMs = 30_000): Promise<void> {
    const wanted = new Set(Array.from({ length: count }, (_, i) => port + i));
    const end = performance.now() + timeoutMs;
    while (performance.now() < end) {
      const seen = new Set<number>();
      try {
        const table = await Deno.readTextFile(`/proc/${this.#anchor!.pid}/net/tcp`);
        for (const line of table.split("\n").slice(1)) {
          const fields = line.trim().split(/\s+/);
          if (fields[3] !== "0A") continue; // LISTEN
          const local = Number.parseInt(fields[1]?.split(":")[1] ?? "", 16);
          if (wanted.has(local)) seen.add(local);
        }
      } catch {
        throw new Error("the helper process of namespace B is gone");
      }
      if (seen.size === wanted.size) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`nothing listened on port ${port} in namespace B within ${timeoutMs} ms`);
  }

  /** Builds the delay line into the work folder (once). */
  async buildDelayLine(): Promise<string> {
    const binary = join(this.#work, "delay_line");
    const source = new URL("./delay_line.c", import.meta.url).pathname;
    const flags = await capture(["pkg-config", "--cflags", "--libs", "libnetfilter_queue"]);
    const libs = flags.code === 0
      ? flags.stdout.trim().split(/\s+/)
      : ["-lnetfilter_queue", "-lnfnetlink"];
    await must(["gcc", "-O2", "-Wall", "-o", binary, source, ...libs], "building delay_line.c");
    return binary;
  }

  /** Shapes both directions for `profile` (replacing any earlier shaping). */
  async shape(profile: LinkProfile, congestionControl: string, delayLine: string): Promise<void> {
    await this.unshape();
    const { ns, dev } = this;
    for (const side of ["a", "b"] as const) {
      // tbf: the bucket holds `burst` bytes; packets wait at most 50 ms for tokens.
      await must([
        "ip",
        "netns",
        "exec",
        ns[side],
        "tc",
        "qdisc",
        "replace",
        "dev",
        dev[side],
        "root",
        "tbf",
        "rate",
        `${profile.rateBps}bit`,
        "burst",
        String(profile.burstBytes),
        "latency",
        "50ms",
      ], "tc tbf");
      // A namespace may only default to reno or bbr; a route may name any congestion control.
      await must([
        "ip",
        "-n",
        ns[side],
        "route",
        "replace",
        PREFIX,
        "dev",
        dev[side],
        "proto",
        "kernel",
        "scope",
        "link",
        "src",
        ADDRESS[side],
        "congctl",
        congestionControl,
      ], "route congctl");
      const proc = this.spawn(side, [delayLine, "0", String(profile.rttUs / 2)], {
        timeoutS: this.#lifetimeS,
        stdout: "lines",
      });
      this.#delayLines.push({ side, proc });
      const first = await proc.lines!.next();
      if (first.value !== "ready") {
        const exit = await this.stop(proc);
        throw new Error(`the delay line did not start: ${exit.stderr.trim()}`);
      }
    }
    // Only now that a reader is bound: a queue without one drops every packet.
    for (const side of ["a", "b"] as const) {
      const rule = [
        "ip",
        "netns",
        "exec",
        ns[side],
        "iptables",
        "-t",
        "raw",
        "-A",
        "PREROUTING",
        "-i",
        dev[side],
      ];
      if (profile.loss > 0) {
        await must(
          [
            ...rule,
            "-m",
            "statistic",
            "--mode",
            "random",
            "--probability",
            String(profile.loss),
            "-j",
            "DROP",
          ],
          "iptables loss rule",
        );
      }
      await must([...rule, "-j", "NFQUEUE", "--queue-num", "0"], "iptables NFQUEUE rule");
    }
  }

  /** True while every delay line of the current profile runs. */
  delayLinesAlive(): boolean {
    return this.#delayLines.every(({ proc }) => proc.running);
  }

  /** Removes the loss and delay rules of both ends (packets then pass undelayed). */
  async #flushRules(): Promise<void> {
    for (const side of ["a", "b"] as const) {
      await capture([
        "ip",
        "netns",
        "exec",
        this.ns[side],
        "iptables",
        "-t",
        "raw",
        "-F",
        "PREROUTING",
      ]);
    }
  }

  /** Removes the shaping; returns what the delay lines counted. */
  async unshape(): Promise<DelayStats[]> {
    const stats: DelayStats[] = [];
    await this.#flushRules();
    for (const { side, proc } of this.#delayLines) {
      await this.stop(proc);
      for await (const line of proc.lines!) {
        if (line.startsWith("{")) stats.push({ side, ...JSON.parse(line) });
      }
    }
    this.#delayLines = [];
    return stats;
  }

  /** Round-trip times from A to B (`ping -U`: user to user, so the delay lines count). */
  async ping(count = 20): Promise<{ min: number; avg: number; max: number } | null> {
    const out = await capture(
      [
        "ip",
        "netns",
        "exec",
        this.ns.a,
        "ping",
        "-U",
        "-q",
        "-n",
        "-c",
        String(count),
        "-i",
        "0.05",
        ADDRESS.b,
      ],
      { timeoutMs: 30_000 },
    );
    const match = /= ([\d.]+)\/([\d.]+)\/([\d.]+)/.exec(out.stdout);
    return match ? { min: Number(match[1]), avg: Number(match[2]), max: Number(match[3]) } : null;
  }

  /** Stops every process started here, then deletes both namespaces (and so the veth pair). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#flushRules();
    await Promise.all([...this.#live].map((proc) => this.stop(proc, 1000)));
    if (this.#built) {
      for (const side of ["a", "b"] as const) await capture(["ip", "netns", "del", this.ns[side]]);
    }
  }
}
