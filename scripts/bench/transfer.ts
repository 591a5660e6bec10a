/**
 * Timed transfers: hyperfine runs each tool's sender (`scripts/bench/pair.sh send`) as the
 * timed command, after its `--prepare` step started the tool's receiver in the background and
 * waited until it listens; it reports every run's wall time and exit code in its JSON export.
 * GNU time gives each side's CPU seconds and peak RSS, and every run's output is checked
 * against the source's SHA-256.
 *
 * @module
 */

import { join } from "node:path";
import {
  BENCH_DIR,
  cpuSeconds,
  helperCommand,
  mbps,
  peerPath,
  pythonPeer,
  sockitCommand,
} from "./context.ts";
import type { Context } from "./context.ts";
import { removeAll } from "./files.ts";
import { capture, closedPort } from "./proc.ts";
import type { Usage } from "./proc.ts";

/** One measured transfer. */
export interface TransferRun {
  /** True when the output matched the source byte for byte; null when there is no output file (iperf3). */
  verified: boolean | null;
  /** Seconds from starting the sender until the receiver had everything (hyperfine's figure). */
  seconds: number;
  /** Decimal MB/s. */
  mbps: number;
  /** User + system CPU seconds of both sides. */
  cpuS: number | null;
  /** The sending side's accounting. */
  sender: Usage | null;
  /** The receiving side's accounting. */
  receiver: Usage | null;
  /** What went wrong, when something did. */
  error?: string;
}

/** A file to send and what it must arrive as. */
export interface Job {
  /** Source path. */
  src: string;
  /** Its SHA-256. */
  sha256: string;
  /** Its size. */
  size: number;
  /** A folder the runs may write into (removed afterwards). */
  outDir: string;
}

/** How one tool moves a file: the two commands `pair.sh` runs (`{port}`: the receiver's port). */
export interface Pair {
  /** The receiver, started before each run; none for `cp`. */
  receiver?: string[];
  /** Its port: fixed (picked by the bench), or `log` for one it prints ("listening on N"). */
  port?: number | "log";
  /** Where the file arrives; null when nothing is stored (iperf3). */
  out: string | null;
  /** The sender: the timed command. */
  sender: string[];
  /** A file given to the sender as standard input. */
  stdin?: string;
  /** Wait for the receiver to exit after the sender did (a sender that may leave early). */
  wait?: boolean;
}

/** One tool of the comparison. */
export interface TransferTool {
  /** Short id used in the JSON. */
  id: string;
  /** Label in the table. */
  label: string;
  /** Peers it needs (by name); missing ones make it skipped. */
  needs: string[];
  /** True for the ceilings (cp, iperf3), which are not transfer tools. */
  ceiling?: boolean;
  /** Runs only when named with `--tools`. */
  optional?: boolean;
  /** How its bytes are checked. */
  check: string;
  /** Its commands for `job`. */
  pair(context: Context, job: Job): Pair;
}

const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;
const shell = (args: string[]) => args.map(quote).join(" ");

/** Parses GNU time's "%e %U %S %M" line (null for a run it did not account). */
function usage(line: string | undefined): Usage | null {
  const [wallS, userS, sysS, maxRssKiB] = (line ?? "").trim().split(/\s+/).map(Number);
  return [wallS, userS, sysS, maxRssKiB].every(Number.isFinite)
    ? { wallS, userS, sysS, maxRssKiB }
    : null;
}

async function lines(path: string): Promise<string[]> {
  return (await Deno.readTextFile(path).catch(() => "")).split("\n").filter(Boolean);
}

/**
 * Runs `pair` `runs` times under hyperfine (named `name` in the log) and returns every run,
 * verified against `job` (`sha256` null: nothing to verify).
 */
