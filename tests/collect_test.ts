import assert from "node:assert/strict";
import { join } from "node:path";
import { csvCell, csvRow, csvUnguard, parseCsv } from "../lib/collect/csv.ts";
import {
  foldName,
  loadSavedName,
  MAX_SENDER_NAME_CHARS,
  nameConfigPath,
  sanitizeSenderName,
  saveName,
  SenderNameError,
  unnamedFolder,
} from "../lib/collect/identity.ts";
import { CollectLog, localTimestamp, LOG_COLUMNS, readLog } from "../lib/collect/log.ts";
import type { LogRow } from "../lib/collect/log.ts";
import { Roster } from "../lib/collect/roster.ts";
import { ClassTally } from "../lib/collect/tally.ts";
import { SockitError } from "../lib/core/errors.ts";
import { tempDir } from "./util.ts";

function problemOf(name: string): string {
  try {
    sanitizeSenderName(name);
  } catch (err) {
    if (err instanceof SenderNameError) return err.problem;
    throw err;
  }
  return "ok";
}

Deno.test("sender names: NFC, trimmed, spaces collapsed; Korean kept", () => {
  assert.equal(sanitizeSenderName("  김민지 "), "김민지");
  assert.equal(sanitizeSenderName("\u1100\u1175\u11B7\u1106\u1175\u11AB\u110C\u1175"), "김민지");
  assert.equal(sanitizeSenderName("Kim   Minji"), "Kim Minji");
  assert.equal(sanitizeSenderName("O'Brien (2반)"), "O'Brien (2반)");
});

Deno.test("sender names: hostile names are refused with the problem named", () => {
  const cases: Record<string, string> = {
    "": "empty",
    "   ": "empty",
    "../teacher": "separator",
    "a/b": "separator",
    "a\\b": "separator",
    "..": "dot-segment",
    ".": "dot-segment",
    ".sockit": "internal",
    "CON": "reserved",
    "nul.txt": "reserved",
    "kim\x1b[2J": "control",
    "kim\nlee": "control",
    "\u202Egnp.exe": "bidi",
    "kim:lee": "invalid-char",
    "kim.": "trailing",
    "sockit-log.csv": "sockit-name",
    "SOCKIT-LOG.CSV": "sockit-name",
    "unnamed-127-0-0-1": "sockit-name",
    "\uD800": "encoding",
    ["가".repeat(MAX_SENDER_NAME_CHARS + 1)]: "long-name",
    ["x".repeat(100_000)]: "long-name",
  };
  for (const [name, problem] of Object.entries(cases)) {
    assert.equal(problemOf(name), problem, JSON.stringify(name));
  }
  assert.equal(problemOf("가".repeat(MAX_SENDER_NAME_CHARS)), "ok");
});

Deno.test("foldName: case, NFC and spaces do not matter", () => {
  assert.equal(foldName(" Kim  MINJI "), foldName("kim minji"));
  assert.equal(foldName("STRASSE"), foldName("straße"));
  assert.equal(foldName("\u1100\u1175\u11B7"), foldName("김"));
  assert.notEqual(foldName("김민지"), foldName("김민자"));
});

Deno.test("unnamedFolder: the address without port, as a safe folder name", () => {
  assert.equal(unnamedFolder("192.168.0.12:51234"), "unnamed-192-168-0-12");
  assert.equal(unnamedFolder("[::1]:51234"), "unnamed---1");
});

Deno.test("nameConfigPath: APPDATA on Windows, XDG_CONFIG_HOME, then ~/.config", () => {
  assert.equal(
    nameConfigPath({ APPDATA: "C:\\Users\\kim\\AppData\\Roaming" }, "windows"),
    join("C:\\Users\\kim\\AppData\\Roaming", "sockit", "name.txt"),
  );
  assert.equal(
    nameConfigPath({ XDG_CONFIG_HOME: "/x", HOME: "/h" }, "linux"),
    "/x/sockit/name.txt",
  );
  assert.equal(nameConfigPath({ HOME: "/h" }, "darwin"), "/h/.config/sockit/name.txt");
  assert.equal(nameConfigPath({}, "linux"), undefined);
});

