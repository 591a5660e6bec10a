/**
 * Test helpers shared by the suites: running the CLI as a user would, reading its output line
 * by line, Python peers, and temporary folders. Every wait here is bounded.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";

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
  const child = cliCommand(args, options, options.stdin !== undefined).spawn();
  const stdin = typeof options.stdin === "string"
    ? new TextEncoder().encode(options.stdin)
    : options.stdin;
  return complete(child, options.timeoutMs ?? 60_000, stdin);
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
 * Writes `stdin` (if any) to `child`, then waits for it to end and collects its output; it is
 * killed after `timeoutMs`.
 */
async function complete(
  child: Deno.ChildProcess,
  timeoutMs: number,
  stdin?: Uint8Array,
): Promise<CliResult> {
  const timer = setTimeout(() => kill(child, "SIGKILL"), timeoutMs);
  try {
    if (stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(stdin);
      await writer.close();
    }
    const out = await child.output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a stream as lines, remembering all of them, so tests can wait for a pattern. */
export class LineReader {
  /** Every line read so far. */
  readonly lines: string[] = [];
  #waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  /** Resolves when the stream has ended. */
  readonly done: Promise<void>;

  /** Starts reading `stream` in the background. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = (async () => {
      const lines = stream.pipeThrough(new TextDecoderStream()).pipeThrough(splitLines());
      for await (const line of lines) {
        this.lines.push(line);
        this.#waiters = this.#waiters.filter((w) => {
          const match = line.match(w.pattern);
          if (match) w.resolve(match);
          return !match;
        });
      }
    })();
  }

  /** Everything read so far, one line per line. */
  get text(): string {
    return this.lines.join("\n");
  }

  /** Waits (at most `timeoutMs`) for a line matching `pattern`, including lines already read. */
  waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    for (const line of this.lines) {
      const match = line.match(pattern);
      if (match) return Promise.resolve(match);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out waiting for ${pattern}; got:\n${this.text}`));
      }, timeoutMs);
      this.#waiters.push({
        pattern,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }
}

function splitLines(): TransformStream<string, string> {
  let pending = "";
  return new TransformStream({
    transform(chunk, controller) {
      const parts = (pending + chunk).split("\n");
      pending = parts.pop()!;
      parts.forEach((p) => controller.enqueue(p));
    },
    flush(controller) {
      if (pending) controller.enqueue(pending);
    },
  });
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
export function background(command: Deno.Command, timeoutMs: number): BackgroundProcess {
  const child = command.spawn();
  const stdout = new LineReader(child.stdout);
  const stderr = new LineReader(child.stderr);
  const timer = setTimeout(() => kill(child, "SIGKILL"), timeoutMs);
  const stop = async (signal: Deno.Signal = "SIGINT") => {
    kill(child, signal);
    const killer = setTimeout(() => kill(child, "SIGKILL"), 10_000);
    const status = await child.status;
    clearTimeout(killer);
    clearTimeout(timer);
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
  return background(cliCommand(args, options, false), options.timeoutMs ?? 120_000);
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
  const proc = spawnCli([...globals, "receive", "--dir", dir, ...address, ...args]);
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

/** `python3 -u tests/peers/NAME ARGS…`, its output piped. */
function pythonCommand(name: string, args: string[]): Deno.Command {
  return new Deno.Command("python3", {
    args: ["-u", peerPath(name), ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Starts a Python peer from `tests/peers/` with `args`. Dispose it to kill it. */
export function spawnPython(name: string, args: string[]): BackgroundProcess {
  return background(pythonCommand(name, args), 120_000);
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
  return complete(pythonCommand(name, args).spawn(), timeoutMs);
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
  const out = await new Deno.Command("setpriv", {
    args: ["--bounding-set=-dac_override,-dac_read_search", ...cliArgv(args)],
    env: { LANG: "C.UTF-8", LC_ALL: "", LC_MESSAGES: "", NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
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
    const deadline = Date.now() + timeoutMs;
    while (true) {
      for (const line of await this.history()) {
        const match = line.match(pattern);
        if (match) return match;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${pattern}; screen:\n${(await this.history()).join("\n")}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
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
