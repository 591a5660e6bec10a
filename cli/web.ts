/**
 * Wiring of the receiver's web page for the CLI: the page and its script in the visitor's
 * language, sockit itself from the `dist/` folder (the bundled `sockit.js` from memory, the
 * compiled executables from disk, each with its SHA-256), and the start-up lines with the
 * page's address.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fileSource, recycle } from "../lib/core/streams.ts";
import type { PairingCode } from "../lib/crypto/code.ts";
import type { WebDownload, WebOptions } from "../lib/transfer/receive_web.ts";
import { message } from "./render.ts";
import type { Line, RenderStyle } from "./render.ts";
import { renderWebPage } from "./web_page.ts";
import { WEB_SCRIPT } from "./web_script.ts";

/** What `receive --json` prints about the web page at start. */
export type WebPageEvent = {
  type: "web";
  /** The page's address, with the code in its fragment unless `--open`. */
  url: string;
};

/** The bundled program's name in `dist/` and on the page. */
export const BUNDLE_NAME = "sockit.js";

/** Most bytes of `sockit.js` held in memory. */
const MAX_BUNDLE_BYTES = 32 * 1024 * 1024;

/** Names of compiled executables (`deno task compile`): `sockit-<version>-<target>[.exe]`. */
const EXECUTABLE = /^sockit-[0-9A-Za-z.+_-]+$/;

/** Most executables offered. */
const MAX_EXECUTABLES = 16;

/**
 * The folder sockit is handed out from, given the main module's URL (`Deno.mainModule`):
 * `dist/` beside the program's source (`main.ts`), or the folder of the running `sockit.js`
 * itself; `undefined` when sockit does not run from a file.
 *
 * @example
 * ```ts
 * import { distFolder } from "./web.ts";
 * distFolder("file:///home/t/sockit/main.ts"); // "/home/t/sockit/dist"
 * distFolder("file:///home/t/dist/sockit.js"); // "/home/t/dist"
 * ```
 */
export function distFolder(moduleUrl: string): string | undefined {
  if (!moduleUrl.startsWith("file:")) return undefined;
  const path = fileURLToPath(moduleUrl);
  return basename(path) === BUNDLE_NAME ? dirname(path) : join(dirname(path), "dist");
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of fileSource(await Deno.open(path), { path })) {
    hash.update(chunk);
    recycle(chunk);
  }
  return hash.digest("hex");
}

/**
 * What `folder` holds to hand out: `sockit.js` (read into memory) and the compiled
 * executables (streamed from disk when downloaded), each with its size and SHA-256. A missing
 * or unreadable folder offers nothing, and a file that cannot be read is left out.
 *
 * @example
 * ```ts
 * import { loadDownloads } from "./web.ts";
 * const downloads = await loadDownloads("/nonexistent"); // []
 * ```
 */
export async function loadDownloads(folder: string | undefined): Promise<WebDownload[]> {
  if (folder === undefined) return [];
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (entry.isFile && (entry.name === BUNDLE_NAME || EXECUTABLE.test(entry.name))) {
        names.push(entry.name);
      }
    }
  } catch {
    return []; // no dist/ (or not readable): nothing to hand out
  }
  names.sort();
  const downloads: WebDownload[] = [];
  for (const name of names) {
    const path = join(folder, name);
    try {
      const { size } = await Deno.stat(path);
      if (name === BUNDLE_NAME) {
        if (size > MAX_BUNDLE_BYTES) continue;
        const bytes = await Deno.readFile(path);
        const sha256 = createHash("sha256").update(bytes).digest("hex");
        downloads.unshift({ name, size: bytes.length, sha256, source: bytes });
      } else if (downloads.length < MAX_EXECUTABLES) {
        downloads.push({ name, size, sha256: await sha256Of(path), source: path });
      }
    } catch {
      // Gone or unreadable since the folder was listed: not offered (the page still works).
    }
  }
  return downloads;
}

/**
 * What `folder` holds to hand out ({@linkcode loadDownloads}), read and hashed when first asked
 * for, then the same list every time: a receiver whose page nobody opens never reads `sockit.js`
 * or hashes the executables (megabytes each) at start.
 *
 * @example
 * ```ts
 * import { lazyDownloads } from "./web.ts";
 * const downloads = lazyDownloads("/nonexistent"); // nothing read yet
 * await downloads(); // []
 * ```
 */
export function lazyDownloads(folder: string | undefined): () => Promise<WebDownload[]> {
  let loading: Promise<WebDownload[]> | undefined;
  return () => loading ??= loadDownloads(folder);
}

/**
 * The receiver's web page options: the page in the visitor's language, its script, and what
 * it hands out.
 *
 * @example
 * ```ts
 * import { lazyDownloads, webOptions } from "./web.ts";
 * const web = webOptions(lazyDownloads(undefined));
 * web.script.length > 0; // true
 * ```
 */
export function webOptions(downloads: () => Promise<readonly WebDownload[]>): WebOptions {
  return { page: renderWebPage, script: WEB_SCRIPT, downloads };
}

/**
 * The page's address for `reachable` (`HOST:PORT`), with the code in the fragment, which the
 * page reads and the browser never sends.
 *
 * @example
 * ```ts
 * import { webUrl } from "./web.ts";
 * webUrl("192.168.0.10:6000"); // "http://192.168.0.10:6000/"
 * ```
 */
export function webUrl(reachable: string, code?: PairingCode): string {
  return `http://${reachable}/${code ? `#code=${code.text}` : ""}`;
}

/**
 * The start-up lines about the web page: where to open it (the code, if any, is in the URL and
 * on the receiver's own code line) and that it is plain HTTP.
 *
 * @example
 * ```ts
 * import { webLines } from "./web.ts";
 * const lines = webLines({ lang: "en", color: false }, "http://192.168.0.10:6000/");
 * lines[0].text; // "Phones and browsers: open http://192.168.0.10:6000/"
 * ```
 */
export function webLines(style: RenderStyle, url: string): Line[] {
  const texts = [message(style, "recv.web", { url }), message(style, "recv.web-plain")];
  return texts.map((text) => ({ text, level: "info" }));
}
