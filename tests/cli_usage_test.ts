/**
 * What a newcomer mistypes gets one clear line and exit code 2, with an example of what to type;
 * `--json` gets the same as one event.
 *
 * @module
 */

import assert from "node:assert/strict";
import { cliReceiver, runCli } from "./util.ts";
import type { CliResult } from "./util.ts";

const OPTIONS = { timeoutMs: 60_000 };

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

/** Exit 2, the error as the first stderr line, at most a help hint after it, no stack trace. */
function assertUsage(result: CliResult, pattern: RegExp): void {
  assert.equal(result.code, 2, `exit code; stderr: ${result.stderr}`);
  const [first, ...rest] = lines(result.stderr);
  assert.match(first, pattern);
  assert.ok(rest.length === 0 || (rest.length === 1 && /--help/.test(rest[0])), result.stderr);
  assert.doesNotMatch(result.stderr, /^\s+at |Unexpected error|Error:/m, result.stderr);
}

Deno.test("cli usage: malformed --to forms are usage errors, not crashes", async (t) => {
  for (const to of ["127.0.0.1:6003:", "127.0.0.1;6003", "127,0,0,1"]) {
    await t.step(to, async () => {
      const result = await runCli(["send", "deno.json", "--to", to], OPTIONS);
      assertUsage(
        result,
        new RegExp(`^sockit: '${to.replace(/[.]/g, "\\.")}' is not a valid address\\.`),
      );
      assert.equal(result.stdout, "", "nothing planned or sent");
    });
  }
  await t.step("port 0 is no place to connect to", async () => {
    assertUsage(
      await runCli(["echo", "--to", "127.0.0.1:0", "hi"], OPTIONS),
      /^sockit: '0' is not a valid port\. Use a number from 1 to 65535\.$/,
    );
  });
});

Deno.test("cli usage: a long option with one dash is named with two", async () => {
  const result = await runCli(["send", "homework.py", "-to", "127.0.0.1:6003"], OPTIONS);
  assertUsage(result, /^sockit: '-to' has one dash; long options take two: --to$/);
  const ko = await runCli(["--lang", "ko", "receive", "-dir", "x"], OPTIONS);
  assertUsage(ko, /^sockit: '-dir' 에는 대시가 하나뿐입니다\. .*--dir$/);
  // --version and --help too, though no command table lists them.
  const version = await runCli(["-version"], OPTIONS);
  assertUsage(version, /^sockit: '-version' has one dash; long options take two: --version$/);
  const help = await runCli(["send", "-help"], OPTIONS);
  assertUsage(help, /^sockit: '-help' has one dash; long options take two: --help$/);
});

Deno.test("cli usage: missing and extra arguments show an example, not commander's words", async (t) => {
  await t.step("send without files", async () => {
    const result = await runCli(["send"], OPTIONS);
    assertUsage(
      result,
      /^sockit: Say which files or folders to send, for example: .+ send homework\.py --to 192\.168\.0\.12$/,
    );
    assert.doesNotMatch(result.stderr, /argument paths|Missing argument/);
  });
  await t.step("receive with a word", async () => {
    const result = await runCli(["receive", "receive"], OPTIONS);
    assertUsage(
      result,
      /^sockit: receive takes no arguments such as 'receive'; for example: .+ receive --dir received$/,
    );
    assert.doesNotMatch(result.stderr, /Too many arguments/);
  });
  await t.step("an option without its value", async () => {
    const result = await runCli(["send", "a.txt", "--to"], OPTIONS);
    assertUsage(result, /^sockit: Option --to needs a value, for example: .+ send homework\.py/);
    assert.doesNotMatch(result.stderr, /<host/);
  });
  await t.step("a misspelt command gets a suggestion", async () => {
    assertUsage(
      await runCli(["sned", "x"], OPTIONS),
      /^sockit: Unknown command 'sned'\. Did you mean send\?$/,
    );
  });
  await t.step("a misspelt option gets a suggestion", async () => {
    assertUsage(
      await runCli(["echo", "--cont", "3", "x"], OPTIONS),
      /^sockit: Unknown option '--cont'\. Did you mean --count\?$/,
    );
  });
});

