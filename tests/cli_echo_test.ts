/**
 * `sockit echo-server` and `sockit echo` end to end, run as a user would run them: output
 * lines, languages, JSON, tracing, exit codes, one-line errors, and Ctrl+C.
 *
 * @module
 */

import assert from "node:assert/strict";
import config from "../deno.json" with { type: "json" };
import { assertOneLineError, closedPort, runCli, spawnCli } from "./util.ts";
import type { BackgroundProcess } from "./util.ts";

const LISTENING = /^Echo server listening on 127\.0\.0\.1:(\d+)\. /;
const LISTENING_KO = /^에코 서버가 127\.0\.0\.1:(\d+) 에서 기다리는 중입니다/;
/** For runs to completion: generous, as a busy machine can stall `deno run` for a while. */
const OPTIONS = { timeoutMs: 60_000 };

/** Starts `sockit echo-server` on 127.0.0.1 with a free port and returns it with its port. */
async function startServer(
  extra: string[] = [],
  pattern: RegExp = LISTENING,
  env?: Record<string, string>,
): Promise<{ server: BackgroundProcess; port: number; to: string }> {
  const server = spawnCli(
    [...extra, "echo-server", "--host", "127.0.0.1", "--port", "0"],
    { env }, // killed after spawnCli's default 120 s at the latest
  );
  try {
    const [, port] = await server.stdout.waitFor(pattern, 15_000);
    return { server, port: Number(port), to: `127.0.0.1:${port}` };
  } catch (err) {
    await server.stop("SIGKILL");
    throw new Error(`${err}\nstderr:\n${server.stderr.text}`);
  }
}

/** The non-empty lines of some output. */
function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

