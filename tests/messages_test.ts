/**
 * The message catalog: both languages complete and consistent, language detection from the
 * environment, and placeholder filling.
 *
 * @module
 */

import assert from "node:assert/strict";
import { CATALOGS, detectLang, isLang, LANGS, translate } from "../cli/messages.ts";
import type { MessageKey } from "../cli/messages.ts";
import { ERROR_CODES } from "../lib/core/errors.ts";

const KEYS = Object.keys(CATALOGS.en) as MessageKey[];

function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\{([a-z]+)\}/gi)].map((m) => m[1]))].sort();
}

Deno.test("catalog: every language has exactly the English keys", () => {
  assert.deepEqual([...LANGS].sort(), ["en", "ko"]);
  assert.ok(KEYS.length > 50, `only ${KEYS.length} keys`);
  for (const lang of LANGS) {
    assert.deepEqual(Object.keys(CATALOGS[lang]).sort(), [...KEYS].sort(), `keys of ${lang}`);
  }
});

Deno.test("catalog: no message is empty or padded", () => {
  for (const lang of LANGS) {
    for (const key of KEYS) {
      const text = CATALOGS[lang][key];
      assert.equal(typeof text, "string", `${lang} ${key}`);
      assert.notEqual(text.trim(), "", `${lang} ${key} is empty`);
      assert.equal(text, text.trim(), `${lang} ${key} has surrounding white space`);
    }
  }
});

Deno.test("catalog: en and ko use the same placeholders for every key", () => {
  for (const key of KEYS) {
    assert.deepEqual(placeholders(CATALOGS.ko[key]), placeholders(CATALOGS.en[key]), key);
  }
});

Deno.test("catalog: the Korean catalog is actually Korean where English has words", () => {
  const hangul = /[\uAC00-\uD7A3]/;
  for (const key of KEYS) {
    const en = CATALOGS.en[key];
    // Messages that are nothing but a placeholder (e.g. "{reason}") have nothing to translate.
    if (en.replace(/\{[a-z]+\}/gi, "").replace(/[\s\W]/g, "") === "") continue;
    if (key.startsWith("trace.")) continue; // "→ sent 5 B" keeps its arrows, words translated
    assert.match(CATALOGS.ko[key], hangul, `ko ${key} has no Hangul`);
  }
});

Deno.test("catalog: every error code has a message", () => {
  for (const code of ERROR_CODES) {
    for (const lang of LANGS) assert.ok(`error.${code}` in CATALOGS[lang], `${lang} ${code}`);
  }
});

Deno.test("detectLang: LC_ALL wins over LC_MESSAGES, which wins over LANG", () => {
  assert.equal(detectLang({}), "en");
  assert.equal(detectLang({ LANG: "ko_KR.UTF-8" }), "ko");
  assert.equal(detectLang({ LANG: "en_US.UTF-8" }), "en");
  assert.equal(detectLang({ LANG: "C.UTF-8" }), "en");
  assert.equal(detectLang({ LC_MESSAGES: "ko_KR.UTF-8", LANG: "en_US.UTF-8" }), "ko");
  assert.equal(detectLang({ LC_MESSAGES: "C", LANG: "ko_KR.UTF-8" }), "en");
  assert.equal(detectLang({ LC_ALL: "ko_KR.UTF-8", LC_MESSAGES: "C", LANG: "C" }), "ko");
  assert.equal(detectLang({ LC_ALL: "C", LC_MESSAGES: "ko_KR", LANG: "ko_KR.UTF-8" }), "en");
});

Deno.test("detectLang: any value starting with ko means Korean; empty values are skipped", () => {
  assert.equal(detectLang({ LANG: "ko" }), "ko");
  assert.equal(detectLang({ LANG: "ko_KR.eucKR" }), "ko");
  assert.equal(detectLang({ LANG: "KO_KR.UTF-8" }), "ko");
  assert.equal(detectLang({ LANG: "ja_JP.UTF-8" }), "en");
  assert.equal(detectLang({ LC_ALL: "", LANG: "ko_KR.UTF-8" }), "ko");
  assert.equal(detectLang({ LC_ALL: undefined, LC_MESSAGES: "", LANG: "ko_KR" }), "ko");
});

Deno.test("isLang accepts only en and ko", () => {
  assert.ok(isLang("en"));
  assert.ok(isLang("ko"));
  assert.ok(!isLang("kr"));
  assert.ok(!isLang("EN"));
  assert.ok(!isLang(""));
});

