import assert from "node:assert/strict";
import { encodeFrame, encodePreface } from "../lib/transfer/protocol.ts";
import type { Frame } from "../lib/transfer/protocol.ts";
import { ROOT } from "./util.ts";

const TYPES: Record<number, Frame["type"]> = Object.fromEntries(
  [..."HIFDASEVQRX"].map((letter) => [letter.charCodeAt(0), letter as Frame["type"]]),
);

/** Every line of every ```frames block in docs/protocol.md: direction, bytes, JSON. */
function documentedFrames(): { hex: number[]; json?: string; line: string }[] {
  const text = Deno.readTextFileSync(`${ROOT}docs/protocol.md`);
  const blocks = [...text.matchAll(/```frames\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((block) =>
    block.trim().split("\n").map((line) => {
      const match = /^[←→] ((?:[0-9a-f]{2} ?)+)\s*(\{.*\})?$/.exec(line);
      assert.ok(match, `unreadable example line: ${line}`);
      return { hex: match[1].trim().split(" ").map((h) => parseInt(h, 16)), json: match[2], line };
    })
  );
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

Deno.test("docs/protocol.md: the preface example is the real preface", () => {
  const preface = documentedFrames().find((e) => e.json === undefined && e.hex[0] === 0x53);
  assert.deepEqual(preface?.hex, [...encodePreface()]);
});