Deno.test("cli: echo-server and echo, as a user runs them", async (t) => {
  const { server, to } = await startServer();
  await using _server = server;
  let clients = 0;
  const echo = (args: string[], options: Parameters<typeof runCli>[1] = {}) => {
    clients++;
    return runCli(args, { ...OPTIONS, ...options });
  };

  await t.step("the listening line and the loopback note", () => {
    assert.match(server.stdout.lines[0], LISTENING);
    assert.match(server.stdout.lines[0], /Press Ctrl\+C to stop\.$/);
    assert.equal(
      server.stdout.lines[1],
      "No network address other than loopback was found; only this machine can connect.",
    );
  });

  await t.step("echo a Korean message", async () => {
    const result = await echo(["echo", "--to", to, "안녕"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "Received: 안녕\n");
    assert.equal(result.stderr, "");
    await server.stdout.waitFor(/^Received from 127\.0\.0\.1:\d+: 안녕$/);
    await server.stdout.waitFor(
      /^Disconnected by 127\.0\.0\.1:\d+ \(closed normally, 6 B echoed\)$/,
    );
  });

  await t.step("several words are one message; -t is --to", async () => {
    const result = await echo(["echo", "-t", to, "hello", "big", "world"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "Received: hello big world\n");
  });

  await t.step("without a message, every non-empty line of standard input is echoed", async () => {
    const result = await echo(["echo", "--to", to], { stdin: "one\r\n\n둘\nthree and four\n" });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(result.stdout), [
      "Received: one",
      "Received: 둘",
      "Received: three and four",
    ]);
    await server.stdout.waitFor(/^Received from 127\.0\.0\.1:\d+: three and four$/);
  });

  await t.step("--count 3 --interval 0 prints three ping lines and statistics", async () => {
    const result = await echo(["echo", "--to", to, "--count", "3", "--interval", "0", "ping"]);
    assert.equal(result.code, 0, result.stderr);
    const out = lines(result.stdout);
    assert.equal(out.length, 4, result.stdout);
    out.slice(0, 3).forEach((line, i) => {
      const ping = new RegExp(
        `^4 bytes from ${to.replaceAll(".", "\\.")}: seq=${i + 1} time=\\d+\\.\\d{3} ms$`,
      );
      assert.match(line, ping);
    });
    assert.match(
      out[3],
      /^3 sent, 3 echoed intact, round trip min\/avg\/max = \d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3} ms$/,
    );
  });

  await t.step("--json prints one JSON object per line", async () => {
    for (
      const args of [["--json", "echo", "--to", to, "hi"], ["echo", "--json", "--to", to, "hi"]]
    ) {
      const result = await echo(args);
      assert.equal(result.code, 0, result.stderr);
      const events = lines(result.stdout).map((line) => JSON.parse(line));
      assert.deepEqual(events.map((e) => e.type), ["connected", "reply"]);
      assert.equal(events[0].peer, to);
      assert.equal(events[1].text, "hi");
      assert.equal(events[1].bytes, 2);
      assert.equal(events[1].seq, 1);
      assert.equal(events[1].matched, true);
      assert.equal(typeof events[1].rttMs, "number");
    }
  });

  await t.step("--json with --count adds a stats object", async () => {
    const result = await echo(["--json", "echo", "--to", to, "-c", "2", "-i", "0", "x"]);
    assert.equal(result.code, 0, result.stderr);
    const events = lines(result.stdout).map((line) => JSON.parse(line));
    assert.deepEqual(events.map((e) => e.type), ["connected", "reply", "reply", "stats"]);
    assert.equal(events[3].sent, 2);
    assert.equal(events[3].matched, 2);
  });

  await t.step("--lang ko and a Korean LANG give Korean output", async () => {
    for (
      const [args, env] of [
        [["--lang", "ko", "echo", "--to", to, "안녕"], {}],
        [["echo", "--lang", "ko", "--to", to, "안녕"], {}],
        [["echo", "--to", to, "안녕"], { LANG: "ko_KR.UTF-8" }],
        [["echo", "--to", to, "안녕"], { LANG: "C", LC_MESSAGES: "ko_KR.UTF-8" }],
      ] as const
    ) {
      const result = await echo([...args], { env: { ...env } });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "받음: 안녕\n", `${args.join(" ")} ${JSON.stringify(env)}`);
    }
    // LC_ALL overrides LANG, and --lang overrides both.
    const english = await echo(["echo", "--to", to, "hi"], {
      env: { LC_ALL: "C.UTF-8", LANG: "ko_KR.UTF-8" },
    });
    assert.equal(english.stdout, "Received: hi\n");
    const forced = await echo(["--lang", "en", "echo", "--to", to, "hi"], {
      env: { LANG: "ko_KR.UTF-8" },
    });
    assert.equal(forced.stdout, "Received: hi\n");
  });

  await t.step("--trace shows the bytes in both directions", async () => {
    const result = await echo(["--trace", "echo", "--to", to, "안녕"]);
    assert.equal(result.code, 0, result.stderr);
    const out = lines(result.stdout);
    // The one byte display: a head line, hex and text, and the UTF-8 bytes of each character.
    const bytes = "      0  ec 95 88 eb 85 95        안녕";
    const utf8 = "    ↳ UTF-8 (what encode() made of the text): 안 = ec 95 88, 녕 = eb 85 95";
    assert.deepEqual(out.slice(0, 6), [
      `→ sent 6 B  ${to}`,
      bytes,
      utf8,
      `← received 6 B  ${to}`,
      bytes,
      utf8,
    ]);
    assert.equal(out.at(-1), "Received: 안녕");
    // Without --trace there are none.
    const plain = await echo(["echo", "--to", to, "안녕"]);
    assert.doesNotMatch(plain.stdout, /sent|received/);
  });

  await t.step("--quiet keeps the result", async () => {
    const result = await echo(["-q", "echo", "--to", to, "quiet"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "Received: quiet\n");
  });

  await t.step("Ctrl+C prints the summary of everything served and exits 0", async () => {
    // Every client has gone before Ctrl+C, so the summary counts all of them.
    await server.stdout.waitForLines(/^Disconnected by /, clients);
    const status = await server.stop("SIGINT");
    assert.equal(status.code, 0, server.stderr.text);
    assert.match(
      server.stdout.text,
      new RegExp(`^Echo server stopped: ${clients} connections served, \\d+ B echoed\\.$`, "m"),
    );
  });
});

