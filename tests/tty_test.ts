/**
 * sockit in a real terminal (tmux), as a classmate sees it: progress bars that redraw in place
 * in an 80×24 window with a Korean file name, the live block fitted to the window, Ctrl+C under
 * `deno task`, and prompts that only make sense on a terminal.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import stringWidth from "string-width";
import { CutProxy, partSizes, RecordingReceiver } from "./fault_helpers.ts";
import { sendFiles } from "../lib/transfer/sender.ts";
import { cliShellCommand, NO_TMUX, ROOT, spawnCli, tempDir, Terminal } from "./util.ts";

const ignore = NO_TMUX !== undefined;
const name = (what: string) => NO_TMUX ? `${what} (skipped: ${NO_TMUX})` : what;

/** Lines of a terminal that hold a progress bar. */
function bars(lines: string[]): string[] {
  return lines.filter((line) => /[█░]/.test(line));
}

Deno.test({
  name: name("tty: an 80x24 terminal sending a Korean-named 300 MB file ends with one bar line"),
  ignore,
  fn: async () => {
    await using work = await tempDir();
    const file = "과제-최종-제출본-김민수-2학년-3반-네트워크-프로그래밍-기말-프로젝트.bin";
    await Deno.writeFile(join(work.path, file), new Uint8Array(0));
    await Deno.truncate(join(work.path, file), 300 * 1024 * 1024);
    await using receiving = await Terminal.open(80, 24, {}, work.path);
    await receiving.run(
      cliShellCommand([
        "receive",
        "--open",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--dir",
        "inbox",
      ]),
    );
    const [, port] = await receiving.waitFor(/on 127\.0\.0\.1:(\d+)\. Press Ctrl\+C/);
    // A name given: a first send on a terminal would otherwise ask for one.
    await using sending = await Terminal.open(80, 24, { SOCKIT_NAME: "김민지" }, work.path);
    await sending.run(cliShellCommand(["send", file, "--to", `127.0.0.1:${port}`]));
    assert.equal(await sending.exitCode(120_000), 0, (await sending.history()).join("\n"));
    await receiving.waitFor(/^Stored .*프로젝트\.bin from /);

    const sent = await sending.history();
    const sentBars = bars(sent);
    assert.equal(sentBars.length, 1, `sender:\n${sent.join("\n")}`);
    assert.match(sentBars[0], /100% {2}300 MiB\/300 MiB/);
    assert.ok(stringWidth(sentBars[0]) < 80, sentBars[0]);
    assert.match(sent.join("\n"), /^Done: 1 file, 300 MiB/m);
    // The receiver's live line is gone once the file is stored: no stale bars either.
    const received = await receiving.history();
    assert.deepEqual(bars(received), [], `receiver:\n${received.join("\n")}`);
  },
});

