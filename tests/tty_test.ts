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
import { cliShellCommand, NO_TMUX, tempDir, Terminal } from "./util.ts";

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
      cliShellCommand(["receive", "--host", "127.0.0.1", "--port", "0", "--dir", "inbox"]),
    );
    const [, port] = await receiving.waitFor(/on 127\.0\.0\.1:(\d+)\. Press Ctrl\+C/);
    await using sending = await Terminal.open(80, 24, {}, work.path);
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
