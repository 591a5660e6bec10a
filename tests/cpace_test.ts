/**
 * CPace on ristretto255 with SHA-512 against every value of draft-irtf-cfrg-cpace's test
 * vectors for that suite (generator string, its hash, the generator, both messages, K, the
 * ISK in both settings, the optional session id output, scalar_mult and scalar_mult_vfy with
 * valid and invalid points) and the draft's string-utility vectors; then whole runs with the
 * right and the wrong secret and with identity and invalid shares.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ristretto255 } from "@noble/curves/ed25519.js";
import { bytesToNumberLE } from "@noble/curves/utils.js";
import { sha512 } from "@noble/hashes/sha2.js";
import {
  calculateGenerator,
  computeIsk,
  CPaceParty,
  DSI,
  DSI_ISK,
  generatorString,
  IDENTITY,
  lexicographicallyLarger,
  lvCat,
  oCat,
  prependLen,
  sampleScalar,
  scalarMult,
  scalarMultVfy,
  transcriptIr,
  transcriptOc,
} from "../lib/crypto/cpace.ts";
import { SockitError } from "../lib/core/errors.ts";

const hex = (h: string): Uint8Array =>
  Uint8Array.from(h.replace(/\s+/g, "").match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const range = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);

/** The draft's ristretto255 + SHA-512 vectors, as its embedded JSON lists them. */
const V = {
  PRS: "50617373776F7264",
  DSI: "435061636552697374726574746F323535",
  CI: "0B415F696E69746961746F720B425F726573706F6E646572",
  sid: "7E4B4791D6A8EF019B936C79FB7F2C57",
  generatorString: "11435061636552697374726574746F3235350850617373776F726464" +
    "00".repeat(100) +
    "180B415F696E69746961746F720B425F726573706F6E646572107E4B4791D6A8EF019B936C79FB7F2C57",
  hash: "DA6D3DDC8802FCA9058755FFD3EBDE08A9C2C74945901A258482A288B6663AF0" +
    "6BF645C93CD1C51512307199C80E84908916D983B34AF77205F90851A657EE27",
  g: "222B6B195FE84B1652BADB6F6A3AE3D24341E7306967F0B8115B40D5698C7E56",
  ya: "DA3D23700A9E5699258AEF94DC060DFDA5EBB61F02A5EA77FAD53F4FF0976D08",
  ADa: "414461",
  Ya: "D6BAC480F2C386C394EFC7C47ADB9925DCD2630B64F240C50F8D0EEC482B9157",
  yb: "D2316B454718C35362D83D69DF6320F38578ED5984651435E2949762D900B80D",
  ADb: "414462",
  Yb: "3EA7E0B19560D7C0B0F5734F63B955286DFA8232B5EBE63324E2D9E7433F7258",
  K: "80B69A8A76457AB6A4D7F887A4BF6B55A2F80AC19C333F917A05FC9887C8B40F",
  transcriptIr: "20D6BAC480F2C386C394EFC7C47ADB9925DCD2630B64F240C50F8D0EEC482B9157" +
    "03414461203EA7E0B19560D7C0B0F5734F63B955286DFA8232B5EBE63324E2D9E7433F725803414462",
  DSI_ISK: "435061636552697374726574746F3235355F49534B",
  iskInputIr: "15435061636552697374726574746F3235355F49534B107E4B4791D6" +
    "A8EF019B936C79FB7F2C572080B69A8A76457AB6A4D7F887A4BF6B55" +
    "A2F80AC19C333F917A05FC9887C8B40F20D6BAC480F2C386C394EFC7" +
    "C47ADB9925DCD2630B64F240C50F8D0EEC482B915703414461203EA7" +
    "E0B19560D7C0B0F5734F63B955286DFA8232B5EBE63324E2D9E7433F" +
    "725803414462",
  ISK_IR: "B69EFFBF61B51D56401C0F65601ABE428DE8206FEAAF0E32198896DCAE7B35CD" +
    "2B38950A39DFD5D4A79164614C2984F7DAA460B588C1E80C3FA2068AF7900447",
  transcriptOc: "6F6320D6BAC480F2C386C394EFC7C47ADB9925DCD2630B64F240C50F" +
    "8D0EEC482B915703414461203EA7E0B19560D7C0B0F5734F63B95528" +
    "6DFA8232B5EBE63324E2D9E7433F725803414462",
  ISK_SY: "544199D71F62F8D9A1FEE55727E24FE4A45844593C2B6013C4FA3969D0E5DEBB" +
    "2244675C0B43397CBB68D342B01FC0F98FC961469A25134DE9F0F813C1A57476",
  sidOutputIr: "BB1C449B35F0EA79A65C209F329A693D475E0CE2387BED9FE4B78F60B2A27C21" +
    "9813FB2CFE175EF40D2222D9261E66DA7D78F7C55A303B1B8611DCDFAB880C47",
  sidOutputOc: "10D5941D4933497FE31B9188D690B84465E2A2D158332A7267284A071A8D0876" +
    "FC5C8C329DC735D59A9F8EF6623EE23924704A2F929DD631CA981227EE82FFF2",
  s: "7CD0E075FA7955BA52C02759A6C90DBBFC10E6D40AEA8D283E407D88CF538A05",
  X: "2C3C6B8C4F3800E7AEF6864025B4ED79BD599117E427C41BD47D93D654B4A51C",
  sX: "7C13645FE790A468F62C39BEB7388E541D8405D1ADE69D1778C5FE3E7F6B600E",
  invalidY1: "2B3C6B8C4F3800E7AEF6864025B4ED79BD599117E427C41BD47D93D654B4A51C",
  invalidY2: "0000000000000000000000000000000000000000000000000000000000000000",
};