export async function timedRuns(
  context: Context,
  name: string,
  pair: Pair,
  runs: number,
  job: { sha256: string; size: number } | null,
): Promise<TransferRun[]> {
  const run = await Deno.makeTempDir({ dir: context.work, prefix: `${name}-` });
  const script = `${BENCH_DIR}pair.sh`;
  const prepare = shell([
    "bash",
    script,
    "start",
    run,
    String(pair.port ?? "-"),
    pair.out ?? join(run, "no-output"),
    ...(pair.receiver ?? ["true"]),
  ]);
  const timed = shell([
    "bash",
    script,
    "send",
    run,
    pair.wait ? "wait" : "-",
    pair.stdin ?? "-",
    ...pair.sender,
  ]);
  const json = join(run, "hyperfine.json");
  const result = await capture([
    "hyperfine",
    "--runs",
    String(runs),
    "--ignore-failure",
    "--style",
    "none",
    "--export-json",
    json,
    "--prepare",
    prepare,
    timed,
  ], { timeoutMs: 3_600_000 });
  await capture(["bash", script, "finish", run]);
  let times: number[] = [];
  let codes: number[] = [];
  try {
    const measured = JSON.parse(await Deno.readTextFile(json)).results[0];
    times = measured.times;
    codes = measured.exit_codes;
  } catch {
    // hyperfine stopped early (a receiver that did not start): every run failed.
  }
  const [verified, senders, receivers, senderLog] = await Promise.all([
    lines(join(run, "verified")),
    lines(join(run, "sender")),
    lines(join(run, "receiver")),
    lines(join(run, "sender.log")),
  ]);
  const out: TransferRun[] = [];
  for (let i = 0; i < runs; i++) {
    const seconds = times[i] ?? 0;
    const sender = usage(senders[i]);
    const receiver = pair.receiver ? usage(receivers[i]) : null;
    const ok = job === null || pair.out === null ? null : verified[i] === job.sha256;
    const error = times[i] === undefined
      ? `hyperfine: ${result.stderr.trim().split("\n").slice(-2).join(" ")}`
      : codes[i] !== 0
      ? `the sender exited with ${codes[i]}: ${senderLog.slice(-2).join(" ")}`
      : ok === false
      ? "output differs from the source"
      : undefined;
    out.push({
      verified: error ? false : ok,
      seconds,
      mbps: error || !job ? 0 : mbps(job.size, seconds),
      cpuS: pair.receiver ? cpuSeconds(sender, receiver) : cpuSeconds(sender),
      sender,
      receiver,
      ...(error ? { error } : {}),
    });
  }
  await removeAll(run);
  return out;
}

/**
 * `sockit receive` on a port the bench picked, storing into `dir` (the same name overwritten);
 * `--open` (no code, no encryption) unless `extra` gives a `--code-file`.
 */
export function sockitReceiver(dir: string, port: number, extra: string[] = []): string[] {
  return sockitCommand([
    "receive",
    "--quiet",
    "--dir",
    dir,
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--overwrite",
    "--idle-timeout",
    "120",
    // One folder for every sender: the files are verified where the sources' names say.
    "--flat",
    ...(extra.includes("--code-file") ? [] : ["--open"]),
    ...extra,
  ]);
}

/**
 * The pairing code of the paired rows, in a file both sides read (`--code-file`; a code is never
 * put on a command line). Written when this module loads.
 */
const BENCH_CODE_FILE: string = (() => {
  const path = Deno.makeTempFileSync({ prefix: "sockit-bench-code-" });
  Deno.writeTextFileSync(path, "7-guitar-ocean-lamp\n");
  return path;
})();

/**
 * sockit send → sockit receive, with extra sender (and receiver) options; `optional` tools run
 * only when `--tools` names them (default: those with receiver options).
 */
function sockitTool(
  id: string,
  label: string,
  senderArgs: string[],
  receiverArgs: string[] = [],
  optional: boolean = receiverArgs.length > 0,
): TransferTool {
  const classic = senderArgs.includes("--classic");
  return {
    id,
    label,
    needs: [],
    optional,
    check: classic
      ? "SHA-256 of the stored file (the classic protocol itself verifies nothing)"
      : "SHA-256 of the stored file (and sockit's own end-to-end SHA-256)",
    pair(_context, job) {
      const port = closedPort();
      return {
        receiver: sockitReceiver(job.outDir, port, ["--classic-name", "bench", ...receiverArgs]),
        port,
        out: join(job.outDir, classic ? "bench" : job.src.split("/").at(-1)!),
        // The sender ends with the receiver's verdict (or, classic, its close).
        sender: sockitCommand([
          "send",
          "--quiet",
          "--to",
          "127.0.0.1:{port}",
          ...senderArgs,
          job.src,
        ]),
      };
    },
  };
}

