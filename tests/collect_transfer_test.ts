/**
 * Homework collection through the library: every sender's files in its own folder (10 senders
 * of the same folder at once), resends numbered inside the sender's folder, names matched
 * case-insensitively, unnamed and hostile senders, the class list, and the log's rows.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { readLog } from "../lib/collect/log.ts";
import { Roster } from "../lib/collect/roster.ts";
import type { SendEvent } from "../lib/transfer/sender.ts";
import { RawPeer } from "./raw_peer.ts";
import { CutProxy, RecordingReceiver, tree } from "./fault_helpers.ts";
import { sha256Hex, tempDir } from "./util.ts";

const encoder = new TextEncoder();

/** Where the receiver stored each file, from the sender's receipts. */
function storedPaths(events: SendEvent[]): (string | null)[] {
  return events.flatMap((e) => e.type === "file-done" ? [e.stored] : []);
}

/** Writes `과제/main.py` and `과제/README.md` for `student` into a new folder; returns it. */
async function homework(root: string, student: string): Promise<string> {
  const folder = join(root, student, "과제");
  await Deno.mkdir(folder, { recursive: true });
  await Deno.writeTextFile(join(folder, "main.py"), `print("${student}")\n`);
  await Deno.writeTextFile(join(folder, "README.md"), `# ${student}의 과제\n`);
  return folder;
}

Deno.test("collect: 10 senders of the same folder at once end up in 10 folders, nothing merged", async () => {
  await using receiver = await RecordingReceiver.start({ bySender: true, log: true });
  await using src = await tempDir();
  const students = Array.from({ length: 10 }, (_, i) => `학생${i + 1}`);
  const folders = await Promise.all(students.map((s) => homework(src.path, s)));
  const sends = await Promise.all(
    students.map((name, i) => receiver.send([folders[i]], { name })),
  );
  for (const { result } of sends) assert.equal(result.files, 2);
  const expected = students.flatMap((s) => [`${s}/과제/README.md`, `${s}/과제/main.py`]);
  const stored = (await tree(receiver.dir)).filter((p) => p.endsWith(".py") || p.endsWith(".md"));
  assert.deepEqual(stored.sort(), expected.sort(), "no (1) anywhere, no shared 과제/");
  for (const s of students) {
    assert.equal(
      await Deno.readTextFile(join(receiver.dir, s, "과제", "main.py")),
      `print("${s}")\n`,
    );
  }
  // Each sender's receipts name its own folder.
  for (const [i, { events }] of sends.entries()) {
    assert.deepEqual(storedPaths(events).sort(), [
      `${students[i]}/과제/README.md`,
      `${students[i]}/과제/main.py`,
    ]);
  }
  // One log row per stored file, with the sender's name and the stored path.
  const rows = await readLog(receiver.dir);
  assert.equal(rows.length, 20);
  assert.deepEqual(rows.map((r) => r.stored).sort(), expected.sort());
  for (const row of rows) {
    assert.equal(row.name, row.stored.split("/")[0]);
    assert.equal(row.outcome, "stored");
    assert.equal(row.protocol, "sockit");
    assert.equal(row.address, "127.0.0.1");
    const bytes = await Deno.readFile(join(receiver.dir, row.stored));
    assert.equal(row.size, bytes.length);
    assert.equal(row.sha256, sha256Hex(bytes));
  }
});

Deno.test("collect: a resend is numbered inside the sender's own folder; KIM and kim share it", async () => {
  await using receiver = await RecordingReceiver.start({ bySender: true });
  await using src = await tempDir();
  const folder = await homework(src.path, "Kim");
  await receiver.send([folder], { name: "Kim" });
  const again = await receiver.send([folder], { name: "KIM" });
  await receiver.send([folder], { name: "Lee" });
  assert.deepEqual(storedPaths(again.events), [
    "Kim/과제/README (1).md",
    "Kim/과제/main (1).py",
  ]);
  assert.deepEqual(
    (await tree(receiver.dir)).filter((p) => !p.startsWith(".sockit")),
    [
      "Kim",
      "Kim/과제",
      "Kim/과제/README (1).md",
      "Kim/과제/README.md",
      "Kim/과제/main (1).py",
      "Kim/과제/main.py",
      "Lee",
      "Lee/과제",
      "Lee/과제/README.md",
      "Lee/과제/main.py",
    ],
  );
});

