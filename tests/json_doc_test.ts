/**
 * docs/json.md lists every `--json` event type and field: checked against the event unions in
 * the source (both ways), and against what the commands really print.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { cliReceiver, ROOT, runCli, spawnCli, tempDir } from "./util.ts";

interface DocSection {
  union: string;
  file: string;
  events: Map<string, Set<string>>;
}

/** The sections of docs/json.md: `### … — \`Union\` (file)` and their tables. */
async function docSections(): Promise<DocSection[]> {
  const text = await Deno.readTextFile(join(ROOT, "docs/json.md"));
  const sections: DocSection[] = [];
  for (const line of text.split("\n")) {
    const heading = /^### .* — `([\w.]+)` \(([\w/.]+)\)$/.exec(line);
    if (heading) {
      sections.push({ union: heading[1], file: heading[2], events: new Map() });
      continue;
    }
    const row = /^\| `([a-z-]+)` +\| ([^|]*)\|/.exec(line);
    if (row && sections.length > 0) {
      const fields = [...row[2].matchAll(/`(\w+)\??`/g)].map((m) => m[1]);
      sections.at(-1)!.events.set(row[1], new Set(["type", ...fields]));
    }
  }
  return sections;
}

/** The text from `start` to the `;` or `}` that closes it at bracket depth 0. */
function block(source: string, start: number, end = ";"): string {
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    const c = source[i];
    if ("({[".includes(c)) depth++;
    else if (")}]".includes(c)) {
      depth--;
      if (depth === 0 && end === "}") return source.slice(start, i + 1);
    } else if (c === ";" && depth === 0 && end === ";") return source.slice(start, i);
  }
  throw new Error(`unclosed block at ${start}`);
}

