/**
 * The wire-name sanitiser: a table of hostile names, good names, numbered names, and
 * property tests over arbitrary strings (`SOCKIT_FUZZ_RUNS` sets how many; default 2000).
 */

import assert from "node:assert/strict";
import { resolve, sep } from "node:path";
import fc from "fast-check";
import {
  MAX_PATH_BYTES,
  MAX_SEGMENT_BYTES,
  MAX_SEGMENTS,
  NAME_PROBLEMS,
  NameError,
  type NameProblem,
  numberedName,
  sanitizePath,
  splitName,
} from "../lib/transfer/names.ts";
import { SockitError } from "../lib/core/errors.ts";
import { CATALOGS, type MessageKey } from "../cli/messages.ts";
import { CONFLICT_PROBLEMS } from "../lib/transfer/storage.ts";

const RUNS = Number(Deno.env.get("SOCKIT_FUZZ_RUNS") ?? "2000");

// 20 folders of 200 bytes and a file name: every segment fits, the whole is 4097 bytes.
const LONG_PATH = ("d".repeat(200) + "/").repeat(20) + "x".repeat(MAX_PATH_BYTES + 1 - 201 * 20);

const HOSTILE: [string, NameProblem][] = [
  ["", "empty"],
  ["\uD800", "encoding"],
  ["a\uDC00b.txt", "encoding"],
  ["/etc/passwd", "absolute"],
  ["/", "absolute"],
  ["\\x", "absolute"],
  ["\\\\server\\share\\x", "unc"],
  ["//server/share/x", "unc"],
  ["\\\\?\\C:\\x", "unc"],
  ["\\\\.\\PhysicalDrive0", "unc"],
  ["/\\x", "unc"],
  ["C:\\Windows\\x", "drive"],
  ["c:foo", "drive"],
  ["C:", "drive"],
  ["a:b", "drive"],
  ["..", "dot-segment"],
  [".", "dot-segment"],
  ["../x", "dot-segment"],
  ["..\\..\\x", "dot-segment"],
  ["a/../../b", "dot-segment"],
  ["a/./b", "dot-segment"],
  ["a/..", "dot-segment"],
  ["a//b", "empty-segment"],
  ["a/", "empty-segment"],
  ["a\\\\b", "empty-segment"],
  ["a\u0000b", "control"],
  ["\x1b[2J.txt", "control"],
  ["line\nbreak.txt", "control"],
  ["tab\t.txt", "control"],
  ["del\x7f.txt", "control"],
  ["c1\u0085.txt", "control"],
  ["c1\u009b31m.txt", "control"],
  ["sep\u2028.txt", "control"],
  ["evil\u202Egnp.exe", "bidi"],
  ["\u202Dx.txt", "bidi"],
  ["iso\u2066late.txt", "bidi"],
  ["pop\u2069.txt", "bidi"],
  ["mark\u200F.txt", "bidi"],
  ["arabic\u061C.txt", "bidi"],
  ["ab:c", "invalid-char"],
  ["file.txt:stream", "invalid-char"],
  ["file.txt::$DATA", "invalid-char"],
  ["x|y", "invalid-char"],
  ["what?.txt", "invalid-char"],
  ["star*.txt", "invalid-char"],
  ['say"hi".txt', "invalid-char"],
  ["<tag>.html", "invalid-char"],
  ["dir/a>b", "invalid-char"],
  ["name.", "trailing"],
  ["name ", "trailing"],
  ["...", "trailing"],
  [" ", "trailing"],
  ["folder./x", "trailing"],
  ["folder /x", "trailing"],
  ["con", "reserved"],
  ["CON", "reserved"],
  ["Con.txt", "reserved"],
  ["prn", "reserved"],
  ["aux.c", "reserved"],
  ["NUL.tar.gz", "reserved"],
  ["nul .txt", "reserved"],
  ["com1", "reserved"],
  ["COM9.log", "reserved"],
  ["com0", "reserved"],
  ["COM¹", "reserved"],
  ["lpt².txt", "reserved"],
  ["LPT³", "reserved"],
  ["lpt9.log", "reserved"],
  ["conin$", "reserved"],
  ["CONOUT$.txt", "reserved"],
  ["a/b/con/c.txt", "reserved"],
  ["x".repeat(MAX_SEGMENT_BYTES + 1), "too-long"],
  ["가".repeat(86), "too-long"], // 258 bytes in UTF-8, only 86 UTF-16 units
  [`a/${"b".repeat(256)}/c`, "too-long"],
  [LONG_PATH, "too-long"],
  ["\u1100\u1161".repeat(40_000), "too-long"],
  [Array(MAX_SEGMENTS + 1).fill("a").join("/"), "too-deep"],
  [".sockit/x", "internal"],
  [".sockit", "internal"],
  [".SOCKIT/tmp-1", "internal"],
  [".ſockit/x", "internal"],
  ["SOCKIT~1/x", "internal"],
  [".sockit\\tmp-x", "internal"],
];

