/**
 * `sockit receive` and `sockit send` end to end, run as a user would (a real process each, on
 * 127.0.0.1 with port 0): files and folders with the stored names printed, `--json` on both
 * sides checked against `sha256sum`, the errors a user meets (nothing listening, a missing
 * file, a bad chunk size, a refused file, a hostile name), `--chunk-size 1k`, Ctrl+C on the
 * receiver, Korean output, and the hint the receiver prints for classmates.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  assertOneLineError,
  cliReceiver,
  closedPort,
  randomBytes,
  runCli,
  tempDir,
  within,
} from "./util.ts";
import type { CliResult } from "./util.ts";

/** `sockit [globals] send ARGS… --to 127.0.0.1:PORT` as `kim` (`SOCKIT_NAME`). */
function send(port: number, args: string[], globals: string[] = []): Promise<CliResult> {
  return runCli([...globals, "send", ...args, "--to", `127.0.0.1:${port}`], {
    timeoutMs: 30_000,
    env: { SOCKIT_NAME: "kim" },
  });
}

/** A receipt line's pattern: `Receipt: PATH stored as STORED, …`. */
function receipt(path: string, stored: string): RegExp {
  const quote = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(
    `^Receipt: ${quote(path)} stored as ${quote(stored)}, .*, SHA-256 [0-9a-f]{64}, at \\d{4}-`,
    "m",
  );
}

/** Every stdout line as JSON (each one must be JSON). */
function jsonLines(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((line) => line !== "").map((line) => {
    try {
      return JSON.parse(line);
    } catch {
      throw new Error(`not a JSON line: ${line}`);
    }
  });
}

/** What `sha256sum` says of `path`. */
async function sha256sum(path: string): Promise<string> {
  const out = await new Deno.Command("sha256sum", { args: [path], stdout: "piped" }).output();
  assert.equal(out.code, 0);
  return new TextDecoder().decode(out.stdout).split(" ")[0];
}

Deno.test("cli: receive, then send a file and a folder: exit 0 and where each file was stored", async () => {
  await using receiver = await cliReceiver();
  await using src = await tempDir();
  const a = randomBytes(10_000);
  await Deno.writeFile(join(src.path, "a.txt"), a);
  await Deno.mkdir(join(src.path, "proj", "src"), { recursive: true });
  await Deno.mkdir(join(src.path, "proj", "empty"));
  await Deno.writeTextFile(join(src.path, "proj", "src", "main.py"), "print('main')\n");
  await Deno.writeTextFile(join(src.path, "proj", "README.md"), "# 과제\n");

  const first = await send(receiver.port, [join(src.path, "a.txt"), join(src.path, "proj")]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stderr, "");
  assert.match(first.stdout, /^Sending 3 files \(.*\) and 1 empty folder$/m);
  assert.match(first.stdout, /^Receipt: a\.txt stored as kim\/a\.txt, 9\.77 KiB, SHA-256 /m);
  assert.match(first.stdout, receipt("proj/README.md", "kim/proj/README.md"));
  assert.match(first.stdout, receipt("proj/src/main.py", "kim/proj/src/main.py"));
  assert.match(first.stdout, /^Created folder proj\/empty$/m);
  assert.match(first.stdout, /^Done: 3 files, /m);

  // The same file again: stored under a new name, and the sender is told which.
  const second = await send(receiver.port, [join(src.path, "a.txt")]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, receipt("a.txt", "kim/a (1).txt"));

  const kim = join(receiver.dir, "kim");
  assert.deepEqual(await Deno.readFile(join(kim, "a.txt")), a);
  assert.deepEqual(await Deno.readFile(join(kim, "a (1).txt")), a);
  assert.equal(await Deno.readTextFile(join(kim, "proj", "README.md")), "# 과제\n");
  assert.equal(await Deno.readTextFile(join(kim, "proj", "src", "main.py")), "print('main')\n");
  assert.ok((await Deno.stat(join(kim, "proj", "empty"))).isDirectory);
  // The receiver's log names each stored file with its sender, size, rate and hash.
  await receiver.proc.stdout.waitFor(/^Stored kim\/a \(1\)\.txt from /);
  const stored = receiver.proc.stdout.lines.filter((l) => l.startsWith("Stored "));
  assert.equal(stored.length, 4, receiver.proc.stdout.text);
  assert.match(
    receiver.proc.stdout.text,
    /^Stored kim\/a\.txt from kim \(127\.0\.0\.1:\d+\): 9\.77 KiB, SHA-256 [0-9a-f]{64}$/m,
  );
});

