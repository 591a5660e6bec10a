/**
 * The program is self-contained: `deno bundle` turns it into one JavaScript file that runs from
 * any folder without the project's files, and the CLI end-to-end tests pass against that file
 * (and against the compiled executable when a real Deno runtime is given in `DENORT_BIN`). Also
 * tests the pure parts of `scripts/compile.ts` and how it explains a missing runtime.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  artifactName,
  CompileError,
  detectRuntimeTarget,
  formatSha256Sums,
  isTarget,
  missingRuntimeMessage,
  parseCompileArgs,
  PERMISSIONS,
  runtimeCachePath,
  sha256File,
  sha256sumsLine,
  summarizeDenoError,
  type Target,
  TARGETS,
  VERSION,
} from "../scripts/compile.ts";
import { background, ROOT, runCommand, tempDir } from "./util.ts";
import type { CliResult } from "./util.ts";

/** Runs a command to completion (killed after `timeoutMs`), with `NO_COLOR` set. */
function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; clearEnv?: boolean; timeoutMs?: number } =
    {},
): Promise<CliResult> {
  return runCommand(
    new Deno.Command(command, {
      args,
      cwd: options.cwd ?? ROOT,
      env: { NO_COLOR: "1", ...options.env },
      clearEnv: options.clearEnv,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }),
    { timeoutMs: options.timeoutMs ?? 120_000 },
  );
}

function tail(text: string, lines = 80): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** The CLI end-to-end test files present now (never this file, so a nested run cannot recurse). */
function endToEndTestFiles(): string[] {
  return [...Deno.readDirSync(join(ROOT, "tests"))]
    .filter((e) => e.isFile && /^(cli|interop)_.+_test\.ts$/.test(e.name))
    .map((e) => join(ROOT, "tests", e.name))
    .sort();
}

/** Runs every CLI end-to-end test file with `SOCKIT_CLI=cli` and fails with the output's tail. */
async function runEndToEnd(cli: string, files: string[]): Promise<void> {
  const result = await run(Deno.execPath(), ["test", "--allow-all", ...files], {
    env: { SOCKIT_CLI: cli },
    timeoutMs: 15 * 60_000,
  });
  const output = `${result.stdout}\n${result.stderr}`;
  assert.equal(
    result.code,
    0,
    `end-to-end tests failed against ${cli} (exit ${result.code}):\n${tail(output)}`,
  );
  assert.match(output, /ok \| \d+ passed/);
}

/** `deno run` of the bundle from `cwd`, with the project folder unreadable. */
function bundleArgs(bundle: string, args: string[]): string[] {
  return ["run", "--no-config", "--allow-all", `--deny-read=${ROOT}`, "--quiet", bundle, ...args];
}

const versionLinePattern = (target: string) =>
  new RegExp(
    `^sockit ${VERSION.replaceAll(".", "\\.")} \\(Deno ${
      Deno.version.deno.replaceAll(".", "\\.").replaceAll("+", "\\+")
    }, ${target}\\)$`,
  );

// ---------------------------------------------------------------------------------------------
// scripts/compile.ts: pure functions

Deno.test("compile: artifact names carry version and target, .exe only on Windows", () => {
  assert.equal(
    artifactName("0.1.0", "x86_64-unknown-linux-gnu"),
    "sockit-0.1.0-x86_64-unknown-linux-gnu",
  );
  assert.equal(artifactName("0.1.0", "aarch64-apple-darwin"), "sockit-0.1.0-aarch64-apple-darwin");
  assert.equal(
    artifactName("1.2.3", "x86_64-pc-windows-msvc"),
    "sockit-1.2.3-x86_64-pc-windows-msvc.exe",
  );
  const names = TARGETS.map((t) => artifactName(VERSION, t));
  assert.equal(new Set(names).size, TARGETS.length);
  assert.deepEqual(names.filter((n) => n.endsWith(".exe")), [
    `sockit-${VERSION}-x86_64-pc-windows-msvc.exe`,
  ]);
  assert.deepEqual([...TARGETS], [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
  ]);
});

Deno.test("compile: version comes from deno.json and permissions are exactly the CLI's", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  assert.equal(VERSION, config.version);
  assert.deepEqual([...PERMISSIONS], [
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
  ]);
});

