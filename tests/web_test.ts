/**
 * The receiver's web page over HTTP (no browser): the page, uploads as raw bodies and as a
 * multipart form, the code and its guess limits, downloads, and HTTP as hostile input (head
 * limits, slow heads, traversal in URLs and form file names, unsupported framing).
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { parseCode } from "../lib/crypto/code.ts";
import { readLog } from "../lib/collect/log.ts";
import { Roster } from "../lib/collect/roster.ts";
import { startReceiver } from "../lib/transfer/receiver.ts";
import { sendFiles } from "../lib/transfer/sender.ts";
import type { ReceiverEvent, ReceiverOptions } from "../lib/transfer/receiver.ts";
import type { WebDownload } from "../lib/transfer/receive_web.ts";
import { pageLang } from "../cli/web_page.ts";
import { lazyDownloads, webOptions } from "../cli/web.ts";
import { RawPeer } from "./raw_peer.ts";
import { randomBytes, ROOT, tempDir } from "./util.ts";

const CODE = parseCode("7-guitar-ocean-lamp");

/** A receiver on 127.0.0.1 with the web page on; its events are collected. */
async function webReceiver(options: ReceiverOptions & { downloads?: WebDownload[] } = {}) {
  const temp = await tempDir("sockit-web-");
  const events: ReceiverEvent[] = [];
  const receiver = await startReceiver({
    dir: join(temp.path, "in"),
    host: "127.0.0.1",
    port: 0,
    code: CODE,
    web: webOptions(() => Promise.resolve(options.downloads ?? [])),
    ...options,
    onEvent: (event) => events.push(event),
  });
  const base = `http://127.0.0.1:${receiver.addr.port}`;
  return {
    receiver,
    base,
    events,
    dir: receiver.dir,
    async [Symbol.asyncDispose]() {
      await receiver.close();
      await temp[Symbol.asyncDispose]();
    },
  };
}

/** Sends `request` as raw bytes and reads the whole answer until the receiver closes. */
async function rawExchange(port: number, request: string | Uint8Array): Promise<string> {
  await using peer = await RawPeer.connect(port);
  await peer.send(request);
  const chunks: Uint8Array[] = [];
  while (true) {
    const chunk = await peer.wire.readSome().catch(() => null);
    if (chunk === null) break;
    chunks.push(chunk);
  }
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
}

/** The status code of a raw HTTP answer. */
function statusOf(answer: string): number {
  return Number(answer.match(/^HTTP\/1\.1 (\d{3}) /)?.[1] ?? 0);
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Files under `dir` (relative paths), sockit's working folder left out. */
async function storedFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (rel === ".sockit") continue;
    if (entry.isDirectory) out.push(...await storedFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

function put(base: string, path: string, body: Uint8Array, code = CODE.text): Promise<Response> {
  return fetch(`${base}/upload`, {
    method: "PUT",
    headers: { "X-Sockit-Path": encodeURIComponent(path), "X-Sockit-Code": code },
    body: new Uint8Array(body),
  });
}

/** The temporary files left in sockit's working folder. */
async function temporaries(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(join(dir, ".sockit")))).map((e) => e.name);
}

