/**
 * The file-moving sections of the benchmark, each transfer timed by hyperfine (`transfer.ts`):
 * the transfer comparison, the class of concurrent senders (scale) and peak memory for a small
 * and a large file.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { formatBytes as formatSize } from "../../lib/core/format.ts";
import { helperCommand, sockitCommand } from "./context.ts";
import type { Context } from "./context.ts";
import { availableMemory, freeBytes, isTmpfs, randomFile, removeAll } from "./files.ts";
import { closedPort, median } from "./proc.ts";
import { sockitReceiver, timedRuns, TRANSFER_TOOLS } from "./transfer.ts";
import type { Pair, TransferRun } from "./transfer.ts";

const MiB = 1024 * 1024;

/** Medians over a tool's runs. */
export interface Medians {
  mbps: number | null;
  seconds: number | null;
  cpuS: number | null;
  senderRssMiB: number | null;
  receiverRssMiB: number | null;
}

/** One row of the transfer table. */
export interface ToolResult {
  id: string;
  label: string;
  ceiling: boolean;
  check: string;
  /** Why the tool did not run. */
  skipped?: string;
  runs: TransferRun[];
  /** True when every run's output matched (null: nothing to check, as for iperf3). */
  verifiedAll: boolean | null;
  median: Medians;
  /** Median MB/s divided by nc's median MB/s. */
  ratioToNc: number | null;
}

/** The transfer section's results. */
export interface TransferResult {
  bytes: number;
  runs: number;
  dir: string;
  tmpfs: boolean;
  tools: ToolResult[];
}

function medians(runs: TransferRun[]): Medians {
  const ok = runs.filter((r) => r.verified !== false && !r.error);
  const rss = (usage: TransferRun["sender"]) => usage ? usage.maxRssKiB / 1024 : null;
  return {
    mbps: median(ok.map((r) => r.mbps)),
    seconds: median(ok.map((r) => r.seconds)),
    cpuS: median(ok.map((r) => r.cpuS)),
    senderRssMiB: median(ok.map((r) => rss(r.sender))),
    receiverRssMiB: median(ok.map((r) => rss(r.receiver))),
  };
}

/**
 * Finds room for `bytes` of files (plus a margin) in `preferred`, else on disk; scales `bytes`
 * down when neither has room. Returns the folder and the size to use.
 */
async function room(
  context: Context,
  preferred: string,
  bytes: number,
  copies: number,
  what: string,
): Promise<{ dir: string; bytes: number }> {
  const margin = 256 * MiB;
  const fits = async (dir: string) => {
    const free = await freeBytes(dir);
    let limit = free ?? 0;
    if (await isTmpfs(dir)) {
      // tmpfs pages are memory: keep room for the programs themselves.
      const memory = await availableMemory();
      if (memory !== null) limit = Math.min(limit, memory - 2048 * MiB);
    }
    return limit;
  };
  const here = await fits(preferred);
  if (here >= bytes * copies + margin) return { dir: preferred, bytes };
  const disk = join(Deno.env.get("TMPDIR") ?? "/var/tmp", "sockit-bench");
  await Deno.mkdir(disk, { recursive: true });
  const there = await fits(disk);
  if (there >= bytes * copies + margin) {
    context.notes.push(
      `${what}: ${formatSize(bytes)} files did not fit in ${preferred} ` +
        `(${formatSize(Math.max(0, here))} usable), so they were on disk in ${disk}.`,
    );
    return { dir: disk, bytes };
  }
  const best = here >= there ? preferred : disk;
  const scaled = Math.max(MiB, Math.floor((Math.max(here, there) - margin) / copies / MiB) * MiB);
  context.notes.push(
    `${what}: not enough room for ${copies} × ${formatSize(bytes)}; scaled down to ` +
      `${formatSize(scaled)} in ${best}.`,
  );
  return { dir: best, bytes: scaled };
}

