/**
 * The options of `deno task bench:link`: link profiles, workloads and their sizes, tools,
 * repetitions and the time bounds, from command-line flags and `BENCH_LINK_*` environment
 * variables (a flag wins over its variable). Parsing only: nothing here touches the network.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseSize } from "../../lib/core/format.ts";

/** One emulated link: the same in both directions. */
export interface LinkProfile {
  /** Name used on the command line and in the report. */
  name: ProfileName;
  /** What it stands for, in words. */
  label: string;
  /** Rate in bits per second (tc tbf on each egress). */
  rateBps: number;
  /** Round-trip time in microseconds (half of it is added where packets arrive, each way). */
  rttUs: number;
  /** Probability that a packet is dropped, each way (iptables `statistic`). */
  loss: number;
  /** tbf bucket in bytes: enough for the rate at the kernel's timer granularity. */
  burstBytes: number;
}

/** The link profiles of issue 13. */
export const PROFILES = {
  lan1g: {
    name: "lan1g",
    label: "wired LAN: 1 Gbit/s, RTT 0.4 ms",
    rateBps: 1e9,
    rttUs: 400,
    loss: 0,
    burstBytes: 128 * 1024,
  },
  wifi: {
    name: "wifi",
    label: "Wi-Fi: 80 Mbit/s, RTT 6 ms, 0.1% loss",
    rateBps: 80e6,
    rttUs: 6000,
    loss: 0.001,
    burstBytes: 16 * 1024,
  },
  "wifi-bad": {
    name: "wifi-bad",
    label: "bad Wi-Fi: 20 Mbit/s, RTT 30 ms, 1% loss",
    rateBps: 20e6,
    rttUs: 30_000,
    loss: 0.01,
    burstBytes: 16 * 1024,
  },
} as const satisfies Record<string, unknown>;

/** A profile's name. */
export type ProfileName = keyof typeof PROFILES;
/** The workloads, in the order they run. */
export const WORKLOADS = ["single", "homework", "mixed", "concurrent"] as const;
/** A workload's name. */
export type WorkloadName = typeof WORKLOADS[number];
/** The tools compared; `tarnc` is the reference every ratio is taken against. */
export const TOOLS = ["sockit", "tarnc", "rsync"] as const;
/** A tool's name. */
export type ToolName = typeof TOOLS[number];

/** How big each workload is on one profile. */
export interface Sizes {
  /** (a) one file of this many bytes. */
  singleBytes: number;
  /** (b) the homework folder: this many files of 1–16 KiB. */
  homeworkFiles: number;
  /** (c) the mixed folder: this many files, log-uniform from 1 KiB to `mixedMaxBytes`. */
  mixedFiles: number;
  /** Largest file of the mixed folder. */
  mixedMaxBytes: number;
  /** (d) this many `sockit send` processes (or tar|nc pairs, rsync clients) at once. */
  senders: number;
  /** Each concurrent sender's one file. */
  senderBytes: number;
}

const KiB = 1024;
const MiB = 1024 * 1024;

/** Full-size workloads; wifi and wifi-bad are cut where a full size would take minutes a run. */
const FULL_SIZES: Record<ProfileName, Sizes> = {
  lan1g: {
    singleBytes: 200 * MiB,
    homeworkFiles: 1000,
    mixedFiles: 200,
    mixedMaxBytes: 2 * MiB,
    senders: 40,
    senderBytes: 2 * MiB,
  },
  wifi: {
    singleBytes: 100 * MiB,
    homeworkFiles: 1000,
    mixedFiles: 200,
    mixedMaxBytes: 2 * MiB,
    senders: 40,
    senderBytes: 2 * MiB,
  },
  "wifi-bad": {
    singleBytes: 6 * MiB,
    homeworkFiles: 150,
    mixedFiles: 25,
    mixedMaxBytes: 2 * MiB,
    senders: 40,
    senderBytes: 256 * KiB,
  },
};

/** `--quick`: small enough that every profile, workload and tool runs once in about 2 minutes. */
const QUICK_SIZES: Record<ProfileName, Sizes> = {
  lan1g: {
    singleBytes: 20 * MiB,
    homeworkFiles: 100,
    mixedFiles: 20,
    mixedMaxBytes: 2 * MiB,
    senders: 8,
    senderBytes: 256 * KiB,
  },
  wifi: {
    singleBytes: 5 * MiB,
    homeworkFiles: 50,
    mixedFiles: 10,
    mixedMaxBytes: 512 * KiB,
    senders: 8,
    senderBytes: 128 * KiB,
  },
  "wifi-bad": {
    singleBytes: 1 * MiB,
    homeworkFiles: 20,
    mixedFiles: 5,
    mixedMaxBytes: 256 * KiB,
    senders: 8,
    senderBytes: 64 * KiB,
  },
};

