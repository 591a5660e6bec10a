#!/usr/bin/env -S deno run --allow-all
/**
 * Builds one self-contained `sockit` executable per platform into `dist/`, named
 * `sockit-<version>-<target>` (`.exe` on Windows), and writes `dist/SHA256SUMS` in the format of
 * `sha256sum`, so `sha256sum -c SHA256SUMS` checks the downloads.
 *
 * `deno compile` joins the program to Deno's runtime (`denort`) for the target. That runtime comes,
 * in this order, from `DENORT_BIN` (a runtime file for one target), from Deno's local cache
 * (`<DENO_DIR>/dl/release/v<deno version>/denort-<target>.zip`), or, only with `--download`, from
 * Deno's release server. A target whose runtime cannot be obtained is skipped with one line that
 * says how to provide it; the script never fabricates a binary.
 *
 * ```sh
 * deno task compile                                   # every target whose runtime is available
 * deno task compile --target x86_64-pc-windows-msvc   # a subset (repeatable)
 * deno task compile --out /tmp/dist                   # another output folder
 * DENORT_BIN=/path/to/denort deno task compile        # use a runtime file you provide
 * deno task compile --download                        # let deno fetch missing runtimes
 * ```
 *
 * Exit codes: 0 when everything that could be built was built (at least one executable), 1 when
 * nothing was built or a build failed, 2 for a usage error.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import config from "../deno.json" with { type: "json" };

/** The platforms sockit is built for, as Rust target triples (the names `deno compile` uses). */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** One of {@linkcode TARGETS}. */
export type Target = typeof TARGETS[number];

/**
 * The permissions embedded in every executable, and no more: the network (listen, connect),
 * reading files to send, writing received files, `LANG`/`NO_COLOR` from the environment, and
 * the machine's network interfaces (`Deno.networkInterfaces`, a `sys` permission).
 */
export const PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
];

/** The sockit version, from `deno.json`. */
export const VERSION: string = config.version;

/** The project's root folder. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/** The default output folder, `dist/` in the project. */
export const DEFAULT_OUT: string = join(ROOT, "dist");

/** Longest a single `deno compile` may run before it is stopped. */
const COMPILE_TIMEOUT_MS = 10 * 60_000;

/** An expected failure of the compile script: printed as one line, exit code attached. */
export class CompileError extends Error {
  /** The process exit code for this failure (1 failure, 2 usage). */
  readonly exitCode: number;

  /** Creates an error with a one-line `message` and an exit code (default 1). */
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CompileError";
    this.exitCode = exitCode;
  }
}

/**
 * Whether `value` is one of {@linkcode TARGETS}.
 *
 * @example
 * ```ts
 * import { isTarget } from "./compile.ts";
 * isTarget("aarch64-apple-darwin"); // true
 * isTarget("i686-pc-windows-msvc"); // false
 * ```
 */
export function isTarget(value: string): value is Target {
  return (TARGETS as readonly string[]).includes(value);
}

/**
 * The file name of the executable for `target`.
 *
 * @example
 * ```ts
 * import { artifactName } from "./compile.ts";
 * artifactName("0.1.0", "x86_64-pc-windows-msvc"); // "sockit-0.1.0-x86_64-pc-windows-msvc.exe"
 * ```
 */
export function artifactName(version: string, target: Target): string {
  return `sockit-${version}-${target}${target.includes("windows") ? ".exe" : ""}`;
}

/** What the command line asked for. */
export interface CompileOptions {
  /** Targets to build, in {@linkcode TARGETS} order, without duplicates. */
  targets: Target[];
  /** Output folder, absolute. */
  out: string;
  /** Let `deno compile` download runtimes that are not available locally. */
  download: boolean;
  /** `--help` was given. */
  help: boolean;
}

/** The script's usage text. */
export const USAGE: string = `Usage: deno task compile [--target TARGET]... [--out DIR] [--download]

Builds sockit ${VERSION} for each target into DIR (default: dist/) and writes DIR/SHA256SUMS.

Options:
  --target TARGET  build only this target (repeatable); one of:
                   ${TARGETS.join("\n                   ")}
  --out DIR        output folder (default: dist/ in the project)
  --download       let deno fetch missing runtimes from Deno's release server
  -h, --help       show this help

Runtime (denort) for each target, first found wins:
  DENORT_BIN=/path/to/denort   a runtime file you provide (it builds the target it was made for)
  Deno's local cache            <DENO_DIR>/dl/release/v<deno version>/denort-<target>.zip
  --download                    Deno's release server (needs internet access)
`;