Deno.test("web: the page, in the visitor's language, with nothing from elsewhere", async () => {
  await using web = await webReceiver();
  const ko = await fetch(`${web.base}/`, { headers: { "Accept-Language": "ko-KR,ko;q=0.9" } });
  assert.equal(ko.status, 200);
  const html = await ko.text();
  assert.match(html, /<html lang="ko">/);
  assert.match(ko.headers.get("content-security-policy") ?? "", /default-src 'none'/);
  // Every resource the page loads is the receiver's own.
  for (const [, url] of html.matchAll(/(?:src|href|action)="([^"]*)"/g)) {
    assert.match(url, /^\//, url);
  }
  assert.match(html, /id="code"/);
  const en = await (await fetch(`${web.base}/?lang=en`)).text();
  assert.match(en, /<html lang="en">/);
  assert.match(en, /plain HTTP/);
  const script = await fetch(`${web.base}/page.js`);
  assert.match(script.headers.get("content-type") ?? "", /text\/javascript/);
  assert.doesNotMatch(await script.text(), /https?:\/\//);
  const head = await fetch(`${web.base}/`, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
});

Deno.test("web: pageLang ranks Korean and English by Accept-Language", () => {
  assert.equal(pageLang("ko"), "ko");
  assert.equal(pageLang("en-US,en;q=0.9,ko;q=0.8"), "en");
  assert.equal(pageLang("fr-FR,ko;q=0.5,en;q=0.4"), "ko");
  assert.equal(pageLang("ko;q=0,en;q=0.1"), "en");
  assert.equal(pageLang("de"), "en");
});

Deno.test("web: a raw upload is stored verified, under a new name when taken", async () => {
  await using web = await webReceiver();
  const bytes = randomBytes(300_000);
  const first = await put(web.base, "과제/보고서.txt", bytes);
  assert.equal(first.status, 200);
  const receipt = await first.json();
  assert.deepEqual(
    { stored: receipt.stored, size: receipt.size, sha256: receipt.sha256 },
    { stored: "과제/보고서.txt", size: bytes.length, sha256: sha256(bytes) },
  );
  const again = await (await put(web.base, "과제/보고서.txt", new Uint8Array([1]))).json();
  assert.equal(again.stored, "과제/보고서 (1).txt");
  assert.deepEqual(await Deno.readFile(join(web.dir, "과제/보고서.txt")), bytes);
  assert.deepEqual(await storedFiles(web.dir), ["과제/보고서 (1).txt", "과제/보고서.txt"]);
  assert.ok(web.events.some((e) => e.type === "session" && e.protocol === "web"));
});

Deno.test("web: uploads are filed under the sender's name and logged like any file", async () => {
  await using web = await webReceiver({
    bySender: true,
    log: true,
    roster: Roster.parse("김민지\n이서준\n"),
    rosterOnly: true,
  });
  const bytes = new TextEncoder().encode("print('hi')\n");
  const answer = await fetch(`${web.base}/upload`, {
    method: "PUT",
    headers: {
      "X-Sockit-Path": encodeURIComponent("과제/main.py"),
      "X-Sockit-Name": encodeURIComponent("김민지"),
      "X-Sockit-Code": CODE.text,
    },
    body: bytes,
  });
  assert.equal(answer.status, 200);
  const receipt = await answer.json();
  assert.equal(receipt.stored, "김민지/과제/main.py");
  const form = new FormData();
  form.append("name", "이서준");
  form.append("code", CODE.text);
  form.append("files", new File(["x"], "과제/main.py"));
  const page = await (await fetch(`${web.base}/upload`, { method: "POST", body: form })).text();
  assert.match(page, /data-stored="이서준\/과제\/main\.py"/);
  // A name not on the class list is refused, naming the closest.
  const stranger = await fetch(`${web.base}/upload`, {
    method: "PUT",
    headers: {
      "X-Sockit-Path": "x.txt",
      "X-Sockit-Name": encodeURIComponent("김민주"),
      "X-Sockit-Code": CODE.text,
    },
    body: new Uint8Array([1]),
  });
  assert.equal(stranger.status, 403);
  const refusal = await stranger.json();
  assert.equal(refusal.code, "not-on-roster");
  assert.match(refusal.message, /김민지/);
  assert.deepEqual(await storedFiles(web.dir), [
    "sockit-log.csv",
    "김민지/과제/main.py",
    "이서준/과제/main.py",
  ]);
  const rows = await readLog(web.dir);
  const stored = rows.filter((r) => r.outcome === "stored");
  assert.deepEqual(stored.map((r) => [r.name, r.stored, r.sha256, r.protocol]), [
    ["김민지", "김민지/과제/main.py", sha256(bytes), "web"],
    ["이서준", "이서준/과제/main.py", sha256(new TextEncoder().encode("x")), "web"],
  ]);
  assert.ok(
    rows.some((r) => r.outcome === "refused" && r.name === "김민주" && r.protocol === "web"),
  );
});

Deno.test("web: a wrong or missing code is refused and nothing is stored", async () => {
  await using web = await webReceiver({ guessLimits: { firstDelayMs: 1 } });
  const wrong = await put(web.base, "a.txt", new Uint8Array([1, 2, 3]), "7-guitar-ocean-lump");
  assert.equal(wrong.status, 403);
  assert.equal((await wrong.json()).code, "wrong-code");
  const none = await fetch(`${web.base}/upload`, {
    method: "PUT",
    headers: { "X-Sockit-Path": "a.txt" },
    body: new Uint8Array([1]),
  });
  assert.equal(none.status, 403);
  await none.body?.cancel();
  const check = await fetch(`${web.base}/check`, {
    method: "POST",
    headers: { "X-Sockit-Code": "7 GUITAR ocean lamp" },
  });
  assert.equal(check.status, 204, "the code is typed case- and separator-insensitively");
  assert.deepEqual(await storedFiles(web.dir), []);
  const refusals = web.events.filter((e) => e.type === "session-error" && e.code === "wrong-code");
  assert.equal(refusals.length, 2);
});

Deno.test("web: failed guesses slow down the next check and raise a notice", async () => {
  await using web = await webReceiver({
    guessLimits: { firstDelayMs: 300, totalFailures: 2, totalDelayMs: 300 },
  });
  const guess = async () => {
    const started = performance.now();
    const answer = await fetch(`${web.base}/check`, {
      method: "POST",
      headers: { "X-Sockit-Code": "1-abandon-ability-able" },
    });
    await answer.body?.cancel();
    assert.equal(answer.status, 403);
    return performance.now() - started;
  };
  await guess();
  assert.ok(await guess() >= 300, "the second guess waited for the delay");
  await guess();
  assert.deepEqual(web.events.filter((e) => e.type === "guessing"), [
    { type: "guessing", peer: "127.0.0.1", failures: 3 },
  ]);
});

Deno.test("web: the web page and the pairing handshake count failures in one guess limiter", async () => {
  await using web = await webReceiver({ guessLimits: { firstDelayMs: 200 } });
  const check = async (code: string) => {
    const answer = await fetch(`${web.base}/check`, {
      method: "POST",
      headers: { "X-Sockit-Code": code },
    });
    await answer.body?.cancel();
    return answer.status;
  };
  const delays = () => web.events.flatMap((e) => e.type === "pairing-delayed" ? [e.ms] : []);
  await using src = await tempDir("sockit-web-src-");
  const file = join(src.path, "a.txt");
  await Deno.writeTextFile(file, "hello\n");
  const send = (code: string) =>
    sendFiles({
      paths: [file],
      host: "127.0.0.1",
      port: web.receiver.addr.port,
      code: parseCode(code),
      timeoutMs: 20_000,
    });
  // A wrong code on the page delays the same address's next sockit pairing …
  assert.equal(await check("7-guitar-ocean-lump"), 403);
  assert.equal((await send(CODE.text)).files, 1);
  assert.deepEqual(delays(), [200]);
  // … whose right code forgets it: the page's next check is not delayed.
  assert.equal(await check(CODE.text), 204);
  assert.deepEqual(delays(), [200]);
  // A wrong code in the handshake delays the page's next check.
  await assert.rejects(
    send("7-guitar-ocean-lake"),
    (err: Error & { code?: string }) => err.code === "wrong-code",
  );
  assert.equal(await check(CODE.text), 204);
  assert.deepEqual(delays(), [200, 200]);
});

Deno.test("web: --open takes uploads without a code", async () => {
  await using web = await webReceiver({ code: undefined });
  const answer = await fetch(`${web.base}/upload`, {
    method: "PUT",
    headers: { "X-Sockit-Path": "open.txt" },
    body: new TextEncoder().encode("hi"),
  });
  assert.equal(answer.status, 200);
  await answer.body?.cancel();
  assert.doesNotMatch(await (await fetch(`${web.base}/`)).text(), /id="code"/);
  assert.deepEqual(await storedFiles(web.dir), ["open.txt"]);
});

Deno.test("web: hostile names in headers and forms are refused, nothing written", async () => {
  await using web = await webReceiver();
  for (const [path, problem] of [["../x.txt", "dot-segment"], ["/etc/passwd", "absolute"]]) {
    const answer = await put(web.base, path, new Uint8Array([1]));
    assert.equal(answer.status, 400);
    assert.deepEqual(await answer.json(), {
      status: 400,
      code: "bad-name",
      problem,
      message: problem,
    });
  }
  const form = new FormData();
  form.append("name", "민지");
  form.append("code", CODE.text);
  form.append("files", new File(["evil"], "../../evil.txt"));
  form.append("files", new File(["fine"], "good.txt"));
  const answer = await fetch(`${web.base}/upload`, { method: "POST", body: form });
  assert.equal(answer.status, 200);
  const html = await answer.text();
  assert.match(html, /data-stored="good\.txt"/);
  assert.match(html, /\.\.\/\.\.\/evil\.txt/);
  assert.deepEqual(await storedFiles(web.dir), ["good.txt"]);
  assert.deepEqual(await storedFiles(join(web.dir, "..")), ["in/good.txt"]);
});

Deno.test("web: the no-JavaScript form stores files and folders with their receipts", async () => {
  await using web = await webReceiver();
  const a = randomBytes(70_000);
  const form = new FormData();
  form.append("name", "김민지");
  form.append("code", CODE.text);
  form.append("files", new File([new Uint8Array(a)], "첫째.bin"));
  form.append("folder", new File(["print(1)\n"], "과제/src/main.py"));
  form.append("files", new File([], "")); // an input left empty
  const answer = await fetch(`${web.base}/upload`, { method: "POST", body: form });
  assert.equal(answer.status, 200);
  const html = await answer.text();
  assert.match(html, new RegExp(sha256(a)));
  assert.deepEqual(await storedFiles(web.dir), ["과제/src/main.py", "첫째.bin"]);
  assert.deepEqual(await Deno.readFile(join(web.dir, "첫째.bin")), a);
});

Deno.test("web: a form with a file before the code, or a wrong code, stores nothing", async () => {
  await using web = await webReceiver({ guessLimits: { firstDelayMs: 1 } });
  const early = new FormData();
  early.append("files", new File(["x"], "early.txt"));
  early.append("code", CODE.text);
  const first = await fetch(`${web.base}/upload`, { method: "POST", body: early });
  assert.equal(first.status, 403);
  assert.match(await first.text(), /role="alert"/);
  const wrong = new FormData();
  wrong.append("code", "7-guitar-ocean-lump");
  wrong.append("files", new File(["x"], "wrong.txt"));
  const second = await fetch(`${web.base}/upload`, { method: "POST", body: wrong });
  assert.equal(second.status, 403);
  await second.body?.cancel();
  assert.deepEqual(await storedFiles(web.dir), []);
});

Deno.test("web: the size limit holds for raw and form uploads", async () => {
  await using web = await webReceiver({ maxSize: 1000 });
  const big = await put(web.base, "big.bin", new Uint8Array(1001));
  assert.equal(big.status, 413);
  assert.equal((await big.json()).code, "too-large");
  const form = new FormData();
  form.append("code", CODE.text);
  form.append("files", new File([new Uint8Array(5000)], "big.bin"));
  form.append("files", new File([new Uint8Array(1000)], "fits.bin"));
  const answer = await fetch(`${web.base}/upload`, { method: "POST", body: form });
  assert.equal(answer.status, 200);
  assert.match(await answer.text(), /data-stored="fits\.bin"/);
  assert.deepEqual(await storedFiles(web.dir), ["fits.bin"]);
  assert.deepEqual(await temporaries(web.dir), [], "no temporary file left");
});

Deno.test("web: an upload cut off stores nothing and leaves no temporary file", async () => {
  await using web = await webReceiver();
  const head = `PUT /upload HTTP/1.1\r\nHost: x\r\nX-Sockit-Code: ${CODE.text}\r\n` +
    `X-Sockit-Path: cut.bin\r\nContent-Length: 100000\r\n\r\n`;
  {
    await using peer = await RawPeer.connect(web.receiver.addr.port);
    await peer.send(head);
    await peer.send(randomBytes(5000));
  }
  const failed = await waitForEvent(web.events, (e) => e.type === "file-failed");
  assert.equal(failed.type === "file-failed" && failed.code, "closed-early");
  assert.deepEqual(await storedFiles(web.dir), []);
  assert.deepEqual(await temporaries(web.dir), []);
});

/** Waits (bounded) until `events` holds one matching `test`. */
async function waitForEvent(
  events: ReceiverEvent[],
  test: (e: ReceiverEvent) => boolean,
): Promise<ReceiverEvent> {
  for (let i = 0; i < 500; i++) {
    const found = events.find(test);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no such event in ${JSON.stringify(events)}`);
}

Deno.test("web: HTTP is hostile input: limits and refusals", async (t) => {
  await using web = await webReceiver({ headerTimeoutMs: 500 });
  const port = web.receiver.addr.port;
  await t.step("a head over 16 KiB: 431", async () => {
    const answer = await rawExchange(port, `GET / HTTP/1.1\r\nX: ${"a".repeat(17_000)}\r\n\r\n`);
    assert.equal(statusOf(answer), 431);
  });
  await t.step("a head that never ends in time: closed", async () => {
    await using peer = await RawPeer.connect(port);
    await peer.send("GET / HTTP/1.1\r\nHost: x\r\n");
    assert.ok(await peer.closedWithin(5000));
  });
  await t.step("traversal in the URL finds nothing", async () => {
    for (const target of ["/get/../deno.json", "/get/%2e%2e%2fdeno.json", "/../../etc/passwd"]) {
      assert.equal(statusOf(await rawExchange(port, `GET ${target} HTTP/1.1\r\n\r\n`)), 404);
    }
  });
  await t.step("malformed heads: 400", async () => {
    for (
      const head of [
        "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
        "GET / HTTP/1.1\r\n folded: x\r\n\r\n",
        "GET / HTTP/1.1\nHost: x\r\n\r\n",
        "GET http://elsewhere/ HTTP/1.1\r\n\r\n",
        "PUT /upload HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET /%zz HTTP/1.1\r\n\r\n",
      ]
    ) assert.equal(statusOf(await rawExchange(port, head)), 400, head);
  });
  await t.step("other methods, versions and framing", async () => {
    assert.equal(statusOf(await rawExchange(port, "GET / HTTP/2.0\r\n\r\n")), 505);
    assert.equal(statusOf(await rawExchange(port, "PUT /x HTTP/1.1\r\n\r\n")), 404);
    const chunked = "PUT /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    assert.equal(statusOf(await rawExchange(port, chunked)), 501);
    const noLength = `PUT /upload HTTP/1.1\r\nX-Sockit-Path: a\r\n\r\n`;
    assert.equal(statusOf(await rawExchange(port, noLength)), 411);
    const form = "POST /upload HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n";
    assert.equal(statusOf(await rawExchange(port, form)), 415);
  });
  await t.step("the sockit protocol still works on the same port", async () => {
    await using peer = await RawPeer.open(port);
    await peer.sendFrame({ type: "Q" });
  });
  assert.deepEqual(await storedFiles(web.dir), []);
});

Deno.test("web: the CLI reads and hashes dist/ when the page first asks, then keeps the list", async () => {
  await using temp = await tempDir();
  const downloads = lazyDownloads(temp.path);
  // Written after the receiver was set up: found, so nothing was read at start.
  const script = new TextEncoder().encode("console.log('sockit');\n");
  await Deno.writeFile(join(temp.path, "sockit.js"), script);
  const first = await downloads();
  assert.deepEqual(first.map((d) => [d.name, d.size, d.sha256]), [
    ["sockit.js", script.length, sha256(script)],
  ]);
  await Deno.remove(join(temp.path, "sockit.js"));
  assert.equal(await downloads(), first);
});

Deno.test("web: downloads are served by name only, with their bytes", async () => {
  const script = new TextEncoder().encode("console.log('sockit');\n");
  await using temp = await tempDir();
  const binary = join(temp.path, "sockit-0.1.0-x86_64-unknown-linux-gnu");
  const binaryBytes = randomBytes(200_000);
  await Deno.writeFile(binary, binaryBytes);
  await using web = await webReceiver({
    downloads: [
      { name: "sockit.js", size: script.length, sha256: sha256(script), source: script },
      {
        name: "sockit-0.1.0-x86_64-unknown-linux-gnu",
        size: binaryBytes.length,
        sha256: sha256(binaryBytes),
        source: binary,
      },
    ],
  });
  const js = await fetch(`${web.base}/get/sockit.js`);
  assert.match(js.headers.get("content-disposition") ?? "", /attachment; filename="sockit\.js"/);
  assert.deepEqual(new Uint8Array(await js.arrayBuffer()), script);
  const exe = await fetch(`${web.base}/get/sockit-0.1.0-x86_64-unknown-linux-gnu`);
  assert.equal(sha256(new Uint8Array(await exe.arrayBuffer())), sha256(binaryBytes));
  const port = web.receiver.addr.port;
  const page = await rawExchange(port, "GET / HTTP/1.1\r\nHost: 192.0.2.1:6000\r\n\r\n");
  assert.match(page, new RegExp(sha256(binaryBytes)));
  assert.match(page, /sockit\.js send FILE --to 192\.0\.2\.1:6000/);
  const hostile = await rawExchange(port, "GET / HTTP/1.1\r\nHost: <x>\r\n\r\n");
  assert.doesNotMatch(hostile, /<x>/);
  const missing = await fetch(`${web.base}/get/deno.json`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("web: docs/protocol.md's upload example is stored as documented", async () => {
  const doc = await Deno.readTextFile(join(ROOT, "docs/protocol.md"));
  const example = /```http\n([^]*?)\n```/.exec(doc)?.[1];
  assert.ok(example, "the http example");
  const [head, body] = example.split("\n\n");
  await using web = await webReceiver({ bySender: true });
  const answer = await rawExchange(
    web.receiver.addr.port,
    head.replaceAll("\n", "\r\n") + "\r\n\r\n" + body,
  );
  assert.equal(statusOf(answer), 200, answer);
  const receipt = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
  const documented = JSON.parse(/```json\n([^]*?)\n```/.exec(doc)![1]);
  assert.equal(receipt.stored, documented.stored);
  assert.equal(receipt.size, documented.size);
  assert.match(receipt.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  assert.equal(receipt.sha256, sha256(new TextEncoder().encode(body)));
});

Deno.test("web: without the web page, HTTP is refused like any stranger", async () => {
  await using web = await webReceiver({ web: undefined });
  const answer = await rawExchange(web.receiver.addr.port, "GET / HTTP/1.1\r\n\r\n");
  assert.doesNotMatch(answer, /^HTTP/);
  assert.ok(web.events.some((e) => e.type === "session-error"));
});
