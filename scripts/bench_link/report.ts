/**
 * The results of `deno task bench:link`: medians and ratios to tar|nc (from the same run), the
 * targets of issue 13 judged from them, the Markdown section written into docs/performance.md
 * between its own marker comments, and the JSON with every run.
 *
 * @module
 */

import { replaceRegion } from "../bench/report.ts";
import { median } from "../bench/proc.ts";
import type { DelayStats } from "./link.ts";
import type { LinkProfile, ProfileName, ToolName, WorkloadName } from "./options.ts";
import type { Verdict } from "./workloads.ts";

/** One timed run. */
export interface RunRecord {
  profile: ProfileName;
  workload: WorkloadName;
  tool: ToolName;
  rep: number;
  /** Its place in this repetition's tool order (1 = first). */
  position: number;
  seconds: number;
  /** First non-zero exit code of the run's processes, 0 when all succeeded. */
  code: number;
  verdict: Verdict;
  /** Counted in the medians: every process exited 0 and every file verified. */
  counted: boolean;
  /** 1-minute load average when the run started. */
  load1: number | null;
  /** Error output of failed processes (only for runs that did not count). */
  errors?: string[];
}

/** What was emulated and measured for one profile. */
export interface ProfileRecord extends LinkProfile {
  /** `ping -U` from A to B on the shaped link, in ms. */
  ping: { min: number; avg: number; max: number } | null;
  /** What each delay line counted. */
  delay: DelayStats[];
  /** The workloads as made for this profile. */
  workloads: { name: WorkloadName; description: string; files: number; bytes: number }[];
}

/** One (profile, workload, tool) cell: the medians of its counted runs. */
export interface Row {
  profile: ProfileName;
  workload: WorkloadName;
  tool: ToolName;
  runs: number;
  counted: number;
  medianS: number | null;
  minS: number | null;
  maxS: number | null;
  /** Payload MB/s (10^6 bytes) at the median. */
  mbps: number | null;
  /** Median over tar|nc's median in the same profile and workload. */
  ratioToTarNc: number | null;
}

/** A target of issue 13, judged. */
export interface Target {
  goal: string;
  measured: string;
  /** True met, false missed, null not measured in this run. */
  met: boolean | null;
}

/** Everything one run of the benchmark wrote. */
export interface LinkResults {
  meta: {
    date: string;
    command: string;
    quick: boolean;
    kernel: string;
    cores: number;
    commit: string;
    versions: Record<string, string>;
    congestionControl: string;
    reps: number;
    timeoutS: number;
    budgetS: number;
    wallS: number;
    /** sockit's start-up alone (`--version`): three single processes, then `count` at once. */
    startup?: { oneS: number[]; count: number; allS: number };
    /** Runs not started because the time budget was spent. */
    skippedRuns: number;
    load: { start: string; end: string };
  };
  profiles: ProfileRecord[];
  runs: RunRecord[];
  rows: Row[];
  targets: Target[];
}

/** Medians of the counted runs, per cell, with the ratio to tar|nc of the same cell. */
export function summarise(runs: RunRecord[], profiles: ProfileRecord[]): Row[] {
  const rows: Row[] = [];
  for (const profile of profiles) {
    for (const { name: workload, bytes } of profile.workloads) {
      const cell = (tool: ToolName) =>
        runs.filter((r) =>
          r.profile === profile.name && r.workload === workload && r.tool === tool
        );
      const tarnc = median(cell("tarnc").filter((r) => r.counted).map((r) => r.seconds));
      for (const tool of new Set(runs.map((r) => r.tool))) {
        const all = cell(tool);
        if (all.length === 0) continue;
        const seconds = all.filter((r) => r.counted).map((r) => r.seconds);
        const mid = median(seconds);
        rows.push({
          profile: profile.name,
          workload,
          tool,
          runs: all.length,
          counted: seconds.length,
          medianS: mid,
          minS: seconds.length ? Math.min(...seconds) : null,
          maxS: seconds.length ? Math.max(...seconds) : null,
          mbps: mid ? bytes / 1e6 / mid : null,
          ratioToTarNc: mid !== null && tarnc ? mid / tarnc : null,
        });
      }
    }
  }
  return rows;
}