/**
 * Parses the script's arguments. Relative `--out` folders are resolved against `cwd`.
 *
 * @throws {CompileError} exit code 2 for an unknown option, a missing value or an unknown target.
 * @example
 * ```ts
 * import { parseCompileArgs } from "./compile.ts";
 * parseCompileArgs(["--target", "aarch64-apple-darwin", "--out", "build"], "/src").targets;
 * // ["aarch64-apple-darwin"]
 * ```
 */
export function parseCompileArgs(
  args: readonly string[],
  cwd: string = Deno.cwd(),
): CompileOptions {
  const wanted = new Set<Target>();
  let out = DEFAULT_OUT;
  let download = false;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [name, inline] = arg.startsWith("--") && arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v === "") throw new CompileError(`${name} needs a value.`, 2);
      return v;
    };
    switch (name) {
      case "--target": {
        const target = value();
        if (!isTarget(target)) {
          throw new CompileError(
            `unknown target '${target}'; choose from ${TARGETS.join(", ")}.`,
            2,
          );
        }
        wanted.add(target);
        break;
      }
      case "--out":
        out = resolve(cwd, value());
        break;
      case "--download":
        download = true;
        break;
      case "-h":
      case "--help":
        help = true;
        break;
      default:
        throw new CompileError(`unknown argument '${arg}'; see deno task compile --help.`, 2);
    }
  }
  const targets = wanted.size ? TARGETS.filter((t) => wanted.has(t)) : [...TARGETS];
  return { targets, out, download, help };
}

/**
 * Where Deno keeps the runtime it downloaded for `target`:
 * `<denoDir>/dl/release/v<denoVersion>/denort-<target>.zip`. `deno compile` uses that file
 * instead of downloading when it exists (release builds of Deno; canary builds use another folder).
 *
 * @example
 * ```ts
 * import { runtimeCachePath } from "./compile.ts";
 * runtimeCachePath("/home/me/.cache/deno", "2.9.6", "x86_64-apple-darwin");
 * // "/home/me/.cache/deno/dl/release/v2.9.6/denort-x86_64-apple-darwin.zip"
 * ```
 */
export function runtimeCachePath(denoDir: string, denoVersion: string, target: Target): string {
  return join(denoDir, "dl", "release", `v${denoVersion}`, `denort-${target}.zip`);
}

/**
 * The target an executable was built for, read from the first bytes of the file (ELF, Mach-O or
 * PE header), or `undefined` when it is none of {@linkcode TARGETS}. Used to tell which target a
 * `DENORT_BIN` runtime can build.
 *
 * @example
 * ```ts
 * import { detectRuntimeTarget } from "./compile.ts";
 * const header = await Deno.readFile(Deno.execPath());
 * detectRuntimeTarget(header.subarray(0, 4096)); // e.g. "x86_64-unknown-linux-gnu"
 * ```
 */
export function detectRuntimeTarget(header: Uint8Array): Target | undefined {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const u16 = (at: number) => at + 2 <= header.length ? view.getUint16(at, true) : -1;
  const u32 = (at: number) => at + 4 <= header.length ? view.getUint32(at, true) : -1;
  // ELF, 64-bit, little-endian: e_machine at offset 18.
  if (u32(0) === 0x464c457f && header[4] === 2 && header[5] === 1) {
    return ({ 62: "x86_64-unknown-linux-gnu", 183: "aarch64-unknown-linux-gnu" } as const)[
      u16(18) as 62 | 183
    ];
  }
  // Mach-O, 64-bit, little-endian: cputype at offset 4.
  if (u32(0) === 0xfeedfacf) {
    const cpu = u32(4);
    if (cpu === 0x01000007) return "x86_64-apple-darwin";
    if (cpu === 0x0100000c) return "aarch64-apple-darwin";
    return undefined;
  }
  // PE: "MZ", then the "PE\0\0" header at e_lfanew, machine right after it.
  if (u16(0) === 0x5a4d) {
    const pe = u32(0x3c);
    if (pe > 0 && u32(pe) === 0x00004550 && u16(pe + 4) === 0x8664) {
      return "x86_64-pc-windows-msvc";
    }
  }
  return undefined;
}

