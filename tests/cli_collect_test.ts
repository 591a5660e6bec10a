/**
 * A teacher collecting homework with `sockit receive`, run as people would: a class list and
 * who is missing (on Ctrl+C and with `--summary`), `--roster-only`, the log opened by python's
 * csv module (also after the receiver was killed mid-class), hostile names, the name asked
 * once on a terminal, and the live lines.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ReceiveView } from "../cli/render_transfer.ts";
import { Roster } from "../lib/collect/roster.ts";
import { RawPeer } from "./raw_peer.ts";
import {
  cliReceiver,
  cliShellCommand,
  NO_TMUX,
  runCli,
  sha256Hex,
  tempDir,
  Terminal,
} from "./util.ts";
import type { CliResult } from "./util.ts";

/** `sockit send ARGS… --to 127.0.0.1:PORT --name NAME`. */
function send(port: number, name: string, args: string[]): Promise<CliResult> {
  return runCli(["send", ...args, "--to", `127.0.0.1:${port}`, "--name", name], {
    timeoutMs: 30_000,
  });
}

/** The log's rows as python's csv module reads them (as a spreadsheet would open the file). */
async function pythonCsv(dir: string): Promise<Record<string, string>[]> {
  const script = [
    "import csv, json, sys",
    "with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:",
    "    print(json.dumps(list(csv.DictReader(f, strict=True)), ensure_ascii=False))",
  ].join("\n");
  const out = await new Deno.Command("python3", {
    args: ["-c", script, join(dir, "sockit-log.csv")],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.equal(out.code, 0, decoder.decode(out.stderr));
  return JSON.parse(decoder.decode(out.stdout));
}

/** The receipts a sender printed: path, stored, SHA-256 and the receiver's time. */
function receipts(stdout: string): { stored: string; sha256: string; time: string }[] {
  return [
    ...stdout.matchAll(/^Receipt: .* stored as (.+), .*, SHA-256 ([0-9a-f]{64}), at (\S+) /gm),
  ]
    .map((m) => ({ stored: m[1], sha256: m[2], time: m[3] }));
}

const ROSTER = "\uFEFFname,id\r\n김민지,1\r\nPark Jisoo,2\r\n이서준,3\r\n최유나,4\r\nO'Neil,5\r\n";

Deno.test("cli collect: a class list says exactly who is missing, on Ctrl+C and with --summary; python reads the log", async () => {
  await using work = await tempDir();
  const roster = join(work.path, "반명단.csv");
  await Deno.writeTextFile(roster, ROSTER);
  await Deno.mkdir(join(work.path, "과제"));
  await Deno.writeTextFile(join(work.path, "과제", "main.py"), "print('hi')\n");
  await Deno.writeTextFile(join(work.path, "과제", "README.md"), "# 과제\n");
  await Deno.writeTextFile(join(work.path, "note.txt"), "=1+1\n");
  const dir = join(work.path, "received");
  await using receiver = await cliReceiver({ dir, args: ["--roster", roster] });
  await receiver.proc.stdout.waitFor(/^Class list: 5 names from .*반명단\.csv\.$/);

  const sends = [
    await send(receiver.port, "김민지", [join(work.path, "과제")]),
    await send(receiver.port, "PARK JISOO", [join(work.path, "note.txt")]),
    // Not on the list, but the list is not enforced: accepted, and its name guarded in the CSV.
    await send(receiver.port, "@SUM(1+1)", [join(work.path, "note.txt")]),
  ];
  for (const result of sends) assert.equal(result.code, 0, result.stderr);
  await receiver.proc.stderr.waitFor(
    /^@SUM\(1\+1\) \(127\.0\.0\.1:\d+\) is not on the class list$/,
  );

  assert.equal((await receiver.proc.stop("SIGINT")).code, 0);
  const out = receiver.proc.stdout.lines;
  assert.ok(out.includes("Not sent yet (3): 이서준, 최유나, O'Neil"), out.join("\n"));
  const table = out.slice(out.findIndex((l) => l.startsWith("Who sent what")));
  assert.match(table[1], /^Files +Bytes +Last file +Name$/);
  assert.match(table[2], /^ +2 +\S+ B +\d{4}-\S+ +김민지$/);
  assert.match(table[3], /^ +1 +5 B +\d{4}-\S+ +Park Jisoo$/);
  assert.match(table[4], /^ +0 +- +- +이서준$/);
  assert.match(table[7], /^ +1 +5 B +\d{4}-\S+ +@SUM\(1\+1\)$/);

  const summary = await runCli(["receive", "--summary", "--dir", dir, "--roster", roster]);
  assert.equal(summary.code, 0, summary.stderr);
  assert.match(summary.stdout, /^Not sent yet \(3\): 이서준, 최유나, O'Neil$/m);
  assert.match(summary.stdout, /^ +2 +\S+ B +\d{4}-\S+ +김민지$/m);

  const bytes = await Deno.readFile(join(dir, "sockit-log.csv"));
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 with a BOM");
  const rows = await pythonCsv(dir);
  assert.deepEqual(rows.map((r) => [r.name, r.stored, r.outcome]), [
    ["김민지", "김민지/과제/README.md", "stored"],
    ["김민지", "김민지/과제/main.py", "stored"],
    ["Park Jisoo", "Park Jisoo/note.txt", "stored"],
    ["'@SUM(1+1)", "'@SUM(1+1)/note.txt", "stored"],
  ]);
  for (const row of rows) {
    const file = await Deno.readFile(join(dir, row.stored.replace(/^'/, "")));
    assert.equal(row.sha256, sha256Hex(file));
    assert.equal(Number(row.size), file.length);
    assert.equal(row.address, "127.0.0.1");
    assert.equal(row.protocol, "sockit");
  }
});

Deno.test("cli collect: --roster-only refuses a name not on the list, naming the closest, and logs it", async () => {
  await using work = await tempDir();
  const roster = join(work.path, "roster.txt");
  await Deno.writeTextFile(roster, "김민지\n김민준\nPark Jisoo\n");
  await Deno.writeTextFile(join(work.path, "a.py"), "print(1)\n");
  await using receiver = await cliReceiver({ args: ["--roster", roster, "--roster-only"] });
  const result = await send(receiver.port, "김민자", [join(work.path, "a.py")]);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr.trim(),
    "sockit: The receiver's class list has no '김민자'. Closest names on it: 김민지, 김민준. " +
      "Send again with --name and your name as the list has it.",
  );
  await receiver.proc.stderr.waitFor(
    /^Refused 김민자 from 127\.0\.0\.1:\d+: not on the class list; closest: 김민지, 김민준$/,
  );
  const ok = await send(receiver.port, "김민지", [join(work.path, "a.py")]);
  assert.equal(ok.code, 0, ok.stderr);
  const rows = await pythonCsv(receiver.dir);
  assert.deepEqual(rows.map((r) => [r.name, r.outcome, r.stored]), [
    ["김민자", "refused", ""],
    ["김민지", "stored", "김민지/a.py"],
  ]);
  assert.match(rows[0].reason, /^not-on-roster: /);
  assert.deepEqual([...Deno.readDirSync(receiver.dir)].map((e) => e.name).sort(), [
    ".sockit",
    "sockit-log.csv",
    "김민지",
  ]);
  // --roster-only without a list is a usage error.
  const usage = await runCli(["receive", "--port", "0", "--roster-only"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^sockit: --roster-only needs a class list: add --roster FILE\.$/m);
});

Deno.test("cli collect: a receiver killed mid-class keeps a row for every receipt a sender printed", async () => {
  await using work = await tempDir();
  const dir = join(work.path, "received");
  for (let i = 0; i < 3; i++) await Deno.writeTextFile(join(work.path, `f${i}.txt`), `${i}\n`);
  const files = [0, 1, 2].map((i) => join(work.path, `f${i}.txt`));
  const first = await cliReceiver({ dir });
  let printed: ReturnType<typeof receipts> = [];
  try {
    const results = await Promise.all(
      ["김민지", "Park Jisoo", "이서준", "최유나", "O'Neil"].map((n) => send(first.port, n, files)),
    );
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    printed = results.flatMap((r) => receipts(r.stdout));
    assert.equal(printed.length, 15);
    // A sixth student is in the middle of a file when the receiver dies.
    await using peer = await RawPeer.open(first.port);
    await peer.sendFrame({ type: "I", name: "late" });
    await peer.sendFrame({ type: "F", id: 1, path: "big.bin", size: 1_000_000, mtime: 0 });
    await peer.frame();
    await peer.sendFrame({ type: "S", id: 1, offset: 0 });
    await peer.send(new Uint8Array(300_000));
    await first.proc.stdout.waitFor(/^Receiving big\.bin /);
  } finally {
    await first.proc.stop("SIGKILL");
  }
  const rows = await pythonCsv(dir);
  assert.deepEqual(
    rows.map((r) => [r.stored, r.sha256, r.time]).sort(),
    printed.map((p) => [p.stored, p.sha256, p.time]).sort(),
    "one row per receipt, none for the unfinished file",
  );
  // A restarted receiver appends to the same log: one header, the rows before and the new one.
  await using second = await cliReceiver({ dir });
  assert.equal((await send(second.port, "late", [files[0]])).code, 0);
  await second.proc.stop("SIGINT");
  const after = await pythonCsv(dir);
  assert.equal(after.length, 16);
  assert.deepEqual(after.slice(0, 15), rows);
  assert.equal(after[15].stored, "late/f0.txt");
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(
    await Deno.readFile(join(dir, "sockit-log.csv")),
  );
  assert.equal(text.match(/time,name,address/g)?.length, 1, "one header");
  await first[Symbol.asyncDispose]();
});

Deno.test("cli collect: hostile names are refused on the command line and shown escaped from the wire", async () => {
  await using work = await tempDir();
  await Deno.writeTextFile(join(work.path, "a.txt"), "a\n");
  await using receiver = await cliReceiver();
  const evil = await send(receiver.port, "red\x1b[31m", [join(work.path, "a.txt")]);
  assert.equal(evil.code, 2);
  assert.match(
    evil.stderr,
    /^sockit: 'red\\x1b\[31m' cannot be your name: it contains a control character\./,
  );
  const env = await runCli(
    ["send", join(work.path, "a.txt"), "--to", `127.0.0.1:${receiver.port}`],
    {
      env: { SOCKIT_NAME: "../teacher" },
    },
  );
  assert.equal(env.code, 2);
  assert.match(env.stderr, /^sockit: '\.\.\/teacher' cannot be your name: it contains \/ or \\/);

  await using peer = await RawPeer.open(receiver.port);
  await peer.sendFrame({ type: "I", name: "x\x1b]0;pwned\x07" });
  const reply = await peer.frame();
  assert.deepEqual(reply, { type: "X", code: "bad-name", message: "control" });
  await receiver.proc.stderr.waitFor(
    /^Refused x\\x1b\]0;pwned\\x07 from .*: the name is not safe \(it contains a control character\)$/,
  );
  for (
    const text of [evil.stderr, env.stderr, receiver.proc.stdout.text, receiver.proc.stderr.text]
  ) {
    assert.ok(!text.includes("\x1b") && !text.includes("\x07"), JSON.stringify(text));
  }
  assert.deepEqual([...Deno.readDirSync(receiver.dir)].map((e) => e.name).sort(), [
    ".sockit",
    "sockit-log.csv",
  ]);
});

Deno.test({
  name: "cli collect: the first send on a terminal asks for a name once and remembers it",
  ignore: NO_TMUX !== undefined,
  async fn() {
    await using work = await tempDir();
    await Deno.writeTextFile(join(work.path, "a.txt"), "a\n");
    await using receiver = await cliReceiver();
    const config = join(work.path, "config");
    await using term = await Terminal.open(100, 30, { XDG_CONFIG_HOME: config, USER: "kim" });
    const send = cliShellCommand([
      "send",
      join(work.path, "a.txt"),
      "--to",
      `127.0.0.1:${receiver.port}`,
    ]);
    await term.run(send);
    // Asked once, with the login name offered; a name is typed instead.
    await term.waitFor(/Your name, as your teacher should see it \[\S+\]:/);
    await term.keys("-l", "김민지");
    await term.keys("Enter");
    assert.equal(await term.exitCode(), 0, (await term.history()).join("\n"));
    await term.waitFor(/^Receipt: a\.txt stored as 김민지\/a\.txt, /);
    assert.equal(await Deno.readTextFile(join(config, "sockit", "name.txt")), "김민지\n");
    // The second time nothing is asked.
    await term.run(send);
    assert.equal(await term.exitCode(), 0);
    const screen = await term.history();
    assert.equal(screen.filter((line) => line.includes("should see it")).length, 1);
    assert.ok(
      screen.some((line) => /^Receipt: a\.txt stored as 김민지\/a \(1\)\.txt, /.test(line)),
    );
  },
});

Deno.test({
  name: "cli collect: on a terminal the receiver shows the class list's counts live",
  ignore: NO_TMUX !== undefined,
  async fn() {
    await using work = await tempDir();
    const roster = join(work.path, "roster.txt");
    await Deno.writeTextFile(roster, "김민지\nPark Jisoo\n이서준\n");
    await Deno.writeTextFile(join(work.path, "a.txt"), "a\n");
    await using term = await Terminal.open(60, 12);
    const dir = join(work.path, "received");
    await term.run(cliShellCommand([
      "receive",
      "--dir",
      dir,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--no-qr",
      "--no-announce",
      "--open",
      "--roster",
      roster,
    ]));
    const [, port] = await term.waitFor(/127\.0\.0\.1:(\d+)/);
    await term.waitFor(/^Class list: 0 of 3 sent, 3 missing · 0 sending now$/);
    const sent = await runCli(["send", join(work.path, "a.txt"), "--to", `127.0.0.1:${port}`], {
      env: { SOCKIT_NAME: "park jisoo" },
    });
    assert.equal(sent.code, 0, sent.stderr);
    await term.waitFor(/^Class list: 1 of 3 sent, 2 missing · 0 sending now$/);
    await term.keys("C-c");
    assert.equal(await term.exitCode(), 0);
    await term.waitFor(/^Not sent yet \(2\): 김민지, 이서준$/);
  },
});

Deno.test("cli collect: live lines: the class list's counts, then one line per sender sending now", () => {
  const roster = Roster.parse("김민지\nPark Jisoo\n이서준\n");
  const view = new ReceiveView({ lang: "en", color: false }, "sockit", { roster });
  const peer = "127.0.0.1:5000";
  view.update({
    type: "sender",
    peer,
    name: "김민지",
    named: true,
    onRoster: true,
    folder: "김민지",
  });
  const info = { id: 1, peer, sender: "김민지", classic: false, path: "과제/main.py", size: 200 };
  view.update({ type: "file-start", offset: 0, ...info });
  const { live } = view.update({ type: "file-progress", bytes: 100, ...info });
  assert.deepEqual(live?.map((line) => line.label), [
    "Class list: 0 of 3 sent, 3 missing · 1 sending now",
    "김민지  과제/main.py",
  ]);
  assert.equal(live![1].detail, "[█████░░░░░]  50%  100 B/200 B");
  const done = view.update({
    type: "file-done",
    stored: "김민지/과제/main.py",
    sha256: "0".repeat(64),
    ms: 5,
    time: "2026-12-02T14:41:07+09:00",
    ...info,
  });
  assert.equal(done.live?.[0].label, "Class list: 1 of 3 sent, 2 missing · 1 sending now");
  assert.deepEqual(view.update({ type: "session-end", peer, files: 1, bytes: 200 }).live, [
    { label: "Class list: 1 of 3 sent, 2 missing · 0 sending now", detail: "" },
  ]);
});
