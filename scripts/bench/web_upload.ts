/**
 * The benchmark's browser sender: starts headless chromium, opens the receiver's web page at
 * `URL`, uploads `FILE` through the page's script (the same path a phone takes) and exits once
 * the page shows the receiver's receipt (0), or with 1 when it shows none. The time hyperfine
 * takes includes chromium's start.
 *
 * ```sh
 * deno run -A scripts/bench/web_upload.ts http://127.0.0.1:6000/ /dev/shm/transfer.bin
 * ```
 *
 * @module
 */

import { choose, launchChromium, pageReceipts } from "./browser.ts";

const [url, file] = Deno.args;
if (!url || !file) {
  console.error("usage: web_upload.ts URL FILE");
  Deno.exit(2);
}
await using browser = await launchChromium();
const page = await browser.newPage();
await page.goto(url);
await page.type("#name", "bench");
await choose(page, "#files", file);
await page.click("#submit");
const [receipt] = await pageReceipts(page, 1, 30 * 60_000);
console.error(`stored ${receipt.stored}, SHA-256 ${receipt.sha256}`);
if (!/^[0-9a-f]{64}$/.test(receipt.sha256)) Deno.exitCode = 1;