/**
 * One line of a `SHA256SUMS` file, exactly as `sha256sum` prints it (text mode: two spaces).
 *
 * @throws {CompileError} when the name cannot be written without escaping.
 * @example
 * ```ts
 * import { sha256sumsLine } from "./compile.ts";
 * sha256sumsLine("ab".repeat(32), "sockit-0.1.0-x86_64-apple-darwin");
 * // "abab…ab  sockit-0.1.0-x86_64-apple-darwin"
 * ```
 */
export function sha256sumsLine(sha256: string, name: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new CompileError(`not a SHA-256 digest: '${sha256}'`);
  if (/[\\\n\r]/.test(name)) throw new CompileError(`file name needs escaping: '${name}'`);
  return `${sha256}  ${name}`;
}

/** A file and its SHA-256 digest (lower-case hex). */
export interface Checksum {
  /** File name, without folders. */
  name: string;
  /** SHA-256 digest, 64 lower-case hex digits. */
  sha256: string;
}

/**
 * The whole `SHA256SUMS` text: one {@linkcode sha256sumsLine} per file, sorted by name, with a
 * final newline.
 *
 * @example
 * ```ts
 * import { formatSha256Sums } from "./compile.ts";
 * formatSha256Sums([{ name: "b", sha256: "0".repeat(64) }, { name: "a", sha256: "1".repeat(64) }]);
 * // "111…1  a\n000…0  b\n"
 * ```
 */
export function formatSha256Sums(entries: readonly Checksum[]): string {
  return [...entries]
    .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    .map((e) => sha256sumsLine(e.sha256, e.name) + "\n")
    .join("");
}

/** The SHA-256 digest of a file, read as a stream (executables are tens of megabytes). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

/** Where a target's runtime comes from. */
export type RuntimeSource =
  | { kind: "env"; path: string }
  | { kind: "cache"; path: string }
  | { kind: "download" };

/** What {@linkcode findRuntime} knows about the machine. */
export interface RuntimeContext {
  /** `DENORT_BIN`, validated, and the target it can build. */
  denort?: { path: string; target: Target };
  /** Deno's cache folder (`deno info --json`, `denoDir`). */
  denoDir: string;
  /** The version of the `deno` that compiles (the cached runtime must match it). */
  denoVersion: string;
  /** Whether `deno compile` may download a missing runtime. */
  download: boolean;
}

/**
 * Finds the runtime for `target`: `DENORT_BIN` when it was made for that target, else Deno's
 * local cache, else a download when allowed; `undefined` when none is available.
 */
export async function findRuntime(
  target: Target,
  context: RuntimeContext,
): Promise<RuntimeSource | undefined> {
  if (context.denort?.target === target) return { kind: "env", path: context.denort.path };
  const cached = runtimeCachePath(context.denoDir, context.denoVersion, target);
  if (await isFile(cached)) return { kind: "cache", path: cached };
  return context.download ? { kind: "download" } : undefined;
}

/**
 * The one line printed for a target whose runtime could not be obtained, saying how to provide it.
 *
 * @example
 * ```ts
 * import { missingRuntimeMessage } from "./compile.ts";
 * missingRuntimeMessage("x86_64-apple-darwin", { denoDir: "/root/.cache/deno", denoVersion: "2.9.6" });
 * ```
 */