const eq = (actual: Uint8Array, expected: string, what: string) =>
  assert.equal(toHex(actual), expected.toLowerCase(), what);

const inputs = { prs: hex(V.PRS), ci: hex(V.CI), sid: hex(V.sid) };

Deno.test("cpace vectors: prepend_len", () => {
  eq(prependLen(new Uint8Array(0)), "00", 'prepend_len(b"")');
  eq(prependLen(text("1234")), "0431323334", 'prepend_len(b"1234")');
  eq(prependLen(range(127)), "7f" + toHex(range(127)), "prepend_len(bytes(range(127)))");
  eq(prependLen(range(128)), "8001" + toHex(range(128)), "prepend_len(bytes(range(128)))");
  // Beyond the draft's vectors: LEB128 of 300 is ac 02, of 16384 is 80 80 01.
  eq(prependLen(new Uint8Array(300)).subarray(0, 2), "ac02", "prepend_len(300 bytes)");
  eq(prependLen(new Uint8Array(16384)).subarray(0, 3), "808001", "prepend_len(16384 bytes)");
});

Deno.test("cpace vectors: lv_cat, o_cat, lexicographic order, transcripts", () => {
  eq(lvCat(text("1234"), text("5"), text(""), text("678")), "043132333401350003363738", "lv_cat");
  const larger = (a: number[], b: number[]) =>
    lexicographicallyLarger(Uint8Array.from(a), Uint8Array.from(b));
  assert.equal(larger([0], [0, 0]), false);
  assert.equal(larger([1], [0, 0]), true);
  assert.equal(larger([0, 0], [0]), true);
  assert.equal(larger([0, 0], [1]), false);
  assert.equal(larger([0, 1], [1]), false);
  assert.equal(lexicographicallyLarger(text("ABCD"), text("BCD")), false);
  eq(oCat(text("ABCD"), text("BCD")), "6f6342434441424344", 'o_cat(b"ABCD",b"BCD")');
  eq(oCat(text("BCD"), text("ABCDE")), "6f634243444142434445", 'o_cat(b"BCD",b"ABCDE")');
  eq(
    transcriptIr(text("123"), text("PartyA"), text("234"), text("PartyB")),
    "03313233065061727479410332333406506172747942",
    "transcript_ir 1",
  );
  eq(
    transcriptIr(text("3456"), text("PartyA"), text("2345"), text("PartyB")),
    "043334353606506172747941043233343506506172747942",
    "transcript_ir 2",
  );
  eq(
    transcriptOc(text("123"), text("PartyA"), text("234"), text("PartyB")),
    "6f6303323334065061727479420331323306506172747941",
    "transcript_oc 1",
  );
  eq(
    transcriptOc(text("3456"), text("PartyA"), text("2345"), text("PartyB")),
    "6f63043334353606506172747941043233343506506172747942",
    "transcript_oc 2",
  );
});

