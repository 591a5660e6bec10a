/**
 * File transfer over loopback: each tool's receiver is started, then its sender; the time is
 * taken from starting the sender until the receiver has the whole file (for sockit: the
 * receiver reported it verified and stored). Every run checks the received bytes against the
 * source's SHA-256 and length.
 *
 * @module
 */

import { join } from "node:path";
import { cpuSeconds, mbps, peerPath, pythonPeer, sockitCommand } from "./context.ts";
import type { Context } from "./context.ts";
import { removeAll, verifyFile } from "./files.ts";
import { freePort, spawnTimed, waitListening } from "./proc.ts";
import type { Timed, Usage } from "./proc.ts";

/** One measured transfer. */
export interface TransferRun {
  /** True when the output matched the source byte for byte; null when there is no output file (iperf3). */
  verified: boolean | null;
  /** Seconds from starting the sender until the receiver had everything. */
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
  /** A folder the receiver may write into (emptied after the run). */
  outDir: string;
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
  /** Runs one transfer. */
  run(context: Context, job: Job): Promise<TransferRun>;
}

function failed(error: unknown, seconds = 0): TransferRun {
  return {
    verified: false,
    seconds,
    mbps: 0,
    cpuS: null,
    sender: null,
    receiver: null,
    error: error instanceof Error ? error.message : String(error),
  };
}

async function finish(
  job: Job,
  output: string | null,
  seconds: number,
  sender: Usage | null,
  receiver: Usage | null,
  error?: string,
): Promise<TransferRun> {
  const verified = output === null ? null : await verifyFile(output, job.sha256, job.size);
  return {
    verified,
    seconds,
    mbps: verified === false ? 0 : mbps(job.size, seconds),
    cpuS: cpuSeconds(sender, receiver),
    sender,
    receiver,
    ...(error ? { error } : verified === false ? { error: "output differs from the source" } : {}),
  };
}

/** A running `sockit receive --json` and the files it reported. */
export interface SockitReceiver {
  /** The process. */
  process: Timed;
  /** Its port. */
  port: number;
  /** `file-done` events so far, with the time (performance.now()) each was seen. */
  done: { stored: string; sha256: string; size: number; at: number }[];
  /** `file-failed` / `session-error` events so far. */
  failures: string[];
  /** Resolves once `n` files were stored (or rejects after `timeoutMs`). */
  waitFiles(n: number, timeoutMs: number): Promise<void>;
}

/** Starts `sockit receive` on 127.0.0.1 and a free port, storing into `dir`. */
export async function startSockitReceiver(
  dir: string,
  extra: string[] = [],
): Promise<SockitReceiver> {
  const process = spawnTimed(
    sockitCommand([
      "receive",
      "--json",
      "--dir",
      dir,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--overwrite",
      "--idle-timeout",
      "120",
      ...extra,
    ]),
    { stdout: "piped" },
  );
  const done: SockitReceiver["done"] = [];
  const failures: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  process.stdout!.onLine((line) => {
    if (!line.startsWith("{")) return;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    if (event.type === "file-done") {
      done.push({
        stored: String(event.stored),
        sha256: String(event.sha256),
        size: Number(event.size),
        at: performance.now(),
      });
      for (const waiter of waiters.filter((w) => done.length >= w.n)) waiter.resolve();
    } else if (event.type === "file-failed" || event.type === "session-error") {
      failures.push(`${event.type}: ${event.code} ${event.reason}`);
    }
  });
  let port: number;
  try {
    const line = await process.stdout!.waitFor(
      (l) => l.includes('"type":"listening"'),
      30_000,
      "the receiver to listen",
    );
    port = Number(JSON.parse(line).port);
  } catch (err) {
    await process.stop(1000);
    throw new Error(`sockit receive did not start: ${err} ${process.stderr?.tail()}`);
  }
  return {
    process,
    port,
    done,
    failures,
    waitFiles(n, timeoutMs) {
      if (done.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`only ${done.length} of ${n} files arrived in ${timeoutMs} ms`));
        }, timeoutMs);
        const ended = process.finished.then(() => {
          clearTimeout(timer);
          reject(new Error(`the receiver exited after ${done.length} of ${n} files`));
        });
        void ended;
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

