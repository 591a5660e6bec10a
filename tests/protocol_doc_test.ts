import assert from "node:assert/strict";
import { encodeFrame, encodePreface } from "../lib/transfer/protocol.ts";
import type { Frame } from "../lib/transfer/protocol.ts";
import { RecordSealer } from "../lib/crypto/records.ts";
import { KeySchedule } from "../lib/crypto/session_keys.ts";
import { concatBytes, ROOT } from "./util.ts";

const TYPES: Record<number, Frame["type"]> = Object.fromEntries(
  [..."HPCIFDASEVQRX"].map((letter) => [letter.charCodeAt(0), letter as Frame["type"]]),
);

const DOC = Deno.readTextFileSync(`${ROOT}docs/protocol.md`);

/** The lines of every ```<kind> block in docs/protocol.md. */
function blockLines(kind: string): string[] {
  const blocks = [...DOC.matchAll(new RegExp("```" + kind + "\\n([\\s\\S]*?)```", "g"))];
  return blocks.flatMap((m) => m[1].trim().split("\n"));
}

/** Every line of every ```frames block: direction, bytes, JSON. */
function documentedFrames(): { hex: number[]; json?: string; line: string }[] {
  return blockLines("frames").map((line) => {
    const match = /^[←→] ((?:[0-9a-f]{2} ?)+)\s*(\{.*\})?$/.exec(line);
    assert.ok(match, `unreadable example line: ${line}`);
    return { hex: match[1].trim().split(" ").map((h) => parseInt(h, 16)), json: match[2], line };
  });
}

Deno.test("docs/protocol.md: every framed example is exactly what encodeFrame produces", () => {
  const examples = documentedFrames().filter((e) => e.json !== undefined);
  assert.ok(examples.length >= 10, "the document shows the frames of a whole session");
  for (const { hex, json, line } of examples) {
    const type = TYPES[hex[0]];
    assert.ok(type, `unknown frame type in: ${line}`);
    const bytes = encodeFrame({ type, ...JSON.parse(json!) } as Frame);
    assert.deepEqual([...bytes.subarray(0, 5)], hex, `header bytes of: ${line}`);
    assert.equal(new TextDecoder().decode(bytes.subarray(5)), json, `payload of: ${line}`);
  }
});

Deno.test("docs/protocol.md: the preface examples are the real preface", () => {
  const prefaces = documentedFrames().filter((e) => e.json === undefined && e.hex[0] === 0x53);
  assert.ok(prefaces.length >= 2);
  for (const preface of prefaces) assert.deepEqual(preface.hex, [...encodePreface()]);
});

/** The plaintext a ```records line says its record carries: frames `T {json}` or raw hex. */
function carried(text: string, line: string): Uint8Array {
  if (text === "") return new Uint8Array(0);
  if (/^([0-9a-f]{2} ?)+$/.test(text)) {
    return Uint8Array.from(text.split(" ").map((h) => parseInt(h, 16)));
  }
  const frames = [...text.matchAll(/([A-Z]) (\{.*?\})(?= [A-Z] \{|$)/g)];
  assert.ok(frames.length > 0, `unreadable record contents: ${line}`);
  assert.equal(frames.map((m) => m[0]).join(" "), text, `unreadable record contents: ${line}`);
  return concatBytes(
    ...frames.map((m) => encodeFrame({ type: m[1], ...JSON.parse(m[2]) } as Frame)),
  );
}

Deno.test("docs/protocol.md: every record header is what the record layer seals", async () => {
  const lines = blockLines("records");
  assert.ok(lines.length >= 10, "the document shows the records of a whole session");
  const schedule = new KeySchedule(crypto.getRandomValues(new Uint8Array(64)), new Uint8Array(0));
  const sealers = {
    "←": new RecordSealer((await schedule.recordKeys("sender")).send),
    "→": new RecordSealer((await schedule.recordKeys("receiver")).send),
  };
  for (const line of lines) {
    const match = /^([←→]) ((?:[0-9a-f]{2} ){12}[0-9a-f]{2})(?: {2}(.*))?$/.exec(line);
    assert.ok(match, `unreadable record line: ${line}`);
    const header = match[2].split(" ").map((h) => parseInt(h, 16));
    const final = header[12] === 1;
    const record = await sealers[match[1] as "←" | "→"].seal(carried(match[3] ?? "", line), {
      final,
    });
    assert.deepEqual([...record.header], header, `header bytes of: ${line}`);
  }
  assert.ok(sealers["←"].finished && sealers["→"].finished, "both directions end with a final");
});