Deno.test("cpace vectors: generator string, its hash and the generator", () => {
  eq(DSI, V.DSI, "DSI");
  eq(DSI_ISK, V.DSI_ISK, "DSI_ISK");
  const genStr = generatorString(inputs.prs, inputs.ci, inputs.sid);
  assert.equal(genStr.length, 170);
  eq(genStr, V.generatorString, "generator_string");
  eq(sha512(genStr), V.hash, "hash result");
  eq(calculateGenerator(inputs.prs, inputs.ci, inputs.sid).toBytes(), V.g, "encoded generator g");
  // A PRS longer than a block gets no padding at all.
  const long = new Uint8Array(200).fill(0x61);
  assert.deepEqual(
    generatorString(long, new Uint8Array(0), new Uint8Array(0)),
    lvCat(DSI, long, new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)),
  );
});

Deno.test("cpace vectors: messages from A and B, K, ISK (initiator-responder and symmetric)", () => {
  const ya = bytesToNumberLE(hex(V.ya));
  const yb = bytesToNumberLE(hex(V.yb));
  const g = calculateGenerator(inputs.prs, inputs.ci, inputs.sid);
  eq(scalarMult(ya, g), V.Ya, "Ya");
  eq(scalarMult(yb, g), V.Yb, "Yb");
  const k = scalarMultVfy(ya, hex(V.Yb));
  eq(k, V.K, "scalar_mult_vfy(ya,Yb)");
  eq(scalarMultVfy(yb, hex(V.Ya)), V.K, "scalar_mult_vfy(yb,Ya)");
  const tIr = transcriptIr(hex(V.Ya), hex(V.ADa), hex(V.Yb), hex(V.ADb));
  eq(tIr, V.transcriptIr, "transcript_ir(Ya,ADa,Yb,ADb)");
  eq(new Uint8Array([...lvCat(DSI_ISK, inputs.sid, k), ...tIr]), V.iskInputIr, "ISK input");
  eq(computeIsk(inputs.sid, k, tIr), V.ISK_IR, "ISK (initiator-responder)");
  const tOc = transcriptOc(hex(V.Ya), hex(V.ADa), hex(V.Yb), hex(V.ADb));
  eq(tOc, V.transcriptOc, "transcript_oc(Ya,ADa,Yb,ADb)");
  eq(computeIsk(inputs.sid, k, tOc), V.ISK_SY, "ISK (symmetric)");
  eq(sha512(new Uint8Array([...text("CPaceSidOutput"), ...tIr])), V.sidOutputIr, "sid_output ir");
  eq(sha512(new Uint8Array([...text("CPaceSidOutput"), ...tOc])), V.sidOutputOc, "sid_output oc");
});

Deno.test("cpace vectors: both parties reproduce the messages and the ISK", () => {
  const a = new CPaceParty("initiator", inputs, {
    ad: hex(V.ADa),
    scalar: bytesToNumberLE(hex(V.ya)),
  });
  const b = new CPaceParty("responder", inputs, {
    ad: hex(V.ADb),
    scalar: bytesToNumberLE(hex(V.yb)),
  });
  eq(a.share, V.Ya, "A's message");
  eq(b.share, V.Yb, "B's message");
  eq(a.finish(b.share, b.ad), V.ISK_IR, "A's ISK");
  eq(b.finish(a.share, a.ad), V.ISK_IR, "B's ISK");
});