/** sockit send → sockit receive, with extra sender (and receiver) options. */
function sockitTool(
  id: string,
  label: string,
  senderArgs: string[],
  receiverArgs: string[] = [],
): TransferTool {
  return {
    id,
    label,
    needs: [],
    optional: receiverArgs.length > 0,
    check: senderArgs.includes("--classic")
      ? "SHA-256 of the stored file (the classic protocol itself verifies nothing)"
      : "SHA-256 of the stored file (and sockit's own end-to-end SHA-256)",
    async run(_context, job) {
      let receiver: SockitReceiver;
      try {
        receiver = await startSockitReceiver(job.outDir, [
          "--classic-name",
          "bench",
          ...receiverArgs,
        ]);
      } catch (err) {
        return failed(err);
      }
      const started = performance.now();
      const sender = spawnTimed(
        sockitCommand([
          "send",
          "--quiet",
          "--to",
          `127.0.0.1:${receiver.port}`,
          ...senderArgs,
          job.src,
        ]),
      );
      let error: string | undefined;
      const sent = await sender.finished;
      const senderDone = performance.now();
      try {
        if (sent.code !== 0) throw new Error(`sockit send exited with ${sent.code}`);
        await receiver.waitFiles(1, 60_000);
      } catch (err) {
        error = `${err} ${sender.stderr?.tail(3) ?? ""} ${receiver.failures.join("; ")}`.trim();
      }
      const seconds = (Math.max(senderDone, receiver.done[0]?.at ?? 0) - started) / 1000;
      const stopped = await receiver.process.stop();
      const stored = receiver.done[0];
      const output = stored ? join(job.outDir, stored.stored) : null;
      if (!error && stored && stored.sha256 !== job.sha256 && !senderArgs.includes("--classic")) {
        error = "sockit reported a different SHA-256";
      }
      if (!output) return { ...failed(error ?? "no file stored", seconds) };
      return await finish(job, output, seconds, sent.usage, stopped.usage, error);
    },
  };
}

/** A receiver that listens on a port the bench picked, then a sender; both exit by themselves. */
async function listenerPair(
  job: Job,
  receive: (port: number) => Timed,
  send: (port: number) => Timed,
  output: string | null,
  parse?: (sender: Timed) => number | null,
): Promise<TransferRun> {
  const port = freePort();
  const receiver = receive(port);
  try {
    await waitListening(port);
  } catch (err) {
    await receiver.stop(1000);
    return failed(`${err} ${receiver.stderr?.tail(3) ?? ""}`);
  }
  const started = performance.now();
  const sender = send(port);
  const [sent, received] = await Promise.all([sender.finished, receiver.finished]);
  let seconds = (performance.now() - started) / 1000;
  let error: string | undefined;
  if (sent.code !== 0 || received.code !== 0) {
    error = `exit codes ${sent.code}/${received.code}: ${sender.stderr?.tail(2) ?? ""} ${
      receiver.stderr?.tail(2) ?? ""
    }`.trim();
  }
  if (parse) {
    const own = parse(sender);
    if (own) seconds = own;
    else error ??= "no result from the client";
  }
  const run = await finish(job, output, seconds, sent.usage, received.usage, error);
  return error ? { ...run, error, mbps: output === null ? run.mbps : 0 } : run;
}

