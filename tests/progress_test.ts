/**
 * Progress as people read it: lines fitted to the terminal by display width, the live block
 * fitted to its height, a worded total, and rates only where they mean something.
 *
 * @module
 */

import assert from "node:assert/strict";
import stringWidth from "string-width";
import { fitWidth, layoutLine, LiveRegion } from "../cli/live_region.ts";
import { ReceiveView, SendView } from "../cli/render_transfer.ts";
import type { LiveLine } from "../cli/render_transfer.ts";

const en = { lang: "en" as const, color: false };
const ko = { lang: "ko" as const, color: false };

Deno.test("fitWidth and layoutLine measure columns, not code units", () => {
  const name = "과제-최종-제출본-김민수-2학년-3반-네트워크-프로그래밍-기말-프로젝트.bin";
  for (const width of [1, 2, 10, 39, 80]) {
    assert.ok(stringWidth(fitWidth(name, width)) <= width, `${width}`);
  }
  const line = layoutLine({ label: name, detail: "[████░░░░] 50%  150 MiB/300 MiB" }, 79);
  assert.ok(stringWidth(line) <= 79, line);
  assert.ok(line.endsWith("[████░░░░] 50%  150 MiB/300 MiB"), line);
  assert.ok(line.includes("…"), line);
  // A line that fits is left alone.
  assert.equal(layoutLine({ label: "a.txt", detail: "[██] 100%" }, 79), "a.txt  [██] 100%");
});

Deno.test("LiveRegion: a block taller than the terminal ends with a '+N more' line", () => {
  const region = new LiveRegion((count) => `+${count} more transfers`);
  const lines: LiveLine[] = Array.from({ length: 15 }, (_, i) => ({
    label: `127.0.0.1:${5000 + i}  숙제-${i}.zip`,
    detail: "[████░░░░] 50%",
  }));
  const drawn = region.render(lines, 80, 12);
  assert.equal(drawn.length, 10);
  assert.equal(drawn[9], "+6 more transfers");
  assert.deepEqual(region.render(lines.slice(0, 3), 80, 12).length, 3);
  assert.ok(region.render(lines, 80, 2).length <= 1);
});

Deno.test("SendView: one file has one bar; several add a worded total, never Σ", () => {
  const now = 0;
  const one = new SendView(en, { now: () => now });
  one.update({ type: "plan", files: 1, folders: 0, bytes: 100 });
  one.update({ type: "file-start", path: "a.bin", size: 100, offset: 0 });
  const progress = {
    type: "file-progress" as const,
    path: "a.bin",
    size: 100,
    bytes: 50,
    totalBytes: 50,
    totalSize: 100,
  };
  assert.equal(one.update(progress).live?.length, 1);

  const many = new SendView(ko, { now: () => now });
  many.update({ type: "plan", files: 2, folders: 0, bytes: 200 });
  many.update({ type: "file-start", path: "a.bin", size: 100, offset: 0 });
  const live = many.update({ ...progress, totalSize: 200 }).live!;
  assert.equal(live.length, 2);
  assert.equal(live[1].label, "전체");
  assert.ok(live.every((line) => !line.label.includes("Σ")));
});

Deno.test("SendView: the total's rate leaves out the time before the first file (typing the code)", () => {
  let now = 0;
  const view = new SendView(en, { now: () => now });
  view.update({ type: "plan", files: 2, folders: 0, bytes: 200_000_000 });
  now = 30_000; // half a minute at the code prompt, then connected
  view.update({ type: "file-start", path: "a.bin", size: 100_000_000, offset: 0 });
  now = 31_000;
  const live = view.update({
    type: "file-progress",
    path: "a.bin",
    size: 100_000_000,
    bytes: 100_000_000,
    totalBytes: 100_000_000,
    totalSize: 200_000_000,
  }).live!;
  assert.match(live[1].detail, / 100\.0 MB\/s /);
});