Deno.test("saveName and loadSavedName remember a name; a tampered file is ignored", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "cfg", "sockit", "name.txt");
  assert.equal(await loadSavedName(path), undefined);
  await saveName(path, "김민지");
  assert.equal(await loadSavedName(path), "김민지");
  await Deno.writeTextFile(path, "../../etc\n");
  assert.equal(await loadSavedName(path), undefined);
});

Deno.test("csv: formula cells get an apostrophe, quoting round-trips through parseCsv", () => {
  assert.equal(csvCell("=1+1"), "'=1+1");
  assert.equal(csvCell("+82"), "'+82");
  assert.equal(csvCell("-x"), "'-x");
  assert.equal(csvCell("@SUM(A1)"), "'@SUM(A1)");
  assert.equal(csvCell("'=x"), "''=x");
  assert.equal(csvCell("'Kim"), "'Kim");
  assert.equal(csvCell(-5), "-5");
  assert.equal(csvCell('say "hi", ok'), '"say ""hi"", ok"');
  const cells = ["=cmd|' /C calc'!A0", "a,b", 'q"q', "line\nbreak", "'=x", "김민지", "'Kim", ""];
  const [row] = parseCsv(csvRow(cells));
  assert.deepEqual(row.map(csvUnguard), cells);
});

Deno.test("parseCsv: BOM, CRLF, quoted line breaks, no final newline", () => {
  assert.deepEqual(parseCsv('\uFEFFname,id\r\n"Kim\r\nMinji",7\r\nLee,8'), [
    ["name", "id"],
    ["Kim\r\nMinji", "7"],
    ["Lee", "8"],
  ]);
  assert.deepEqual(parseCsv(""), []);
  assert.deepEqual(parseCsv("a\n\nb\n"), [["a"], [""], ["b"]]);
});

Deno.test("Roster: a plain list, with BOM, comments and blank lines", () => {
  const roster = Roster.parse("\uFEFF# 3학년 2반\n김민지\n\nPark Jisoo\r\n이서준\n");
  assert.deepEqual(roster.entries.map((e) => e.name), ["김민지", "Park Jisoo", "이서준"]);
  assert.equal(roster.match("park  JISOO")?.name, "Park Jisoo");
  assert.equal(roster.match("\u1100\u1175\u11B7\u1106\u1175\u11AB\u110C\u1175")?.name, "김민지");
  assert.equal(roster.match("김민자"), undefined);
  assert.equal(roster.entries[2].line, 5);
});

Deno.test("Roster: a CSV with a name and an id column, in any order and case", () => {
  const roster = Roster.parse('ID,Class,Name\r\n7,2,김민지\r\n8,2,"Park, Jisoo"\r\n,,\r\n');
  assert.deepEqual(roster.entries.map((e) => [e.name, e.id]), [["김민지", "7"], [
    "Park, Jisoo",
    "8",
  ]]);
  assert.equal(roster.match("8")?.name, "Park, Jisoo");
  const korean = Roster.parse("학번,이름\n20231,김민지\n");
  assert.equal(korean.match("20231")?.name, "김민지");
});

Deno.test("Roster: closest names, nearest first; Korean counted letter by letter", () => {
  const roster = Roster.parse("김민지\n김민준\n박지수\nPark Jisoo\n");
  assert.deepEqual(roster.closest("김민자").slice(0, 2), ["김민지", "김민준"]);
  assert.equal(roster.closest("park jiso")[0], "Park Jisoo");
  assert.deepEqual(roster.closest("zzzzzzzzzzzzzzzzzzzz"), []);
});

