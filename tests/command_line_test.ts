/**
 * The command-line parser (cli/parse.ts) on sockit's own table (main.ts): how words become a
 * command, options and arguments, help or the version, and which mistakes it reports. The exact
 * messages and exit codes are checked end to end in cli_usage_test.ts (this file tests no
 * program, so it is not named cli_*: bundle_test.ts runs those against the bundle).
 *
 * @module
 */

import assert from "node:assert/strict";
import { sockitProgram } from "../main.ts";
import { parse, suggest, type UsageCode, UsageError } from "../cli/parse.ts";
import { helpText } from "../cli/help.ts";
import { usageMessage } from "../cli/options.ts";
import { SockitError } from "../lib/core/errors.ts";

const program = sockitProgram("en");

/** The command, its words, options and globals `args` run. */
function run(args: string[]) {
  const parsed = parse(program, args);
  assert.equal(parsed.kind, "run", JSON.stringify(parsed));
  if (parsed.kind !== "run") throw new Error("unreachable");
  return { ...parsed, command: parsed.command.name };
}

/** The usage error `args` make. */
function mistake(args: string[]): UsageError {
  try {
    parse(program, args);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`no usage error for ${args.join(" ")}`);
}

function assertMistake(
  args: string[],
  code: UsageCode,
  value: string,
  command: string | undefined,
  suggestions: string[] = [],
): void {
  const error = mistake(args);
  assert.deepEqual(
    {
      code: error.code,
      value: error.value,
      command: error.command,
      suggestions: error.suggestions,
    },
    { code, value, command, suggestions },
    args.join(" "),
  );
}

Deno.test("cli parse: option values: --opt value, --opt=value, -o value, -ovalue", () => {
  const to = { host: "127.0.0.1", port: 9000 };
  for (
    const args of [
      ["send", "a", "--to", "127.0.0.1:9000"],
      ["send", "a", "--to=127.0.0.1:9000"],
      ["send", "a", "-t", "127.0.0.1:9000"],
      ["send", "a", "-t127.0.0.1:9000"],
    ]
  ) {
    assert.deepEqual(run(args).options, { to }, args.join(" "));
  }
  assert.deepEqual(run(["echo-server", "-p9999"]).options, { port: 9999 });
  // A value may start with a dash: the option takes the next word whatever it is.
  assert.deepEqual(run(["send", "a", "--name", "-x-"]).options, { name: "-x-" });
  // The last of a repeated option wins.
  assert.deepEqual(run(["echo", "-c", "2", "--count=5", "hi"]).options, { count: 5 });
});

Deno.test("cli parse: flags, --no-x negations and their defaults", () => {
  const plain = run(["receive"]).options;
  assert.deepEqual(plain, { announce: true, qr: true, web: true });
  const given = run(["receive", "--no-web", "--no-qr", "--flat", "--max-per-address", "3"]);
  assert.deepEqual(given.options, {
    announce: true,
    qr: false,
    web: false,
    flat: true,
    maxPerAddress: 3,
  });
  // A flag takes no value, so `--flat=1` is an option nobody knows.
  assertMistake(["receive", "--flat=1"], "unknown-option", "--flat=1", "receive", ["--flat"]);
});

Deno.test("cli parse: global options before or after the command, alone or grouped", () => {
  for (
    const args of [
      ["--json", "-q", "--lang", "ko", "send", "a"],
      ["send", "a", "--json", "--quiet", "--lang=ko"],
      ["send", "-q", "a", "--json", "--lang", "ko"],
    ]
  ) {
    const parsed = run(args);
    assert.equal(parsed.command, "send");
    assert.deepEqual(parsed.operands, ["a"], args.join(" "));
    assert.deepEqual(parsed.globals, { json: true, quiet: true, lang: "ko" }, args.join(" "));
  }
  assert.deepEqual(run(["--trace", "echo", "-q", "hi"]).globals, { trace: true, quiet: true });
  // `-qt X`: the program takes -q, the command takes -t and its value.
  assert.deepEqual(run(["send", "a", "-qt", "127.0.0.1:1"]).options, {
    to: { host: "127.0.0.1", port: 1 },
  });
  // The program reads its options first, so a global flag is not another option's value.
  assertMistake(["send", "a", "--name", "--json"], "missing-option-value", "--name", "send");
});