Deno.test("cpace vectors: scalar_mult and scalar_mult_vfy, valid and invalid points", () => {
  const s = bytesToNumberLE(hex(V.s));
  eq(scalarMult(s, ristretto255.Point.fromBytes(hex(V.X))), V.sX, "scalar_mult(s,decode(X))");
  eq(scalarMultVfy(s, hex(V.X)), V.sX, "scalar_mult_vfy(s,X)");
  eq(scalarMultVfy(s, hex(V.invalidY1)), toHex(IDENTITY), "scalar_mult_vfy(s,Y_i1)");
  eq(scalarMultVfy(s, hex(V.invalidY2)), toHex(IDENTITY), "scalar_mult_vfy(s,Y_i2)");
  // Non-canonical, wrong-length and high-bit encodings are not elements either.
  const high = hex(V.X);
  high[31] |= 0x80;
  eq(scalarMultVfy(s, high), toHex(IDENTITY), "bit 255 set");
  eq(scalarMultVfy(s, hex(V.X).subarray(0, 31)), toHex(IDENTITY), "31 bytes");
  const p = (2n ** 255n - 19n).toString(16).match(/../g)!.reverse().join(""); // p, little endian
  eq(scalarMultVfy(s, hex(p)), toHex(IDENTITY), "the field prime (non-canonical zero)");
});

function refusal(fn: () => unknown): SockitError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SockitError, String(err));
    return err;
  }
  assert.fail("accepted");
}

Deno.test("cpace: identity and invalid shares abort the run", () => {
  for (const bad of [hex(V.invalidY1), hex(V.invalidY2), new Uint8Array(0), new Uint8Array(33)]) {
    const party = new CPaceParty("responder", inputs);
    const err = refusal(() => party.finish(bad));
    assert.equal(err.code, "protocol");
    assert.match(String(err.details.reason), /invalid key share/);
  }
});

Deno.test("cpace: a run finishes once; the scalar is not reused", () => {
  const a = new CPaceParty("initiator", inputs);
  const b = new CPaceParty("responder", inputs);
  a.finish(b.share);
  assert.equal(refusal(() => a.finish(b.share)).code, "protocol");
});

Deno.test("cpace: the same secret gives both sides one key, anything else does not", () => {
  const sid = crypto.getRandomValues(new Uint8Array(32));
  const run = (prsA: string, prsB: string, sidB = sid, ciB = "v2") => {
    const a = new CPaceParty("initiator", { prs: text(prsA), sid, ci: text("v2") });
    const b = new CPaceParty("responder", { prs: text(prsB), sid: sidB, ci: text(ciB) });
    return [a.finish(b.share), b.finish(a.share)];
  };
  const [a1, b1] = run("guitar-ocean-lamp", "guitar-ocean-lamp");
  assert.equal(a1.length, 64);
  assert.deepEqual(a1, b1);
  const [a2, b2] = run("guitar-ocean-lamp", "guitar-ocean-lake");
  assert.notDeepEqual(a2, b2);
  const [a3, b3] = run("guitar-ocean-lamp", "guitar-ocean-lamp", new Uint8Array(32));
  assert.notDeepEqual(a3, b3);
  const [a4, b4] = run("guitar-ocean-lamp", "guitar-ocean-lamp", sid, "v3");
  assert.notDeepEqual(a4, b4);
  // Fresh scalars every run: the same secret and sid never give the same shares or key twice.
  const [a5] = run("guitar-ocean-lamp", "guitar-ocean-lamp");
  assert.notDeepEqual(a1, a5);
});

Deno.test("cpace: sampled scalars have 252 bits at most and are not repeated", () => {
  const seen = new Set<bigint>();
  let top = 0;
  for (let i = 0; i < 2000; i++) {
    const y = sampleScalar();
    assert.ok(y > 0n && y < 2n ** 252n);
    if (y >= 2n ** 251n) top++;
    seen.add(y);
  }
  assert.equal(seen.size, 2000);
  // Bit 251 is set half the time: clearing more than the top four bits would fail this.
  assert.ok(top > 850 && top < 1150, `bit 251 set ${top} of 2000 times`);
});