/** Every tool of the comparison, in table order. */
export const TRANSFER_TOOLS: TransferTool[] = [
  {
    id: "nc",
    label: "nc (netcat-openbsd)",
    needs: ["nc"],
    check: "SHA-256 of the output file",
    pair(context, job) {
      const nc = peerPath(context, "nc")!;
      const out = join(job.outDir, "nc.out");
      const port = closedPort();
      return {
        receiver: ["sh", "-c", `exec ${quote(nc)} -d -l 127.0.0.1 ${port} > ${quote(out)}`],
        port,
        out,
        // -N: half-close after the file, then read until the receiver closed (it has it all).
        sender: [nc, "-N", "127.0.0.1", "{port}"],
        stdin: job.src,
      };
    },
  },
  {
    id: "socat",
    label: "socat",
    needs: ["socat"],
    check: "SHA-256 of the output file",
    pair(context, job) {
      const socat = peerPath(context, "socat")!;
      const out = join(job.outDir, "socat.out");
      const port = closedPort();
      return {
        receiver: [socat, "-u", `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, `CREATE:${out}`],
        port,
        out,
        // Both directions: it ends when the receiver closed, having written everything.
        sender: [socat, "-t", "60", `OPEN:${job.src},rdonly`, "TCP:127.0.0.1:{port}"],
      };
    },
  },
  {
    id: "python",
    label: "lesson-style Python (1 KiB recv/send)",
    needs: ["python3"],
    check: "SHA-256 of the output file",
    pair(context, job) {
      const python = peerPath(context, "python3")!;
      return {
        receiver: [
          python,
          "-u",
          pythonPeer("lesson_file_receiver.py"),
          ...["--host", "127.0.0.1", "--port", "0", "--out", job.outDir, "--once"],
          ...["--max-seconds", "900"],
        ],
        port: "log",
        out: join(job.outDir, "received-1"),
        sender: [
          python,
          pythonPeer("lesson_file_sender.py"),
          ...["--host", "127.0.0.1", "--port", "{port}", "--file", job.src, "--timeout", "600"],
        ],
        wait: true,
      };
    },
  },
  sockitTool("sockit", "sockit --open (verified, not encrypted)", []),
  sockitTool(
    "sockit-paired",
    "sockit with a pairing code (verified, AES-256-GCM records)",
    ["--code-file", BENCH_CODE_FILE],
    ["--code-file", BENCH_CODE_FILE],
    false,
  ),
  sockitTool("sockit-1k", "sockit --chunk-size 1k", ["--chunk-size", "1k"]),
  sockitTool("sockit-classic", "sockit --classic", ["--classic"]),
  {
    id: "web",
    label: "browser upload (chromium, the web page; its start included)",
    needs: ["chromium"],
    check: "SHA-256 of the stored file (and the receipt the page shows)",
    pair(_context, job) {
      const port = closedPort();
      return {
        receiver: sockitReceiver(job.outDir, port),
        port,
        out: join(job.outDir, job.src.split("/").at(-1)!),
        sender: helperCommand("web_upload.ts", ["http://127.0.0.1:{port}/", job.src]),
      };
    },
  },
  sockitTool("sockit-1k-both", "sockit --chunk-size 1k on both sides", ["--chunk-size", "1k"], [
    "--chunk-size",
    "1k",
  ]),
  {
    id: "cp",
    label: "cp (ceiling: no network)",
    needs: ["cp"],
    ceiling: true,
    check: "SHA-256 of the copy",
    pair(context, job) {
      const out = join(job.outDir, "cp.out");
      return { out, sender: [peerPath(context, "cp")!, job.src, out] };
    },
  },
  {
    id: "iperf3",
    label: "iperf3 (ceiling: memory to memory)",
    needs: ["iperf3"],
    ceiling: true,
    check: "none (iperf3 moves memory, no file)",
    pair(context, job) {
      const iperf = peerPath(context, "iperf3")!;
      const port = closedPort();
      return {
        receiver: [iperf, "-s", "-1", "-B", "127.0.0.1", "-p", String(port)],
        port,
        out: null,
        // The client ends once the server reported every byte received.
        sender: [iperf, "-c", "127.0.0.1", "-p", "{port}", "-n", String(job.size)],
      };
    },
  },
];