Deno.test("cli parse: arguments: variadic, `--`, negative numbers, missing and extra", () => {
  assert.deepEqual(run(["send", "a", "-t", "h", "b", "c/"]).operands, ["a", "b", "c/"]);
  assert.deepEqual(run(["send", "a", "--", "--help", "-V", "--json"]), {
    kind: "run",
    command: "send",
    operands: ["a", "--help", "-V", "--json"],
    options: {},
    globals: {},
  });
  assert.deepEqual(run(["send", "-"]).operands, ["-"]);
  assert.deepEqual(run(["echo", "-5", "--count", "2"]).operands, ["-5"]);
  assert.deepEqual(run(["echo"]).operands, []);
  // `-tx` gives --to the value x, so no path is left.
  assertMistake(["send", "-tx"], "missing-argument", "paths", "send");
  assertMistake(["send", "--json"], "missing-argument", "paths", "send");
  assertMistake(["receive", "--dir", "x", "y"], "excess-arguments", "y", "receive");
  assertMistake(["spy", "foo"], "excess-arguments", "foo", "spy");
});

Deno.test("cli parse: unknown options and commands, with the closest name", () => {
  assertMistake(["echo", "--cont", "3", "x"], "unknown-option", "--cont", "echo", ["--count"]);
  assertMistake(["receive", "--web"], "unknown-option", "--web", "receive", ["--no-web"]);
  assertMistake(["--jsno"], "unknown-option", "--jsno", undefined, ["--json"]);
  assertMistake(["send", "a", "--bogus"], "unknown-option", "--bogus", "send");
  assertMistake(["send", "a", "-x"], "unknown-option", "-x", "send");
  // `-qx`: -q is known, -x is what is left over.
  assertMistake(["send", "a", "-qx"], "unknown-option", "-x", "send");
  // An option of another command is unknown here.
  assertMistake(["send", "a", "--max-size", "1"], "unknown-option", "--max-size", "send");
  // Before the command, the program's unknown option stops the reading.
  assertMistake(["--to", "x", "send", "a"], "unknown-option", "--to", undefined);
  assertMistake(["sned", "x"], "unknown-command", "sned", undefined, ["send"]);
  assertMistake(["hlep"], "unknown-command", "hlep", undefined, ["help"]);
  assertMistake(["bogus"], "unknown-command", "bogus", undefined);
  assertMistake(["-"], "unknown-command", "-", undefined);
  // The command line is read before any of it runs: an unknown command wins over its options.
  assertMistake(["sned", "--bogus"], "unknown-command", "sned", undefined, ["send"]);
});

Deno.test("cli parse: a missing option value, and a value its parser refuses", () => {
  assertMistake(["send", "a", "--to"], "missing-option-value", "--to", "send");
  assertMistake(["send", "a", "-t"], "missing-option-value", "--to", "send");
  assertMistake(["echo-server", "-p"], "missing-option-value", "--port", "echo-server");
  assertMistake(["--lang"], "missing-option-value", "--lang", undefined);
  // The parser's own error comes through, before help is looked at.
  for (const args of [["echo", "--count", "0", "x"], ["echo", "--help", "-c0"]]) {
    assert.throws(() => parse(program, args), (err: unknown) => {
      assert.ok(err instanceof SockitError && err.code === "bad-option", String(err));
      return true;
    });
  }
  assert.throws(
    () => parse(program, ["echo-server", "--port=abc"]),
    (err: unknown) => err instanceof SockitError && err.code === "bad-port",
  );
});