/** The file-transfer comparison: every tool, `runs` runs each (hyperfine), medians. */
export async function transferSection(
  context: Context,
  bytes: number,
  only?: string[],
): Promise<TransferResult> {
  const place = await room(context, context.work, bytes, 2, "transfer");
  const src = join(place.dir, `transfer-${place.bytes}.bin`);
  context.log(`transfer: making a random ${formatSize(place.bytes)} file`);
  const sha256 = await randomFile(src, place.bytes);
  const outDir = join(place.dir, "transfer-out");
  const tools = TRANSFER_TOOLS.filter((t) => only ? only.includes(t.id) : !t.optional);
  const results = new Map<string, TransferRun[]>();
  const skipped = new Map<string, string>();
  for (const tool of tools) {
    const missing = tool.needs.filter((n) => !context.peers.get(n)?.path);
    if (missing.length > 0) {
      skipped.set(tool.id, `${missing.join(", ")} not available`);
      context.log(`transfer: ${tool.id} skipped (${missing.join(", ")} not available)`);
    } else results.set(tool.id, []);
  }
  for (const tool of tools.filter((t) => results.has(t.id))) {
    await Deno.mkdir(outDir, { recursive: true });
    const job = { src, sha256, size: place.bytes, outDir };
    const runs = await timedRuns(context, tool.id, tool.pair(context, job), context.runs, job);
    results.set(tool.id, runs);
    runs.forEach((run, i) =>
      context.log(
        `transfer ${tool.id} ${i + 1}/${context.runs}: ${run.mbps.toFixed(0)} MB/s, ` +
          `${run.seconds.toFixed(2)} s, verified ${run.verified}` +
          (run.error ? ` (${run.error})` : ""),
      )
    );
    await removeAll(outDir);
  }
  await removeAll(outDir);
  const rows: ToolResult[] = tools.map((tool) => {
    const runs = results.get(tool.id) ?? [];
    const checks = runs.map((r) => r.verified);
    return {
      id: tool.id,
      label: tool.label,
      ceiling: !!tool.ceiling,
      check: tool.check,
      ...(skipped.has(tool.id) ? { skipped: skipped.get(tool.id) } : {}),
      runs,
      verifiedAll: runs.length === 0 || checks.every((c) => c === null)
        ? null
        : checks.every((c) => c === true),
      median: medians(runs),
      ratioToNc: null,
    };
  });
  const nc = rows.find((r) => r.id === "nc")?.median.mbps;
  for (const row of rows) {
    row.ratioToNc = nc && row.median.mbps !== null ? row.median.mbps / nc : null;
  }
  return {
    bytes: place.bytes,
    runs: context.runs,
    dir: place.dir,
    tmpfs: await isTmpfs(place.dir),
    tools: rows,
  };
}

/** One scale measurement: `files` senders at once into one receiver. */
export interface ScaleRun {
  senders: number;
  bytes: number;
  seconds: number;
  mbps: number;
  /** Every file stored and identical to its source. */
  verified: boolean;
  /** The receiver's peak RSS in MiB. */
  receiverRssMiB: number | null;
  /** CPU seconds of the receiver and every sender. */
  cpuS: number | null;
  error?: string;
}

/** The scale section's results. */
export interface ScaleResult {
  senders: number;
  eachBytes: number;
  singleBytes: number;
  runs: number;
  /**
   * `library`: one load process opens every connection with sockit's sender; time from the
   * first connection to the last verdict. `cli`: one `sockit send` process per sender, all
   * started at once; time from starting them to the last exit (includes Deno's start-up).
   */
  modes: {
    mode: "library" | "cli";
    single: ScaleRun[];
    many: ScaleRun[];
    singleMbps: number | null;
    manyMbps: number | null;
    ratio: number | null;
    verifiedAll: boolean;
  }[];
}

/** What `sha256sum *` in a folder holding `sources` gives, hashed (see `pair.sh`). */
function folderDigest(sources: { path: string; sha256: string }[]): string {
  const byName = [...sources].sort((a, b) => basename(a.path) < basename(b.path) ? -1 : 1);
  const lines = byName.map((s) => `${s.sha256}  ${basename(s.path)}\n`);
  return createHash("sha256").update(lines.join("")).digest("hex");
}

/** `runs` times `sources` sent at once into one receiver (in `mode`), timed by hyperfine. */
async function scaleRuns(
  context: Context,
  mode: "library" | "cli",
  sources: { path: string; sha256: string; size: number }[],
  outDir: string,
): Promise<ScaleRun[]> {
  const bytes = sources.reduce((s, f) => s + f.size, 0);
  const paths = sources.map((s) => s.path);
  const port = closedPort();
  // cli: one `sockit send` each, all started at once; the command ends with the last of them.
  const each = sockitCommand(["send", "--quiet", "--to", "127.0.0.1:{port}"]).map((a) => `'${a}'`)
    .join(" ");
  const pair: Pair = {
    receiver: sockitReceiver(outDir, port, ["--max-connections", "1000"]),
    port,
    out: outDir,
    sender: mode === "library" ? helperCommand("multi_send.ts", ["--port", "{port}", ...paths]) : [
      "bash",
      "-c",
      `for f in "$@"; do ${each} "$f" & done; for p in $(jobs -p); do wait $p || exit 1; done`,
      "scale",
      ...paths,
    ],
  };
  const name = `scale-${mode}-${sources.length}`;
  const runs = await timedRuns(context, name, pair, context.runs, {
    sha256: folderDigest(sources),
    size: bytes,
  });
  return runs.map((run) => ({
    senders: sources.length,
    bytes,
    seconds: run.seconds,
    mbps: run.mbps,
    verified: run.verified === true,
    receiverRssMiB: run.receiver ? run.receiver.maxRssKiB / 1024 : null,
    cpuS: run.cpuS,
    ...(run.error ? { error: run.error } : {}),
  }));
}

