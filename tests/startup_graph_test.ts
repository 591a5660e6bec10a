/**
 * Start-up stays light: `sockit --version` and `sockit send` load only what they use (see
 * docs/performance.md, "Start-up"). Checked on the module graph `deno info` reports, following
 * static value imports only (the modules that load before any code runs), so no timing is
 * involved.
 *
 * @module
 */

import assert from "node:assert/strict";

interface InfoDependency {
  code?: { specifier: string };
  isDynamic?: boolean;
}

/** The modules `entry` loads at once: its static value imports, transitively. */
async function loadedAtStart(entry: string): Promise<string[]> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const info = JSON.parse(new TextDecoder().decode(stdout));
  const modules = new Map<string, { dependencies?: InfoDependency[] }>(
    info.modules.map((m: { specifier: string }) => [m.specifier, m]),
  );
  const seen = new Set<string>();
  const todo: string[] = [...info.roots];
  while (todo.length > 0) {
    const specifier = todo.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of modules.get(specifier)?.dependencies ?? []) {
      if (dep.code && !dep.isDynamic) todo.push(dep.code.specifier);
    }
  }
  const root = new URL("../", import.meta.url).href;
  return [...seen].map((s) => s.startsWith(root) ? s.slice(root.length) : s);
}

/**
 * What neither `--version` nor `send --to` to an open receiver needs. commander is a CommonJS
 * package: loading it loads Deno's CommonJS loader and Node modules, ~15 MiB in every process;
 * `node:fs` alone costs a send about 20 ms of CPU (the receiver's free-space check needs it),
 * `node:crypto` about 10 more (a send of a few files hashes them with WebCrypto).
 */
const HEAVY = [
  /^lib\/web\//,
  /^lib\/spy\/relay\.ts$/,
  /^lib\/discovery\//,
  /^lib\/crypto\//,
  /^lib\/transfer\/(receiver|receive_\w+|pairing|record_conn)\.ts$/,
  /^cli\/(web|web_page|web_script|qr|discover|help|live_region|run_receive|run_spy)\.ts$/,
  /^npm:\/?(string-width|@fastify\/busboy|@noble\/|@scure\/|uqr|commander)/,
  /^node:(fs|crypto)$/,
];

function heavyIn(modules: string[]): string[] {
  return modules.filter((m) => HEAVY.some((pattern) => pattern.test(m)));
}

Deno.test("start-up: main.ts loads no command's modules until the command runs", async () => {
  const modules = await loadedAtStart("main.ts");
  assert.ok(modules.includes("cli/options.ts"), modules.join("\n")); // the walk did follow imports
  assert.deepEqual(heavyIn(modules), []);
  assert.deepEqual(modules.filter((m) => /^cli\/run_/.test(m)), []);
});

Deno.test("start-up: send loads no receiver, web page, spy, discovery or pairing code", async () => {
  const modules = await loadedAtStart("cli/run_send.ts");
  assert.ok(modules.includes("lib/transfer/sender.ts"), modules.join("\n"));
  assert.deepEqual(heavyIn(modules), []);
});

Deno.test("start-up: a receiver loads the web form's parser (busboy) only for an upload", async () => {
  const modules = await loadedAtStart("cli/run_receive.ts");
  assert.ok(modules.includes("lib/web/multipart.ts"), modules.join("\n"));
  assert.deepEqual(modules.filter((m) => /^(npm:\/?@fastify\/busboy|node:stream$)/.test(m)), []);
});