Deno.test("cli parse: help and version", () => {
  const help = (args: string[]) => {
    const parsed = parse(program, args);
    assert.equal(parsed.kind, "help", args.join(" "));
    if (parsed.kind !== "help") throw new Error("unreachable");
    return { command: parsed.command?.name, error: parsed.error };
  };
  assert.deepEqual(help([]), { command: undefined, error: true });
  assert.deepEqual(help(["--json"]), { command: undefined, error: true });
  assert.deepEqual(help(["--help"]), { command: undefined, error: false });
  assert.deepEqual(help(["-qh"]), { command: undefined, error: false });
  assert.deepEqual(help(["-h", "send"]), { command: undefined, error: false });
  assert.deepEqual(help(["bogus", "--help"]), { command: undefined, error: false });
  assert.deepEqual(help(["help"]), { command: undefined, error: false });
  assert.deepEqual(help(["help", "bogus"]), { command: undefined, error: true });
  assert.deepEqual(help(["help", "send", "--bogus"]), { command: "send", error: false });
  assert.deepEqual(help(["send", "--help"]), { command: "send", error: false });
  assert.deepEqual(help(["send", "a", "-h", "--bogus"]), { command: "send", error: false });
  // After `--`, --help is a file name.
  assert.equal(parse(program, ["send", "--", "--help"]).kind, "run");
  for (
    const args of [["-V"], ["--version", "--help"], ["send", "--bogus", "-V"], ["-qV"], [
      "-V",
      "--lang",
    ]]
  ) {
    assert.deepEqual(parse(program, args), { kind: "version" }, args.join(" "));
  }
});

Deno.test("cli parse: suggestions are close names only, ties listed", () => {
  assert.deepEqual(suggest("--cont", ["--count", "--to", "--help"]), ["--count"]);
  assert.deepEqual(suggest("--xyzzy", ["--count", "--to"]), []);
  assert.deepEqual(suggest("--to", ["--t", "--tx", "--ty"]), ["--tx", "--ty"]);
  assert.deepEqual(suggest("sed", ["send", "spy"]), ["send"]);
});

Deno.test("cli parse: usage errors read as one translated line with an example", () => {
  const line = (code: UsageCode, value: string, command?: string, suggestions?: string[]) =>
    usageMessage("en", new UsageError(code, value, command, suggestions), "sockit");
  assert.equal(
    line("missing-argument", "paths", "send"),
    "Say which files or folders to send, for example: sockit send homework.py --to 192.168.0.12",
  );
  assert.equal(
    line("excess-arguments", "foo", "spy"),
    "spy takes no arguments such as 'foo'; for example: sockit spy --listen 9000 --to 127.0.0.1:9999",
  );
  assert.equal(
    line("unknown-option", "--cont", "echo", ["--count"]),
    "Unknown option '--cont'. Did you mean --count?",
  );
  assert.equal(
    usageMessage(
      "ko",
      new UsageError("unknown-option", "--post", "echo-server", ["--host", "--port"]),
      "sockit",
    ),
    "알 수 없는 옵션 '--post' 입니다. 혹시 --host, --port 중 하나 인가요?",
  );
  assert.equal(
    usageMessage("ko", new UsageError("missing-option-value", "--to", "echo"), "sockit"),
    "옵션 --to 뒤에 값이 필요합니다. 예: sockit echo 안녕 --to 127.0.0.1:9999",
  );
});

Deno.test("cli parse: help pads terms by display width, in Korean too", () => {
  for (const lang of ["en", "ko"] as const) {
    const text = helpText(lang, sockitProgram(lang), sockitProgram(lang).commands[3]);
    const rows = text.split("\n").filter((line) => line.startsWith("  "));
    assert.ok(rows.length > 10, text);
    // Every description starts in the same terminal column (a Hangul syllable is two columns).
    const columns = new Set(rows.map((row) => {
      const term = /^ {2}\S+(?: \S+)*? {2,}/.exec(row)![0];
      return [...term].reduce((width, ch) => width + (/[\u3131-\uD79D]/.test(ch) ? 2 : 1), 0);
    }));
    assert.equal(columns.size, 1, text);
    assert.match(
      text,
      lang === "en"
        ? /^Usage: sockit send \[options\] <paths\.\.\.>$/m
        : /^사용법: sockit send \[옵션\] <경로\.\.\.>$/m,
    );
  }
});