/** Every tool of the comparison, in table order. */
export const TRANSFER_TOOLS: TransferTool[] = [
  {
    id: "nc",
    label: "nc (netcat-openbsd)",
    needs: ["nc"],
    check: "SHA-256 of the output file",
    run(context, job) {
      const nc = peerPath(context, "nc")!;
      const out = join(job.outDir, "nc.out");
      return listenerPair(
        job,
        (port) => spawnTimed([nc, "-d", "-l", "127.0.0.1", String(port)], { stdout: out }),
        (port) => spawnTimed([nc, "-N", "127.0.0.1", String(port)], { stdinFile: job.src }),
        out,
      );
    },
  },
  {
    id: "socat",
    label: "socat",
    needs: ["socat"],
    check: "SHA-256 of the output file",
    run(context, job) {
      const socat = peerPath(context, "socat")!;
      const out = join(job.outDir, "socat.out");
      return listenerPair(
        job,
        (port) =>
          spawnTimed([socat, "-u", `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, `CREATE:${out}`]),
        (port) => spawnTimed([socat, "-u", `OPEN:${job.src},rdonly`, `TCP:127.0.0.1:${port}`]),
        out,
      );
    },
  },
  {
    id: "python",
    label: "lesson-style Python (1 KiB recv/send)",
    needs: ["python3"],
    check: "SHA-256 of the output file",
    async run(context, job) {
      const python = peerPath(context, "python3")!;
      const receiver = spawnTimed([
        python,
        pythonPeer("lesson_file_receiver.py"),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--out",
        job.outDir,
        "--once",
        "--max-seconds",
        "900",
      ], { stdout: "piped" });
      let port: number;
      try {
        const line = await receiver.stdout!.waitFor(
          (l) => /^listening on \d+/.test(l),
          15_000,
          "the Python receiver",
        );
        port = Number(line.split(" ").pop());
      } catch (err) {
        await receiver.stop(1000);
        return failed(err);
      }
      const started = performance.now();
      const sender = spawnTimed([
        python,
        pythonPeer("lesson_file_sender.py"),
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--file",
        job.src,
        "--timeout",
        "600",
      ]);
      const [sent, received] = await Promise.all([sender.finished, receiver.finished]);
      const seconds = (performance.now() - started) / 1000;
      const error = sent.code !== 0 || received.code !== 0
        ? `exit codes ${sent.code}/${received.code}: ${receiver.stdout!.tail(2)}`
        : undefined;
      return await finish(
        job,
        join(job.outDir, "received-1"),
        seconds,
        sent.usage,
        received.usage,
        error,
      );
    },
  },
  sockitTool("sockit", "sockit (default, verified)", []),
  sockitTool("sockit-1k", "sockit --chunk-size 1k", ["--chunk-size", "1k"]),
  sockitTool("sockit-classic", "sockit --classic", ["--classic"]),
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
    async run(context, job) {
      const out = join(job.outDir, "cp.out");
      const started = performance.now();
      const copy = spawnTimed([peerPath(context, "cp")!, job.src, out]);
      const done = await copy.finished;
      return await finish(
        job,
        out,
        (performance.now() - started) / 1000,
        done.usage,
        null,
        done.code ? `cp exited with ${done.code}` : undefined,
      ).then((run) => ({ ...run, cpuS: cpuSeconds(done.usage) }));
    },
  },
  {
    id: "iperf3",
    label: "iperf3 (ceiling: memory to memory)",
    needs: ["iperf3"],
    ceiling: true,
    check: "none (iperf3 moves memory, no file); its own receiver-side rate",
    run(context, job) {
      const iperf = peerPath(context, "iperf3")!;
      return listenerPair(
        job,
        (port) => spawnTimed([iperf, "-s", "-1", "-B", "127.0.0.1", "-p", String(port)]),
        (port) =>
          spawnTimed([iperf, "-c", "127.0.0.1", "-p", String(port), "-n", String(job.size), "-J"], {
            stdout: "piped",
          }),
        null,
        (sender) => {
          try {
            const result = JSON.parse(sender.stdout!.lines.join("\n"));
            const sum = result.end.sum_received;
            return sum.bytes >= job.size ? sum.seconds : null;
          } catch {
            return null;
          }
        },
      );
    },
  },
];

/** Empties the receiving folder between runs. */
export async function clearOut(dir: string): Promise<void> {
  await removeAll(dir);
  await Deno.mkdir(dir, { recursive: true });
}
