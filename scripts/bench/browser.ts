/**
 * Headless chromium for the web page's tests and benchmark: Debian's `/usr/bin/chromium`
 * driven by puppeteer-core (no browser download), with a fresh profile and no background
 * traffic, and an upload through the page timed from the click to the page's receipt.
 *
 * @module
 */

import puppeteer from "puppeteer-core";
import type { Browser, Page } from "puppeteer-core";

/** Where Debian installs chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** A browser that closes itself and removes its profile when disposed. */
export type DisposableBrowser = Browser & AsyncDisposable;

/**
 * Starts headless chromium with a fresh profile in a temporary folder.
 *
 * @example
 * ```ts
 * import { launchChromium } from "./browser.ts";
 * await using browser = await launchChromium();
 * const page = await browser.newPage();
 * ```
 */
export async function launchChromium(): Promise<DisposableBrowser> {
  const profile = await Deno.makeTempDir({ prefix: "sockit-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
  });
  return Object.assign(browser, {
    async [Symbol.asyncDispose]() {
      await browser.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  });
}

/**
 * Evaluates `expression` (browser JavaScript kept as text: callers are type-checked without
 * the DOM's types) in `page`.
 *
 * @example
 * ```ts
 * import type { Page } from "puppeteer-core";
 * import { inPage } from "./browser.ts";
 * async function title(page: Page) {
 *   return await inPage<string>(page, "document.title");
 * }
 * ```
 */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

/**
 * Puts files into the file input `selector` (a folder path for a `webkitdirectory` input).
 *
 * @example
 * ```ts
 * import type { Page } from "puppeteer-core";
 * import { choose } from "./browser.ts";
 * async function pick(page: Page) {
 *   await choose(page, "#files", "/tmp/a.txt");
 * }
 * ```
 */
export async function choose(page: Page, selector: string, ...paths: string[]): Promise<void> {
  const input = await page.$(selector);
  if (!input) throw new Error(`no ${selector} on the page`);
  await (input as unknown as { uploadFile(...paths: string[]): Promise<void> }).uploadFile(
    ...paths,
  );
}

/** A receipt the page shows for an uploaded file. */
export interface PageReceipt {
  /** The name the browser sent. */
  path: string;
  /** Where the receiver stored it. */
  stored: string;
  /** The receiver's SHA-256. */
  sha256: string;
}

/**
 * Waits (at most `timeoutMs`) until the page shows `count` receipts, and returns them.
 *
 * @example
 * ```ts
 * import type { Page } from "puppeteer-core";
 * import { pageReceipts } from "./browser.ts";
 * async function one(page: Page) {
 *   const [receipt] = await pageReceipts(page, 1, 60_000);
 *   return receipt.sha256;
 * }
 * ```
 */
export async function pageReceipts(
  page: Page,
  count: number,
  timeoutMs: number,
): Promise<PageReceipt[]> {
  const items = `document.querySelectorAll("#list li[data-sha256]")`;
  try {
    await page.waitForFunction(`${items}.length >= ${count}`, { timeout: timeoutMs, polling: 50 });
  } catch (err) {
    // Say what the page shows instead: its error line and each file's note.
    const shown = await inPage<string>(
      page,
      `document.getElementById("error").textContent + " | " + document.getElementById("list").innerText`,
    ).catch(() => "(the page is gone)");
    throw new Error(`no ${count} receipts on the page: ${shown}`, { cause: err });
  }
  return await inPage<PageReceipt[]>(
    page,
    `[...${items}].map((li) => ({
      path: li.querySelector("b").textContent,
      stored: li.dataset.stored,
      sha256: li.dataset.sha256,
    }))`,
  );
}