Deno.test("sanitizePath refuses every hostile name with the right problem", () => {
  assert.ok(HOSTILE.length >= 40);
  assert.equal(new TextEncoder().encode(LONG_PATH).length, MAX_PATH_BYTES + 1);
  for (const [raw, problem] of HOSTILE) {
    assert.throws(
      () => sanitizePath(raw),
      (err: unknown) => {
        assert.ok(err instanceof NameError, `${JSON.stringify(raw)}: not a NameError`);
        assert.ok(err instanceof SockitError);
        assert.equal(err.problem, problem, `${JSON.stringify(raw).slice(0, 80)}`);
        assert.equal(err.code, "bad-name");
        assert.deepEqual(err.details, { name: raw, problem });
        return true;
      },
    );
  }
  const covered = new Set(HOSTILE.map(([, problem]) => problem));
  assert.deepEqual([...covered].sort(), [...NAME_PROBLEMS].sort());
});

Deno.test("sanitizePath accepts ordinary names", () => {
  assert.deepEqual(sanitizePath("과제.py"), ["과제.py"]);
  assert.deepEqual(sanitizePath("🎉.txt"), ["🎉.txt"]);
  assert.deepEqual(sanitizePath("a/b/c.txt"), ["a", "b", "c.txt"]);
  assert.deepEqual(sanitizePath(".bashrc"), [".bashrc"]);
  assert.deepEqual(sanitizePath("a\\b.txt"), ["a", "b.txt"]);
  assert.deepEqual(sanitizePath("..a"), ["..a"]);
  assert.deepEqual(sanitizePath("a..b"), ["a..b"]);
  assert.deepEqual(sanitizePath(" leading.txt"), [" leading.txt"]);
  assert.deepEqual(sanitizePath("console.log"), ["console.log"]);
  assert.deepEqual(sanitizePath("com10"), ["com10"]);
  assert.deepEqual(sanitizePath("x.con"), ["x.con"]);
  assert.deepEqual(sanitizePath("a/.sockit/b"), ["a", ".sockit", "b"]);
  assert.deepEqual(sanitizePath(".sockitx"), [".sockitx"]);
  assert.deepEqual(sanitizePath("👨‍👩‍👧.png"), ["👨‍👩‍👧.png"]); // zero-width joiners stay
  assert.deepEqual(sanitizePath("x".repeat(MAX_SEGMENT_BYTES)), ["x".repeat(MAX_SEGMENT_BYTES)]);
  assert.equal(sanitizePath(Array(MAX_SEGMENTS).fill("a").join("/")).length, MAX_SEGMENTS);
});

Deno.test("sanitizePath turns decomposed (NFD) names into NFC", () => {
  const nfd = "과제/보고서.hwp".normalize("NFD");
  assert.notEqual(nfd, "과제/보고서.hwp");
  const segments = sanitizePath(nfd);
  assert.deepEqual(segments, ["과제", "보고서.hwp"]);
  assert.equal(segments[1], "보고서.hwp".normalize("NFC"));
  assert.deepEqual(sanitizePath("Cafe\u0301.txt"), ["Café.txt"]);
});

Deno.test("every name problem has a phrase in every catalog", () => {
  for (const problem of [...NAME_PROBLEMS, ...CONFLICT_PROBLEMS]) {
    for (const catalog of Object.values(CATALOGS)) {
      assert.ok(catalog[`name.${problem}` as MessageKey], `name.${problem}`);
    }
  }
});

Deno.test("splitName and numberedName", () => {
  assert.deepEqual(splitName("homework.py"), { stem: "homework", ext: ".py" });
  assert.deepEqual(splitName("archive.tar.gz"), { stem: "archive", ext: ".tar.gz" });
  assert.deepEqual(splitName("Backup.TAR.XZ"), { stem: "Backup", ext: ".TAR.XZ" });
  assert.deepEqual(splitName(".bashrc"), { stem: ".bashrc", ext: "" });
  assert.deepEqual(splitName(".config.json"), { stem: ".config", ext: ".json" });
  assert.deepEqual(splitName(".tar.gz"), { stem: ".tar", ext: ".gz" });
  assert.deepEqual(splitName("README"), { stem: "README", ext: "" });
  assert.deepEqual(splitName("v1.2.3.zip"), { stem: "v1.2.3", ext: ".zip" });

  assert.equal(numberedName("homework.py", 0), "homework.py");
  assert.equal(numberedName("homework.py", 1), "homework (1).py");
  assert.equal(numberedName("homework.py", 49), "homework (49).py");
  assert.equal(numberedName("archive.tar.gz", 2), "archive (2).tar.gz");
  assert.equal(numberedName("data.tar.bz2", 3), "data (3).tar.bz2");
  assert.equal(numberedName(".bashrc", 1), ".bashrc (1)");
  assert.equal(numberedName("README", 7), "README (7)");
  assert.equal(numberedName("과제.py", 1), "과제 (1).py");

  const long = "가".repeat(83) + ".py"; // 252 bytes
  const numbered = numberedName(long, 12);
  assert.ok(new TextEncoder().encode(numbered).length <= MAX_SEGMENT_BYTES);
  assert.ok(numbered.endsWith(" (12).py"));
  assert.deepEqual(sanitizePath(numbered), [numbered]);

  const longExt = "a." + "e".repeat(252);
  const numberedExt = numberedName(longExt, 1);
  assert.ok(new TextEncoder().encode(numberedExt).length <= MAX_SEGMENT_BYTES);
  assert.ok(numberedExt.endsWith(" (1)"));
});