/** Everything one run of the benchmark is told. */
export interface LinkOptions {
  /** Profiles to emulate, in order. */
  profiles: ProfileName[];
  /** Workloads to run on each profile, in order. */
  workloads: WorkloadName[];
  /** Tools to compare (`tarnc` is always among them: the ratios need it). */
  tools: ToolName[];
  /** Repetitions of every (profile, workload, tool). */
  reps: number;
  /** Seconds any one process may run (`timeout` on every sender and receiver). */
  timeoutS: number;
  /** Seconds after which no new run starts; the runs left out are counted and reported. */
  budgetS: number;
  /** TCP congestion control inside the namespaces (set per route). */
  congestionControl: "cubic" | "reno" | "bbr";
  /** Workload sizes per profile. */
  sizes: Record<ProfileName, Sizes>;
  /** Reduced sizes, one repetition, a short budget. */
  quick: boolean;
  /** Where the Markdown goes: its generated section is replaced, the rest is kept. */
  markdown: string;
  /** Where the JSON (every run, the medians, the link's measurements) goes. */
  json: string;
  /** Keep the work folder (data, received files, logs) instead of removing it. */
  keepWork: boolean;
  /** Measure nothing: write the Markdown again from this JSON of an earlier run. */
  report?: string;
}

/** A command line the benchmark cannot run with; `message` says what to change. */
export class UsageError extends Error {
  /** Makes one. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** `--help` was given: print {@linkcode USAGE}, run nothing. */
export const HELP = Symbol("help");

/** The one-screen summary printed by `--help`. */
export const USAGE = `usage: deno task bench:link [options]   (as root)

Measures sockit against tar|nc and rsync (daemon) over emulated classroom links: two network
namespaces joined by a veth pair, rate-limited with tc tbf, with random loss (iptables) and an
NFQUEUE delay line. Every received file is checked with SHA-256.

  --quick                 small sizes, 1 repetition, 4-minute budget (1–2 minutes)
  --profiles LIST         lan1g,wifi,wifi-bad (default: all)
  --workloads LIST        single,homework,mixed,concurrent (default: all)
  --tools LIST            sockit,tarnc,rsync (default: all; tarnc is always run)
  --reps N                repetitions, tool order alternating (default 3; quick 1)
  --timeout S             seconds one process may run (default 180; quick 60)
  --budget S              no run starts after S seconds (default 2400; quick 240)
  --cc NAME               cubic, reno or bbr inside the namespaces (default cubic)
  --single SIZE           (a) one file, e.g. 200m            } override the per-profile
  --homework N            (b) files of 1-16 KiB               } sizes for every profile
  --mixed N[:MAX]         (c) files of 1 KiB-MAX, e.g. 200:2m }
  --concurrent N[:SIZE]   (d) senders at once, e.g. 40:2m     }
  --markdown FILE         default docs/performance.md (quick: a temporary folder)
  --json FILE             default docs/performance_link.json (quick: a temporary folder)
  --keep-work             keep the work folder under /dev/shm
  --report FILE.json      measure nothing: write --markdown again from an earlier run's JSON
Every flag also reads BENCH_LINK_<NAME> from the environment (BENCH_LINK_REPS=1, ...).`;

function listOf<T extends string>(text: string, allowed: readonly T[], what: string): T[] {
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`${what}: empty list (choose from ${allowed})`);
  for (const item of items) {
    if (!allowed.includes(item as T)) {
      throw new UsageError(`${what}: unknown '${item}' (choose from ${allowed.join(", ")})`);
    }
  }
  return [...new Set(items as T[])];
}

function positive(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(`${what}: '${text}' is not a whole number of at least 1`);
  }
  return value;
}

function size(text: string, what: string): number {
  try {
    return parseSize(text);
  } catch {
    throw new UsageError(`${what}: '${text}' is not a size (e.g. 200m, 256k, 1g)`);
  }
}

