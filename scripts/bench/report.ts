/**
 * The benchmark's results: the targets of issue 4 judged from the figures, and the Markdown
 * tables written into `docs/performance.md` between two marker comments (text outside them is
 * kept, so the analysis written by hand survives a re-run).
 *
 * @module
 */

import type { EchoResult, IdleRow } from "./echo.ts";
import { formatBytes as formatSize } from "../../lib/core/format.ts";
import type { Peer } from "./peers.ts";
import { MEMORY_TOOLS } from "./sections.ts";
import type { MemoryRow, ScaleResult, TransferResult } from "./sections.ts";

/** Everything one benchmark run measured. */
export interface BenchResults {
  meta: {
    date: string;
    deno: string;
    v8: string;
    typescript: string;
    cpu: string;
    cores: number;
    memoryGiB: number | null;
    kernel: string;
    command: string;
    smoke: boolean;
    workDir: string;
    workTmpfs: boolean;
    durationS?: number;
    /** 1-minute load average before and after each section. */
    load: { section: string; before: number | null; after: number | null }[];
  };
  peers: Peer[];
  notes: string[];
  transfer?: TransferResult;
  scale?: ScaleResult;
  memory?: MemoryRow[];
  echo?: EchoResult;
  idle?: IdleRow[];
  targets: Target[];
}

/** One target of the issue, judged. */
export interface Target {
  id: string;
  /** The goal as the issue states it. */
  goal: string;
  /** The measured value, in words. */
  measured: string;
  /** True met, false missed, null not measured. */
  met: boolean | null;
}

const fixed = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(digits);