/** A class of `senders` sending `eachBytes` each at once, against one sender of `singleBytes`. */
export async function scaleSection(
  context: Context,
  options: {
    senders: number;
    eachBytes: number;
    singleBytes: number;
    modes: ("library" | "cli")[];
  },
): Promise<ScaleResult> {
  const total = options.senders * options.eachBytes;
  const needed = Math.max(total, options.singleBytes);
  const place = await room(context, context.work, needed, 2, "scale");
  const factor = place.bytes / needed;
  const eachBytes = Math.max(64 * 1024, Math.floor(options.eachBytes * factor));
  const singleBytes = Math.max(64 * 1024, Math.floor(options.singleBytes * factor));
  const folder = join(place.dir, "scale-src");
  await Deno.mkdir(folder, { recursive: true });
  context.log(`scale: making ${options.senders} random files of ${formatSize(eachBytes)}`);
  const many = [];
  for (let i = 1; i <= options.senders; i++) {
    const path = join(folder, `student-${String(i).padStart(2, "0")}.bin`);
    many.push({ path, sha256: await randomFile(path, eachBytes), size: eachBytes });
  }
  const singlePath = join(place.dir, `transfer-${singleBytes}.bin`);
  const single = [{
    path: singlePath,
    sha256: await randomFile(singlePath, singleBytes),
    size: singleBytes,
  }];
  const outDir = join(place.dir, "scale-out");
  const modes: ScaleResult["modes"] = [];
  for (const mode of options.modes) {
    const singles = await scaleRuns(context, mode, single, outDir);
    const manys = await scaleRuns(context, mode, many, outDir);
    for (const run of [...singles, ...manys]) {
      context.log(
        `scale ${mode} ${run.senders} sender(s): ${run.mbps.toFixed(0)} MB/s, ` +
          `verified ${run.verified}` + (run.error ? ` (${run.error})` : ""),
      );
    }
    const singleMbps = median(singles.filter((r) => r.verified).map((r) => r.mbps));
    const manyMbps = median(manys.filter((r) => r.verified).map((r) => r.mbps));
    modes.push({
      mode,
      single: singles,
      many: manys,
      singleMbps,
      manyMbps,
      ratio: singleMbps && manyMbps !== null ? manyMbps / singleMbps : null,
      verifiedAll: [...singles, ...manys].every((r) => r.verified),
    });
  }
  await removeAll(outDir);
  await removeAll(folder);
  return {
    senders: options.senders,
    eachBytes,
    singleBytes,
    runs: context.runs,
    modes,
  };
}

/** The tools of the memory section: the open and the paired (encrypted) transfer. */
export const MEMORY_TOOLS = ["sockit", "sockit-paired"] as const;

/** One file size and tool of the memory section. */
export interface MemoryRow {
  /** One of {@linkcode MEMORY_TOOLS}; missing in results saved before the paired rows (open). */
  tool?: typeof MEMORY_TOOLS[number];
  bytes: number;
  dir: string;
  tmpfs: boolean;
  runs: TransferRun[];
  senderRssMiB: number | null;
  receiverRssMiB: number | null;
  mbps: number | null;
  verifiedAll: boolean;
}

/** Peak RSS on both sides for each size in `sizes`, for each of {@linkcode MEMORY_TOOLS}. */
export async function memorySection(context: Context, sizes: number[]): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  for (const size of sizes) {
    const place = await room(context, context.work, size, 2, `memory ${formatSize(size)}`);
    const src = join(place.dir, `memory-${place.bytes}.bin`);
    context.log(`memory: making a random ${formatSize(place.bytes)} file in ${place.dir}`);
    const sha256 = await randomFile(src, place.bytes);
    const outDir = join(place.dir, "memory-out");
    const job = { src, sha256, size: place.bytes, outDir };
    for (const id of MEMORY_TOOLS) {
      const tool = TRANSFER_TOOLS.find((t) => t.id === id)!;
      const runs = await timedRuns(
        context,
        `memory-${id}-${place.bytes}`,
        tool.pair(context, job),
        context.runs,
        job,
      );
      runs.forEach((run, i) =>
        context.log(
          `memory ${id} ${formatSize(place.bytes)} ${i + 1}/${context.runs}: sender ` +
            `${((run.sender?.maxRssKiB ?? 0) / 1024).toFixed(1)} MiB, receiver ` +
            `${((run.receiver?.maxRssKiB ?? 0) / 1024).toFixed(1)} MiB, verified ${run.verified}` +
            (run.error ? ` (${run.error})` : ""),
        )
      );
      await removeAll(outDir);
      const m = medians(runs);
      rows.push({
        tool: id,
        bytes: place.bytes,
        dir: place.dir,
        tmpfs: await isTmpfs(place.dir),
        runs,
        senderRssMiB: m.senderRssMiB,
        receiverRssMiB: m.receiverRssMiB,
        mbps: m.mbps,
        verifiedAll: runs.every((r) => r.verified === true),
      });
    }
    if (place.bytes > 512 * MiB) {
      await removeAll(src);
      await removeAll(`${src}.sha256`);
    }
  }
  return rows;
}