Deno.test("collect: the receipt carries the receiver's time, the same as in the log", async () => {
  await using receiver = await RecordingReceiver.start({ bySender: true, log: true });
  await using src = await tempDir();
  await Deno.writeTextFile(join(src.path, "a.txt"), "a\n");
  const { events } = await receiver.send([join(src.path, "a.txt")], { name: "김민지" });
  const done = events.find((e) => e.type === "file-done");
  assert.ok(done?.type === "file-done");
  assert.match(done.time ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  const [row] = await readLog(receiver.dir);
  assert.equal(row.time, done.time);
  assert.equal(row.sha256, done.sha256);
  assert.equal(row.stored, done.stored);
});

Deno.test("collect: a sender without a name goes to unnamed-<address>; --flat keeps one folder", async () => {
  await using receiver = await RecordingReceiver.start({ bySender: true });
  await using peer = await RawPeer.open(receiver.port);
  const verdict = await peer.sendFile("a.txt", encoder.encode("old sender\n"));
  assert.ok(verdict.type === "V" && verdict.ok);
  assert.equal(verdict.stored, "unnamed-127-0-0-1/a.txt");

  await using flat = await RecordingReceiver.start({ log: true });
  await using src = await tempDir();
  await Deno.writeTextFile(join(src.path, "b.txt"), "b\n");
  const { events } = await flat.send([join(src.path, "b.txt")], { name: "김민지" });
  assert.deepEqual(storedPaths(events), ["b.txt"]);
  assert.equal((await readLog(flat.dir))[0].name, "김민지", "flat still logs who sent it");
});

Deno.test("collect: identify is optional, first only, and not answered (the offers follow)", async () => {
  await using receiver = await RecordingReceiver.start({ bySender: true });
  await using peer = await RawPeer.open(receiver.port);
  await peer.sendFrame({ type: "I", name: "김민지" });
  assert.equal((await peer.sendFile("a.txt", new TextEncoder().encode("a\n"))).type, "V");
  // A second identify is a protocol error.
  await peer.sendFrame({ type: "I", name: "someone else" });
  const error = await peer.frame();
  assert.ok(error.type === "X" && error.code === "bad-header", JSON.stringify(error));
  assert.ok(await Deno.stat(join(receiver.dir, "김민지", "a.txt")));
});

Deno.test("collect: hostile display names are refused with the problem, nothing stored, logged escaped", async () => {
  await using receiver = await RecordingReceiver.start({ bySender: true, log: true });
  const cases: [string, string][] = [
    ["../teacher", "separator"],
    ["a/../../etc", "separator"],
    ["..", "dot-segment"],
    [".sockit", "internal"],
    ["CON", "reserved"],
    ["red\x1b[31mname", "control"],
    ["\u202Egnp.exe", "bidi"],
    ["sockit-log.csv", "sockit-name"],
    ["가".repeat(51), "long-name"],
    ["", "empty"],
  ];
  for (const [name, problem] of cases) {
    await using peer = await RawPeer.open(receiver.port);
    await peer.sendFrame({ type: "I", name });
    const reply = await peer.frame();
    assert.deepEqual(
      reply,
      { type: "X", code: "bad-name", message: problem },
      JSON.stringify(name),
    );
    assert.ok(await peer.closedWithin(5_000));
  }
  assert.deepEqual((await tree(receiver.dir)).filter((p) => !p.startsWith(".sockit")), [
    "sockit-log.csv",
  ]);
  const rows = await readLog(receiver.dir);
  assert.equal(rows.length, cases.length, "one row per refusal");
  for (const row of rows) {
    assert.equal(row.outcome, "refused");
    assert.match(row.reason, /^bad-name: /);
    assert.doesNotMatch(row.name + row.reason, /\p{Cc}/u, "no raw control characters");
  }
  assert.ok(rows.some((r) => r.name === "red\\x1b[31mname"), JSON.stringify(rows));
});

Deno.test("collect: --roster-only refuses a name not on the list, with its closest names", async () => {
  const roster = Roster.parse("name,id\n김민지,1\n김민준,2\nPark Jisoo,3\n");
  await using receiver = await RecordingReceiver.start({
    bySender: true,
    log: true,
    roster,
    rosterOnly: true,
  });
  await using src = await tempDir();
  await Deno.writeTextFile(join(src.path, "a.py"), "print(1)\n");
  await assert.rejects(
    receiver.send([join(src.path, "a.py")], { name: "김민자" }),
    (err: Error & { code?: string; details?: Record<string, unknown> }) =>
      err.code === "not-on-roster" && err.details?.name === "김민자" &&
      err.details?.closest === "김민지, 김민준",
  );
  // Matched after case folding and by id; stored as the list spells the name.
  const byName = await receiver.send([join(src.path, "a.py")], { name: "PARK  jisoo" });
  const byId = await receiver.send([join(src.path, "a.py")], { name: "1" });
  assert.equal(
    (byName.events.find((e) => e.type === "file-done") as { stored: string }).stored,
    "Park Jisoo/a.py",
  );
  assert.equal(
    (byId.events.find((e) => e.type === "file-done") as { stored: string }).stored,
    "김민지/a.py",
  );
  // A sender that gives no name is refused too.
  await using peer = await RawPeer.open(receiver.port);
  await peer.sendFrame({ type: "F", id: 1, path: "x.txt", size: 1, mtime: 0 });
  const refused = await peer.frame();
  assert.ok(refused.type === "X" && refused.code === "not-on-roster");
  const rows = await readLog(receiver.dir);
  assert.deepEqual(rows.map((r) => [r.name, r.outcome]), [
    ["김민자", "refused"],
    ["Park Jisoo", "stored"],
    ["김민지", "stored"],
    ["", "refused"],
  ]);
  assert.deepEqual((await tree(receiver.dir)).filter((p) => !p.startsWith(".sockit")).sort(), [
    "Park Jisoo",
    "Park Jisoo/a.py",
    "sockit-log.csv",
    "김민지",
    "김민지/a.py",
  ]);
});

Deno.test("collect: a transfer cut mid-file resumes inside the sender's folder", async () => {
  await using receiver = await RecordingReceiver.start({ bySender: true, log: true });
  await using src = await tempDir();
  const bytes = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31) % 251);
  await Deno.writeFile(join(src.path, "big.bin"), bytes);
  await using proxy = new CutProxy({
    targetPort: receiver.port,
    cutAfter: (index) => index === 0 ? 1024 * 1024 : undefined,
  });
  const options = { port: proxy.port, name: "김민지", retries: 0 };
  await assert.rejects(receiver.send([join(src.path, "big.bin")], options));
  await receiver.waitFor((e) => e.type === "file-failed", 10_000, "the cut transfer to fail");
  const { events } = await receiver.send([join(src.path, "big.bin")], options);
  const start = events.find((e) => e.type === "file-start");
  assert.ok(start?.type === "file-start" && start.offset > 0, JSON.stringify(start));
  assert.deepEqual(storedPaths(events), ["김민지/big.bin"]);
  assert.deepEqual(await Deno.readFile(join(receiver.dir, "김민지", "big.bin")), bytes);
  // The cut is a failure row, the resumed file a stored row.
  const rows = await readLog(receiver.dir);
  assert.deepEqual(rows.map((r) => [r.name, r.outcome]), [["김민지", "failed"], [
    "김민지",
    "stored",
  ]]);
  assert.match(rows[0].reason, /^(closed-early|connection-reset): .*; big\.bin$/);
});