/** Judges every target of the issue from the results. */
export function judgeTargets(results: BenchResults): Target[] {
  const targets: Target[] = [];
  const transfer = results.transfer;
  const tool = (id: string) => transfer?.tools.find((t) => t.id === id);
  {
    const sockit = tool("sockit");
    const nc = tool("nc");
    const ratio = sockit?.ratioToNc ?? null;
    targets.push({
      id: "transfer-vs-nc",
      goal: "sockit default transfer (SHA-256 verified) ≥ 0.9 × nc's MB/s",
      measured: ratio === null
        ? (nc?.skipped ? `nc skipped: ${nc.skipped}` : "not measured")
        : `${fixed(sockit?.median.mbps)} vs ${fixed(nc?.median.mbps)} MB/s = ${
          fixed(ratio, 2)
        } × nc` + (sockit?.verifiedAll ? ", every run verified" : ", NOT all runs verified"),
      met: ratio === null ? null : ratio >= 0.9 && sockit?.verifiedAll === true,
    });
  }
  {
    const oneK = tool("sockit-1k");
    const python = tool("python");
    const ratio = oneK?.median.mbps && python?.median.mbps
      ? oneK.median.mbps / python.median.mbps
      : null;
    targets.push({
      id: "1k-vs-python",
      goal: "sockit --chunk-size 1k ≥ 1.0 × the lesson-style Python",
      measured: ratio === null
        ? "not measured"
        : `${fixed(oneK?.median.mbps)} vs ${fixed(python?.median.mbps)} MB/s = ${
          fixed(ratio, 2)
        } ×`,
      met: ratio === null ? null : ratio >= 1.0 && oneK?.verifiedAll === true,
    });
  }
  {
    const web = tool("web");
    const sockit = tool("sockit");
    const ratio = web?.median.mbps && sockit?.median.mbps
      ? web.median.mbps / sockit.median.mbps
      : null;
    targets.push({
      id: "web-vs-sockit",
      goal: "browser upload through the web page ≥ 0.5 × the sockit CLI's MB/s",
      measured: ratio === null
        ? (web?.skipped ? `web skipped: ${web.skipped}` : "not measured")
        : `${fixed(web?.median.mbps)} vs ${fixed(sockit?.median.mbps)} MB/s = ${
          fixed(ratio, 2)
        } × (chromium's start included)` +
          (web?.verifiedAll ? ", every run verified" : ", NOT all runs verified"),
      met: ratio === null ? null : ratio >= 0.5 && web?.verifiedAll === true,
    });
  }
  for (const mode of results.scale?.modes ?? []) {
    targets.push({
      id: `scale-${mode.mode}`,
      goal: `${results.scale!.senders} concurrent senders: aggregate ≥ 0.8 × one sender, ` +
        `every file verified (${
          mode.mode === "cli" ? "one sockit process each" : "one load process"
        })`,
      measured: mode.ratio === null
        ? "not measured"
        : `${fixed(mode.manyMbps)} vs ${fixed(mode.singleMbps)} MB/s = ${fixed(mode.ratio, 2)} ×` +
          (mode.verifiedAll ? ", all verified" : ", NOT all verified"),
      met: mode.ratio === null ? null : mode.ratio >= 0.8 && mode.verifiedAll,
    });
  }
  for (const tool of MEMORY_TOOLS) {
    // Results from before the paired rows have no tool: they measured the open transfer.
    const rows = (results.memory ?? []).filter((r) => (r.tool ?? "sockit") === tool);
    if (rows.length === 0) continue;
    const all = rows.flatMap((r) => [r.senderRssMiB, r.receiverRssMiB]);
    const max = Math.max(...all.map((v) => v ?? Infinity));
    const flat = (pick: (r: MemoryRow) => number | null) => {
      const values = rows.map(pick).filter((v): v is number => v !== null);
      if (values.length < 2) return null;
      return (Math.max(...values) - Math.min(...values)) / Math.min(...values);
    };
    const spreadS = flat((r) => r.senderRssMiB);
    const spreadR = flat((r) => r.receiverRssMiB);
    const sizes = rows.map((r) => formatSize(r.bytes)).join(" vs ");
    targets.push({
      id: tool === "sockit" ? "memory" : `memory (${tool})`,
      goal: "peak RSS of each side ≤ 80 MiB and the same (±10%) for 256 MiB and 4 GiB files" +
        (tool === "sockit" ? "" : ` (${tool})`),
      measured: `${sizes}: sender ${rows.map((r) => fixed(r.senderRssMiB, 1)).join(" / ")} MiB, ` +
        `receiver ${rows.map((r) => fixed(r.receiverRssMiB, 1)).join(" / ")} MiB ` +
        `(spread ${fixed((spreadS ?? 0) * 100)}% / ${fixed((spreadR ?? 0) * 100)}%)`,
      met: Number.isFinite(max)
        ? max <= 80 && (spreadS ?? 0) <= 0.1 && (spreadR ?? 0) <= 0.1 &&
          rows.every((r) => r.verifiedAll)
        : null,
    });
  }
  const echo = results.echo;
  if (echo) {
    for (const clients of [...new Set(echo.cells.map((c) => c.clients))]) {
      const goal = clients >= 100 ? 1.5 : 1.0;
      for (const generator of [...new Set(echo.cells.map((c) => c.generator))]) {
        const cell = (server: string) =>
          echo.cells.find((c) =>
            c.server === server && c.clients === clients && c.generator === generator
          );
        const sockit = cell("sockit");
        const python = cell("python");
        const ratio = sockit?.perSecond && python?.perSecond
          ? sockit.perSecond / python.perSecond
          : null;
        targets.push({
          id: `echo-${clients}-${generator}`,
          goal: `echo, ${clients} client${clients > 1 ? "s" : ""}: ≥ ${goal.toFixed(1)} × the ` +
            `Python server's round trips/s (${generator} load generator)`,
          measured: ratio === null
            ? "not measured"
            : `${fixed(sockit?.perSecond)} vs ${fixed(python?.perSecond)} round trips/s = ${
              fixed(ratio, 2)
            } ×`,
          met: ratio === null ? null : ratio >= goal && !!sockit?.verifiedAll,
        });
      }
    }
  }
  const idle = results.idle?.filter((r) => r.server === "sockit") ?? [];
  const biggest = idle.sort((a, b) => b.count - a.count)[0];
  if (biggest) {
    targets.push({
      id: "idle",
      goal: "10,000 idle connections held with ≤ 150 MiB RSS",
      measured: `${biggest.held} of ${biggest.count} held, RSS ${fixed(biggest.rssMiB, 1)} MiB`,
      met: biggest.count >= 10_000
        ? biggest.held === biggest.count && (biggest.rssMiB ?? Infinity) <= 150
        : null,
    });
  }
  return targets;
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

const mark = (met: boolean | null) =>
  met === null ? "not measured" : met ? "**met**" : "**missed**";

/** The generated part of docs/performance.md. */
export function renderTables(results: BenchResults): string {
  const out: string[] = [];
  const m = results.meta;
  out.push(
    `Measured ${m.date} with \`${m.command}\`${
      m.smoke ? " (smoke run: tiny sizes, not figures)" : ""
    }.`,
    "",
    `- Deno ${m.deno} (V8 ${m.v8}), ${m.cpu}, ${m.cores} cores, ` +
      `${m.memoryGiB === null ? "?" : m.memoryGiB.toFixed(0)} GiB RAM, Linux ${m.kernel}`,
    `- Files in \`${m.workDir}\` (${
      m.workTmpfs ? "tmpfs" : "not tmpfs"
    }); everything over 127.0.0.1.`,
    `- 1-minute load average before → after each section (${m.cores} cores; the benchmark's ` +
      `own two or three busy processes count too): ${
        m.load.map((l) => `${l.section} ${l.before ?? "?"} → ${l.after ?? "?"}`).join(", ") || "–"
      }`,
    `- Peers: ${
      results.peers.map((p) =>
        p.status === "skipped"
          ? `${p.name} **skipped** (${p.reason})`
          : `${p.name} (${p.version ?? "version unknown"})`
      ).join("; ")
    }`,
    "",
    "### Targets",
    "",
    table(
      ["Target", "Measured (medians)", "Result"],
      results.targets.map((t) => [t.goal, t.measured, mark(t.met)]),
    ),
  );
  const transfer = results.transfer;
  if (transfer) {
    out.push(
      "",
      `### File transfer: ${
        formatSize(transfer.bytes)
      }, ${transfer.runs} runs each (hyperfine), medians`,
      "",
      "MB/s is 10⁶ bytes per second, from starting the sender until the receiver has the whole " +
        "file (sockit: stored and SHA-256 verified), as hyperfine timed it. CPU is user + " +
        "system seconds of both processes; RSS is each process's peak (GNU time).",
      "",
      table(
        [
          "Tool",
          "MB/s",
          "× nc",
          "Seconds",
          "CPU s (both)",
          "RSS send MiB",
          "RSS recv MiB",
          "Verified",
        ],
        transfer.tools.map((t) =>
          t.skipped ? [t.label, "skipped", "", "", "", "", "", t.skipped] : [
            t.label,
            fixed(t.median.mbps),
            fixed(t.ratioToNc, 2),
            fixed(t.median.seconds, 2),
            fixed(t.median.cpuS, 2),
            fixed(t.median.senderRssMiB, 1),
            fixed(t.median.receiverRssMiB, 1),
            t.verifiedAll === null
              ? "n/a (no file)"
              : `${t.runs.filter((r) => r.verified).length}/${t.runs.length}`,
          ]
        ),
      ),
      "",
      "Every run, MB/s: " + transfer.tools.filter((t) =>
        !t.skipped
      ).map((t) => `${t.id} ${t.runs.map((r) => fixed(r.mbps)).join(", ")}`).join("; ") + ".",
    );
  }
  const scale = results.scale;
  if (scale) {
    out.push(
      "",
      `### Scale: ${scale.senders} senders × ${formatSize(scale.eachBytes)} at once into one ` +
        `receiver, against one sender of ${formatSize(scale.singleBytes)}`,
      "",
      table(
        [
          "Senders run as",
          "1 sender MB/s",
          `${scale.senders} senders MB/s`,
          "Ratio",
          "Receiver RSS MiB (1 / many)",
          "Verified",
        ],
        scale.modes.map((mode) => [
          mode.mode === "cli"
            ? "one `sockit send` process each (timed from start, Deno start-up included)"
            : "one load process, one connection each (timed from start, Deno start-up included)",
          fixed(mode.singleMbps),
          fixed(mode.manyMbps),
          fixed(mode.ratio, 2),
          `${fixed(medianOf(mode.single.map((r) => r.receiverRssMiB)), 1)} / ${
            fixed(medianOf(mode.many.map((r) => r.receiverRssMiB)), 1)
          }`,
          `${[...mode.single, ...mode.many].filter((r) => r.verified).length}/${
            mode.single.length + mode.many.length
          } runs`,
        ]),
      ),
    );
  }
  if (results.memory) {
    out.push(
      "",
      "### Memory: sockit's peak RSS (default settings; open and with a pairing code)",
      "",
      table(
        ["Tool", "File", "Sender MiB", "Receiver MiB", "MB/s", "Where", "Verified"],
        results.memory.map((r) => [
          r.tool ?? "sockit",
          formatSize(r.bytes),
          fixed(r.senderRssMiB, 1),
          fixed(r.receiverRssMiB, 1),
          fixed(r.mbps),
          `${r.dir} (${r.tmpfs ? "tmpfs" : "disk"})`,
          `${r.runs.filter((x) => x.verified).length}/${r.runs.length}`,
        ]),
      ),
    );
  }
  const echo = results.echo;
  if (echo) {
    out.push(
      "",
      `### Echo: ${echo.size}-byte messages, closed loop, ${echo.seconds} s after ${echo.warmup} s ` +
        `warm-up, ${echo.runs} alternating runs, medians`,
      "",
      "Cores = CPU seconds per second (1.0 is one core busy); a generator near 1.0 is itself " +
        "the limit.",
      "",
      table(
        [
          "Server",
          "Clients",
          "Generator",
          "Round trips/s",
          "p50 ms",
          "p99 ms",
          "Server cores",
          "Generator cores",
          "Verified",
        ],
        echo.cells.map((c) => [
          c.server,
          String(c.clients),
          c.generator,
          fixed(c.perSecond),
          fixed(c.p50Ms, 3),
          fixed(c.p99Ms, 3),
          fixed(c.serverCores, 2),
          fixed(c.generatorCores, 2),
          `${c.runs.filter((r) => r.verified).length}/${c.runs.length}`,
        ]),
      ),
    );
    for (const s of echo.skipped) out.push("", `Skipped: ${s.server} (${s.reason}).`);
  }
  if (results.idle) {
    out.push(
      "",
      "### Idle connections held (each proven with one echo, then silent)",
      "",
      table(
        [
          "Server",
          "Connections",
          "Held",
          "Still echoing (sample)",
          "RSS while holding MiB",
          "RSS before MiB",
        ],
        results.idle.map((r) => [
          r.server,
          String(r.count),
          String(r.held) +
          (r.failed ? ` (${r.failed} failed${r.firstError ? `: ${r.firstError}` : ""})` : ""),
          r.sampled === null ? "–" : `${r.stillServed}/${r.sampled}`,
          fixed(r.rssMiB, 1),
          fixed(r.baselineRssMiB, 1),
        ]),
      ),
    );
  }
  if (results.notes.length) {
    out.push("", "### Notes from the run", "", ...results.notes.map((n) => `- ${n}`));
  }
  return out.join("\n");
}

function medianOf(values: (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (!xs.length) return null;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** Marks the generated region of docs/performance.md. */
export const BEGIN = "<!-- bench:begin (generated by deno task bench; edits here are replaced) -->";
/** End of the generated region. */
export const END = "<!-- bench:end -->";

/**
 * Puts `body` between the marker comments `begin` and `end` of `text`, keeping everything
 * outside them; null when `text` does not have both markers in that order.
 */
export function replaceRegion(
  text: string,
  begin: string,
  end: string,
  body: string,
): string | null {
  const start = text.indexOf(begin);
  const stop = text.indexOf(end, start);
  if (start < 0 || stop < 0) return null;
  return text.slice(0, start) + `${begin}\n\n${body}\n\n${end}` + text.slice(stop + end.length);
}

/** Puts `tables` between the markers of `existing` (or makes a new document). */
export function spliceDocument(existing: string | null, tables: string): string {
  const spliced = existing === null ? null : replaceRegion(existing, BEGIN, END, tables);
  if (spliced !== null) return spliced;
  const region = `${BEGIN}\n\n${tables}\n\n${END}`;
  return [
    "# Performance",
    "",
    "`deno task bench` measures sockit against netcat, socat, iperf3, `cp` and the lesson-style",
    "Python programs on this machine, in one run, and writes this file and",
    "`docs/performance.json`.",
    "",
    "## Results",
    "",
    region,
    "",
  ].join("\n");
}
