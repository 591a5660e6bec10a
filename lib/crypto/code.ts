/**
 * Pairing codes such as `7-guitar-ocean-lamp`: a non-secret nameplate number followed by
 * secret words from the BIP-39 English list (2,048 words, 11 bits each), chosen with the
 * platform CSPRNG. Only the words are the PAKE's secret ({@linkcode codeSecret}); the
 * nameplate merely tells receivers apart on a network.
 *
 * @module
 */

import { wordlist } from "@scure/bip39/wordlists/english.js";
import { SockitError } from "../core/errors.ts";

/** A pairing code: the nameplate, the secret words, and the canonical text. */
export interface PairingCode {
  /** The non-secret number in front, 1 to {@linkcode MAX_NAMEPLATE}. */
  nameplate: number;
  /** The secret words, lower case, each from {@linkcode WORDS}. */
  words: string[];
  /** The canonical form, e.g. `7-guitar-ocean-lamp`. */
  text: string;
}

/** Why a typed code was refused: the `problem` detail of a `bad-code` error. */
export type CodeProblem =
  | "empty"
  | "missing-nameplate"
  | "bad-nameplate"
  | "too-few-words"
  | "too-many-words"
  | "unknown-word"
  | "misspelled-word";

/** The word list: BIP-39 English, 2,048 words, each identified by its first four letters. */
export const WORDS: readonly string[] = wordlist;

/** Fewest words in a code: 3 words of 11 bits are 33 bits of secret. */
export const MIN_WORDS = 3;
/** Most words a code may have. */
export const MAX_WORDS = 8;
/** Largest nameplate accepted. Generated nameplates are 1 to 99 unless chosen. */
export const MAX_NAMEPLATE = 9999;
/** Generated nameplates are 1 to this number: short to type, enough for one network. */
export const DEFAULT_NAMEPLATE_RANGE = 99;

const WORD_INDEX: ReadonlyMap<string, number> = new Map(WORDS.map((word, i) => [word, i]));

/**
 * Separators people type between the parts: white space (including the ideographic space of
 * Korean and Japanese input methods), dashes and minus signs, dots, middle dots, underscores,
 * commas (Latin and ideographic). Full-width forms become these through NFKC first.
 */
const SEPARATORS = /[\s\-\u2010-\u2015\u2212._,\u00B7\u30FB\u3001\u3002]+/u;

/**
 * A uniformly distributed integer in `[0, n)` from `crypto.getRandomValues`, by rejection
 * sampling so that no value is more likely than another.
 */
function randomBelow(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`bad range ${n}`);
  const limit = 2 ** 32 - (2 ** 32 % n); // largest multiple of n that fits in 32 bits
  const buffer = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buffer);
    if (buffer[0] < limit) return buffer[0] % n;
  }
}

/**
 * The keys of the Korean 2-set (dubeolsik) layout under each Hangul jamo, in Unicode order:
 * leading consonants U+1100…, vowels U+1161…, trailing consonants U+11A8…. A capital marks
 * a shifted key (ㄲ is Shift+R), which an input method also makes from a doubled key.
 */
const DUBEOLSIK = {
  lead: { first: 0x1100, keys: "r R s e E f a q Q t T d w W c z x v g".split(" ") },
  vowel: {
    first: 0x1161,
    keys: "k o i O j p u P h hk ho hl y n nj np nl b m ml l".split(" "),
  },
  trail: {
    first: 0x11a8,
    keys: "r R rt s sw sg e f fr fa fq ft fx fv fg a q qt t T d w c z x v g".split(" "),
  },
};

/**
 * Reads a word typed while a Korean input method was in Hangul mode (`7-혀ㅑㅅㅁㄱ` for
 * `7-guitar`) back as the Latin keys pressed. Shifted jamo are tried as a doubled key first
 * (ㅆ from `tt`), then as a single one; the first spelling in the list wins, else the first.
 * Only the first {@linkcode MAX_SPELLINGS} spellings are tried, however many shifted jamo.
 */
/** How many spellings of a Hangul-typed word are tried (a list word has at most 8 letters). */
const MAX_SPELLINGS = 16;

function fromHangulKeys(word: string): string {
  if (!/[\u1100-\u11ff\uac00-\ud7a3]/u.test(word)) return word;
  let spellings = [""];
  for (const jamo of word.normalize("NFD")) {
    const code = jamo.codePointAt(0)!;
    const table = Object.values(DUBEOLSIK).find((t) =>
      code >= t.first && code < t.first + t.keys.length
    );
    const keys = table ? table.keys[code - table.first] : jamo;
    const variants = /[A-Z]/.test(keys)
      ? [keys.toLowerCase().replace(/./, "$&$&"), keys.toLowerCase()]
      : [keys];
    spellings = spellings.flatMap((s) => variants.map((v) => s + v)).slice(0, MAX_SPELLINGS);
  }
  return spellings.find((s) => WORD_INDEX.has(s)) ?? spellings[0];
}

function codeError(problem: CodeProblem, details: Record<string, string | number> = {}): never {
  throw new SockitError("bad-code", { problem, ...details });
}

function build(nameplate: number, words: string[]): PairingCode {
  return { nameplate, words, text: [String(nameplate), ...words].join("-") };
}

function checkWordCount(count: number): void {
  if (count < MIN_WORDS) codeError("too-few-words", { count, min: MIN_WORDS });
  if (count > MAX_WORDS) codeError("too-many-words", { count, max: MAX_WORDS });
}