Deno.test("collect: a damaged file is a failed row; nothing is stored for it", async () => {
  await using receiver = await RecordingReceiver.start({ bySender: true, log: true });
  await using peer = await RawPeer.open(receiver.port);
  await peer.sendFrame({ type: "I", name: "Lee" });
  const verdict = await peer.sendFile("a.txt", encoder.encode("abc"), { sha256: "0".repeat(64) });
  assert.ok(verdict.type === "V" && !verdict.ok && verdict.code === "hash-mismatch");
  const [row] = await readLog(receiver.dir);
  assert.deepEqual([row.name, row.outcome, row.stored, row.size], ["Lee", "failed", "", 3]);
  assert.match(row.reason, /^hash-mismatch: .*; a\.txt$/);
  assert.deepEqual((await tree(receiver.dir)).filter((p) => !p.startsWith(".sockit")), [
    "sockit-log.csv",
  ]);
});

Deno.test("collect: refusals held back by the rate limit are counted in a suppressed row", async () => {
  await using root = await tempDir();
  const dir = join(root.path, "received");
  await using receiver = await RecordingReceiver.start({
    dir,
    bySender: true,
    log: true,
    maxLogRate: 1,
  });
  {
    await using peer = await RawPeer.open(receiver.port);
    await peer.sendFrame({ type: "I", name: "Lee" });
    for (let i = 0; i < 8; i++) {
      const reply = await peer.sendFile(`../x${i}`, encoder.encode("x"));
      assert.ok(reply.type === "R" && reply.code === "bad-name");
    }
  }
  // What is still held back is reported when the receiver stops.
  await receiver.receiver.close();
  const rows = await readLog(dir);
  const refused = rows.filter((r) => r.outcome === "refused");
  const suppressed = rows.filter((r) => r.outcome === "suppressed");
  assert.ok(refused.length < 8, "the limit held some back");
  assert.ok(suppressed.length >= 1);
  const held = suppressed.reduce((sum, r) => sum + Number(/^(\d+) /.exec(r.reason)![1]), 0);
  assert.equal(refused.length + held, 8, "every refusal is a row or counted in one");
  assert.ok(suppressed.every((r) => r.address === "127.0.0.1"));
});