Deno.test("SendView: no rate for a tiny file, and a resume's rate counts only what moved", () => {
  let now = 0;
  const view = new SendView(en, { now: () => now });
  view.update({ type: "plan", files: 1, folders: 0, bytes: 2048 });
  view.update({ type: "file-start", path: "tiny.txt", size: 2048, offset: 0 });
  now = 3;
  const tiny = view.update({
    type: "file-done",
    path: "tiny.txt",
    size: 2048,
    stored: "tiny.txt",
    sha256: "0".repeat(64),
    ms: 3,
  });
  assert.equal(tiny.log[0].text, "Sent tiny.txt: stored as tiny.txt (2.00 KiB, SHA-256 verified)");
  const done = view.update({
    type: "done",
    files: 1,
    bytes: 2048,
    rejected: 0,
    failed: 0,
    interrupted: false,
    ms: 3,
  });
  assert.equal(done.log[0].text, "Done: 1 file, 2.00 KiB.");

  // 626 MiB were already there; 10 MiB moved in 2 s: 5.24 MB/s, not 300+ MB/s.
  const big = 636 * 1024 * 1024;
  const resumed = new SendView(en, { now: () => now });
  now = 0;
  resumed.update({ type: "plan", files: 1, folders: 0, bytes: big });
  resumed.update({ type: "file-start", path: "big.iso", size: big, offset: 626 * 1024 * 1024 });
  now = 2000;
  const bar = resumed.update({
    type: "file-progress",
    path: "big.iso",
    size: big,
    bytes: big,
    totalBytes: big,
    totalSize: big,
  }).live![0].detail;
  assert.match(bar, /100% {2}636 MiB\/636 MiB {2}5\.24 MB\/s$/);
  const sent = resumed.update({
    type: "file-done",
    path: "big.iso",
    size: big,
    stored: "big.iso",
    sha256: "0".repeat(64),
    ms: 2000,
  });
  assert.match(sent.log[0].text, /\(636 MiB in 2\.0 s, 5\.24 MB\/s, SHA-256 verified\)$/);
});

Deno.test("ReceiveView: the hint uses the command prefix it is given", () => {
  const view = new ReceiveView(en, "deno task sockit");
  const update = view.update({
    type: "listening",
    address: "0.0.0.0:6000",
    reachable: ["192.168.0.12:6000"],
    dir: "/tmp/received",
    port: 6000,
  });
  assert.match(
    update.log[0].text,
    /^Classmates send with: deno task sockit send FILE --to 192\.168\.0\.12$/m,
  );
});

Deno.test("views without a live area draw up no bars, and still log every file", () => {
  const send = new SendView(en, { now: () => 0, live: false });
  send.update({ type: "plan", files: 2, folders: 0, bytes: 20 });
  send.update({ type: "file-start", path: "a.py", size: 10, offset: 0 });
  const progress = send.update({
    type: "file-progress",
    path: "a.py",
    size: 10,
    bytes: 10,
    totalBytes: 10,
    totalSize: 20,
  });
  assert.deepEqual(progress, { log: [] });
  const done = send.update({
    type: "file-done",
    path: "a.py",
    size: 10,
    stored: "a.py",
    sha256: "0".repeat(64),
    ms: 1,
  });
  assert.equal(done.log.length, 1);

  const receive = new ReceiveView(en, "sockit", { live: false });
  const info = { id: 1, peer: "127.0.0.1:5000", sender: "민지", classic: false, path: "a.py" };
  receive.update({ type: "sender", peer: info.peer, name: "민지", named: true });
  const start = receive.update({ type: "file-start", offset: 0, size: 10, ...info });
  assert.deepEqual(start.live, []);
  const stored = receive.update({
    type: "file-done",
    stored: "민지/a.py",
    sha256: "0".repeat(64),
    ms: 1,
    time: "2026-12-02T13:00:00+00:00",
    size: 10,
    ...info,
  });
  assert.deepEqual(stored.live, []);
  assert.match(stored.log[0].text, /^Stored 민지\/a\.py from 민지/);
});

Deno.test("SendView: a file left out says why in one line and takes its bar away", () => {
  const view = new SendView(ko, { now: () => 0 });
  view.update({ type: "plan", files: 2, folders: 0, bytes: 200 });
  view.update({ type: "file-start", path: "notes.txt", size: 100, offset: 0 });
  const progress = view.update({
    type: "file-progress",
    path: "notes.txt",
    size: 100,
    bytes: 50,
    totalBytes: 50,
    totalSize: 200,
  });
  assert.equal(progress.live?.length, 2);
  const failed = view.update({
    type: "file-failed",
    path: "notes.txt",
    code: "file-changed",
    details: { path: "/home/minji/notes.txt" },
  });
  assert.deepEqual(failed.live, []);
  assert.deepEqual(failed.log.map((line) => line.text), [
    "sockit: /home/minji/notes.txt가 보내는 도중에 바뀌어서 저장되지 않았습니다. 파일을 저장하고 닫은 뒤 다시 보내세요.",
  ]);
  const done = view.update({
    type: "done",
    files: 1,
    bytes: 100,
    rejected: 0,
    failed: 1,
    interrupted: false,
    ms: 5,
  });
  assert.deepEqual(done.final, [], "no bar of the file left out");
  assert.equal(done.log.at(-1)?.text, "1개는 보내는 도중에 바뀌어서 보내지 못했습니다.");
});