Deno.test("compile: target and option parsing", () => {
  const all = parseCompileArgs([], "/src");
  assert.deepEqual(all.targets, [...TARGETS]);
  assert.equal(all.out, join(ROOT, "dist"));
  assert.equal(all.download, false);
  const some = parseCompileArgs(
    ["--target", "x86_64-pc-windows-msvc", "--target=aarch64-apple-darwin", "--out", "build"],
    "/src",
  );
  assert.deepEqual(some.targets, ["aarch64-apple-darwin", "x86_64-pc-windows-msvc"]);
  assert.equal(some.out, "/src/build");
  assert.deepEqual(
    parseCompileArgs(["--target", "x86_64-apple-darwin", "--target", "x86_64-apple-darwin"])
      .targets,
    ["x86_64-apple-darwin"],
  );
  assert.equal(parseCompileArgs(["--out=/abs/dir"], "/src").out, "/abs/dir");
  assert.equal(parseCompileArgs(["--download"]).download, true);
  assert.equal(parseCompileArgs(["-h"]).help, true);
  assert.ok(isTarget("aarch64-unknown-linux-gnu"));
  assert.ok(!isTarget("i686-pc-windows-msvc"));
  for (
    const bad of [
      ["--target", "i686-pc-windows-msvc"],
      ["--target"],
      ["--out"],
      ["--out="],
      ["--targets", "x86_64-apple-darwin"],
      ["x86_64-apple-darwin"],
    ]
  ) {
    assert.throws(
      () => parseCompileArgs(bad),
      (err: unknown) => err instanceof CompileError && err.exitCode === 2,
      bad.join(" "),
    );
  }
});

Deno.test("compile: runtime cache path is Deno's download folder", () => {
  assert.equal(
    runtimeCachePath("/home/me/.cache/deno", "2.9.6", "x86_64-apple-darwin"),
    "/home/me/.cache/deno/dl/release/v2.9.6/denort-x86_64-apple-darwin.zip",
  );
});

Deno.test("compile: detects the target of a runtime from its header", async () => {
  const header = (bytes: [number, number][], size = 256) => {
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    for (const [at, value] of bytes) view.setUint32(at, value, true);
    return out;
  };
  const elf = (machine: number, klass = 2) => {
    const h = header([[0, 0x464c457f]]);
    h[4] = klass;
    h[5] = 1;
    new DataView(h.buffer).setUint16(18, machine, true);
    return h;
  };
  assert.equal(detectRuntimeTarget(elf(62)), "x86_64-unknown-linux-gnu");
  assert.equal(detectRuntimeTarget(elf(183)), "aarch64-unknown-linux-gnu");
  assert.equal(detectRuntimeTarget(elf(62, 1)), undefined); // 32-bit
  assert.equal(detectRuntimeTarget(elf(40)), undefined); // ARM 32
  assert.equal(
    detectRuntimeTarget(header([[0, 0xfeedfacf], [4, 0x01000007]])),
    "x86_64-apple-darwin",
  );
  assert.equal(
    detectRuntimeTarget(header([[0, 0xfeedfacf], [4, 0x0100000c]])),
    "aarch64-apple-darwin",
  );
  const pe = (machine: number) => {
    const h = header([[0x3c, 0x80], [0x80, 0x00004550]]);
    h[0] = 0x4d;
    h[1] = 0x5a;
    new DataView(h.buffer).setUint16(0x84, machine, true);
    return h;
  };
  assert.equal(detectRuntimeTarget(pe(0x8664)), "x86_64-pc-windows-msvc");
  assert.equal(detectRuntimeTarget(pe(0x14c)), undefined); // i386
  assert.equal(detectRuntimeTarget(new TextEncoder().encode("#!/bin/sh\necho hi\n")), undefined);
  assert.equal(detectRuntimeTarget(new Uint8Array(0)), undefined);
  // The deno running this test is an executable for this machine.
  if (isTarget(Deno.build.target)) {
    using file = await Deno.open(Deno.execPath());
    const buffer = new Uint8Array(4096);
    const n = (await file.read(buffer)) ?? 0;
    assert.equal(detectRuntimeTarget(buffer.subarray(0, n)), Deno.build.target);
  }
});

