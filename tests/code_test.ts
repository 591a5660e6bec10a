/**
 * Pairing codes: the distribution of generated codes (statistical checks sized so that a
 * correct generator fails them with probability below one in a billion, and a biased one
 * fails them), the rejection sampling, parsing of the ways people type codes, and the
 * `bad-code` errors in both languages.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  closestWords,
  codeSecret,
  DEFAULT_NAMEPLATE_RANGE,
  generateCode,
  MAX_NAMEPLATE,
  MAX_WORDS,
  parseCode,
  WORDS,
} from "../lib/crypto/code.ts";
import { SockitError } from "../lib/core/errors.ts";
import { renderError } from "../cli/render.ts";
import { LANGS } from "../cli/messages.ts";

/** Pearson's chi-squared statistic of `counts` against a uniform expectation. */
function chiSquared(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

/** Mean plus six standard deviations of a chi-squared distribution with `bins - 1` degrees. */
function chiSquaredLimit(bins: number): number {
  const df = bins - 1;
  return df + 6 * Math.sqrt(2 * df);
}

function badCode(input: string): SockitError {
  try {
    parseCode(input);
  } catch (err) {
    assert.ok(err instanceof SockitError, String(err));
    assert.equal(err.code, "bad-code");
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(input)}`);
}

Deno.test("code: the word list is BIP-39 English, 2,048 distinct lower-case words", () => {
  assert.equal(WORDS.length, 2048);
  assert.equal(new Set(WORDS).size, 2048);
  assert.ok(WORDS.every((w) => /^[a-z]{3,8}$/.test(w)));
  // The four-letter prefixes are unique: the property that makes BIP-39 words easy to tell apart.
  assert.equal(new Set(WORDS.map((w) => w.slice(0, 4))).size, 2048);
  assert.equal(WORDS[0], "abandon");
  assert.equal(WORDS[2047], "zoo");
});

Deno.test("code: generated codes have the documented shape and at least 33 bits", () => {
  for (let i = 0; i < 200; i++) {
    const code = generateCode();
    assert.equal(code.words.length, 3);
    assert.ok(code.nameplate >= 1 && code.nameplate <= DEFAULT_NAMEPLATE_RANGE);
    assert.equal(code.text, `${code.nameplate}-${code.words.join("-")}`);
    assert.deepEqual(parseCode(code.text), code);
  }
  assert.ok(3 * Math.log2(WORDS.length) >= 33);
  const long = generateCode({ words: 5, nameplate: 4321 });
  assert.equal(long.words.length, 5);
  assert.equal(long.nameplate, 4321);
});

Deno.test("code: words are uniform over the list (chi-squared, every word, every bit)", () => {
  const counts = new Array<number>(WORDS.length).fill(0);
  const bits = new Array<number>(11).fill(0);
  const index = new Map(WORDS.map((w, i) => [w, i]));
  let draws = 0;
  for (let i = 0; i < 20_000; i++) {
    for (const word of generateCode().words) {
      const n = index.get(word)!;
      counts[n]++;
      for (let b = 0; b < 11; b++) bits[b] += (n >> b) & 1;
      draws++;
    }
  }
  const chi = chiSquared(counts);
  assert.ok(chi < chiSquaredLimit(WORDS.length), `chi-squared ${chi.toFixed(0)} over 2048 words`);
  // 60,000 draws, about 29 per word: a word never drawn is a generator that cannot reach it.
  assert.ok(
    counts.every((c) => c > 0),
    `${counts.filter((c) => c === 0).length} words never drawn`,
  );
  const sd = Math.sqrt(draws / 4);
  for (const [b, ones] of bits.entries()) {
    assert.ok(Math.abs(ones - draws / 2) < 6 * sd, `bit ${b} set ${ones} of ${draws} times`);
  }
});

Deno.test("code: consecutive words are independent (no pair repeats more than chance)", () => {
  // Pairs of neighbouring words folded into 64 bins by their top three bits each.
  const index = new Map(WORDS.map((w, i) => [w, i]));
  const counts = new Array<number>(64).fill(0);
  for (let i = 0; i < 20_000; i++) {
    const [a, b] = generateCode().words.map((w) => index.get(w)! >> 8);
    counts[a * 8 + b]++;
  }
  const chi = chiSquared(counts);
  assert.ok(chi < chiSquaredLimit(64), `chi-squared ${chi.toFixed(0)} over 64 pairs`);
});

Deno.test("code: nameplates are uniform over 1 to 99", () => {
  const counts = new Array<number>(DEFAULT_NAMEPLATE_RANGE).fill(0);
  for (let i = 0; i < 20_000; i++) counts[generateCode().nameplate - 1]++;
  const chi = chiSquared(counts);
  assert.ok(chi < chiSquaredLimit(counts.length), `chi-squared ${chi.toFixed(0)} over 99`);
});

Deno.test("code: random values that would bias the result are drawn again", () => {
  // 2^32 is not a multiple of 99: the top values would make small nameplates more likely.
  const limit = 2 ** 32 - (2 ** 32 % 99);
  const feed = [limit, 2 ** 32 - 1, 5, 0, 2047, 2048 + 1];
  const real = crypto.getRandomValues;
  crypto.getRandomValues = (<T extends ArrayBufferView | null>(array: T): T => {
    (array as unknown as Uint32Array)[0] = feed.shift()!;
    return array;
  }) as typeof crypto.getRandomValues;
  try {
    const code = generateCode();
    assert.equal(code.nameplate, 6);
    assert.deepEqual(code.words, ["abandon", "zoo", "ability"]);
    assert.equal(feed.length, 0);
  } finally {
    crypto.getRandomValues = real;
  }
});

Deno.test("code: generateCode refuses word counts and nameplates out of range", () => {
  for (
    const options of [{ words: 2 }, { words: MAX_WORDS + 1 }, { nameplate: 0 }, {
      nameplate: MAX_NAMEPLATE + 1,
    }, { nameplate: 1.5 }]
  ) {
    assert.throws(() => generateCode(options), (e) => e instanceof SockitError, String(options));
  }
});

Deno.test("code: the ways people type a code all read the same", () => {
  const canonical = "7-guitar-ocean-lamp";
  for (
    const typed of [
      canonical,
      "7 guitar ocean lamp",
      "  7   Guitar  OCEAN lamp\n",
      "7.guitar.ocean.lamp",
      "7_guitar_ocean_lamp",
      "7, guitar, ocean, lamp",
      "7--guitar -- ocean--lamp",
      "07-guitar-ocean-lamp",
      "7\tGUITAR\u00A0Ocean\u2013lamp", // tab, no-break space, en dash
      "7\u2212guitar\u00B7ocean\u30FBlamp", // minus sign, middle dots
    ]
  ) {
    assert.equal(parseCode(typed).text, canonical, JSON.stringify(typed));
  }
});

Deno.test("code: full-width input from a Korean input method reads the same", () => {
  const canonical = "7-guitar-ocean-lamp";
  for (
    const typed of [
      "７－ｇｕｉｔａｒ－ｏｃｅａｎ－ｌａｍｐ", // full-width letters, digits and hyphen-minus
      "７　ＧＵＩＴＡＲ　ＯＣＥＡＮ　ＬＡＭＰ", // ideographic spaces, capitals
      "７，ｇｕｉｔａｒ、ｏｃｅａｎ．ｌａｍｐ", // full-width comma, ideographic comma, full-width dot
      "7-ｇuitar-oceａn-lamp", // mixed half and full width
    ]
  ) {
    assert.equal(parseCode(typed).text, canonical, JSON.stringify(typed));
  }
});

Deno.test("code: words typed with a Korean input method left in Hangul mode read as the keys", () => {
  // What a 2-set (dubeolsik) input method shows for the keys g-u-i-t-a-r, o-c-e-a-n, l-a-m-p.
  assert.equal(parseCode("7-혀ㅑㅅㅁㄱ-ㅐㅊㄷ무-ㅣ므ㅔ").text, "7-guitar-ocean-lamp");
  // Trailing consonants (앻: d-o-g), a compound one (앿: d-i-r-t), syllables mid-word.
  assert.equal(parseCode("7 앻 ㅅ둣 앿").text, "7-dog-tent-dirt");
  // A doubled key composed into ㅆ, two single ㅅ, and ㅆ typed with Shift for one t.
  assert.equal(parseCode("7 ㅡㅁㅆㄷㄱ ㅡㅁㅅㅅㄷㄱ ㅊㅁㅆ").text, "7-matter-matter-cat");
  // Compatibility jamo and full-width digits together.
  assert.equal(parseCode("７ ㄹ므ㅑㅣㅛ ㅣ므ㅔ ㅣ므ㅔ").text, "7-family-lamp-lamp");
  // Many shifted jamo do not multiply the spellings tried without bound.
  assert.equal(badCode(`7 ${"ㅆ".repeat(60)} ㅆ ㅆ`).details.problem, "unknown-word");
  // Hangul that spells no list word is an unknown word, with suggestions from its keys.
  assert.deepEqual(badCode("7 혀ㅑㅅㅁ 혀ㅑㅅㅁㄱ 혀ㅑㅅㅁㄱ").details, {
    problem: "misspelled-word",
    position: 1,
    suggestions: "guitar/grit/guide",
  });
});

Deno.test("code: the secret is the words only, never the nameplate", () => {
  const a = parseCode("7-guitar-ocean-lamp");
  const b = parseCode("42 GUITAR ocean lamp");
  assert.deepEqual(codeSecret(a), codeSecret(b));
  assert.equal(new TextDecoder().decode(codeSecret(a)), "guitar-ocean-lamp");
  assert.notDeepEqual(codeSecret(a), codeSecret(parseCode("7-guitar-ocean-lake")));
  assert.notDeepEqual(codeSecret(a), codeSecret(parseCode("7-ocean-guitar-lamp")));
});

Deno.test("code: refusals say what is wrong", () => {
  assert.equal(badCode("").details.problem, "empty");
  assert.equal(badCode(" - . ").details.problem, "empty");
  assert.equal(badCode("guitar-ocean-lamp").details.problem, "missing-nameplate");
  assert.equal(badCode("7a-guitar-ocean-lamp").details.problem, "missing-nameplate");
  assert.equal(badCode("0-guitar-ocean-lamp").details.problem, "bad-nameplate");
  assert.equal(badCode(`${MAX_NAMEPLATE + 1}-guitar-ocean-lamp`).details.problem, "bad-nameplate");
  assert.deepEqual(badCode("7-guitar-ocean").details, {
    problem: "too-few-words",
    count: 2,
    min: 3,
  });
  assert.equal(badCode("7").details.problem, "too-few-words");
  assert.equal(
    badCode(`7-${Array(MAX_WORDS + 1).fill("lamp").join("-")}`).details.problem,
    "too-many-words",
  );
  assert.deepEqual(badCode("7-gitar-ocean-lamp").details, {
    problem: "misspelled-word",
    position: 1,
    suggestions: "guitar/cigar/liar",
  });
  assert.deepEqual(badCode("7-guitar-ocean-xqzvw").details, {
    problem: "unknown-word",
    position: 3,
  });
  // A number where a word belongs is an unknown word, not a second nameplate.
  assert.equal(badCode("7-guitar-12-lamp").details.problem, "unknown-word");
});

Deno.test("code: closest words rank by edit distance, transpositions count once", () => {
  assert.deepEqual(closestWords("guitra"), ["guitar"]);
  assert.deepEqual(closestWords("gitar"), ["guitar", "cigar", "liar"]); // 1 edit, then 2, 2
  assert.ok(closestWords("lamb").includes("lamp"));
  assert.ok(closestWords("ocaen").includes("ocean"));
  assert.deepEqual(closestWords("zzzzzzzz"), []);
  assert.ok(closestWords("at", 10).length <= 10);
});

Deno.test("code: bad-code errors render in both languages without the typed word", () => {
  const inputs = [
    "",
    "guitar-ocean-lamp",
    "0-guitar-ocean-lamp",
    "7-guitar",
    `7-${Array(MAX_WORDS + 1).fill("lamp").join("-")}`,
    "7-guitar-ocean-gitarr",
    "7-guitar-ocean-xqzvw",
  ];
  for (const lang of LANGS) {
    for (const input of inputs) {
      const line = renderError({ lang, color: false }, badCode(input));
      assert.doesNotMatch(line, /\{[a-z]+\}|code\./, `${lang}: ${line}`);
      assert.doesNotMatch(line, /gitarr|xqzvw/, `${lang}: ${line}`);
      assert.equal(line.split("\n").length, 1);
    }
  }
  const line = renderError({ lang: "en", color: false }, badCode("7-guitar-ocean-gitarr"));
  assert.match(line, /word 3 .*did you mean guitar\?/);
});