export function missingRuntimeMessage(
  target: Target,
  context: Pick<RuntimeContext, "denort" | "denoDir" | "denoVersion">,
  downloadError?: string,
): string {
  const where = [
    context.denort ? `DENORT_BIN is a runtime for ${context.denort.target} only` : "",
    `not in Deno's local cache at ${
      join(context.denoDir, "dl", "release", `v${context.denoVersion}`)
    }`,
    downloadError === undefined
      ? "no network access to Deno's release server"
      : `download from Deno's release server failed: ${downloadError}`,
  ].filter(Boolean).join("; ");
  return `sockit compile: skipped ${target}: Deno's runtime (denort ${context.denoVersion}) for it ` +
    `could not be obtained (${where}). Provide one: DENORT_BIN=/path/to/denort deno task compile ` +
    `--target ${target}, or run deno task compile --download on a machine with internet access.`;
}

/**
 * The most specific reason in `deno compile`'s error output: the innermost "Caused by" entry, else
 * the `error:` line, else the last line.
 *
 * @example
 * ```ts
 * import { summarizeDenoError } from "./compile.ts";
 * summarizeDenoError("error: Writing …\n\nCaused by:\n    0: Could not find denort at '/x'\n");
 * // "Could not find denort at '/x'"
 * ```
 */
export function summarizeDenoError(stderr: string): string {
  // deno-lint-ignore no-control-regex
  const lines = stderr.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim());
  const end = lines.findIndex((l) => /^stack backtrace/i.test(l));
  const relevant = end === -1 ? lines : lines.slice(0, end);
  const causes = relevant.filter((l) => /^\d+: /.test(l));
  const error = relevant.find((l) => l.startsWith("error:"));
  const text = causes.length
    ? causes[causes.length - 1].replace(/^\d+: /, "")
    : error?.replace(/^error:\s*/, "") ?? relevant.filter(Boolean).pop() ?? "unknown error";
  return text.length > 300 ? text.slice(0, 297) + "…" : text;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Deno's cache folder, as `deno info --json` reports it (it honours `DENO_DIR`). */
async function denoDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dir = out.success
    ? (JSON.parse(new TextDecoder().decode(out.stdout)) as { denoDir?: string }).denoDir
    : undefined;
  if (!dir) throw new CompileError("could not find Deno's cache folder (deno info --json failed).");
  return dir;
}

/** Validates `DENORT_BIN` and finds the target it was made for. */
async function checkDenortBin(path: string): Promise<{ path: string; target: Target }> {
  let real: string;
  try {
    real = await Deno.realPath(path);
    if (!(await Deno.stat(real)).isFile) throw new Error("not a file");
  } catch {
    throw new CompileError(`DENORT_BIN is set to '${path}', which is not a file.`);
  }
  if (real === await Deno.realPath(Deno.execPath())) {
    throw new CompileError(
      `DENORT_BIN points at the deno command itself ('${path}'), which is not Deno's runtime ` +
        `(denort); set it to a denort ${Deno.version.deno} file or unset it.`,
    );
  }
  using file = await Deno.open(real);
  const header = new Uint8Array(4096);
  const n = (await file.read(header)) ?? 0;
  const target = detectRuntimeTarget(header.subarray(0, n));
  if (!target) {
    throw new CompileError(
      `DENORT_BIN ('${path}') is not an executable for any of ${TARGETS.join(", ")}.`,
    );
  }
  return { path: real, target };
}

type BuildResult = { ok: true } | { ok: false; line: string };

/** Runs `deno compile` for one target with the runtime from `source`. */
async function compileTarget(
  target: Target,
  source: RuntimeSource,
  output: string,
  context: RuntimeContext,
): Promise<BuildResult> {
  const env = Deno.env.toObject();
  delete env.DENORT_BIN;
  if (source.kind === "env") env.DENORT_BIN = source.path;
  env.NO_COLOR = "1";
  const timeout = AbortSignal.timeout(COMPILE_TIMEOUT_MS);
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      "--target",
      target,
      "--output",
      output,
      "--exclude-unused-npm",
      ...PERMISSIONS,
      join(ROOT, "main.ts"),
    ],
    cwd: ROOT,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: timeout,
  });
  const out = await command.output();
  if (out.success) return { ok: true };
  await removeLeftovers(output);
  const stderr = new TextDecoder().decode(out.stderr);
  const reason = timeout.aborted
    ? `deno compile did not finish within ${COMPILE_TIMEOUT_MS / 60_000} minutes`
    : out.signal
    ? `deno compile crashed (${out.signal}: ${summarizeDenoError(stderr)})${
      source.kind === "download" ? "" : `; is ${source.path} really denort ${context.denoVersion}?`
    }`
    : summarizeDenoError(stderr);
  if (source.kind === "download" && /Setting up base binary|Download/.test(stderr)) {
    return { ok: false, line: missingRuntimeMessage(target, context, reason) };
  }
  return { ok: false, line: `sockit compile: could not build ${target}: ${reason}` };
}

