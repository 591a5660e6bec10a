/**
 * The receiver's upload page, in the visitor's language: one HTML document with its style
 * inline and its script at `/page.js` (no external resources), a form that works without
 * JavaScript (a multipart POST), and the "Get sockit" section. Every text comes from the
 * catalog; every value from the request or the disk is HTML-escaped.
 *
 * @module
 */

import { formatBytes } from "../lib/core/format.ts";
import type { WebOutcome, WebPageRequest } from "../lib/transfer/receive_web.ts";
import { CATALOGS, translate } from "./messages.ts";
import type { Lang, MessageKey, MessageParams } from "./messages.ts";

/**
 * The language of the page from an `Accept-Language` value (or a bare `ko`/`en`): Korean when
 * it ranks Korean above English, else English.
 *
 * @example
 * ```ts
 * import { pageLang } from "./web_page.ts";
 * pageLang("ko-KR,ko;q=0.9,en-US;q=0.8"); // "ko"
 * pageLang("en-US,en;q=0.9,ko;q=0.5"); // "en"
 * pageLang(""); // "en"
 * ```
 */
export function pageLang(header: string): Lang {
  let best: Lang = "en";
  let bestQ = 0;
  for (const [i, item] of header.split(",").slice(0, 32).entries()) {
    const [tag, ...params] = item.trim().toLowerCase().split(";");
    const q = Number(params.find((p) => p.trim().startsWith("q="))?.trim().slice(2) ?? 1);
    const lang = tag.startsWith("ko") ? "ko" : tag.startsWith("en") ? "en" : undefined;
    // Earlier entries win ties, as browsers list them in order of preference.
    const score = Number.isFinite(q) ? q - i * 1e-6 : 0;
    if (lang && score > bestQ) {
      best = lang;
      bestQ = score;
    }
  }
  return best;
}

/**
 * Escapes text for HTML content and attribute values.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./web_page.ts";
 * escapeHtml(`<b>"x"&'y'</b>`); // "&lt;b&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/b&gt;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** A host to show in commands: the request's `Host` when it is a plain host name or address. */
function safeHost(host: string | undefined): string | undefined {
  return host && /^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)
    ? host
    : undefined;
}

/** The texts the page's script needs: its own, and how refusals and name problems read. */
function scriptStrings(lang: Lang): Record<string, string> {
  const strings: Record<string, string> = {};
  for (const key of Object.keys(CATALOGS.en) as MessageKey[]) {
    if (/^(web|reject|name)\./.test(key)) strings[key] = translate(lang, key);
  }
  return strings;
}