/** The targets of issue 13, from the ratios of this run. */
export function judgeTargets(rows: Row[]): Target[] {
  const ratio = (profile: ProfileName, workload: WorkloadName) =>
    rows.find((r) => r.profile === profile && r.workload === workload && r.tool === "sockit")
      ?.ratioToTarNc ?? null;
  const target = (goal: string, limit: number, cells: [ProfileName, WorkloadName][]): Target => {
    const measured = cells.map(([p, w]) => ({ p, r: ratio(p, w) })).filter((c) => c.r !== null);
    return {
      goal,
      measured: measured.length
        ? measured.map(({ p, r }) => `${p} ${r!.toFixed(2)}×`).join(", ")
        : "not measured",
      met: measured.length ? measured.every(({ r }) => r! <= limit) : null,
    };
  };
  const all = ["lan1g", "wifi", "wifi-bad"] as const;
  return [
    target("homework folder ≤ 1.3 × tar|nc on every profile", 1.3, all.map((p) => [p, "homework"])),
    target("mixed folder ≤ 1.2 × tar|nc on wifi", 1.2, [["wifi", "mixed"]]),
    target("one big file ≤ 1.1 × tar|nc", 1.1, all.map((p) => [p, "single"])),
    target("concurrent senders ≤ 1.3 × tar|nc on lan1g", 1.3, [["lan1g", "concurrent"]]),
  ];
}

const TOOL_LABEL: Record<ToolName, string> = {
  sockit: "sockit",
  tarnc: "tar \\| nc",
  rsync: "rsync (daemon)",
};

const num = (n: number | null, digits = 2) => n === null ? "–" : n.toFixed(digits);

function profileSection(results: LinkResults, profile: ProfileRecord): string[] {
  const lines = [
    `#### ${profile.name}: ${profile.label}`,
    "",
  ];
  const ping = profile.ping
    ? `ping RTT min/avg/max ${profile.ping.min}/${profile.ping.avg}/${profile.ping.max} ms`
    : "ping failed";
  const delay = profile.delay.map((d) =>
    `into ${d.side === "a" ? "A" : "B"}: ${d.packets} packets, batches ${
      d.mean_late_us.toFixed(0)
    } µs late on average, ${d.batches_late_over_1ms} of ${d.batches} over 1 ms (worst ${
      (d.worst_late_us / 1000).toFixed(1)
    } ms)`
  ).join("; ");
  const loads = results.runs.filter((r) => r.profile === profile.name && r.load1 !== null)
    .map((r) => r.load1!);
  const load = loads.length
    ? ` 1-minute load average when its runs started: ${Math.min(...loads)}–${Math.max(...loads)}.`
    : "";
  lines.push(
    `Measured on the shaped link: ${ping}. Delay lines: ${delay || "no counters"}.${load}`,
    "",
  );
  lines.push(
    "| workload | tool | median s | min–max s | MB/s | × tar\\|nc | verified runs |",
    "| --- | --- | ---: | ---: | ---: | ---: | --- |",
  );
  for (const workload of profile.workloads) {
    const rows = results.rows
      .filter((r) => r.profile === profile.name && r.workload === workload.name)
      .sort((a, b) => (a.medianS ?? Infinity) - (b.medianS ?? Infinity));
    rows.forEach((row, i) => {
      const runs = results.runs.filter((r) =>
        r.profile === row.profile && r.workload === row.workload && r.tool === row.tool
      );
      const verified = runs.map((r) => `${r.verdict.matched}/${r.verdict.expected}`).join(", ");
      const name = i === 0 ? workload.description : "";
      const tool = row.tool === "sockit" ? "**sockit**" : TOOL_LABEL[row.tool];
      lines.push(
        `| ${name} | ${tool} | ${num(row.medianS)} | ${num(row.minS)}–${num(row.maxS)} | ${
          num(row.mbps)
        } | ${num(row.ratioToTarNc)} | ${verified}${
          row.counted < row.runs ? ` (${row.runs - row.counted} not counted)` : ""
        } |`,
      );
    });
  }
  lines.push("");
  return lines;
}

