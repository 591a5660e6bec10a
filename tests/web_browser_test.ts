/**
 * The upload page in a real browser: Debian's chromium, headless, driven by puppeteer-core
 * against a `sockit receive` process. Files and a nested folder with Korean names are stored
 * and verified, a wrong code is refused on the page, a large upload keeps the receiver's memory
 * flat (size: `SOCKIT_WEB_LARGE_MIB`, default 1024), the form works without JavaScript, and the
 * page fits 360-px and 1280-px screens (screenshots in `tests/output/web_browser/`).
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Page } from "puppeteer-core";
import { rssKiB } from "../scripts/bench/proc.ts";
import {
  choose,
  CHROMIUM,
  inPage,
  launchChromium,
  pageReceipts,
} from "../scripts/bench/browser.ts";
import { cliReceiver, randomBytes, ROOT, tempDir } from "./util.ts";

const OUTPUT = join(
  Deno.env.get("SOCKIT_TEST_OUTPUT") ?? join(ROOT, "tests", "output"),
  "web_browser",
);
const LARGE_MIB = Number(Deno.env.get("SOCKIT_WEB_LARGE_MIB") ?? 1024);
/** The receiver's resident memory must stay under this during the large upload. */
const RSS_LIMIT_KIB = 100 * 1024;

const hasChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

/** The value of the input `id`. */
function valueOf(page: Page, id: string): Promise<string> {
  return inPage(page, `document.getElementById(${JSON.stringify(id)}).value`);
}