/** A `<script type="application/json">` body: `<` escaped so nothing can close the element. */
function jsonData(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI","Noto Sans KR","Malgun Gothic",sans-serif;color:#1d232a;background:#f4f6f8}
main{max-width:44rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.2rem 0 .8rem;overflow-wrap:anywhere}
h2{font-size:1.2rem;margin:0 0 .6rem}
section{background:#fff;border-radius:.6rem;padding:1rem;margin:0 0 1rem;box-shadow:0 1px 3px #0002}
.warn{background:#fff4d6;border-left:4px solid #d99a00;padding:.6rem .8rem;border-radius:.3rem;margin:0 0 1rem}
label.field{display:block;margin:0 0 .8rem;font-weight:600}
label.field input{display:block;width:100%;margin-top:.25rem;padding:.55rem;font:inherit;font-weight:400;border:1px solid #9aa5b1;border-radius:.35rem}
.hint{display:block;font-weight:400;font-size:.85rem;color:#52606d}
.drop{border:2px dashed #9aa5b1;border-radius:.6rem;padding:.8rem;margin:0 0 .8rem;text-align:center}
.drop.over{border-color:#1f6feb;background:#eef5ff}
.pick{display:inline-block;margin:.25rem;padding:.5rem .8rem;border-radius:.35rem;background:#e4e9ef;cursor:pointer}
.pick input{display:block;max-width:100%;font-size:.85rem}
.js .pick input{position:absolute;width:1px;height:1px;opacity:0}
button{font:inherit;font-weight:600;padding:.65rem 1.4rem;border:0;border-radius:.35rem;background:#1f6feb;color:#fff;width:100%}
button:disabled{background:#9aa5b1}
.error{color:#b42318;font-weight:600}
ul.files{list-style:none;padding:0;margin:.8rem 0 0}
ul.files li{padding:.5rem 0;border-top:1px solid #e4e9ef;overflow-wrap:anywhere}
progress{width:100%;height:.8rem}
.receipt{font-size:.85rem;color:#2f6f3e}
.refused{font-size:.85rem;color:#b42318}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;background:#eef1f4;border-radius:.25rem}
pre{padding:.6rem;white-space:pre-wrap;overflow-wrap:anywhere}
.sha{overflow-wrap:anywhere;word-break:break-all}
table{border-collapse:collapse;width:100%;font-size:.85rem}
td{padding:.3rem;border-top:1px solid #e4e9ef;vertical-align:top;overflow-wrap:anywhere;word-break:break-all}
a{color:#1f6feb}
`;

/**
 * Renders the upload page for a request.
 *
 * @example
 * ```ts
 * import { renderWebPage } from "./web_page.ts";
 * const html = renderWebPage({
 *   language: "ko",
 *   codeRequired: true,
 *   maxSize: undefined,
 *   downloads: [],
 * });
 * html.includes('<html lang="ko">'); // true
 * ```
 */
export function renderWebPage(request: WebPageRequest): string {
  const lang = pageLang(request.language);
  const t = (key: MessageKey, params: MessageParams = {}) => {
    const safe: MessageParams = {};
    for (const [k, v] of Object.entries(params)) {
      safe[k] = typeof v === "string" ? escapeHtml(v) : v;
    }
    return translate(lang, key, safe);
  };
  const host = safeHost(request.host);
  const code = request.codeRequired
    ? `<label class="field">${t("web.code")}
<input name="code" id="code" required autocomplete="off" autocapitalize="none" spellcheck="false" maxlength="200">
<span class="hint">${t("web.code-hint")}</span></label>`
    : `<p>${t("web.open")}</p>`;
  const maxSize = request.maxSize === undefined
    ? ""
    : `<p class="hint">${t("web.max-size", { size: formatBytes(request.maxSize) })}</p>`;
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sockit</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${t("web.title", { host: host ?? "sockit" })}</h1>
<p class="warn" id="plain-http">${t("web.plain-http")}</p>
<section id="send">
<h2>${t("web.send")}</h2>
<form id="form" method="post" action="/upload" enctype="multipart/form-data">
<label class="field">${t("web.name")}
<input name="name" id="name" required autocomplete="name" maxlength="100">
<span class="hint">${t("web.name-hint")}</span></label>
${code}
<div class="drop" id="drop">
<label class="pick">${t("web.files")}<input type="file" name="files" id="files" multiple></label>
<label class="pick">${
    t("web.folder")
  }<input type="file" name="folder" id="folder" multiple webkitdirectory></label>
<p class="hint">${t("web.drop")}</p>
<p class="hint" id="chosen"></p>
</div>
${maxSize}
<button type="submit" id="submit">${t("web.submit")}</button>
<noscript><p class="hint">${t("web.nojs")}</p></noscript>
</form>
<p class="error" id="error" role="alert"></p>
<div id="overall" hidden><span id="overall-label">${
    t("web.overall")
  }</span> <span id="overall-text"></span>
<progress id="overall-bar" max="1" value="0"></progress></div>
<ul class="files" id="list"></ul>
</section>
${request.outcome ? outcomeSection(request.outcome, t) : ""}
${getSection(request, t, host)}
</main>
<script type="application/json" id="strings">${jsonData(scriptStrings(lang))}</script>
<script src="/page.js"></script>
</body>
</html>
`;
}

type Translate = (key: MessageKey, params?: MessageParams) => string;

/** The result of a no-JavaScript upload. */
function outcomeSection(outcome: WebOutcome, t: Translate): string {
  const rows = [
    ...outcome.receipts.map((r) =>
      `<li data-stored="${escapeHtml(r.stored)}"><b>${
        escapeHtml(r.path)
      }</b><br><span class="receipt sha">${
        t("web.receipt", { stored: r.stored, size: formatBytes(r.size), sha256: r.sha256 })
      }</span></li>`
    ),
    ...outcome.refusals.map((r) => {
      const why = r.code === "wrong-code"
        ? t("web.wrong-code")
        : t("web.refused", { reason: refusalText(r.code, r.problem, t) });
      return `<li${r.path ? "" : ' role="alert"'}>${
        r.path ? `<b>${escapeHtml(r.path)}</b><br>` : ""
      }<span class="refused">${why}</span></li>`;
    }),
  ];
  return `<section id="outcome"><h2>${t("web.results")}</h2><ul class="files">${
    rows.join("\n")
  }</ul></section>`;
}

/** How a refusal reads: the catalog's `reject.<code>` with the name problem, if any. */
function refusalText(code: string, problem: string | undefined, t: Translate): string {
  const key = `reject.${code}`;
  const why = key in CATALOGS.en ? t(key as MessageKey) : code;
  const detail = problem && `name.${problem}` in CATALOGS.en
    ? ` (${t(`name.${problem}` as MessageKey)})`
    : "";
  return why + detail;
}

/** The "Get sockit" section: the single-file program and the executables, with SHA-256. */
function getSection(request: WebPageRequest, t: Translate, host: string | undefined): string {
  const script = request.downloads.find((d) => d.name === "sockit.js");
  const binaries = request.downloads.filter((d) => d !== script);
  const link = (name: string, size: number, sha256: string) =>
    `<a href="/get/${encodeURIComponent(name)}" download>${escapeHtml(name)}</a> (${
      formatBytes(size)
    })<br><span class="sha">SHA-256 ${sha256}</span>`;
  const to = host ? ` --to ${host}` : "";
  const parts = [`<section id="get"><h2>${t("web.get")}</h2><p>${t("web.get-intro")}</p>`];
  if (script) {
    parts.push(
      `<p>${t("web.get-script")}<br>${link(script.name, script.size, script.sha256)}</p>`,
      `<p>${t("web.get-run")}</p><pre id="run">deno run -A sockit.js send FILE${
        escapeHtml(to)
      }</pre>`,
    );
  }
  if (binaries.length > 0) {
    parts.push(
      `<p>${t("web.get-binaries")}</p><ul class="files">${
        binaries.map((b) => `<li>${link(b.name, b.size, b.sha256)}</li>`).join("")
      }</ul>`,
    );
  } else {
    parts.push(`<p>${t("web.get-none")}</p>`);
  }
  parts.push(`<p class="hint">${t("web.get-verify")}</p></section>`);
  return parts.join("\n");
}
