/**
 * Running the benchmark's programs: every program is started under GNU time (`/usr/bin/time
 * -f`), which reports its wall time, user and system CPU seconds and peak resident set size
 * from the kernel's own accounting (`wait4`'s rusage) once it exits. Redirections and a raised
 * `ulimit -n` go through `sh -c '… exec "$@"'`, so the measured process is the program itself.
 *
 * @module
 */

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
  /** Path read as standard input (default: nothing). */
  stdinFile?: string;
  /** Path standard output is written to, `"piped"` to read it as lines, or `"null"` (default). */
  stdout?: string;
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

/** Reads a stream as lines and lets callers wait for one matching a pattern. */
export class LineReader {
  /** Every line read so far. */
  readonly lines: string[] = [];
  /** Resolves when the stream has ended. */
  readonly done: Promise<void>;
  #waiters: {
    test: (line: string) => boolean;
    resolve: (line: string) => void;
    end: () => void;
  }[] = [];
  #listeners: ((line: string) => void)[] = [];
  #ended = false;

  /** Starts reading `stream` in the background. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = (async () => {
      let pending = "";
      try {
        for await (const text of stream.pipeThrough(new TextDecoderStream())) {
          const parts = (pending + text).split("\n");
          pending = parts.pop()!;
          for (const line of parts) this.#line(line);
        }
      } catch {
        // The process was killed; keep what was read.
      }
      if (pending) this.#line(pending);
      this.#ended = true;
      for (const waiter of this.#waiters) waiter.end();
      this.#waiters = [];
    })();
  }

  #line(line: string): void {
    this.lines.push(line);
    if (this.lines.length > 100_000) this.lines.splice(0, 50_000);
    for (const listener of this.#listeners) listener(line);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** Calls `listener` for every later line. */
  onLine(listener: (line: string) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Waits at most `timeoutMs` for a line (already read ones count) for which `test` holds.
   * Resolves to the line, or rejects on timeout or when the stream ends first.
   */
  waitFor(test: (line: string) => boolean, timeoutMs: number, what = "a line"): Promise<string> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.#ended) return Promise.reject(new Error(`output ended before ${what}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.#waiters.push({
        test,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        end: () => {
          clearTimeout(timer);
          reject(new Error(`output ended before ${what}`));
        },
      });
    });
  }

  /** The last `n` lines, for error messages. */
  tail(n = 5): string {
    return this.lines.slice(-n).join("\n");
  }
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

/** Quotes nothing: arguments go through `"$@"`, so paths never meet the shell's parser. */
function wrapShell(command: string[], options: SpawnOptions): string[] {
  const steps: string[] = [];
  if (options.openFiles) {
    const n = options.openFiles;
    steps.push(
      `ulimit -n ${n} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true`,
    );
  }
  let exec = 'exec "$@"';
  if (options.stdinFile) exec += ' <"$BENCH_STDIN"';
  if (options.stdout && options.stdout !== "piped" && options.stdout !== "null") {
    exec += ' >"$BENCH_STDOUT"';
  }
  steps.push(exec);
  return ["sh", "-c", steps.join("; "), "sh", ...command];
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
  const needsShell = !!(options.openFiles || options.stdinFile ||
    (options.stdout && options.stdout !== "piped" && options.stdout !== "null"));
  const inner = needsShell ? wrapShell(command, options) : command;
  const full = timeBinary && usageFile
    ? [timeBinary, "-o", usageFile, "-f", "%e %U %S %M", ...inner]
    : inner;
  const child = new Deno.Command(full[0], {
    args: full.slice(1),
    cwd: options.cwd,
    env: {
      ...options.env,
      ...(options.stdinFile ? { BENCH_STDIN: options.stdinFile } : {}),
      ...(options.stdout && options.stdout !== "piped" && options.stdout !== "null"
        ? { BENCH_STDOUT: options.stdout }
        : {}),
    },
    stdin: "null",
    stdout: options.stdout === "piped" ? "piped" : "null",
    stderr: options.stderr === "null" ? "null" : "piped",
  }).spawn();
  const stdout = options.stdout === "piped" ? new LineReader(child.stdout) : null;
  const stderr = options.stderr === "null" ? null : new LineReader(child.stderr);
  const killTimer = setTimeout(() => {
    void signalProgram("SIGKILL");
  }, options.timeoutMs ?? 600_000);

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
      await new Promise((r) => setTimeout(r, 5));
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
    clearTimeout(killTimer);
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
      const timer = setTimeout(() => void signalProgram("SIGKILL"), graceMs);
      const result = await finished;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Signal senders of every program still running. */
const live = new Set<(signal: Deno.Signal) => Promise<void>>();

/** Kills (SIGKILL) every program started by {@linkcode spawnTimed} that is still running. */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((send) => send("SIGKILL")));
}

/** Runs `command` to completion under GNU time. */
export function runTimed(command: string[], options: SpawnOptions = {}): Promise<Finished> {
  return spawnTimed(command, options).finished;
}

/** Runs `command` and returns its exit code and output (no accounting). */
export async function capture(
  command: string[],
  options: { timeoutMs?: number; stdin?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const child = new Deno.Command(command[0], {
      args: command.slice(1),
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // Gone.
      }
    }, options.timeoutMs ?? 60_000);
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.stdin));
      await writer.close();
    }
    const out = await child.output();
    clearTimeout(timer);
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } catch (err) {
    return { code: 127, stdout: "", stderr: String(err) };
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
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
    await new Promise((r) => setTimeout(r, 10));
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

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
