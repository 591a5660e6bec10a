/**
 * The upload page's script (served as `/page.js`): remembers the name in `localStorage`,
 * fills the code from the address's fragment (`#code=7-guitar-ocean-lamp`; a fragment never
 * leaves the browser), collects picked and dropped files and folders with their relative
 * paths, checks the code once, then sends each file as a raw body (`PUT /upload`, path and
 * name percent-encoded in headers) with a progress bar per file and overall, and shows the
 * receiver's receipt for each. Its texts come from the page (`#strings`). Without it the form
 * posts the same fields as multipart.
 *
 * @module
 */

/** The script's source; plain browser JavaScript (ES2020), no modules, no dependencies. */
export const WEB_SCRIPT = String.raw`"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const S = JSON.parse($("strings").textContent);
  // As the catalog's translate(): {name}, and {name:one|other} by the number.
  const fill = (text, params) =>
    text.replace(/\{([a-z0-9]+)(?::([^{}|]*)\|([^{}]*))?\}/gi, (whole, k, one, other) => {
      if (!(k in params)) return whole;
      if (one === undefined) return String(params[k]);
      return Number(params[k]) === 1 ? one : other;
    });
  const bytes = (n) => {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(n) : n.toFixed(1)) + " " + units[i];
  };
  const why = (answer) => {
    if (answer.code === "wrong-code") return S["web.wrong-code"];
    const base = S["reject." + answer.code] || answer.message || answer.code;
    const problem = answer.problem && S["name." + answer.problem];
    return problem ? base + " (" + problem + ")" : base;
  };
  document.documentElement.classList.add("js");
  const form = $("form"), name = $("name"), code = $("code"), error = $("error");
  const list = $("list"), overall = $("overall"), bar = $("overall-bar");
  const overallText = $("overall-text"), chosen = $("chosen"), submit = $("submit");
  const drop = $("drop");
  try {
    name.value = localStorage.getItem("sockit.name") || "";
  } catch (_) { /* storage off: the name is typed each time */ }
  const fromFragment = () => {
    const given = new URLSearchParams(location.hash.slice(1)).get("code");
    if (code && given) code.value = given;
  };
  fromFragment();
  addEventListener("hashchange", fromFragment);

  let dropped = [];
  const picked = () => {
    const out = [];
    for (const f of $("files").files) out.push({ file: f, path: f.name });
    for (const f of $("folder").files) out.push({ file: f, path: f.webkitRelativePath || f.name });
    return out.concat(dropped);
  };
  const showChosen = () => {
    const all = picked();
    const total = all.reduce((sum, x) => sum + x.file.size, 0);
    chosen.textContent = all.length ? all.length + " · " + bytes(total) : "";
  };
  $("files").addEventListener("change", showChosen);
  $("folder").addEventListener("change", showChosen);

  const readEntries = (reader) =>
    new Promise((resolve, reject) => reader.readEntries(resolve, reject));
  const walk = async (entry, prefix, out) => {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      out.push({ file, path: prefix + file.name });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (let batch = await readEntries(reader); batch.length; batch = await readEntries(reader)) {
        for (const child of batch) await walk(child, prefix + entry.name + "/", out);
      }
    }
  };
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const entries = [...e.dataTransfer.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry());
    const out = [];
    if (entries.every(Boolean)) {
      for (const entry of entries) await walk(entry, "", out);
    } else {
      for (const f of e.dataTransfer.files) out.push({ file: f, path: f.name });
    }
    dropped = dropped.concat(out);
    showChosen();
  });

  const row = (path) => {
    const li = document.createElement("li");
    const title = document.createElement("b");
    title.textContent = path;
    const progress = document.createElement("progress");
    progress.max = 1;
    progress.value = 0;
    const note = document.createElement("div");
    note.className = "receipt";
    note.textContent = S["web.waiting"];
    li.append(title, progress, note);
    list.append(li);
    return { li, progress, note };
  };

  const request = (method, url, headers, body, onProgress) =>
    new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
      xhr.onload = () => {
        let answer = {};
        try { answer = JSON.parse(xhr.responseText || "{}"); } catch (_) { /* not JSON */ }
        resolve({ status: xhr.status, answer });
      };
      xhr.onerror = () => resolve({ status: 0, answer: {} });
      xhr.send(body);
    });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const files = picked();
    if (!name.value.trim()) { error.textContent = S["web.need-name"]; return; }
    if (!files.length) { error.textContent = S["web.need-files"]; return; }
    try { localStorage.setItem("sockit.name", name.value.trim()); } catch (_) { /* off */ }
    const auth = { "X-Sockit-Name": encodeURIComponent(name.value.trim()) };
    if (code) auth["X-Sockit-Code"] = code.value.trim();
    submit.disabled = true;
    try {
      if (code) {
        const check = await request("POST", "/check", auth, null);
        if (check.status !== 204) {
          error.textContent = why(check.answer);
          return;
        }
      }
      list.textContent = "";
      const total = files.reduce((sum, x) => sum + x.file.size, 0) || 1;
      let done = 0, sent = 0, sentBytes = 0;
      overall.hidden = false;
      $("overall-label").textContent = S["web.overall"];
      const rows = files.map((x) => row(x.path));
      for (let i = 0; i < files.length; i++) {
        const { file, path } = files[i];
        const r = rows[i];
        r.note.textContent = S["web.sending"];
        const headers = Object.assign({
          "X-Sockit-Path": encodeURIComponent(path),
          "Content-Type": "application/octet-stream",
        }, auth);
        const result = await request("PUT", "/upload", headers, file, (loaded) => {
          r.progress.value = file.size ? loaded / file.size : 1;
          bar.value = (done + loaded) / total;
          overallText.textContent = bytes(done + loaded) + " / " + bytes(total);
        });
        done += file.size;
        bar.value = done / total;
        overallText.textContent = bytes(done) + " / " + bytes(total);
        if (result.status === 200) {
          const a = result.answer;
          r.progress.value = 1;
          r.li.dataset.stored = a.stored;
          r.li.dataset.sha256 = a.sha256;
          r.note.className = "receipt sha";
          r.note.textContent = fill(S["web.receipt"], {
            stored: a.stored, size: bytes(a.size), sha256: a.sha256,
          });
          sent++;
          sentBytes += a.size;
        } else {
          r.note.className = "refused";
          r.note.textContent = result.status === 0
            ? fill(S["web.failed"], { reason: S["web.network"] })
            : fill(S["web.refused"], { reason: why(result.answer) });
          // A wrong code, or a name the receiver refuses: the other files would fare the same.
          if (result.status === 403) { error.textContent = why(result.answer); break; }
        }
      }
      $("overall-label").textContent = "";
      overallText.textContent = fill(S["web.done"], { count: sent, size: bytes(sentBytes) });
      dropped = [];
    } finally {
      submit.disabled = false;
    }
  });
})();
`;