Deno.test("compile: SHA256SUMS lines are sha256sum's format", async (t) => {
  const digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; // "abc"
  assert.equal(sha256sumsLine(digest, "a.bin"), `${digest}  a.bin`);
  assert.throws(() => sha256sumsLine("xyz", "a.bin"), CompileError);
  assert.throws(() => sha256sumsLine(digest, "a\nb"), CompileError);
  assert.equal(
    formatSha256Sums([{ name: "b", sha256: "0".repeat(64) }, { name: "a", sha256: digest }]),
    `${digest}  a\n${"0".repeat(64)}  b\n`,
  );
  assert.equal(formatSha256Sums([]), "");

  await using dir = await tempDir("sockit-sums-");
  await Deno.writeTextFile(join(dir.path, "abc.txt"), "abc");
  assert.equal(await sha256File(join(dir.path, "abc.txt")), digest);
  const big = new Uint8Array(3 * 65536 + 7).map((_, i) => i % 251);
  await Deno.writeFile(join(dir.path, "big.bin"), big);
  const expected = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", big)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  assert.equal(await sha256File(join(dir.path, "big.bin")), expected);

  const sums = formatSha256Sums([
    { name: "big.bin", sha256: expected },
    { name: "abc.txt", sha256: digest },
  ]);
  await Deno.writeTextFile(join(dir.path, "SHA256SUMS"), sums);
  const hasSha256sum = await run("sha256sum", ["--version"]).then((r) => r.code === 0, () => false);
  await t.step({
    name: hasSha256sum
      ? "sha256sum -c accepts the file"
      : "sha256sum -c accepts the file (skipped: no sha256sum on this machine)",
    ignore: !hasSha256sum,
    fn: async () => {
      const check = await run("sha256sum", ["-c", "SHA256SUMS"], { cwd: dir.path });
      assert.equal(check.code, 0, check.stdout + check.stderr);
      assert.equal(check.stdout, "abc.txt: OK\nbig.bin: OK\n");
      await Deno.writeTextFile(join(dir.path, "abc.txt"), "abd");
      const broken = await run("sha256sum", ["-c", "SHA256SUMS"], { cwd: dir.path });
      assert.notEqual(broken.code, 0);
    },
  });
});

Deno.test("compile: explanations are single lines that say how to provide a runtime", () => {
  const context = { denoDir: "/root/.cache/deno", denoVersion: "2.9.6" };
  for (const target of TARGETS) {
    const line = missingRuntimeMessage(target, context);
    assert.ok(!line.includes("\n"));
    assert.ok(line.includes(`skipped ${target}`));
    assert.ok(line.includes(`DENORT_BIN=/path/to/denort deno task compile --target ${target}`));
    assert.ok(line.includes("/root/.cache/deno/dl/release/v2.9.6"));
    assert.ok(line.includes("no network access to Deno's release server"));
  }
  const other = missingRuntimeMessage("x86_64-apple-darwin", {
    ...context,
    denort: { path: "/opt/denort", target: "x86_64-unknown-linux-gnu" },
  });
  assert.ok(other.includes("DENORT_BIN is a runtime for x86_64-unknown-linux-gnu only"));
  const failed = missingRuntimeMessage("x86_64-apple-darwin", context, "dns error");
  assert.ok(failed.includes("download from Deno's release server failed: dns error"));

  const sample = [
    "\x1b[0m\x1b[32mCompile\x1b[0m main.ts to sockit",
    "\x1b[1m\x1b[31merror\x1b[0m: Writing deno compile executable to temporary file 'x.tmp'",
    "",
    "Caused by:",
    "    0: Setting up base binary.",
    "    1: client error (Connect)",
    "    2: dns error: failed to lookup address information: Name or service not known",
    "",
    "Stack backtrace:",
    "   0: <unknown>",
  ].join("\n");
  assert.equal(
    summarizeDenoError(sample),
    "dns error: failed to lookup address information: Name or service not known",
  );
  assert.equal(
    summarizeDenoError('error: Module not found "file:///x.ts".\n'),
    'Module not found "file:///x.ts".',
  );
  assert.equal(
    summarizeDenoError(
      "Compile main.ts to o\nmemory allocation of 99 bytes failed\nstack backtrace:\nnote: details\n",
    ),
    "memory allocation of 99 bytes failed",
  );
});

// ---------------------------------------------------------------------------------------------
// scripts/compile.ts as a user runs it

/** Deno's cache folder as `deno info --json` reports it. */
async function denoDir(): Promise<string> {
  const info = await run(Deno.execPath(), ["info", "--json"]);
  return JSON.parse(info.stdout).denoDir;
}