Deno.test({
  name: "web page in chromium: uploads, wrong code, large upload, no JavaScript, layout",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  await Deno.mkdir(OUTPUT, { recursive: true });
  await using receiver = await cliReceiver({
    globals: ["--lang", "en"],
    code: "7-guitar-ocean-lamp",
    args: ["--no-announce", "--no-qr"],
  });
  const [, url, code] = await receiver.proc.stdout.waitFor(
    /open (http:\/\/\S+\/#code=(\S+))$/,
  );
  const base = url.replace(/#.*$/, "");
  await using files = await tempDir("sockit-browser-files-");
  await using browser = await launchChromium();
  let page = await browser.newPage();

  await t.step("the page fits 360 px and 1280 px without horizontal overflow", async () => {
    for (const width of [360, 1280]) {
      await page.setViewport({ width, height: 800 });
      await page.goto(url, { waitUntil: "load" });
      const overflow = await inPage<number>(
        page,
        "document.documentElement.scrollWidth - document.documentElement.clientWidth",
      );
      assert.equal(overflow, 0, `${width} px: ${overflow} px too wide`);
      await page.screenshot({ path: join(OUTPUT, `page-${width}.png`), fullPage: true });
    }
    const ko = await browser.newPage();
    await ko.setExtraHTTPHeaders({ "Accept-Language": "ko-KR,ko;q=0.9" });
    await ko.setViewport({ width: 360, height: 800 });
    await ko.goto(url);
    assert.equal(await inPage(ko, "document.documentElement.lang"), "ko");
    await ko.screenshot({ path: join(OUTPUT, "page-360-ko.png"), fullPage: true });
    await ko.close();
  });

  await t.step(
    "three files and a nested folder with Korean names, stored and verified",
    async () => {
      const loose = ["가나다.txt", "사진 1.bin", "메모.md"];
      await Deno.writeTextFile(join(files.path, loose[0]), "안녕하세요\n");
      await Deno.writeFile(join(files.path, loose[1]), randomBytes(300_000));
      await Deno.writeTextFile(join(files.path, loose[2]), "# 메모\n");
      const folder = join(files.path, "과제");
      await Deno.mkdir(join(folder, "코드"), { recursive: true });
      await Deno.writeTextFile(join(folder, "코드", "main.py"), "print('안녕')\n");
      await Deno.writeTextFile(join(folder, "읽어보기.md"), "과제 설명\n");

      // A new page: the same address again would only move to its fragment, not load.
      page = await browser.newPage();
      await page.setViewport({ width: 360, height: 800 });
      await page.goto(url);
      assert.equal(await valueOf(page, "code"), code);
      await page.type("#name", "김민지");
      await choose(page, "#files", ...loose.map((name) => join(files.path, name)));
      await choose(page, "#folder", folder);
      await page.click("#submit");
      const got = await pageReceipts(page, 5, 60_000);
      await page.screenshot({ path: join(OUTPUT, "uploaded-360.png"), fullPage: true });
      // Filed under the sender's name, as every sender's work is.
      const expected = [...loose, "과제/코드/main.py", "과제/읽어보기.md"].map((p) => `김민지/${p}`)
        .sort();
      assert.deepEqual(got.map((r) => r.stored).sort(), expected);
      for (const receipt of got) {
        assert.equal(receipt.sha256, await sha256File(join(files.path, receipt.path)));
        assert.equal(receipt.sha256, await sha256File(join(receiver.dir, receipt.stored)));
      }
      // The name is remembered for the next visit.
      await page.reload();
      assert.equal(await valueOf(page, "name"), "김민지");
    },
  );

  await t.step("a wrong code is refused on the page and nothing is stored", async () => {
    await Deno.writeTextFile(join(files.path, "wrong.txt"), "x");
    const wrong = await browser.newPage();
    await wrong.setViewport({ width: 360, height: 800 });
    await wrong.goto(`${base}#code=1-abandon-ability-able`);
    await choose(wrong, "#files", join(files.path, "wrong.txt"));
    await wrong.click("#submit");
    const error = `document.getElementById("error").textContent`;
    await wrong.waitForFunction(`${error} !== ""`);
    assert.match(await inPage<string>(wrong, error), /code does not match/);
    await wrong.screenshot({ path: join(OUTPUT, "wrong-code-360.png"), fullPage: true });
    await wrong.close();
    await assert.rejects(Deno.stat(join(receiver.dir, "wrong.txt")));
    await assert.rejects(Deno.stat(join(receiver.dir, "김민지", "wrong.txt")));
  });

  await t.step(`a ${LARGE_MIB} MiB upload keeps the receiver's memory flat`, async () => {
    const large = join(files.path, "large.bin");
    {
      using file = await Deno.create(large);
      await file.truncate(LARGE_MIB * 1024 * 1024);
    }
    const pid = receiver.proc.child.pid;
    const before = (await rssKiB(pid))!;
    await page.goto(url);
    await choose(page, "#files", large);
    const samples: number[] = [];
    let uploading = true;
    const sampler = (async () => {
      while (uploading) {
        const rss = await rssKiB(pid);
        if (rss !== null) samples.push(rss);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await page.click("#submit");
      const [receipt] = await pageReceipts(page, 1, 600_000);
      assert.equal(receipt.stored, "김민지/large.bin");
      assert.equal(
        (await Deno.stat(join(receiver.dir, "김민지/large.bin"))).size,
        LARGE_MIB * 2 ** 20,
      );
      assert.equal(receipt.sha256, await sha256File(large));
    } finally {
      uploading = false;
      await sampler;
    }
    const peak = Math.max(before, ...samples);
    console.log(
      `receiver RSS: ${before} KiB before, ${peak} KiB peak over ${samples.length} samples`,
    );
    assert.ok(peak <= RSS_LIMIT_KIB, `peak RSS ${peak} KiB is over ${RSS_LIMIT_KIB} KiB`);
    await Deno.remove(large);
    await Deno.remove(join(receiver.dir, "김민지/large.bin"));
  });

  await t.step("without JavaScript the form uploads and shows the receipts", async () => {
    const nojs = await browser.newPage();
    await nojs.setJavaScriptEnabled(false);
    await nojs.setViewport({ width: 1280, height: 800 });
    await Deno.writeTextFile(join(files.path, "폼.txt"), "no script\n");
    await nojs.goto(base);
    await nojs.type("#name", "이서준");
    await nojs.type("#code", code);
    await choose(nojs, "#files", join(files.path, "폼.txt"));
    await Promise.all([nojs.waitForNavigation(), nojs.click("#submit")]);
    const stored = await inPage<string[]>(
      nojs,
      `[...document.querySelectorAll("#outcome li[data-stored]")].map((li) => li.dataset.stored)`,
    );
    assert.deepEqual(stored, ["이서준/폼.txt"]);
    const outcome = await inPage<string>(nojs, `document.getElementById("outcome").textContent`);
    assert.match(outcome, /SHA-256 [0-9a-f]{64}/);
    await nojs.screenshot({ path: join(OUTPUT, "nojs-result-1280.png"), fullPage: true });
    await nojs.close();
  });
});
