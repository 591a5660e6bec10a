/**
 * Running the programs of the echo and idle sections (the transfers go through hyperfine, in
 * `transfer.ts`): every program is started under GNU time (`/usr/bin/time -f`), which reports
 * its wall time, user and system CPU seconds and peak resident set size from the kernel's own
 * accounting (`wait4`'s rusage) once it exits. A raised `ulimit -n` goes through
 * `sh -c '… exec "$@"'`, so the measured process is the program itself.
 *
 * @module
 */

import { delay, onAbort } from "../../lib/core/delay.ts";
import { closedPort, LineReader, runCommand } from "../../tests/util.ts";

export { closedPort, delay, LineReader };

/** What the kernel accounted for one process. */
export interface Usage {
  /** Wall-clock seconds from start to exit. */
  wallS: number;
  /** User CPU seconds. */
  userS: number;
  /** System CPU seconds. */
  sysS: number;
  /** Peak resident set size, in KiB ("Maximum resident set size"). */
  maxRssKiB: number;
}

/** How a timed program ended. */
export interface Finished {
  /** Exit code (128 + signal when killed by a signal). */
  code: number;
  /** Its accounting, or `null` when GNU time is not available. */
  usage: Usage | null;
}

/** Options for {@linkcode spawnTimed}. */
export interface SpawnOptions {
  /** `"piped"` to read standard output as lines, or `"null"` (default). */
  stdout?: "piped" | "null";
  /** `"piped"` to keep standard error as lines (default), or `"null"`. */
  stderr?: "piped" | "null";
  /** Raise the open-files limit to this before starting the program. */
  openFiles?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  /** Kill the program (SIGKILL) after this many milliseconds. Default 10 minutes. */
  timeoutMs?: number;
}

/** Where GNU time is, or null; set by {@linkcode findTime}. */
let timeBinary: string | null = null;

/** Looks for GNU time and remembers it; returns its path or null. */
export async function findTime(): Promise<string | null> {
  for (const path of ["/usr/bin/time", "/bin/time"]) {
    try {
      const out = await new Deno.Command(path, {
        args: ["-f", "%M", "true"],
        stdout: "null",
        stderr: "piped",
      }).output();
      if (out.success && /^\d+\s*$/.test(new TextDecoder().decode(out.stderr))) {
        timeBinary = path;
        return path;
      }
    } catch {
      // Not there.
    }
  }
  timeBinary = null;
  return null;
}

/** A program started by {@linkcode spawnTimed}. */
export interface Timed {
  /** Its standard output as lines (only with `stdout: "piped"`). */
  readonly stdout: LineReader | null;
  /** Its standard error as lines (unless `stderr: "null"`). */
  readonly stderr: LineReader | null;
  /** Resolves once it exited, with its accounting. */
  readonly finished: Promise<Finished>;
  /** The program's own process id (not GNU time's). */
  pid(): Promise<number>;
  /** Sends `signal` to the program. */
  signal(signal: Deno.Signal): Promise<void>;
  /** Sends SIGTERM, then SIGKILL after `graceMs`, and waits for the exit. */
  stop(graceMs?: number): Promise<Finished>;
}

/** Raises the open-files limit to `n`: arguments go through `"$@"`, never the shell's parser. */
function withOpenFiles(command: string[], n: number): string[] {
  const raise = `ulimit -n ${n} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true`;
  return ["sh", "-c", `${raise}; exec "$@"`, "sh", ...command];
}