/** sockit's time per file against tar|nc and against two round trips per file. */
function perFileSection(results: LinkResults): string[] {
  const lines = [
    "#### sockit per file",
    "",
    "*extra per file* = (sockit − tar\\|nc) / files; *2 RTT* is what two waits per file cost.",
    "",
    "| profile | workload | files | sockit s | tar\\|nc s | sockit ms/file | extra ms/file | 2 RTT ms |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const profile of results.profiles) {
    for (const workload of profile.workloads) {
      if (workload.name !== "homework" && workload.name !== "mixed") continue;
      const cell = (tool: ToolName) =>
        results.rows.find((r) =>
          r.profile === profile.name && r.workload === workload.name && r.tool === tool
        )?.medianS ?? null;
      const sockit = cell("sockit");
      const tarnc = cell("tarnc");
      if (sockit === null || tarnc === null) continue;
      lines.push(
        `| ${profile.name} | ${workload.name} | ${workload.files} | ${num(sockit)} | ${
          num(tarnc)
        } | ${num(sockit * 1000 / workload.files, 1)} | ${
          num((sockit - tarnc) * 1000 / workload.files, 1)
        } | ${num(profile.rttUs * 2 / 1000, 1)} |`,
      );
    }
  }
  return [...lines, ""];
}

/** The generated Markdown (what goes between the markers). */
export function renderMarkdown(results: LinkResults): string {
  const { meta } = results;
  const lines = [
    `Measured ${meta.date} with \`${meta.command}\`${
      meta.quick ? " — **quick mode: reduced sizes, one repetition; not for comparison**" : ""
    }.`,
    "",
    `- sockit at commit ${meta.commit} (${meta.versions.sockit}); Deno ${meta.versions.deno}; ${meta.versions.rsync}; ${meta.versions.tar}; ${meta.versions.nc}`,
    `- Linux ${meta.kernel}, ${meta.cores} cores shared with other work; load average ${meta.load.start} at the start, ${meta.load.end} at the end.`,
    `- ${meta.reps} repetition(s), tool order rotated and reversed between them; TCP congestion control ${meta.congestionControl}; ${meta.timeoutS} s timeout per process; whole run ${
      (meta.wallS / 60).toFixed(1)
    } min${meta.skippedRuns ? `; **${meta.skippedRuns} runs skipped: time budget spent**` : ""}.`,
    ...(meta.startup
      ? [
        `- sockit's start-up alone (\`sockit --version\` in namespace A): ${
          meta.startup.oneS.map((x) => x.toFixed(2)).join(", ")
        } s for one process; ${
          meta.startup.allS.toFixed(2)
        } s for ${meta.startup.count} started at once.`,
      ]
      : []),
    "- Time: from starting the sender(s) until every sender (and tar's receiving pipeline) exited; the receivers listen first. A run counts only if every process exited 0 and every file matched its SHA-256 on the receiving side, with nothing extra; medians over counted runs. × tar|nc: median over tar|nc's median in the same run.",
    "",
    "#### Targets of issue 13 (sockit median / tar|nc median, this run)",
    "",
    "| target | measured | result |",
    "| --- | --- | --- |",
    ...results.targets.map((t) =>
      `| ${t.goal.replaceAll("|", "\\|")} | ${t.measured} | ${
        t.met === null ? "not measured" : t.met ? "met" : "**missed**"
      } |`
    ),
    "",
  ];
  for (const profile of results.profiles) lines.push(...profileSection(results, profile));
  lines.push(...perFileSection(results));
  return lines.join("\n").trimEnd();
}

/** Marks the generated region of `deno task bench:link` in docs/performance.md. */
export const LINK_BEGIN =
  "<!-- bench-link:begin (generated by deno task bench:link; edits here are replaced) -->";
/** End of that region. */
export const LINK_END = "<!-- bench-link:end -->";

/**
 * `existing` with the region between {@linkcode LINK_BEGIN} and {@linkcode LINK_END} replaced
 * by `body`; a document without the markers gets a new section at its end.
 *
 * @example
 * ```ts
 * import { LINK_BEGIN, LINK_END, spliceLinkSection } from "./report.ts";
 * const doc = `# P\n\n${LINK_BEGIN}\nold\n${LINK_END}\n\n## Kept\n`;
 * spliceLinkSection(doc, "new").includes("## Kept"); // true
 * ```
 */
export function spliceLinkSection(existing: string | null, body: string): string {
  const spliced = existing === null ? null : replaceRegion(existing, LINK_BEGIN, LINK_END, body);
  if (spliced !== null) return spliced;
  const region = `${LINK_BEGIN}\n\n${body}\n\n${LINK_END}\n`;
  return `${existing?.trimEnd() ?? "# Performance"}\n\n## Emulated classroom links\n\n${region}`;
}