Deno.test("cli: Ctrl+C stops the server within 2 s, closing a connected client", async () => {
  const { server, port } = await startServer();
  await using _server = server;
  const echo = await runCli(["echo", "--to", `127.0.0.1:${port}`, "안녕"], OPTIONS);
  assert.equal(echo.code, 0, echo.stderr);
  // A second client stays connected (with 2 bytes echoed) while Ctrl+C is pressed.
  const idle = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await idle.write(new TextEncoder().encode("hi"));
    const buf = new Uint8Array(16);
    assert.equal(await idle.read(buf), 2);
    await server.stdout.waitFor(/^Received from 127\.0\.0\.1:\d+: hi$/);
    const started = performance.now();
    const status = await server.stop("SIGINT");
    const elapsed = performance.now() - started;
    assert.equal(status.code, 0, server.stderr.text);
    assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms to stop`);
    assert.ok(
      server.stdout.lines.includes("Echo server stopped: 2 connections served, 8 B echoed."),
      server.stdout.text,
    );
    assert.match(server.stderr.text, /Stopping…/);
    // The connected client was closed, not left hanging.
    assert.equal(await idle.read(buf), null);
  } finally {
    idle.close();
  }
});

Deno.test("cli: echo-server in Korean, as JSON, and with --trace", async (t) => {
  await t.step("Korean", async () => {
    const { server, to } = await startServer(["--lang", "ko"], LISTENING_KO);
    await using _server = server;
    assert.match(server.stdout.lines[1], /루프백 외의 네트워크 주소가 없습니다/);
    await runCli(["echo", "--to", to, "안녕"], OPTIONS);
    await server.stdout.waitFor(/^127\.0\.0\.1:\d+ 에게서 받음: 안녕$/);
    const status = await server.stop("SIGINT");
    assert.equal(status.code, 0);
    assert.ok(
      server.stdout.lines.includes("에코 서버 종료: 접속 1개 처리, 6 B 에코."),
      server.stdout.text,
    );
  });

  await t.step("JSON", async () => {
    const { server, port, to } = await startServer(
      ["--json"],
      /^\{"type":"listening","address":"127\.0\.0\.1:(\d+)"/,
    );
    await using _server = server;
    const listening = JSON.parse(server.stdout.lines[0]);
    assert.deepEqual(listening, { type: "listening", address: to, reachable: [] });
    assert.ok(port > 0);
    await runCli(["echo", "--to", to, "hi"], OPTIONS);
    await server.stdout.waitFor(/"type":"disconnected"/);
    const status = await server.stop("SIGINT");
    assert.equal(status.code, 0);
    const events = server.stdout.lines.map((line) => JSON.parse(line));
    assert.deepEqual(events.map((e) => e.type), [
      "listening",
      "connected",
      "received",
      "disconnected",
      "stopped",
    ]);
    assert.equal(events[2].text, "hi");
    assert.equal(events[3].reason, "closed");
    assert.deepEqual(events[4], { type: "stopped", connections: 1, bytes: 2 });
  });

  await t.step("--trace", async () => {
    const { server, to } = await startServer(["--trace"]);
    await using _server = server;
    await runCli(["echo", "--to", to, "hi"], OPTIONS);
    await server.stdout.waitFor(/^← received 2 B {2}127\.0\.0\.1:\d+$/);
    await server.stdout.waitFor(/^→ sent 2 B {2}127\.0\.0\.1:\d+$/);
    await server.stdout.waitFor(/^ {6}0 {2}68 69 {20}hi$/);
  });
});

Deno.test("cli: nothing listening is exit 1 with one line and no stack trace", async () => {
  const port = closedPort();
  const result = await runCli(["echo", "--to", `127.0.0.1:${port}`, "안녕"], OPTIONS);
  assertOneLineError(
    result,
    1,
    new RegExp(
      `^sockit: Nothing is listening at 127\\.0\\.0\\.1:${port}\\. Start the server \\(or receiver\\) first`,
    ),
  );
  assert.equal(result.stdout, "");
  const ko = await runCli(["--lang", "ko", "echo", "--to", `127.0.0.1:${port}`, "x"], OPTIONS);
  assertOneLineError(
    ko,
    1,
    new RegExp(`^sockit: 127\\.0\\.0\\.1:${port} 에서 기다리는 프로그램이 없습니다`),
  );
  // With --json the error is also a JSON object on stdout.
  const json = await runCli(["--json", "echo", "--to", `127.0.0.1:${port}`, "x"], OPTIONS);
  assertOneLineError(json, 1, /^sockit: Nothing is listening/);
  const event = JSON.parse(json.stdout);
  assert.equal(event.type, "error");
  assert.equal(event.code, "connection-refused");
  assert.equal(event.details.port, port);
});

Deno.test("cli: a port in use is exit 1 with one line", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = busy.addr as Deno.NetAddr;
  try {
    const result = await runCli(
      ["echo-server", "--host", "127.0.0.1", "--port", String(port)],
      OPTIONS,
    );
    assertOneLineError(
      result,
      1,
      new RegExp(`^sockit: Port ${port} is already in use on 127\\.0\\.0\\.1\\. `),
    );
  } finally {
    busy.close();
  }
});

Deno.test("cli: usage errors are exit 2 with a short message", async (t) => {
  const cases: [string, string[], RegExp][] = [
    [
      "bad port for the server",
      ["echo-server", "--port", "70000"],
      /^sockit: '70000' is not a valid port\./,
    ],
    [
      "port that is not a number",
      ["echo-server", "-p", "abc"],
      /^sockit: 'abc' is not a valid port\./,
    ],
    [
      "bad port in --to",
      ["echo", "--to", "127.0.0.1:99999", "x"],
      /^sockit: '99999' is not a valid port\./,
    ],
    [
      "bad address in --to",
      ["echo", "--to", "a b", "x"],
      /^sockit: 'a b' is not a valid address\./,
    ],
    ["bad --count", ["echo", "--count", "0", "x"], /^sockit: --count needs a whole number/],
    ["bad --lang", ["--lang", "xx", "echo", "x"], /^sockit: Unknown language 'xx'/],
  ];
  for (const [name, args, pattern] of cases) {
    await t.step(name, async () => {
      assertOneLineError(await runCli(args, OPTIONS), 2, pattern);
    });
  }

  await t.step("unknown option", async () => {
    const result = await runCli(["echo", "--bogus", "x"], OPTIONS);
    assert.equal(result.code, 2);
    const [first, hint, ...rest] = lines(result.stderr);
    assert.equal(first, "sockit: Unknown option '--bogus'.");
    assert.match(hint, /^Run '.+ --help' for usage\.$/);
    assert.deepEqual(rest, []);
    assert.equal(result.stdout, "");
  });

  await t.step("unknown command, in Korean", async () => {
    const result = await runCli(["bogus"], { ...OPTIONS, env: { LANG: "ko_KR.UTF-8" } });
    assert.equal(result.code, 2);
    assert.match(lines(result.stderr)[0], /^sockit: 알 수 없는 명령 'bogus' 입니다/);
  });

  await t.step("no command shows the help on stderr", async () => {
    const result = await runCli([], OPTIONS);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^Usage: sockit /);
    assert.doesNotMatch(result.stderr, /outputHelp/);
  });
});

Deno.test("cli: --version prints sockit, Deno and target versions", async () => {
  for (const flag of ["--version", "-V"]) {
    const result = await runCli([flag], OPTIONS);
    assert.equal(result.code, 0);
    assert.equal(
      result.stdout,
      `sockit ${config.version} (Deno ${Deno.version.deno}, ${Deno.build.target})\n`,
    );
    assert.match(result.stdout, /^sockit \d+\.\d+\.\d+\S* \(Deno \d+\.\d+\.\d+\S*, [\w.-]+\)\n$/);
  }
});

Deno.test("cli: --help in English and Korean", async (t) => {
  await t.step("English", async () => {
    const result = await runCli(["--help"], OPTIONS);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: sockit /);
    for (const text of ["Options:", "Commands:", "echo-server", "echo [options] [message...]"]) {
      assert.ok(result.stdout.includes(text), text);
    }
    assert.ok(result.stdout.includes("Run a TCP echo server"));
  });

  await t.step("Korean with --lang ko", async () => {
    const result = await runCli(["--lang", "ko", "--help"], OPTIONS);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^사용법: sockit /);
    for (const text of ["옵션:", "명령:", "에코 서버"]) {
      assert.ok(result.stdout.includes(text), text);
    }
    assert.doesNotMatch(result.stdout, /Usage:|Options:|Commands:/);
  });

  await t.step("Korean from LANG, for a command", async () => {
    const result = await runCli(["echo", "--help"], { ...OPTIONS, env: { LANG: "ko_KR.UTF-8" } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^사용법: sockit echo /);
    for (const text of ["인자:", "옵션:", "--count", "보낼 메시지"]) {
      assert.ok(result.stdout.includes(text), text);
    }
  });

  await t.step("help COMMAND", async () => {
    const result = await runCli(["help", "echo-server"], OPTIONS);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: sockit echo-server /);
    assert.ok(result.stdout.includes("--port <port>"));
  });
});