/** The children of process `pid`, from /proc. */
async function childrenOf(pid: number): Promise<number[]> {
  try {
    const text = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`);
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Starts `command` under GNU time (when found by {@linkcode findTime}).
 *
 * @example
 * ```ts
 * const run = spawnTimed(["sleep", "0.1"]);
 * const { usage } = await run.finished;
 * ```
 */
export function spawnTimed(command: string[], options: SpawnOptions = {}): Timed {
  const usageFile = timeBinary ? Deno.makeTempFileSync({ prefix: "sockit-bench-usage-" }) : null;
  const inner = options.openFiles ? withOpenFiles(command, options.openFiles) : command;
  const full = timeBinary && usageFile
    ? [timeBinary, "-o", usageFile, "-f", "%e %U %S %M", ...inner]
    : inner;
  const child = new Deno.Command(full[0], {
    args: full.slice(1),
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: options.stdout === "piped" ? "piped" : "null",
    stderr: options.stderr === "null" ? "null" : "piped",
  }).spawn();
  const stdout = options.stdout === "piped" ? new LineReader(child.stdout) : null;
  const stderr = options.stderr === "null" ? null : new LineReader(child.stderr);
  const limit = onAbort(
    AbortSignal.timeout(options.timeoutMs ?? 600_000),
    () => void signalProgram("SIGKILL"),
  );

  let programPid: number | null = timeBinary ? null : child.pid;
  async function pid(): Promise<number> {
    if (programPid !== null) return programPid;
    for (let i = 0; i < 500; i++) {
      const kids = await childrenOf(child.pid);
      if (kids.length > 0) return programPid = kids[0];
      // The program may already have exited.
      try {
        await Deno.stat(`/proc/${child.pid}`);
      } catch {
        return child.pid;
      }
      await delay(5); // polled: nothing announces the program's start
    }
    return child.pid;
  }

  async function signalProgram(signal: Deno.Signal): Promise<void> {
    const target = await pid();
    try {
      Deno.kill(target, signal);
    } catch {
      // Already gone.
    }
  }

  const finished = (async (): Promise<Finished> => {
    const status = await child.status;
    limit[Symbol.dispose]();
    await Promise.all([stdout?.done, stderr?.done]);
    let usage: Usage | null = null;
    if (usageFile) {
      try {
        const text = await Deno.readTextFile(usageFile);
        const last = text.trim().split("\n").pop() ?? "";
        const [wallS, userS, sysS, maxRssKiB] = last.trim().split(/\s+/).map(Number);
        if ([wallS, userS, sysS, maxRssKiB].every(Number.isFinite)) {
          usage = { wallS, userS, sysS, maxRssKiB };
        }
      } catch {
        // No accounting.
      }
      await Deno.remove(usageFile).catch(() => {});
    }
    return { code: status.signal ? 128 : status.code, usage };
  })();

  live.add(signalProgram);
  void finished.then(() => live.delete(signalProgram));
  return {
    stdout,
    stderr,
    finished,
    pid,
    signal: signalProgram,
    async stop(graceMs = 10_000) {
      await signalProgram("SIGTERM");
      using _ = onAbort(AbortSignal.timeout(graceMs), () => void signalProgram("SIGKILL"));
      return await finished;
    },
  };
}

/** Signal senders of every program still running. */
const live = new Set<(signal: Deno.Signal) => Promise<void>>();

/** Kills (SIGKILL) every program started by {@linkcode spawnTimed} that is still running. */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((send) => send("SIGKILL")));
}

/** Runs `command` and returns its exit code and output (127 when it cannot start). */
export async function capture(
  command: string[],
  options: { timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    return await runCommand(
      new Deno.Command(command[0], {
        args: command.slice(1),
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }),
      options,
    );
  } catch (err) {
    return { code: 127, stdout: "", stderr: String(err) };
  }
}

/** True when something listens on TCP `port` (read from /proc/net/tcp and tcp6). */
async function isListening(port: number): Promise<boolean> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = await Deno.readTextFile(table);
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(hex) && fields[3] === "0A") return true;
    }
  }
  return false;
}

/** Waits at most `timeoutMs` until something listens on `port`, without connecting to it. */
export async function waitListening(port: number, timeoutMs = 15_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (await isListening(port)) return;
    await delay(10); // polled: nothing announces the listening socket
  }
  throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
}

/** The current resident set size of process `pid` in KiB, or null. */
export async function rssKiB(pid: number): Promise<number | null> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** The median of `values` (ignoring nulls), or null when there are none. */
export function median(values: readonly (number | null | undefined)[]): number | null {
  const xs = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}