Deno.test("translate fills every placeholder in both languages", () => {
  assert.equal(
    translate("en", "echo.connected", { peer: "127.0.0.1:50000" }),
    "Connected by 127.0.0.1:50000",
  );
  assert.equal(translate("en", "echo.reply", { text: "안녕" }), "Received: 안녕");
  assert.equal(translate("ko", "echo.reply", { text: "안녕" }), "받음: 안녕");
  assert.equal(
    translate("en", "echo.summary", { connections: 3, bytes: "12 B" }),
    "Echo server stopped: 3 connections served, 12 B echoed.",
  );
  const ko = translate("ko", "error.connection-refused", { host: "10.0.0.5", port: 6000 });
  assert.ok(ko.startsWith("10.0.0.5:6000 "), ko);
  assert.doesNotMatch(ko, /\{/);
});

Deno.test("translate substitutes a placeholder used twice, and numbers including 0", () => {
  for (const lang of LANGS) {
    for (const key of KEYS) {
      const params = Object.fromEntries(placeholders(CATALOGS.en[key]).map((p) => [p, 0]));
      const text = translate(lang, key, params);
      assert.doesNotMatch(text, /\{[a-z]+\}/i, `${lang} ${key}: ${text}`);
    }
  }
});

Deno.test("translate leaves a missing placeholder visible and ignores extra values", () => {
  assert.equal(translate("en", "echo.connected"), "Connected by {peer}");
  assert.equal(translate("en", "echo.connected", { peer: undefined }), "Connected by {peer}");
  assert.equal(
    translate("en", "echo.connected", { peer: "x", other: "y" }),
    "Connected by x",
  );
  // Values are inserted literally: `$&` and braces in a value are not re-interpreted.
  assert.equal(translate("en", "echo.reply", { text: "$& {text}" }), "Received: $& {text}");
});

Deno.test("detectLang: with no locale variable (Windows), the system language decides", () => {
  assert.equal(detectLang({}, "ko-KR"), "ko");
  assert.equal(detectLang({}, "en-US"), "en");
  assert.equal(detectLang({}, undefined), "en");
  assert.equal(detectLang({ LANG: "C.UTF-8" }, "ko-KR"), "en");
});

Deno.test("translate: English plurals follow the number", () => {
  assert.equal(translate("en", "send.plan", { files: 1, bytes: "10 B" }), "Sending 1 file (10 B)");
  assert.equal(translate("en", "send.plan", { files: 2, bytes: "10 B" }), "Sending 2 files (10 B)");
  assert.equal(translate("en", "send.plan", { files: 0, bytes: "0 B" }), "Sending 0 files (0 B)");
  assert.equal(
    translate("en", "send.summary-rejected", { rejected: 1 }),
    "1 item was refused by the receiver.",
  );
  assert.equal(
    translate("en", "echo.summary", { connections: 1, bytes: "2 B" }),
    "Echo server stopped: 1 connection served, 2 B echoed.",
  );
  assert.equal(
    translate("en", "recv.summary", { files: 1, bytes: "2 B", sessions: 1 }),
    "Receiver stopped: 1 file (2 B) received over 1 connection.",
  );
});

Deno.test("translate: Korean particles fit the word before them", () => {
  assert.equal(translate("ko", "send.folder", { path: "big.bin" }), "폴더 big.bin을 만들었습니다");
  assert.equal(translate("ko", "send.folder", { path: "main.py" }), "폴더 main.py를 만들었습니다");
  assert.equal(translate("ko", "send.folder", { path: "숙제" }), "폴더 숙제를 만들었습니다");
  assert.equal(translate("ko", "send.folder", { path: "사진" }), "폴더 사진을 만들었습니다");
  const port = (p: number) => translate("ko", "error.address-in-use", { host: "h", port: p });
  assert.match(port(6003), /포트 6003은 /);
  assert.match(port(6002), /포트 6002는 /);
  const stored = (name: string) =>
    translate("ko", "send.file-done", { path: "a", stored: name, amount: "1 B" });
  assert.match(stored("과제 (1).py"), /과제 \(1\)\.py로 저장됨/);
  assert.match(stored("그림"), /그림으로 저장됨/);
  assert.match(stored("파일"), /파일로 저장됨/);
  assert.match(stored("메일"), /메일로 저장됨/); // ㄹ takes 로
  assert.match(stored("!!!"), /!!!으로\(로\) 저장됨/); // unreadable: both
  assert.match(translate("ko", "echo.connected", { peer: "127.0.0.1:5000" }), /5000이 접속/);
});

Deno.test("catalog: no Korean particle is fixed after a placeholder", () => {
  // 을/를, 이/가, 은/는, 과/와, 으로/로 depend on the word before them: they must be chosen
  // with `{name:을/를}`, never written after a placeholder (or a quote or bracket closing one).
  const fixed =
    /\{[a-z0-9]+\}['")]?\s?(을|를|이|가|은|는|과|와|으로|로|이\(가\)|을\(를\))(?![가-힣])/i;
  for (const key of KEYS) {
    assert.doesNotMatch(CATALOGS.ko[key], fixed, `ko ${key}: ${CATALOGS.ko[key]}`);
  }
});
