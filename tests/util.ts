/**
 * Test helpers shared by the suites, one per purpose: bounded waits (for a promise, a condition,
 * an event, a printed line, a process's exit), socket and byte helpers, hashing, running the CLI
 * as a user would, Python peers, and temporary folders. Every wait here is bounded.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { delay, onAbort, within as settleWithin } from "../lib/core/delay.ts";
import { textLines } from "../lib/echo/client.ts";
import { KeySchedule } from "../lib/crypto/session_keys.ts";
import type { SessionKeys } from "../lib/crypto/session_keys.ts";

export { delay };
export { sha256File } from "../scripts/compile.ts";

/** The project's root folder. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/** The CLI entry; `SOCKIT_CLI` points the CLI tests at a bundled file instead. */
export const CLI_ENTRY: string = Deno.env.get("SOCKIT_CLI") ?? `${ROOT}main.ts`;

/** Path of a Python peer in `tests/peers/`. */
export function peerPath(name: string): string {
  return `${ROOT}tests/peers/${name}`;
}

/** How a CLI invocation ended. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Everything written to standard output. */
  stdout: string;
  /** Everything written to standard error. */
  stderr: string;
}

/** Options for {@linkcode runCli} and {@linkcode spawnCli}. */
export interface CliOptions {
  /** Text written to the program's standard input, which is then closed. */
  stdin?: string | Uint8Array;
  /**
   * Extra environment variables (`LANG` defaults to `C.UTF-8`, `NO_COLOR` to `1`; `LC_ALL` and
   * `LC_MESSAGES` are emptied so the caller's locale cannot change the language).
   */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  /** Kill the program after this many milliseconds. Default 60 000. */
  timeoutMs?: number;
  /** Run it inside this network namespace (`ip netns exec`, root only; see tests/netns.ts). */
  netns?: string;
}

/** The program and arguments that run `sockit ARGS…` for the CLI entry under test. */
export function cliArgv(args: string[]): string[] {
  return CLI_ENTRY.endsWith(".ts") || CLI_ENTRY.endsWith(".js")
    ? [Deno.execPath(), "run", "--allow-all", "--quiet", CLI_ENTRY, ...args]
    : [CLI_ENTRY, ...args];
}