/** `deno task compile ARGS…` without `DENORT_BIN`; the "Task …" line deno prints is dropped. */
async function compileTask(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const inherited = Deno.env.toObject();
  delete inherited.DENORT_BIN;
  const result = await run(Deno.execPath(), ["task", "compile", ...args], {
    env: { ...inherited, NO_COLOR: "1", ...env },
    clearEnv: true,
  });
  const stderr = result.stderr.split("\n").filter((l) => !l.startsWith("Task compile")).join("\n");
  return { ...result, stderr };
}

function assertNoStackTrace(text: string): void {
  assert.doesNotMatch(text, /^\s+at .+[:(]/m, text);
  assert.doesNotMatch(text, /Uncaught|Stack backtrace|error: /i, text);
}

Deno.test("compile: without a runtime, deno task compile explains itself and builds nothing", async (t) => {
  const cacheDir = await denoDir();
  const missing: Target[] = [];
  for (const target of TARGETS) {
    const cached = await Deno.stat(runtimeCachePath(cacheDir, Deno.version.deno, target))
      .then(() => true, () => false);
    if (!cached) missing.push(target);
  }
  await using dir = await tempDir("sockit-compile-");
  const out = join(dir.path, "dist");

  await t.step({
    name: missing.length
      ? "one target: exit 1 and exactly one line"
      : "one target: exit 1 and exactly one line (skipped: every runtime is cached here)",
    ignore: missing.length === 0,
    fn: async () => {
      const target = missing[0];
      const result = await compileTask(["--target", target, "--out", out]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0], new RegExp(`^sockit compile: skipped ${target}: `));
      assert.ok(
        lines[0].includes(`DENORT_BIN=/path/to/denort deno task compile --target ${target}`),
      );
      assert.equal(result.stdout, "");
      assertNoStackTrace(result.stderr);
      assert.ok(!(await Deno.stat(out).then(() => true, () => false)), "no output folder");
    },
  });

  await t.step({
    name: missing.length === TARGETS.length
      ? "every target: exit 1, one line per target"
      : "every target: exit 1, one line per target (skipped: some runtimes are cached here)",
    ignore: missing.length !== TARGETS.length,
    fn: async () => {
      const result = await compileTask(["--out", out]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      const lines = result.stderr.trim().split("\n");
      assert.deepEqual(
        lines.map((l) => /^sockit compile: skipped (\S+):/.exec(l)?.[1]),
        [...TARGETS],
        result.stderr,
      );
      assertNoStackTrace(result.stderr);
      assert.ok(!(await Deno.stat(out).then(() => true, () => false)), "no output folder");
    },
  });

  await t.step("the deno command is refused as a runtime", async () => {
    const result = await compileTask(["--out", out], { DENORT_BIN: Deno.execPath() });
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, /not Deno's runtime \(denort\)/);
    assertNoStackTrace(result.stderr);
    assert.ok(!(await Deno.stat(out).then(() => true, () => false)), "no output folder");
  });

  await t.step("usage errors exit 2 with one line", async () => {
    const result = await compileTask(["--target", "sparc-sun-solaris", "--out", out]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, /unknown target 'sparc-sun-solaris'/);
    assertNoStackTrace(result.stderr);
  });
});

/**
 * What in a (minified, comment-free) bundle would make the program load code or read the
 * project's own files at run time; one entry per hit, with the code around it.
 */
function bundleProblems(code: string): string[] {
  const near = (m: RegExpMatchArray) => code.slice(Math.max(0, m.index! - 60), m.index! + 80);
  const forbidden: [string, RegExp][] = [
    ["dynamic import", /\bimport\s*\(/g],
    ["import.meta.resolve/dirname/filename", /import\.meta\.(resolve|dirname|filename)\b/g],
    ["a path relative to the module", /new URL\([^)]*import\.meta\.url/g],
    [
      "reading a fixed path",
      /(Deno\.(readTextFile|readFile|open|stat|lstat|readDir)(Sync)?|readFileSync)\s*\(\s*(["'`]|new URL)/g,
    ],
    ["the project's folder", new RegExp(ROOT.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"), "g")],
  ];
  const problems = forbidden.flatMap(([what, pattern]) =>
    [...code.matchAll(pattern)].map((m) => `${what}: ${near(m)}`)
  );
  // The only use of import.meta.url allowed is the bundler's own createRequire for npm code.
  for (const m of code.matchAll(/import\.meta\.url/g)) {
    if (!/createRequire\(import\.meta\.url\)/.test(near(m))) {
      problems.push(`import.meta.url: ${near(m)}`);
    }
  }
  return problems;
}

Deno.test("bundle scan: flags dynamic imports and reads of the project's files", () => {
  const ok = "var r=__deno_internal_createRequire(import.meta.url);" +
    "async function s(p){const f=await Deno.open(p);return Deno.readFile(p)}" +
    "async function j(t){return JSON.parse(await Deno.readTextFile(t))}" +
    "import.meta.main&&Deno.exit(0);";
  assert.deepEqual(bundleProblems(ok), []);
  for (
    const bad of [
      'const m=await import("./lib/messages.ts");',
      "const m=await import(name);",
      'const t=await Deno.readTextFile(new URL("../deno.json",import.meta.url));',
      'const b=await Deno.readFile("./lib/catalog.json");',
      'const c=JSON.parse(Deno.readTextFileSync("deno.json"));',
      'const b=Deno.readFileSync(new URL("x",import.meta.url));',
      'const d=import.meta.dirname+"/catalog.json";',
      `const p=${JSON.stringify(ROOT + "lib/messages.ts")};`,
    ]
  ) {
    assert.notDeepEqual(bundleProblems(bad), [], bad);
  }
});

// ---------------------------------------------------------------------------------------------
// The bundled single-file program

Deno.test("bundled single-file program", async (t) => {
  await using dir = await tempDir("sockit-bundle-");
  const bundle = join(dir.path, "sockit.js");
  const built = await run(Deno.execPath(), [
    "bundle",
    "--platform",
    "deno",
    join(ROOT, "main.ts"),
    "-o",
    bundle,
  ]);
  assert.equal(built.code, 0, built.stderr);

  // main.ts loads each command's modules with import() (start-up time); the bundler inlines an
  // import() of a literal project path (the next step checks none is left in the bundle).
  await t.step("dynamic imports name the project's own modules by literal path", async () => {
    const info = await run(Deno.execPath(), ["info", "--json", join(ROOT, "main.ts")]);
    assert.equal(info.code, 0, info.stderr);
    const graph = JSON.parse(info.stdout) as {
      modules: {
        specifier: string;
        dependencies?: { specifier: string; isDynamic?: boolean; code?: { specifier: string } }[];
      }[];
    };
    const dynamic = graph.modules.flatMap((m) =>
      (m.dependencies ?? []).filter((d) => d.isDynamic).map((d) => ({ from: m.specifier, ...d }))
    );
    assert.ok(dynamic.length > 0, "main.ts loads commands lazily");
    const outside = dynamic.filter((d) =>
      !/^\.\.?\//.test(d.specifier) || !d.code?.specifier.startsWith(pathToFileURL(ROOT).href)
    ).map((d) => `${d.from} → ${d.specifier}`);
    assert.deepEqual(outside, []);
    const local = graph.modules.map((m) => m.specifier).filter((s) => s.startsWith("file:"));
    assert.ok(local.some((s) => s.endsWith("/cli/messages.ts")), "the catalog is imported");
    assert.ok(local.some((s) => s.endsWith("/deno.json")), "the version is imported");
  });

  await t.step("the bundle neither imports code nor reads the project at run time", async () => {
    // Scan a minified bundle: minifying drops comments, whose JSDoc types such as
    // `{import("./errors.ts").SockitError}` would otherwise look like dynamic imports.
    const minified = join(dir.path, "sockit.min.js");
    const result = await run(Deno.execPath(), [
      "bundle",
      "--platform",
      "deno",
      "--minify",
      join(ROOT, "main.ts"),
      "-o",
      minified,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(bundleProblems(await Deno.readTextFile(minified)), []);
  });

  await t.step("--version runs from another folder with the project unreadable", async () => {
    const result = await run(Deno.execPath(), bundleArgs(bundle, ["--version"]), {
      cwd: dir.path,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout.trim(), versionLinePattern(Deno.build.target));
  });

  /** Starts the bundle in the background from the temp folder; stop it with `stop()`. */
  const bundled = (args: string[]) =>
    background(
      new Deno.Command(Deno.execPath(), {
        args: bundleArgs(bundle, args),
        cwd: dir.path,
        env: { NO_COLOR: "1", LANG: "C.UTF-8", LC_ALL: "", LC_MESSAGES: "" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }),
      60_000,
    );

  await t.step("echo round trip between two bundled programs", async () => {
    const server = bundled(["echo-server", "--host", "127.0.0.1", "--port", "0"]);
    try {
      const [, port] = await server.stdout.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
      const client = await run(
        Deno.execPath(),
        bundleArgs(bundle, ["echo", "--to", `127.0.0.1:${port}`, "안녕 sockit"]),
        { cwd: dir.path, env: { LANG: "C.UTF-8" } },
      );
      assert.equal(client.code, 0, client.stdout + client.stderr);
      assert.match(client.stdout, /안녕 sockit/);
    } finally {
      await server.stop();
    }
  });

  await t.step("send and receive a file between two bundled programs", async () => {
    const received = join(dir.path, "received");
    const receiver = bundled([
      "receive",
      "--open",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "-d",
      received,
    ]);
    try {
      const [, port] = await receiver.stdout.waitFor(/127\.0\.0\.1:(\d+)/);
      const data = new Uint8Array(200_000).map((_, i) => (i * 7) % 256);
      await Deno.writeFile(join(dir.path, "과제 1.bin"), data);
      const sender = await run(
        Deno.execPath(),
        bundleArgs(bundle, ["send", "과제 1.bin", "--to", `127.0.0.1:${port}`]),
        { cwd: dir.path, env: { LANG: "C.UTF-8", SOCKIT_NAME: "김민지" } },
      );
      assert.equal(sender.code, 0, sender.stdout + sender.stderr);
      await receiver.stdout.waitFor(/과제 1\.bin/);
      assert.deepEqual(await Deno.readFile(join(received, "김민지", "과제 1.bin")), data);
    } finally {
      await receiver.stop();
    }
  });

  await t.step("a bundled receiver hands out the bundle itself on its web page", async () => {
    const receiver = bundled([
      "receive",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--no-announce",
      "-d",
      join(dir.path, "received-web"),
    ]);
    try {
      const [, base] = await receiver.stdout.waitFor(/open (http:\/\/127\.0\.0\.1:\d+\/)#code=/);
      const page = await (await fetch(base)).text();
      const bytes = await Deno.readFile(bundle);
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      assert.match(page, new RegExp(`href="/get/sockit\\.js"[^]*SHA-256 ${sha256}`));
      const served = new Uint8Array(await (await fetch(`${base}get/sockit.js`)).arrayBuffer());
      assert.deepEqual(served, bytes);
    } finally {
      await receiver.stop();
    }
  });

  const files = endToEndTestFiles();
  const names = files.map((f) => basename(f)).join(", ");
  await t.step({
    name: files.length
      ? `CLI end-to-end tests against the bundle (${names})`
      : "CLI end-to-end tests against the bundle (skipped: no tests/cli_*_test.ts or tests/interop_*_test.ts yet)",
    ignore: files.length === 0,
    fn: () => runEndToEnd(bundle, files),
  });
});

Deno.test("compiled executable", async (t) => {
  const denort = Deno.env.get("DENORT_BIN");
  const host = Deno.build.target;
  const reason = !denort
    ? "DENORT_BIN not set, Deno's runtime cannot be downloaded here"
    : !isTarget(host)
    ? `${host} is not a release target`
    : undefined;
  await t.step({
    name: reason
      ? `compiled executable end-to-end (skipped: ${reason})`
      : "compiled executable end-to-end (runtime from DENORT_BIN)",
    ignore: reason !== undefined,
    fn: async () => {
      await using dir = await tempDir("sockit-compiled-");
      const out = join(dir.path, "dist");
      const built = await run(
        Deno.execPath(),
        ["task", "compile", "--target", host, "--out", out],
        { timeoutMs: 15 * 60_000 },
      );
      assert.equal(built.code, 0, built.stdout + built.stderr);
      const exe = join(out, artifactName(VERSION, host as Target));
      const version = await run(exe, ["--version"], { cwd: dir.path });
      assert.equal(version.code, 0, version.stderr);
      assert.match(version.stdout.trim(), versionLinePattern(host));
      const sums = await Deno.readTextFile(join(out, "SHA256SUMS"));
      assert.equal(
        sums,
        formatSha256Sums([{ name: basename(exe), sha256: await sha256File(exe) }]),
      );
      const files = endToEndTestFiles();
      if (files.length) await runEndToEnd(exe, files);
    },
  });
});