function checkNameplate(nameplate: number): void {
  if (!Number.isSafeInteger(nameplate) || nameplate < 1 || nameplate > MAX_NAMEPLATE) {
    codeError("bad-nameplate", { max: MAX_NAMEPLATE });
  }
}

/**
 * Makes a fresh code with the CSPRNG: a nameplate from 1 to 99 (or the one given) and
 * `words` words (default 3, at most {@linkcode MAX_WORDS}), each drawn uniformly and
 * independently from the 2,048-word list.
 *
 * @throws {SockitError} `bad-code` when `words` or `nameplate` is out of range.
 * @example
 * ```ts
 * import { generateCode } from "./code.ts";
 * const code = generateCode();
 * console.log(code.text); // e.g. "7-guitar-ocean-lamp"
 * generateCode({ words: 4, nameplate: 12 }).words.length; // 4
 * ```
 */
export function generateCode(options: { words?: number; nameplate?: number } = {}): PairingCode {
  const count = options.words ?? MIN_WORDS;
  checkWordCount(count);
  const nameplate = options.nameplate ?? 1 + randomBelow(DEFAULT_NAMEPLATE_RANGE);
  checkNameplate(nameplate);
  const words = Array.from({ length: count }, () => WORDS[randomBelow(WORDS.length)]);
  return build(nameplate, words);
}

/**
 * Reads a code as a person typed it: NFKC-normalised (so full-width input from an IME
 * works), case-insensitive, with any run of spaces, dashes, dots, underscores or commas
 * between the parts, and surrounding white space ignored. Words typed with a Korean input
 * method left in Hangul mode (`혀ㅑㅅㅁㄱ`) are read as the keys pressed (`guitar`).
 *
 * @throws {SockitError} `bad-code` with a `problem` ({@linkcode CodeProblem}): `empty`,
 * `missing-nameplate` (no number in front), `bad-nameplate` (number out of range),
 * `too-few-words`/`too-many-words` (`count`, `min`/`max`), `unknown-word` (`position`,
 * counted from 1) or `misspelled-word` (`position` and `suggestions`, the closest list words
 * joined by `/`). The typed word itself is never put in the error.
 * @example
 * ```ts
 * import { parseCode } from "./code.ts";
 * parseCode("  7 Guitar.OCEAN_lamp ").text; // "7-guitar-ocean-lamp"
 * parseCode("７－ｇｕｉｔａｒ－ｏｃｅａｎ－ｌａｍｐ").words; // ["guitar", "ocean", "lamp"]
 * parseCode("7-혀ㅑㅅㅁㄱ-ㅐㅊㄷ무-ㅣ므ㅔ").text; // "7-guitar-ocean-lamp"
 * ```
 */
export function parseCode(input: string): PairingCode {
  const parts = input.normalize("NFKC").toLowerCase().split(SEPARATORS).filter((p) => p !== "");
  if (parts.length === 0) codeError("empty");
  const [first, ...typed] = parts;
  if (!/^[0-9]+$/.test(first)) codeError("missing-nameplate");
  const nameplate = Number(first);
  checkNameplate(nameplate);
  checkWordCount(typed.length);
  const words = typed.map(fromHangulKeys);
  words.forEach((word, i) => {
    if (WORD_INDEX.has(word)) return;
    const suggestions = closestWords(word);
    if (suggestions.length === 0) codeError("unknown-word", { position: i + 1 });
    codeError("misspelled-word", { position: i + 1, suggestions: suggestions.join("/") });
  });
  return build(nameplate, words);
}

/**
 * The PAKE secret of a code: the UTF-8 bytes of its words joined with `-`, without the
 * nameplate, so two codes with the same words share the secret whatever their nameplates.
 *
 * @example
 * ```ts
 * import { codeSecret, parseCode } from "./code.ts";
 * new TextDecoder().decode(codeSecret(parseCode("7-guitar-ocean-lamp"))); // "guitar-ocean-lamp"
 * ```
 */
export function codeSecret(code: PairingCode): Uint8Array {
  return new TextEncoder().encode(code.words.join("-"));
}

/**
 * The list words nearest to `word` by edit distance (at most `limit`, default 3), best
 * first; ties keep list order. Words more than two edits away (or half the word) are left
 * out, so the result may be empty.
 *
 * @example
 * ```ts
 * import { closestWords } from "./code.ts";
 * closestWords("gitar"); // ["guitar", "cigar", "liar"]
 * ```
 */
export function closestWords(word: string, limit = 3): string[] {
  const budget = Math.min(2, Math.max(1, Math.floor(word.length / 2)));
  const scored: { word: string; distance: number }[] = [];
  for (const candidate of WORDS) {
    const distance = editDistance(word, candidate, budget);
    if (distance <= budget) scored.push({ word: candidate, distance });
  }
  return scored.sort((a, b) => a.distance - b.distance).slice(0, limit).map((s) => s.word);
}

/**
 * Damerau–Levenshtein (optimal string alignment) distance, stopping early once every
 * path exceeds `budget` (the result is then `budget + 1`).
 */
function editDistance(a: string, b: string, budget: number): number {
  if (Math.abs(a.length - b.length) > budget) return budget + 1;
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, before[j - 2] + 1);
      }
      current.push(value);
      best = Math.min(best, value);
    }
    if (best > budget) return budget + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length];
}