// Property tests.

const FRAGMENTS = [
  "/",
  "\\",
  "//",
  "\\\\",
  ".",
  "..",
  "...",
  " ",
  ":",
  "C:",
  "\\\\?\\",
  "\0",
  "\x1b",
  "\x7f",
  "\u0085",
  "\u202E",
  "\u2066",
  "\u200D",
  "\u2028",
  "\uFEFF",
  "con",
  "NUL",
  "com1",
  "LPT¹",
  ".sockit",
  ".SOCKIT",
  "SOCKIT~1",
  "a",
  "과제",
  "\u1100\u1161", // decomposed 가
  "e\u0301",
  "\u212B", // Angstrom sign, NFC → Å
  "\u037E", // Greek question mark, NFC → ;
  "🎉",
  "\uD800",
  "\uDFFF",
  "txt",
  ".py",
  "~",
  "$",
  "%2e%2e",
  "|",
  "x".repeat(120),
];

const hostile = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }).map((parts) =>
  parts.join("")
);
const utf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map(String.fromCharCode) });
const anyName = fc.oneof(
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.string({ unit: "grapheme", maxLength: 100 }),
  utf16,
  hostile,
  fc.array(fc.oneof(hostile, fc.string({ unit: "binary", maxLength: 20 })), { maxLength: 70 })
    .map((parts) => parts.join("/")),
);

const ROOT = resolve(Deno.build.os === "windows" ? "C:\\recv" : "/srv/recv");
const encoder = new TextEncoder();

function checkAccepted(raw: string, segments: string[]): void {
  assert.ok(segments.length >= 1 && segments.length <= MAX_SEGMENTS);
  assert.ok(encoder.encode(segments.join("/")).length <= MAX_PATH_BYTES);
  const full = resolve(ROOT, ...segments);
  assert.ok(full.startsWith(ROOT + sep), `${JSON.stringify(raw)} escapes to ${full}`);
  for (const segment of segments) {
    assert.ok(segment !== "" && segment !== "." && segment !== "..", JSON.stringify(raw));
    assert.ok(!/[\/\\\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069:*?"<>|]/u.test(segment));
    assert.ok(!segment.endsWith(".") && !segment.endsWith(" "));
    assert.ok(segment.isWellFormed());
    assert.equal(segment, segment.normalize("NFC"));
    assert.ok(encoder.encode(segment).length <= MAX_SEGMENT_BYTES);
  }
  assert.notEqual(segments[0].toLowerCase(), ".sockit");
  // Sanitising is idempotent.
  assert.deepEqual(sanitizePath(segments.join("/")), segments);
}

Deno.test("property: sanitizePath returns safe segments or throws NameError", () => {
  fc.assert(
    fc.property(anyName, (raw) => {
      let segments: string[];
      try {
        segments = sanitizePath(raw);
      } catch (err) {
        assert.ok(err instanceof NameError, `${JSON.stringify(raw)} threw ${err}`);
        assert.ok(NAME_PROBLEMS.includes(err.problem));
        return;
      }
      checkAccepted(raw, segments);
    }),
    { numRuns: RUNS },
  );
});

Deno.test("property: numbered variants of accepted names are accepted and distinct", () => {
  fc.assert(
    fc.property(anyName, fc.integer({ min: 1, max: 10_000 }), (raw, n) => {
      let segments: string[];
      try {
        segments = sanitizePath(raw);
      } catch {
        return;
      }
      const last = segments[segments.length - 1];
      const numbered = numberedName(last, n);
      assert.notEqual(numbered, last);
      assert.ok(numbered.includes(` (${n})`));
      assert.deepEqual(sanitizePath(numbered), [numbered]);
    }),
    { numRuns: RUNS },
  );
});