const FLAGS = {
  quick: { type: "boolean" },
  profiles: { type: "string" },
  workloads: { type: "string" },
  tools: { type: "string" },
  reps: { type: "string" },
  timeout: { type: "string" },
  budget: { type: "string" },
  cc: { type: "string" },
  single: { type: "string" },
  homework: { type: "string" },
  mixed: { type: "string" },
  concurrent: { type: "string" },
  markdown: { type: "string" },
  json: { type: "string" },
  "keep-work": { type: "boolean" },
  report: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Reads the options from `args` and `env` (`BENCH_LINK_REPS`, `BENCH_LINK_QUICK=1`,
 * `BENCH_LINK_NO_INSTALL=1`, …). `defaults.tempDir` is where `--quick` writes its report unless
 * told otherwise; `defaults.root` is the project folder (for docs/).
 *
 * @example
 * ```ts
 * import { HELP, parseLinkOptions } from "./options.ts";
 * const options = parseLinkOptions(["--quick", "--profiles", "wifi"], {}, {
 *   root: "/repo/",
 *   tempDir: "/tmp/x",
 * });
 * if (options !== HELP) console.log(options.sizes.wifi.homeworkFiles); // 50
 * ```
 * @throws {UsageError} for an unknown flag or a value out of range.
 */
export function parseLinkOptions(
  args: string[],
  env: Record<string, string | undefined>,
  defaults: { root: string; tempDir: string },
): LinkOptions | typeof HELP {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args, options: FLAGS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return HELP;
  // A flag wins; otherwise BENCH_LINK_<NAME> (dashes as underscores).
  const get = (name: keyof typeof FLAGS): string | undefined => {
    const flag = values[name];
    if (flag !== undefined) return String(flag);
    const variable = env[`BENCH_LINK_${name.toUpperCase().replaceAll("-", "_")}`];
    return variable === undefined || variable === "" ? undefined : variable;
  };
  const on = (name: keyof typeof FLAGS) => {
    const value = get(name);
    if (value === undefined) return false;
    if (["1", "true", "yes"].includes(value)) return true;
    if (["0", "false", "no"].includes(value)) return false;
    throw new UsageError(
      `BENCH_LINK_${name.toUpperCase().replaceAll("-", "_")}: '${value}' (1 or 0)`,
    );
  };
  const quick = on("quick");
  const base = quick ? QUICK_SIZES : FULL_SIZES;
  const sizes = structuredClone(base);
  const override = (apply: (s: Sizes) => void) => {
    for (const profile of Object.values(sizes)) apply(profile);
  };
  const single = get("single");
  if (single) {
    const bytes = size(single, "--single");
    override((s) => s.singleBytes = bytes);
  }
  const homework = get("homework");
  if (homework) {
    const files = positive(homework, "--homework");
    override((s) => s.homeworkFiles = files);
  }
  const mixed = get("mixed");
  if (mixed) {
    const [files, max] = mixed.split(":");
    const count = positive(files, "--mixed");
    const largest = max === undefined ? undefined : size(max, "--mixed (largest file)");
    if (largest !== undefined && largest < 2 * KiB) {
      throw new UsageError(`--mixed: the largest file (${max}) must be at least 2k`);
    }
    override((s) => {
      s.mixedFiles = count;
      if (largest !== undefined) s.mixedMaxBytes = largest;
    });
  }
  const concurrent = get("concurrent");
  if (concurrent) {
    const [senders, each] = concurrent.split(":");
    const count = positive(senders, "--concurrent");
    const bytes = each === undefined ? undefined : size(each, "--concurrent (file size)");
    override((s) => {
      s.senders = count;
      if (bytes !== undefined) s.senderBytes = bytes;
    });
  }
  const tools = listOf(get("tools") ?? TOOLS.join(","), TOOLS, "--tools");
  if (!tools.includes("tarnc")) tools.push("tarnc");
  const cc = get("cc") ?? "cubic";
  if (cc !== "cubic" && cc !== "reno" && cc !== "bbr") {
    throw new UsageError(`--cc: '${cc}' (cubic, reno or bbr)`);
  }
  const out = quick ? defaults.tempDir : `${defaults.root}docs`;
  return {
    profiles: listOf(
      get("profiles") ?? Object.keys(PROFILES).join(","),
      Object.keys(PROFILES) as ProfileName[],
      "--profiles",
    ),
    workloads: listOf(get("workloads") ?? WORKLOADS.join(","), WORKLOADS, "--workloads"),
    tools: TOOLS.filter((t) => tools.includes(t)),
    reps: positive(get("reps") ?? (quick ? "1" : "3"), "--reps"),
    timeoutS: positive(get("timeout") ?? (quick ? "60" : "180"), "--timeout"),
    budgetS: positive(get("budget") ?? (quick ? "240" : "2400"), "--budget"),
    congestionControl: cc,
    sizes,
    quick,
    markdown: get("markdown") ?? `${out}/performance.md`,
    json: get("json") ?? `${out}/performance_link.json`,
    keepWork: on("keep-work"),
    report: get("report"),
  };
}