Deno.test("cli usage: --lang xx is refused wherever it is given", async () => {
  for (
    const args of [["--lang", "xx", "--version"], ["--lang=xx", "--help"], [
      "--lang",
      "xx",
      "echo",
      "x",
    ]]
  ) {
    const result = await runCli(args, OPTIONS);
    assertUsage(result, /^sockit: Unknown language 'xx'; use en or ko\.$/);
    assert.equal(result.stdout, "", args.join(" "));
  }
});

Deno.test("cli usage: --chunk-size is bounded, and says why", async () => {
  for (const command of [["send", "deno.json"], ["receive"]]) {
    const result = await runCli([...command, "--chunk-size", "10g"], OPTIONS);
    assertUsage(
      result,
      /^sockit: --chunk-size 10g is too large: at most 16m, because every transfer keeps a buffer/,
    );
    assert.equal(result.stdout, "");
  }
});

Deno.test("cli usage: --max-per-address takes a whole number of at least 1, in English and Korean", async () => {
  for (const value of ["0", "-3", "2.5", "many", ""]) {
    const en = await runCli(["receive", "--max-per-address", value], OPTIONS);
    assertUsage(
      en,
      new RegExp(
        `^sockit: --max-per-address needs a whole number of at least 1, not '${value}'\\.$`,
      ),
    );
    assert.equal(en.stdout, "", "no receiver started");
    const ko = await runCli(["--lang", "ko", "receive", "--max-per-address", value], OPTIONS);
    assertUsage(
      ko,
      new RegExp(
        `^sockit: --max-per-address 에는 1 이상의 정수가 필요합니다 \\(받은 값: '${value}'\\)\\.$`,
      ),
    );
  }
});

Deno.test("cli usage: every usage error reaches --json as one error event", async (t) => {
  const cases: [string, string[]][] = [
    ["unknown option", ["--json", "--bogus"]],
    ["unknown command", ["--json", "bogus"]],
    ["missing argument", ["--json", "send"]],
    ["bad value", ["--json", "echo", "--count", "0", "x"]],
    ["one dash", ["--json", "send", "a", "-to", "x"]],
  ];
  for (const [name, args] of cases) {
    await t.step(name, async () => {
      const result = await runCli(args, OPTIONS);
      assert.equal(result.code, 2, result.stderr);
      const events = lines(result.stdout).map((line) => JSON.parse(line));
      assert.equal(events.length, 1, result.stdout);
      assert.equal(events[0].type, "error");
      assert.equal(events[0].code, "bad-option");
      assert.equal(typeof events[0].details.reason, "string");
      assert.equal(lines(result.stderr).length, 1, result.stderr);
    });
  }
});

Deno.test("cli words: IPv6 addresses in messages read [::1]:PORT", async () => {
  const listener = Deno.listen({ hostname: "::1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const result = await runCli(["echo", "--to", `[::1]:${port}`, "hi"], OPTIONS);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, new RegExp(`^sockit: Nothing is listening at \\[::1\\]:${port}\\. `));
});

Deno.test("cli words: Korean help has no English words left", async () => {
  // Words that stay as they are: the program, its commands, option and environment variable
  // names, and a few names.
  const kept =
    /--?[a-z][a-z-]*|SOCKIT_[A-Z_]+|sockit|echo-server|echo|receivers|receive|send|spy|help|JSON|CSV|TCP|Ctrl\+C|SHA-256|classic|ready|QR|en|ko|IP/g;
  for (
    const args of [["--help"], ["send", "--help"], ["receive", "--help"], ["echo", "--help"], [
      "spy",
      "--help",
    ]]
  ) {
    const result = await runCli(["--lang", "ko", ...args], OPTIONS);
    assert.equal(result.code, 0, result.stderr);
    const rest = result.stdout.replace(kept, "");
    assert.doesNotMatch(rest, /[A-Za-z]{2,}/, `${args.join(" ")}:\n${result.stdout}`);
  }
});

Deno.test("cli words: echo against a receiver reports true byte counts and says it is no echo server", async () => {
  await using receiver = await cliReceiver();
  const result = await runCli(["echo", "안녕", "--to", `127.0.0.1:${receiver.port}`], OPTIONS);
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    lines(result.stderr).at(-1)!,
    new RegExp(
      `^sockit: 127\\.0\\.0\\.1:${receiver.port} does not answer like an echo server: 0 of 1 reply came back unchanged \\(6 B sent, 6 B back\\)\\. `,
    ),
  );
});