Deno.test("cli: --json on both sides: file-done with stored and sha256 equal to sha256sum", async () => {
  await using receiver = await cliReceiver({ globals: ["--json"] });
  await using src = await tempDir();
  const file = join(src.path, "report.pdf");
  await Deno.writeFile(file, randomBytes(123_456));
  const expected = await sha256sum(file);

  const result = await send(receiver.port, [file], ["--json"]);
  assert.equal(result.code, 0, result.stderr);
  const events = jsonLines(result.stdout);
  assert.deepEqual(
    [...new Set(events.map((e) => e.type))],
    ["plan", "connected", "file-start", "file-progress", "file-done", "done"],
  );
  const done = events.find((e) => e.type === "file-done")!;
  assert.equal(done.path, "report.pdf");
  assert.equal(done.stored, "kim/report.pdf");
  assert.match(String(done.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  assert.equal(done.size, 123_456);
  assert.equal(done.sha256, expected);
  assert.equal(typeof done.ms, "number");
  assert.deepEqual(events[events.length - 1].files, 1);

  await receiver.proc.stdout.waitFor(/^\{"type":"file-done"/);
  const received = jsonLines(receiver.proc.stdout.text);
  const got = received.find((e) => e.type === "file-done")!;
  assert.equal(got.stored, "kim/report.pdf");
  assert.equal(got.sender, "kim");
  assert.equal(got.time, done.time);
  assert.equal(got.sha256, expected);
  assert.match(String(got.peer), /^127\.0\.0\.1:\d+$/);
  assert.equal(got.size, 123_456);
  assert.ok(received.some((e) => e.type === "session" && e.protocol === "sockit"));
  assert.equal(await sha256sum(join(receiver.dir, "kim", "report.pdf")), expected);
});

Deno.test("cli: send to a port where nothing listens: exit 1, one line, no stack trace", async () => {
  await using src = await tempDir();
  await Deno.writeTextFile(join(src.path, "a.txt"), "a\n");
  const port = closedPort();
  const started = performance.now();
  const result = await send(port, [join(src.path, "a.txt")]);
  assertOneLineError(
    result,
    1,
    new RegExp(`Nothing is listening at 127\\.0\\.0\\.1:${port}\\. Start the .* first`),
  );
  assert.ok(performance.now() - started < 10_000, "no long retries when nobody was ever there");

  const json = await send(port, [join(src.path, "a.txt")], ["--json"]);
  assert.equal(json.code, 1);
  const error = jsonLines(json.stdout).find((e) => e.type === "error");
  assert.equal(error?.code, "connection-refused");
});

Deno.test("cli: send of a missing file: exit 1 'does not exist', nothing connects", async () => {
  await using src = await tempDir();
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const result = await send(listener.addr.port, [join(src.path, "nope.py")]);
  assertOneLineError(result, 1, /nope\.py does not exist/);
  // Connections are accepted in the order they were made: when the first one is this probe's,
  // the sender made none.
  using probe = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  using first = await within(5000, listener.accept(), "a connection");
  assert.equal(first.remoteAddr.port, probe.localAddr.port, "the sender connected");
});

Deno.test("cli: --chunk-size 1k moves the file in exact 1 KiB chunks", async () => {
  await using receiver = await cliReceiver({ args: ["--chunk-size", "1k"] });
  await using src = await tempDir();
  const bytes = randomBytes(5000);
  await Deno.writeFile(join(src.path, "lesson.bin"), bytes);
  const result = await send(
    receiver.port,
    ["--chunk-size", "1k", join(src.path, "lesson.bin")],
    ["--json", "--trace"],
  );
  assert.equal(result.code, 0, result.stderr);
  // Sent data chunks are the traces between the S frame (24 bytes) and the E frame (89).
  const sent = jsonLines(result.stdout).filter((e) =>
    e.type === "trace" && e.direction === "sent"
  ) as { bytes: { length: number; hex: string } }[];
  const start = sent.findIndex((e) =>
    e.bytes.hex === "53000000137b226964223a312c226f6666736574223a307d"
  );
  const end = sent.findIndex((e, i) =>
    i > start && e.bytes.length === 89 && e.bytes.hex.startsWith("4500000054")
  );
  assert.ok(start >= 0 && end > start, JSON.stringify(sent));
  assert.deepEqual(
    sent.slice(start + 1, end).map((e) => e.bytes.length),
    [1024, 1024, 1024, 1024, 904],
  );
  assert.deepEqual(await Deno.readFile(join(receiver.dir, "kim", "lesson.bin")), bytes);
});

Deno.test("cli: a bad --chunk-size is a usage error (exit 2)", async () => {
  for (const value of ["abc", "0", "-1", "1x", "1.5q"]) {
    const result = await runCli(["send", "--chunk-size", value, "whatever.txt"]);
    assertOneLineError(result, 2, new RegExp(`'${value.replace(".", "\\.")}' is not a valid size`));
  }
  const receive = await runCli(["receive", "--port", "0", "--chunk-size", "lots"]);
  assertOneLineError(receive, 2, /'lots' is not a valid size/);
});

Deno.test("cli: a file over --max-size is refused with a clear reason and exit 1", async () => {
  await using receiver = await cliReceiver({ args: ["--max-size", "1k"] });
  await using src = await tempDir();
  await Deno.writeFile(join(src.path, "small.txt"), randomBytes(1024));
  await Deno.writeFile(join(src.path, "big.bin"), randomBytes(1025));
  const result = await send(receiver.port, [
    join(src.path, "big.bin"),
    join(src.path, "small.txt"),
  ]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^The receiver refused big\.bin: the file is larger than the receiver accepts/m,
  );
  assert.match(result.stdout, receipt("small.txt", "kim/small.txt"));
  await receiver.proc.stderr.waitFor(/^Refused big\.bin from kim \(127\.0\.0\.1:\d+\): /);
  assert.deepEqual([...Deno.readDirSync(join(receiver.dir, "kim"))].map((e) => e.name), [
    "small.txt",
  ]);
});

Deno.test("cli: a name with a terminal escape is refused, and no raw escape reaches either terminal", async () => {
  if (Deno.build.os === "windows") return; // such a name cannot exist there
  await using receiver = await cliReceiver();
  await using src = await tempDir();
  const evil = "red\x1b[31m\x1b]0;pwned\x07.txt";
  await Deno.writeTextFile(join(src.path, evil), "x\n");
  const result = await send(receiver.port, [join(src.path, evil)]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^The receiver refused red.*: the name is not safe/m);
  await receiver.proc.stderr.waitFor(/^Refused red/);
  const logs = [receiver.proc.stdout.text, receiver.proc.stderr.text];
  for (const text of [result.stdout, result.stderr, ...logs]) {
    assert.ok(!text.includes("\x1b") && !text.includes("\x07"), JSON.stringify(text));
  }
  assert.deepEqual([...Deno.readDirSync(receiver.dir)].map((e) => e.name).sort(), [
    ".sockit",
    "sockit-log.csv",
  ]);
});

Deno.test("cli: Ctrl+C stops the receiver with exit 0 and a summary line", async () => {
  await using receiver = await cliReceiver();
  await using src = await tempDir();
  await Deno.writeFile(join(src.path, "one.bin"), randomBytes(2048));
  assert.equal((await send(receiver.port, [join(src.path, "one.bin")])).code, 0);
  await receiver.proc.stdout.waitFor(/^Stored kim\/one\.bin/);
  const status = await receiver.proc.stop("SIGINT");
  assert.equal(status.code, 0);
  assert.equal(status.success, true);
  assert.match(
    receiver.proc.stdout.text,
    /^Receiver stopped: 1 file \(2\.00 KiB\) received over 1 connection\.$/m,
  );
  assert.doesNotMatch(receiver.proc.stderr.text, /^\s+at |Error/m);
});

Deno.test("cli: --lang ko speaks Korean on both sides", async () => {
  await using receiver = await cliReceiver({ globals: ["--lang", "ko"] });
  await using src = await tempDir();
  assert.match(receiver.proc.stdout.text, /에서 파일을 받아 .* 에 저장합니다\. 끝내려면 Ctrl\+C/);
  assert.match(receiver.proc.stdout.text, /친구들은 이렇게 보내면 됩니다: .* send 파일 --to /);
  await Deno.writeTextFile(join(src.path, "숙제.py"), "print(1)\n");
  const result = await send(receiver.port, [join(src.path, "숙제.py")], ["--lang", "ko"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^파일 1개를 보냅니다 \(.*\)$/m);
  assert.match(
    result.stdout,
    /^영수증: 숙제\.py → 저장 위치 kim\/숙제\.py, 크기 .*, SHA-256 [0-9a-f]{64}, /m,
  );
  assert.match(result.stdout, /^완료: 파일 1개, /m);
  const missing = await runCli(["--lang", "ko", "send", join(src.path, "없음.txt")]);
  assertOneLineError(missing, 1, /없음\.txt가 없습니다/);
  const status = await receiver.proc.stop("SIGINT");
  assert.equal(status.code, 0);
  assert.match(
    receiver.proc.stdout.text,
    /^받기 종료: 연결 1개에서 파일 1개를 받았습니다 \(.*\)\.$/m,
  );
});

Deno.test("cli: the receiver's first lines say where files go and the command to send", async () => {
  await using receiver = await cliReceiver();
  const text = receiver.proc.stdout.text;
  assert.match(
    text,
    new RegExp(
      `^Receiving files into .*received on 127\\.0\\.0\\.1:${receiver.port}\\. Press Ctrl\\+C to stop\\.$`,
      "m",
    ),
  );
  await receiver.proc.stdout.waitFor(/ send FILE --to/);
  assert.match(
    receiver.proc.stdout.text,
    new RegExp(`^Classmates send with: .+ send FILE --to \\S+:${receiver.port}$`, "m"),
  );
});

Deno.test("cli: --classic with several files warns first and says what the other side keeps", async () => {
  await using receiver = await cliReceiver();
  await using src = await tempDir();
  const paths = ["a.py", "b.jpg", "c.txt"].map((name) => join(src.path, name));
  for (const path of paths) await Deno.writeTextFile(path, `${path}\n`);
  const result = await runCli([
    "send",
    ...paths,
    "--to",
    `127.0.0.1:${receiver.port}`,
    "--classic",
  ]);
  assert.equal(result.code, 0, result.stderr);
  // A warning, on standard error, with the plan (before anything is sent).
  assert.match(
    result.stderr,
    /^Careful: --classic sends 3 files one after another, .* so it keeps only the last\. /m,
  );
  assert.match(
    result.stdout,
    /^What the other side keeps: the lesson's receiver, only the last file \(c\.txt\); sockit receive, every file\.$/m,
  );
  const one = await runCli(["send", paths[0], "--to", `127.0.0.1:${receiver.port}`, "--classic"]);
  assert.equal(one.code, 0, one.stderr);
  assert.doesNotMatch(one.stdout + one.stderr, /Careful|What the other side keeps/);
});

Deno.test("cli: a folder's .git is left out and said so; hidden files sent are listed", async () => {
  await using receiver = await cliReceiver();
  await using src = await tempDir();
  const proj = join(src.path, "proj");
  await Deno.mkdir(join(proj, ".git", "objects"), { recursive: true });
  await Deno.writeTextFile(join(proj, ".git", "config"), "[core]\n");
  await Deno.mkdir(join(proj, "__pycache__"));
  await Deno.writeTextFile(join(proj, "__pycache__", "main.cpython-312.pyc"), "pyc");
  await Deno.writeTextFile(join(proj, ".env"), "KEY=1\n");
  await Deno.writeTextFile(join(proj, "main.py"), "print(1)\n");
  const result = await send(receiver.port, [proj]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    /^Not sending proj\/\.git: Git's history folders \(\.git\) are never sent\.$/m,
  );
  assert.match(result.stdout, /^Also sending hidden files: proj\/\.env, proj\/__pycache__$/m);
  assert.match(result.stdout, /^Done: 3 files, /m);
  await receiver.proc.stdout.waitFor(/^Stored kim\/proj\/main\.py /);
  const stored = (path: string) =>
    Deno.stat(join(receiver.dir, "kim", path)).then(() => true, () => false);
  assert.equal(await stored("proj/.git"), false);
  assert.equal(await stored("proj/.env"), true);
  assert.equal(await stored("proj/__pycache__/main.cpython-312.pyc"), true);
});