/** `deno task NAME ARGS…` as typed in a terminal, for this project's tasks. */
function taskCommand(task: string, args: string[]): string {
  const quote = (w: string) => /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`;
  return ["deno", "task", "--quiet", "--config", join(ROOT, "deno.json"), task, ...args]
    .map(quote).join(" ");
}

Deno.test({
  name: name("tty: under deno task, one Ctrl+C stops receive and echo-server cleanly, every time"),
  ignore,
  fn: async () => {
    await using work = await tempDir();
    const servers: [string, RegExp][] = [
      ["receive", /^Receiver stopped: /],
      ["echo-server", /^Echo server stopped: /],
    ];
    for (const [task, summary] of servers) {
      for (let attempt = 1; attempt <= 4; attempt++) {
        await using term = await Terminal.open(80, 24, {}, work.path);
        await term.run(taskCommand(task, ["--host", "127.0.0.1", "--port", "0"]));
        await term.waitFor(/Press Ctrl\+C to stop\./);
        await term.keys("C-c");
        // sockit's part: the summary, and back at the shell's prompt.
        await term.waitUntil(
          (lines) => lines.some((l) => summary.test(l)) && lines.at(-1) === "$",
          30_000,
          `${task} to stop with its summary`,
        );
        const lines = await term.history();
        const history = lines.join("\n");
        assert.doesNotMatch(history, /quit at once[\s\S]*\^C|EXIT-\d+=130/, history);
        // The exit code as the shell saw it. Under a heavy load deno task itself is sometimes
        // ended by the key press after sockit stopped cleanly; bash then skips the `echo`.
        const exit = lines.map((l) => /^EXIT-\d+=(\d+)$/.exec(l)?.[1]).find((c) => c);
        if (exit !== undefined) assert.equal(exit, "0", `${task}, attempt ${attempt}:\n${history}`);
      }
    }
  },
});

Deno.test({
  name: name("tty: Ctrl+C under deno task send says what the receiver kept and how to resume"),
  ignore,
  fn: async () => {
    await using work = await tempDir();
    const dir = join(work.path, "received");
    await Deno.writeFile(join(work.path, "big.bin"), new Uint8Array(0));
    await Deno.truncate(join(work.path, "big.bin"), 8 * 1024 * 1024);
    await using receiver = await RecordingReceiver.start({ dir });
    await using proxy = new CutProxy({ targetPort: receiver.port, rate: () => 2 * 1024 * 1024 });
    await using term = await Terminal.open(80, 24, { SOCKIT_NAME: "김민지" }, work.path);
    await term.run(taskCommand("send", ["big.bin", "--to", `127.0.0.1:${proxy.port}`]));
    await receiver.waitFor((e) => e.type === "file-progress", 30_000, "bytes arriving");
    await term.keys("C-c");
    const code = await term.exitCode(30_000);
    const history = (await term.history()).join("\n");
    assert.equal(code, 1, history);
    assert.match(
      history,
      /^Interrupted while sending big\.bin: up to \S+ \S+ of 8\.00 MiB reached the receiver, which keeps what arrived\. Run the same command again to resume\.$/m,
    );
    assert.match(history, /^Stopped: 0 of 1 file sent, 0 B\.$/m);
    assert.doesNotMatch(history, /^Done: /m);
    await receiver.waitFor((e) => e.type === "file-failed", 15_000, "the dropped transfer");
    assert.ok((await partSizes(dir))[0] > 0, "the receiver kept a partial");
  },
});

Deno.test({
  name: name("tty: echo with no message on a terminal says to type lines and how to end"),
  ignore,
  fn: async () => {
    await using server = spawnCli(["echo-server", "--host", "127.0.0.1", "--port", "0"]);
    const [, port] = await server.stdout.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    await using term = await Terminal.open(80, 24);
    await term.run(cliShellCommand(["echo", "--to", `127.0.0.1:${port}`]));
    await term.waitFor(
      /^Type lines to send; the server sends each one back\. Press Ctrl\+D to end/,
    );
    await term.keys("-l", "안녕 sockit");
    await term.keys("Enter");
    await term.waitFor(/^Received: 안녕 sockit$/);
    await term.keys("C-d");
    assert.equal(await term.exitCode(), 0, (await term.history()).join("\n"));
  },
});

Deno.test({
  name: name(
    "tty: 15 slow senders in a 12-row terminal: the live block fits, '+N more', no stale lines",
  ),
  ignore,
  fn: async () => {
    await using work = await tempDir();
    await using term = await Terminal.open(80, 12, {}, work.path);
    await term.run(
      cliShellCommand([
        "receive",
        "--open",
        "--flat",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--no-qr",
        "--no-announce",
      ]),
    );
    const [, port] = await term.waitFor(/on 127\.0\.0\.1:(\d+)\. Press Ctrl\+C/);
    await using proxy = new CutProxy({ targetPort: Number(port), rate: () => 512 * 1024 });
    const paths: string[] = [];
    for (let i = 0; i < 15; i++) {
      const path = join(work.path, `숙제-${i}.bin`);
      await Deno.writeFile(path, new Uint8Array(0));
      await Deno.truncate(path, 2 * 1024 * 1024);
      paths.push(path);
    }
    const sends = paths.map((path) => sendFiles({ paths: [path], port: proxy.port }));
    await term.waitFor(/^\+\d+ more transfers$/, 60_000);
    const screen = await term.history();
    const results = await Promise.all(sends);
    assert.ok(results.every((r) => r.files === 1), "every file arrived");
    await term.waitUntil(
      (lines) => lines.filter((line) => /^Stored \S*숙제-/.test(line)).length === 15,
      30_000,
      "15 stored files",
    );
    // While busy, at most 12 - 2 lines were live; once all are stored, none is left behind.
    const history = await term.history();
    assert.ok(bars(screen).length <= 10, screen.join("\n"));
    assert.deepEqual(bars(history), [], history.join("\n"));
    assert.equal(
      history.filter((line) => /^Stored \S*숙제-/.test(line)).length,
      15,
      history.join("\n"),
    );
  },
});