Deno.test("Roster: bad lists are refused with the line and the problem", () => {
  const problem = (text: string) => {
    try {
      Roster.parse(text);
    } catch (err) {
      assert.ok(err instanceof SockitError && err.code === "bad-roster");
      return [err.details.problem, err.details.line];
    }
    return ["ok"];
  };
  assert.deepEqual(problem(""), ["empty", 0]);
  assert.deepEqual(problem("name\n"), ["empty", 0]);
  assert.deepEqual(problem("김민지\nKim\nKIM\n"), ["duplicate", 3]);
  assert.deepEqual(problem("김민지\n../x\n"), ["separator", 2]);
  assert.deepEqual(problem("name\n김민지\nCON\n"), ["reserved", 3]);
});

Deno.test("Roster.load: not UTF-8 is refused; a missing file says not-found", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "roster.txt");
  await Deno.writeFile(path, new Uint8Array([0xb1, 0xe8, 0x0a])); // EUC-KR bytes
  await assert.rejects(
    Roster.load(path),
    (err: SockitError) => err.code === "bad-roster" && err.details.problem === "encoding",
  );
  await assert.rejects(
    Roster.load(join(dir.path, "none")),
    (err: SockitError) => err.code === "not-found",
  );
});

function row(fields: Partial<LogRow>): LogRow {
  return {
    time: "2026-12-02T14:41:07+09:00",
    name: "김민지",
    address: "127.0.0.1",
    stored: "김민지/main.py",
    size: 10,
    sha256: "ab".repeat(32),
    protocol: "sockit",
    outcome: "stored",
    reason: "",
    ...fields,
  };
}

Deno.test("CollectLog: BOM and header once, one row per append, read back exactly", async () => {
  await using dir = await tempDir();
  const rows = [row({}), row({ name: '=HYPERLINK("x")', stored: "", outcome: "refused" })];
  using log = CollectLog.open(dir.path);
  log.append(rows[0]);
  log.close();
  using again = CollectLog.open(dir.path);
  again.append(rows[1]);
  again.close();
  const bytes = await Deno.readFile(join(dir.path, "sockit-log.csv"));
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
  assert.equal(text.split("\uFEFF").length, 2, "one byte order mark");
  assert.equal(text.split("\r\n").length, 4, "header, two rows, final line ending");
  assert.ok(text.includes(`"'=HYPERLINK(""x"")"`));
  assert.deepEqual(await readLog(dir.path), rows);
  assert.equal(parseCsv(text)[0].join(","), LOG_COLUMNS.join(","));
});

Deno.test("CollectLog: a row cut short by a crash is ended before the next one", async () => {
  await using dir = await tempDir();
  using log = CollectLog.open(dir.path);
  log.append(row({}));
  log.close();
  const path = join(dir.path, "sockit-log.csv");
  await Deno.writeTextFile(path, "2026-12-02T14:41:08+09:00,김", { append: true });
  using again = CollectLog.open(dir.path);
  again.append(row({ name: "Lee" }));
  again.close();
  assert.deepEqual((await readLog(dir.path)).map((r) => r.name), ["김민지", "Lee"]);
});

Deno.test("localTimestamp: ISO 8601 with the local offset", () => {
  assert.match(localTimestamp(new Date()), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
});

Deno.test("ClassTally: totals per sender, missing people in roster order", () => {
  const tally = new ClassTally(Roster.parse("김민지\nPark Jisoo\n이서준\n"));
  tally.add(row({}));
  tally.add(row({ size: 5, time: "2026-12-02T14:50:00+09:00" }));
  tally.add(row({ name: "park jisoo", outcome: "refused" }));
  tally.add(row({ name: "Stranger", size: 1 }));
  assert.deepEqual(tally.missing().map((e) => e.name), ["Park Jisoo", "이서준"]);
  assert.deepEqual(tally.sent().map((e) => e.name), ["김민지"]);
  assert.deepEqual(tally.rows().map((r) => [r.name, r.files, r.bytes, r.last]), [
    ["김민지", 2, 15, "2026-12-02T14:50:00+09:00"],
    ["Park Jisoo", 0, 0, ""],
    ["이서준", 0, 0, ""],
    ["Stranger", 1, 1, "2026-12-02T14:41:07+09:00"],
  ]);
});