function cliCommand(args: string[], options: CliOptions, piped: boolean): Deno.Command {
  const argv = cliArgv(args);
  const [command, ...commandArgs] = options.netns === undefined
    ? argv
    : ["ip", "netns", "exec", options.netns, ...argv];
  return new Deno.Command(command, {
    args: commandArgs,
    cwd: options.cwd,
    env: { LANG: "C.UTF-8", LC_ALL: "", LC_MESSAGES: "", NO_COLOR: "1", ...options.env },
    stdin: piped ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/**
 * Runs `sockit ARGS…` to completion and collects its output.
 *
 * @example
 * ```ts
 * const { code, stdout } = await runCli(["--version"]);
 * ```
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const stdin = typeof options.stdin === "string"
    ? new TextEncoder().encode(options.stdin)
    : options.stdin;
  return runCommand(cliCommand(args, options, stdin !== undefined), { ...options, stdin });
}

/** Sends `signal` to `child`, unless it already exited. */
function kill(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // Already exited.
  }
}

/**
 * Spawns `command` (stdout and stderr piped; stdin piped when `stdin` is given), writes `stdin`,
 * then waits for it to end and collects its output; it is killed after `timeoutMs` (default
 * 60 000).
 *
 * @example
 * ```ts
 * const { code } = await runCommand(new Deno.Command("true", { stdout: "piped", stderr: "piped" }));
 * ```
 */
export async function runCommand(
  command: Deno.Command,
  options: { timeoutMs?: number; stdin?: Uint8Array } = {},
): Promise<CliResult> {
  const { timeoutMs = 60_000, stdin } = options;
  const child = command.spawn();
  using _ = onAbort(AbortSignal.timeout(timeoutMs), () => kill(child, "SIGKILL"));
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/**
 * Runs `deno task TASK ARGS…` of this project from `cwd`, as typed in a fresh terminal: `deno
 * task` keeps an INIT_CWD it inherits (this suite may itself run under `deno task`), so it starts
 * from a clean environment with only `PATH`, `HOME` and Deno's cache folders.
 */
export function runTask(task: string, args: string[], cwd: string): Promise<CliResult> {
  const keep = ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"];
  return runCommand(
    new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "--config", join(ROOT, "deno.json"), task, ...args],
      cwd,
      clearEnv: true,
      env: {
        ...Object.fromEntries(
          keep.flatMap((n) => Deno.env.get(n) === undefined ? [] : [[n, Deno.env.get(n)!]]),
        ),
        NO_COLOR: "1",
        LANG: "C.UTF-8",
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }),
    { timeoutMs: 120_000 },
  );
}

/** Reads a stream as lines, remembering all of them, so tests can wait for a pattern. */
export class LineReader {
  /** Every line read so far. */
  readonly lines: string[] = [];
  #waiters = new Set<(line: string) => void>();
  /** Resolves when the stream has ended. */
  readonly done: Promise<void>;

  /** Starts reading `stream` in the background. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = (async () => {
      for await (const line of stream.pipeThrough(textLines())) {
        this.lines.push(line);
        for (const waiter of this.#waiters) waiter(line);
      }
    })();
  }

  /** Everything read so far, one line per line. */
  get text(): string {
    return this.lines.join("\n");
  }

  /** Waits (at most `timeoutMs`) for a line matching `pattern`, including lines already read. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return (await this.waitForLines(pattern, 1, timeoutMs))[0];
  }

  /**
   * Waits (at most `timeoutMs`) until `n` lines, including lines already read, match `pattern`;
   * resolves with every match so far, in order.
   */
  waitForLines(pattern: RegExp, n: number, timeoutMs = 20_000): Promise<RegExpMatchArray[]> {
    const found = this.lines.map((line) => line.match(pattern))
      .filter((match): match is RegExpMatchArray => match !== null);
    if (found.length >= n) return Promise.resolve(found);
    let waiter = (_line: string) => {};
    const enough = new Promise<RegExpMatchArray[]>((resolve) => {
      waiter = (line) => {
        const match = line.match(pattern);
        if (match) found.push(match);
        if (found.length >= n) resolve(found);
      };
      this.#waiters.add(waiter);
    });
    return within(
      timeoutMs,
      enough,
      () => `waiting for ${n} lines like ${pattern}; got:\n${this.text}`,
    ).finally(() => this.#waiters.delete(waiter));
  }
}

/** A process running in the background (a server, receiver or Python peer). */
export interface BackgroundProcess extends AsyncDisposable {
  /** The child process. */
  child: Deno.ChildProcess;
  /** Its standard output, line by line. */
  stdout: LineReader;
  /** Its standard error, line by line. */
  stderr: LineReader;
  /** Sends `signal` (default SIGINT) and waits, at most 10 s before SIGKILL, for the exit. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/**
 * Starts `command` in the background with its output piped and read line by line; it is killed
 * after `timeoutMs`. Dispose it (`await using`) to kill it.
 *
 * @example
 * ```ts
 * await using peer = background(new Deno.Command("python3", { args: ["-c", "print(1)"], stdout: "piped", stderr: "piped" }), 10_000);
 * await peer.stdout.waitFor(/^1$/);
 * ```
 */
export function background(command: Deno.Command, timeoutMs = 120_000): BackgroundProcess {
  const child = command.spawn();
  const stdout = new LineReader(child.stdout);
  const stderr = new LineReader(child.stderr);
  const limit = onAbort(AbortSignal.timeout(timeoutMs), () => kill(child, "SIGKILL"));
  const stop = async (signal: Deno.Signal = "SIGINT") => {
    kill(child, signal);
    using _ = onAbort(AbortSignal.timeout(10_000), () => kill(child, "SIGKILL"));
    const status = await child.status;
    limit[Symbol.dispose]();
    await Promise.all([stdout.done, stderr.done]);
    return status;
  };
  return {
    child,
    stdout,
    stderr,
    stop,
    [Symbol.asyncDispose]: async () => void await stop("SIGKILL"),
  };
}

/**
 * Starts `sockit ARGS…` in the background. Dispose it (`await using`) to kill it.
 *
 * @example
 * ```ts
 * await using server = spawnCli(["echo-server", "--port", "0", "--host", "127.0.0.1"]);
 * const [, port] = await server.stdout.waitFor(/listening on .*:(\d+)/);
 * ```
 */
export function spawnCli(args: string[], options: CliOptions = {}): BackgroundProcess {
  return background(cliCommand(args, options, false), options.timeoutMs);
}

/** Options for {@linkcode cliReceiver}. */
export interface CliReceiverOptions {
  /**
   * The folder to store into. Default: `received` inside a new temporary folder, which is
   * removed when the receiver is disposed.
   */
  dir?: string;
  /** The port to listen on. Default 0 (a free one). */
  port?: number;
  /** Global options, given before `receive` (`--json`, `--lang ko`, …). */
  globals?: string[];
  /**
   * The receiver's pairing code, given as `SOCKIT_CODE`. Default: none, and the receiver runs
   * with `--open` (no code, no encryption: what every test not about pairing wants).
   */
  code?: string;
  /** Further `receive` options, given after `--port`. */
  args?: string[];
}

/** A running `sockit receive` on 127.0.0.1. Dispose it to kill it. */
export interface CliReceiver extends AsyncDisposable {
  /** The process. */
  proc: BackgroundProcess;
  /** The port it listens on. */
  port: number;
  /** The folder it stores into. */
  dir: string;
}

/**
 * Starts `sockit GLOBALS… receive --dir DIR --host 127.0.0.1 --port PORT ARGS…` and waits
 * (bounded) until it listens, reading the port from its first line (from the JSON `listening`
 * event when `--json` is among the options).
 *
 * @example
 * ```ts
 * await using receiver = await cliReceiver({ args: ["--overwrite"] });
 * await runCli(["send", "a.txt", "--to", `127.0.0.1:${receiver.port}`]);
 * ```
 */
export async function cliReceiver(options: CliReceiverOptions = {}): Promise<CliReceiver> {
  const { globals = [], args = [] } = options;
  const temp = options.dir === undefined ? await tempDir("sockit-receive-") : undefined;
  const dir = options.dir ?? join(temp!.path, "received");
  const address = ["--host", "127.0.0.1", "--port", String(options.port ?? 0)];
  const open = options.code === undefined && !args.includes("--code-file") ? ["--open"] : [];
  const env: Record<string, string> = options.code === undefined
    ? {}
    : { SOCKIT_CODE: options.code };
  const proc = spawnCli([...globals, "receive", "--dir", dir, ...address, ...open, ...args], {
    env,
  });
  const dispose = async () => {
    await proc.stop("SIGKILL");
    await temp?.[Symbol.asyncDispose]();
  };
  const listening = [...globals, ...args].includes("--json")
    ? /^\{"type":"listening".*"port":(\d+)/
    : /127\.0\.0\.1:(\d+)/;
  try {
    const [, found] = await proc.stdout.waitFor(listening, 20_000);
    return { proc, port: Number(found), dir, [Symbol.asyncDispose]: dispose };
  } catch (err) {
    await dispose();
    throw new Error(`the receiver did not start: ${err}\n${proc.stderr.text}`, { cause: err });
  }
}

/**
 * Asserts the program failed with exit `code` and exactly one line on stderr, `sockit: …`
 * matching `pattern`, and no stack trace or raw error anywhere.
 */
export function assertOneLineError(result: CliResult, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, `exit code; stderr: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0], /^sockit: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(result.stderr + result.stdout, /^\s+at |Error:|Uncaught/m, "no stack trace");
}

/** `python3 -u tests/peers/NAME ARGS…`, its output piped. */
function pythonCommand(name: string, args: string[]): Deno.Command {
  return new Deno.Command("python3", {
    args: ["-u", peerPath(name), ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/**
 * Starts `argv` inside the network namespace `ns` (`ip netns exec`, root only; see
 * tests/netns.ts) with its output piped, in the background. Dispose it to kill it.
 */
export function spawnInNetns(ns: string, argv: string[], timeoutMs = 60_000): BackgroundProcess {
  return background(
    new Deno.Command("ip", {
      args: ["netns", "exec", ns, ...argv],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }),
    timeoutMs,
  );
}

/** Starts a Python peer from `tests/peers/` with `args`. Dispose it to kill it. */
export function spawnPython(name: string, args: string[]): BackgroundProcess {
  return background(pythonCommand(name, args));
}

/**
 * Starts a lesson-style Python server peer from `tests/peers/` on 127.0.0.1:0 and waits
 * (bounded) until it prints its port.
 *
 * @example
 * ```ts
 * const { peer, port } = await startPeer("lesson_threaded_echo_server.py");
 * await peer.stop("SIGTERM");
 * ```
 */
export async function startPeer(
  name: string,
  args: string[] = [],
): Promise<{ peer: BackgroundProcess; port: number }> {
  const peer = spawnPython(name, ["--host", "127.0.0.1", "--port", "0", ...args]);
  try {
    const [, port] = await peer.stdout.waitFor(/^listening on (\d+)$/, 10_000);
    return { peer, port: Number(port) };
  } catch (err) {
    await peer.stop("SIGKILL");
    throw new Error(`${err}\nstderr:\n${peer.stderr.text}`);
  }
}

/**
 * Runs a Python peer from `tests/peers/` to completion and collects its output; it is killed
 * after `timeoutMs` (default 30 000).
 *
 * @example
 * ```ts
 * const { code, stdout } = await runPython("lesson_echo_client.py", ["--port", "9999"]);
 * ```
 */
export function runPython(name: string, args: string[], timeoutMs = 30_000): Promise<CliResult> {
  return runCommand(pythonCommand(name, args), { timeoutMs });
}

/** A temporary folder removed when disposed. */
export async function tempDir(
  prefix = "sockit-test-",
): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}

/** Random bytes of any length (crypto.getRandomValues fills at most 64 KiB at a time). */
export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

/**
 * Runs `sockit ARGS…` as root without the right to bypass file permissions (as an ordinary user
 * meets them), or returns why it cannot here.
 */
export async function runCliWithoutOverride(
  args: string[],
): Promise<CliResult | string> {
  if (Deno.uid() !== 0) return "not running as root";
  const setpriv = await new Deno.Command("setpriv", { args: ["--version"], stdout: "null" })
    .output().then((o) => o.success, () => false);
  if (!setpriv) return "setpriv is not installed";
  return await runCommand(
    new Deno.Command("setpriv", {
      args: ["--bounding-set=-dac_override,-dac_read_search", ...cliArgv(args)],
      env: { LANG: "C.UTF-8", LC_ALL: "", LC_MESSAGES: "", NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }),
  );
}

/** Why terminal tests cannot run here (no tmux), or `undefined` when they can. */
export const NO_TMUX: string | undefined = await new Deno.Command("tmux", {
  args: ["-V"],
  stdout: "null",
  stderr: "null",
}).output().then(
  (out) => out.success ? undefined : "tmux -V failed",
  () => "tmux is not installed (apt-get install tmux)",
);

/** Quotes `word` for a POSIX shell. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** `sockit ARGS…` as a shell command line, for the CLI entry under test. */
export function cliShellCommand(args: string[]): string {
  return cliArgv(args).map(shellQuote).join(" ");
}

/**
 * A real terminal of a given size: a private tmux server running a plain shell. Commands are
 * typed into it, keys pressed, and its screen and scrollback read back as a user sees them.
 * Dispose it to kill the server.
 *
 * @example
 * ```ts
 * await using term = await Terminal.open(80, 24, { LANG: "C.UTF-8" });
 * await term.run(cliShellCommand(["--version"]));
 * assert.equal(await term.exitCode(), 0);
 * ```
 */
export class Terminal implements AsyncDisposable {
  #socket: string;
  #runs = 0;

  private constructor(socket: string) {
    this.#socket = socket;
  }

  /** Starts a `columns` × `rows` terminal whose shell has `env` (and `PATH`, `HOME`, `TERM`). */
  static async open(
    columns: number,
    rows: number,
    env: Record<string, string> = {},
    cwd: string = ROOT,
  ): Promise<Terminal> {
    const term = new Terminal(`sockit-test-${crypto.randomUUID().slice(0, 8)}`);
    const vars = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      TERM: "xterm-256color",
      NO_COLOR: "1",
      LANG: "C.UTF-8",
      PS1: "$ ",
      ...env,
    };
    const shell = [
      "env",
      "-i",
      ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
      "bash",
      "--norc",
      "--noprofile",
    ].map(shellQuote).join(" ");
    await term.#tmux([
      "new-session",
      "-d",
      "-x",
      String(columns),
      "-y",
      String(rows),
      "-c",
      cwd,
      shell,
    ]);
    await term.#tmux(["set-option", "-g", "history-limit", "50000"]);
    return term;
  }

  async #tmux(args: string[]): Promise<string> {
    const out = await new Deno.Command("tmux", {
      args: ["-L", this.#socket, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(10_000),
    }).output();
    const decoder = new TextDecoder();
    if (!out.success) throw new Error(`tmux ${args[0]} failed: ${decoder.decode(out.stderr)}`);
    return decoder.decode(out.stdout);
  }

  /** Types `command` and Enter; its exit code is printed after it for {@linkcode exitCode}. */
  async run(command: string): Promise<void> {
    this.#runs++;
    await this.#tmux(["send-keys", "-t", "0", "-l", `${command}; echo "EXIT-${this.#runs}=$?"`]);
    await this.#tmux(["send-keys", "-t", "0", "Enter"]);
  }

  /** Presses keys, in tmux's names (`C-c`, `C-d`, `Enter`). */
  async keys(...keys: string[]): Promise<void> {
    await this.#tmux(["send-keys", "-t", "0", ...keys]);
  }

  /** Everything the terminal shows and has scrolled off, one string per line, trailing blanks dropped. */
  async history(): Promise<string[]> {
    const text = await this.#tmux(["capture-pane", "-p", "-J", "-S", "-", "-t", "0"]);
    const lines = text.split("\n").map((line) => line.trimEnd());
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    return lines;
  }

  /** Waits (checking every 50 ms, at most `timeoutMs`) until a line matches `pattern`. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    let match: RegExpMatchArray | undefined;
    await this.waitUntil(
      (lines) => {
        match = lines.map((line) => line.match(pattern)).find((m) => m !== null) ?? undefined;
        return match !== undefined;
      },
      timeoutMs,
      String(pattern),
    );
    return match!;
  }

  /** Waits (checking every 50 ms, at most `timeoutMs`) until `condition` holds for the lines. */
  async waitUntil(
    condition: (lines: string[]) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<void> {
    let lines: string[] = [];
    // tmux announces nothing: its screen is polled.
    try {
      await waitUntil(async () => condition(lines = await this.history()), timeoutMs, what, 50);
    } catch (err) {
      throw new Error(`${(err as Error).message}; screen:\n${lines.join("\n")}`, { cause: err });
    }
  }

  /** Waits for the last command typed with {@linkcode run} to end and returns its exit code. */
  async exitCode(timeoutMs = 60_000): Promise<number> {
    const [, code] = await this.waitFor(new RegExp(`^EXIT-${this.#runs}=(\\d+)$`), timeoutMs);
    return Number(code);
  }

  /** Kills the terminal and whatever still runs in it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#tmux(["kill-server"]).catch(() => {});
  }
}

// --- Waiting, bounded ---------------------------------------------------------------------------

/**
 * Resolves like `promise`, or rejects after `ms` saying what was awaited.
 *
 * @example
 * ```ts
 * const status = await within(5000, child.status, "the process to exit");
 * ```
 */
export async function within<T>(
  ms: number,
  promise: Promise<T>,
  what: string | (() => string),
): Promise<T> {
  const settled = await settleWithin(promise.then((value) => ({ value })), ms);
  if (settled) return settled.value;
  throw new Error(`timed out after ${ms} ms ${typeof what === "string" ? what : what()}`);
}

/**
 * Polls `condition` every `everyMs` until it holds; fails after `ms`. For conditions nothing
 * announces (a file's size, a process's open files); an event or a printed line is waited for
 * with {@linkcode EventLog.waitFor} or {@linkcode LineReader.waitFor} instead.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
  everyMs = 5,
): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await delay(everyMs);
  }
}

/** Resolves with the exit status of `child`, or null if it is still running after `ms`. */
export async function exitWithin(
  child: Deno.ChildProcess,
  ms: number,
): Promise<Deno.CommandStatus | null> {
  return await settleWithin(child.status, ms) ?? null;
}

/**
 * Events recorded as they are emitted (a library's `onEvent`), which a test can wait for.
 *
 * @example
 * ```ts
 * const log = new EventLog<{ type: string }>();
 * log.record({ type: "ready" });
 * await log.waitFor((e) => e.type === "ready", 1000, "ready");
 * ```
 */
export class EventLog<E extends { type: string }> {
  /** Every event so far, in order. */
  readonly events: E[] = [];
  #waiters = new Set<(event: E) => void>();

  /** Records `event` and wakes whoever waits for it. */
  record(event: E): void {
    this.events.push(event);
    for (const waiter of this.#waiters) waiter(event);
  }

  /** Events of one type. */
  of<T extends E["type"]>(type: T): Extract<E, { type: T }>[] {
    return this.events.filter((e) => e.type === type) as Extract<E, { type: T }>[];
  }

  /** Waits (bounded) for an event matching `test`, including one already recorded. */
  waitFor(test: (event: E) => boolean, timeoutMs: number, what: string): Promise<E> {
    const found = this.events.find(test);
    if (found) return Promise.resolve(found);
    let waiter = (_event: E) => {};
    const match = new Promise<E>((resolve) => {
      waiter = (event) => test(event) && resolve(event);
      this.#waiters.add(waiter);
    });
    return within(
      timeoutMs,
      match,
      () => `waiting for ${what}; last events: ${JSON.stringify(this.events.slice(-8))}`,
    ).finally(() => this.#waiters.delete(waiter));
  }
}

// --- Sockets and bytes --------------------------------------------------------------------------

/** A TCP port on 127.0.0.1 with nothing listening (it was free a moment ago). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Runs a Python client that sends `bye` and then resets the connection: `unread` closes while
 * the echo sits unread in its receive buffer (the kernel then sends RST instead of FIN), and
 * `linger` closes with SO_LINGER (1, 0). A Deno client cannot do either: `Deno.Conn.close()`
 * shuts down the write side (FIN) before closing. Returns the client's `HOST:PORT`.
 */
export async function resetClient(
  port: number,
  mode: "unread" | "linger" = "linger",
): Promise<string> {
  const script = [
    "import select, socket, struct, sys",
    "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)",
    "s.sendall(b'bye')",
    "if sys.argv[2] == 'linger':",
    "    assert s.recv(1024) == b'bye'",
    "    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))",
    "else:",
    "    assert select.select([s], [], [], 5)[0], 'no echo within 5 s'",
    "print(s.getsockname()[1])",
    "s.close()",
  ].join("\n");
  const out = await runCommand(
    new Deno.Command("python3", {
      args: ["-c", script, String(port), mode],
      stdout: "piped",
      stderr: "piped",
    }),
  );
  if (out.code !== 0) throw new Error(`the resetting client failed: ${out.stderr}`);
  return `127.0.0.1:${out.stdout.trim()}`;
}

/** Writes all of `bytes` to `conn`. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += await conn.write(bytes.subarray(offset));
}

/**
 * Reads until `n` bytes arrived or the peer closed, and returns what came; the socket is closed
 * (and the read fails) if that takes longer than `timeoutMs`.
 */
export async function readBytes(
  conn: Deno.Conn,
  n: number,
  timeoutMs = 10_000,
): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  using _ = onAbort(AbortSignal.timeout(timeoutMs), () => conn.close());
  while (got < n) {
    const read = await conn.read(out.subarray(got));
    if (read === null) break;
    got += read;
  }
  return out.subarray(0, got);
}

/** Concatenates text (as UTF-8), byte lists and byte arrays into one array. */
export function concatBytes(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  const encoder = new TextEncoder();
  const chunks = parts.map((p) =>
    typeof p === "string" ? encoder.encode(p) : p instanceof Uint8Array ? p : new Uint8Array(p)
  );
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Two ends of one fresh connection over 127.0.0.1: `[client, server]`. */
export async function loopbackPair(): Promise<[Deno.TcpConn, Deno.TcpConn]> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
}

/** Record keys of both sides of one session, from a random key (no handshake). */
export async function recordSessionKeys(): Promise<{ sender: SessionKeys; receiver: SessionKeys }> {
  const schedule = new KeySchedule(crypto.getRandomValues(new Uint8Array(64)), new Uint8Array(0));
  return {
    sender: await schedule.recordKeys("sender"),
    receiver: await schedule.recordKeys("receiver"),
  };
}

/** Lower-case hex SHA-256 of `bytes` (of a file: `sha256File`). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