/** Runs a freshly built executable for this machine and checks that it is sockit. */
async function smokeTest(path: string): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(path, {
      args: ["--version"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    if (out.success && text.startsWith(`sockit ${VERSION} (`)) return undefined;
    return `'${basename(path)} --version' printed '${text.split("\n")[0]}' (exit ${out.code})`;
  } catch (err) {
    return `'${basename(path)} --version' could not run: ${(err as Error).message}`;
  }
}

async function removeIfPresent(path: string): Promise<void> {
  await Deno.remove(path).catch(() => {});
}

/** Removes `<output>.tmp-…` files that a crashed `deno compile` leaves next to its output. */
async function removeLeftovers(output: string): Promise<void> {
  const dir = dirname(output);
  const prefix = `${basename(output)}.tmp-`;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.startsWith(prefix)) {
        await removeIfPresent(join(dir, entry.name));
      }
    }
  } catch {
    // The folder is gone: nothing to clean.
  }
}

/**
 * Runs the compile script with `args` and resolves with the exit code. Prints one line per built,
 * skipped or failed target.
 */
export async function main(args: string[]): Promise<number> {
  try {
    const options = parseCompileArgs(args);
    if (options.help) {
      console.log(USAGE);
      return 0;
    }
    const denortBin = Deno.env.get("DENORT_BIN");
    const context: RuntimeContext = {
      denort: denortBin ? await checkDenortBin(denortBin) : undefined,
      denoDir: await denoDir(),
      denoVersion: Deno.version.deno,
      download: options.download,
    };
    let built = 0;
    let failed = 0;
    for (const target of options.targets) {
      const source = await findRuntime(target, context);
      if (!source) {
        console.error(missingRuntimeMessage(target, context));
        continue;
      }
      await Deno.mkdir(options.out, { recursive: true });
      const output = join(options.out, artifactName(VERSION, target));
      const from = source.kind === "env"
        ? `DENORT_BIN ${source.path}`
        : source.kind === "cache"
        ? `cached runtime ${source.path}`
        : "runtime from Deno's release server";
      console.log(`sockit compile: building ${basename(output)} with ${from}…`);
      const result = await compileTarget(target, source, output, context);
      if (!result.ok) {
        console.error(result.line);
        failed++;
        continue;
      }
      if (target === Deno.build.target) {
        const problem = await smokeTest(output);
        if (problem) {
          await removeIfPresent(output);
          console.error(
            `sockit compile: removed ${basename(output)}: ${problem}; the runtime used is not ` +
              `Deno's runtime (denort ${Deno.version.deno}).`,
          );
          failed++;
          continue;
        }
      }
      const size = (await Deno.stat(output)).size / 1024 / 1024;
      console.log(`sockit compile: built ${output} (${size.toFixed(1)} MiB)`);
      built++;
    }
    if (built === 0) return 1;
    const sums: Checksum[] = [];
    for (const target of TARGETS) {
      const name = artifactName(VERSION, target);
      const path = join(options.out, name);
      if (await isFile(path)) sums.push({ name, sha256: await sha256File(path) });
    }
    await Deno.writeTextFile(join(options.out, "SHA256SUMS"), formatSha256Sums(sums));
    console.log(
      `sockit compile: wrote ${join(options.out, "SHA256SUMS")} (${
        sums.map((s) => s.name).join(", ")
      })`,
    );
    return failed ? 1 : 0;
  } catch (err) {
    if (err instanceof CompileError) {
      console.error(`sockit compile: ${err.message}`);
      return err.exitCode;
    }
    // File-system failures (an output folder that cannot be created or written, …) are expected.
    if (err instanceof Error && Object.values(Deno.errors).some((e) => err instanceof e)) {
      console.error(`sockit compile: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