/** Splits at `sep` where the bracket depth is 0. */
function splitTop(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if ("({[".includes(c)) depth++;
    else if (")}]".includes(c)) depth--;
    else if (c === sep && depth === 0) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** Property names of an object type's body `{ … }` (top level only, comments dropped). */
function properties(body: string): string[] {
  const inner = body.trim().replace(/^\{/, "").replace(/\}$/, "").replace(
    /\/\*\*[\s\S]*?\*\//g,
    "",
  );
  return splitTop(inner.replaceAll("\n", ";"), ";")
    .map((p) => /^(\w+)\??:/.exec(p)?.[1])
    .filter((p): p is string => p !== undefined);
}

/** An interface's properties (with those it extends) and, if it fixes one, its `type`. */
interface InterfaceInfo {
  fields: string[];
  type?: string;
}

/**
 * Interface `name` as seen from `file`: declared there, or imported into it from a relative
 * module.
 */
async function interfaceInfo(file: string, name: string): Promise<InterfaceInfo> {
  const source = await Deno.readTextFile(join(ROOT, file));
  const at = source.search(new RegExp(`export interface ${name}\\b`));
  if (at < 0) {
    const from = new RegExp(`import type \\{[^}]*\\b${name}\\b[^}]*\\} from "(\\./[\\w./]+)"`)
      .exec(source)?.[1];
    assert.ok(from, `interface ${name} in ${file}`);
    return await interfaceInfo(join(dirname(file), from), name);
  }
  const head = /interface \w+(?: extends (\w+))? \{/.exec(source.slice(at))!;
  const body = block(source, at + head.index! + head[0].length - 1, "}");
  const inherited = head[1] ? (await interfaceInfo(file, head[1])).fields : [];
  return {
    fields: [...inherited, ...properties(body)],
    type: /^\s*type: "([a-z-]+)";/m.exec(body)?.[1],
  };
}

/** Every member's fields of a union, by the `type` each member fixes. */
async function unionMembers(file: string, name: string): Promise<Map<string, Set<string>>> {
  const source = await Deno.readTextFile(join(ROOT, file));
  const members = new Map<string, Set<string>>();
  const at = source.search(new RegExp(`export type ${name} =`));
  assert.ok(at >= 0, `type ${name} in ${file}`);
  const union = block(source, at + `export type ${name} =`.length);
  for (const member of splitTop(union, "|")) {
    const fields: string[] = [];
    let type = /type: "([a-z-]+)"/.exec(member)?.[1];
    for (const part of splitTop(member.replace(/^\(|\)$/g, ""), "&")) {
      if (part.startsWith("{")) fields.push(...properties(part));
      else if (/^\w+$/.test(part)) {
        const named = part === "TraceEvent"
          ? { ...await interfaceInfo("lib/net/trace.ts", part), type: "trace" }
          : await interfaceInfo(file, part);
        fields.push(...named.fields);
        type ??= named.type;
      }
    }
    if (type) members.set(type, new Set(fields));
  }
  return members;
}

Deno.test("docs/json.md lists exactly the event types and fields of each event union", async () => {
  const sections = await docSections();
  assert.ok(sections.length >= 6, "sections found");
  for (const section of sections) {
    if (!section.union.includes(".")) {
      const code = await unionMembers(section.file, section.union);
      assert.deepEqual(
        [...section.events.keys()].sort(),
        [...code.keys()].sort(),
        `event types of ${section.union}`,
      );
      for (const [type, fields] of code) {
        assert.deepEqual(
          [...section.events.get(type)!].sort(),
          [...fields].sort(),
          `fields of ${section.union} ${type}`,
        );
      }
    }
  }
  // Every union of events the CLI prints has its section.
  const unions = sections.map((s) => s.union);
  for (
    const union of [
      "SendEvent",
      "ReceiverEvent",
      "AnnouncerEvent",
      "DiscoveryEvent",
      "EchoServerEvent",
      "EchoClientEvent",
      "SpyEvent",
      "Output.error",
    ]
  ) assert.ok(unions.includes(union), union);
});

/** The JSON events of some output. */
function events(stdout: string): Record<string, unknown>[] {
  return stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

Deno.test("docs/json.md documents every event the commands print", async () => {
  const documented = new Map<string, Set<string>>();
  for (const section of await docSections()) {
    for (const [type, fields] of section.events) {
      documented.set(type, new Set([...documented.get(type) ?? [], ...fields]));
    }
  }
  const seen: Record<string, unknown>[] = [];
  await using src = await tempDir();
  await Deno.mkdir(join(src.path, "proj", "empty"), { recursive: true });
  await Deno.mkdir(join(src.path, "proj", ".git"));
  await Deno.writeTextFile(join(src.path, "proj", ".env"), "x\n");
  await Deno.writeTextFile(join(src.path, "proj", "a.txt"), "a\n");
  {
    await using receiver = await cliReceiver({
      globals: ["--json", "--trace"],
      args: ["--no-announce"],
    });
    const sent = await runCli([
      "--json",
      "--trace",
      "send",
      join(src.path, "proj"),
      "--to",
      `127.0.0.1:${receiver.port}`,
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    seen.push(...events(sent.stdout));
    await receiver.proc.stdout.waitFor(/"type":"session-end"/);
    await receiver.proc.stop("SIGINT");
    seen.push(...events(receiver.proc.stdout.text));
  }
  {
    await using server = spawnCli(["--json", "echo-server", "--host", "127.0.0.1", "--port", "0"]);
    const [, port] = await server.stdout.waitFor(/"type":"listening".*:(\d+)"/);
    const echo = await runCli([
      "--json",
      "echo",
      "hi",
      "--count",
      "2",
      "--interval",
      "0",
      "--to",
      `127.0.0.1:${port}`,
    ]);
    assert.equal(echo.code, 0, echo.stderr);
    seen.push(...events(echo.stdout));
    await server.stdout.waitFor(/"type":"disconnected"/);
    await server.stop("SIGINT");
    seen.push(...events(server.stdout.text));
  }
  seen.push(...events((await runCli(["--json", "send", join(src.path, "none")])).stdout));
  const types = new Set(seen.map((e) => String(e.type)));
  for (
    const type of [
      "plan",
      "skipped",
      "hidden",
      "file-done",
      "folder",
      "done",
      "trace",
      "listening",
      "stopped",
      "reply",
      "stats",
      "received",
      "error",
    ]
  ) {
    assert.ok(types.has(type), `the runs printed no ${type} event`);
  }
  for (const event of seen) {
    const fields = documented.get(String(event.type));
    assert.ok(fields, `undocumented event type ${event.type}`);
    for (const key of Object.keys(event)) {
      assert.ok(fields.has(key), `${event.type}.${key} is not in docs/json.md`);
    }
  }
});
