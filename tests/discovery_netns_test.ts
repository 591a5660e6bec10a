/**
 * Discovery on a real (virtual) LAN: network namespaces on a bridge that each test creates and
 * removes, so multicast and broadcast never touch this machine's own interfaces. Root only:
 * skipped with a note in the test names otherwise.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { LOG_FILE_NAME } from "../lib/collect/identity.ts";
import { beaconName, parseBeacon } from "../lib/discovery/beacon.ts";
import { CAN_NETNS, makeLan, NETNS_SKIP_NOTE } from "./netns.ts";
import type { LanHost } from "./netns.ts";
import {
  background,
  CLI_ENTRY,
  peerPath,
  runCli,
  spawnCli,
  spawnInNetns,
  tempDir,
} from "./util.ts";
import type { BackgroundProcess, CliResult } from "./util.ts";

function test(name: string, fn: () => Promise<void>): void {
  Deno.test({ name: `discovery (netns): ${name}${NETNS_SKIP_NOTE}`, ignore: !CAN_NETNS, fn });
}

/** `sockit receive` in `host`'s namespace, once it announces. Dispose it to stop it. */
async function receiverIn(
  host: LanHost,
  dir: string,
  port: number,
  options: { args?: string[]; env?: Record<string, string> } = {},
): Promise<BackgroundProcess> {
  // Without a code in its environment it runs --open (no code, nameplate null).
  const open = options.env?.SOCKIT_CODE ? [] : ["--open"];
  const receiver = spawnCli(
    // Flat: these tests are about finding the receiver, not where files go inside it.
    ["receive", "--dir", dir, "--port", String(port), "--flat", ...open, ...(options.args ?? [])],
    { netns: host.ns, env: options.env },
  );
  try {
    await receiver.stdout.waitFor(/^Announcing this receiver/);
    return receiver;
  } catch (err) {
    await receiver.stop("SIGKILL");
    throw err;
  }
}

/**
 * tests/peers/discovery_peer.ts in `host`'s namespace: a library receiver on `port` with the code
 * `NAMEPLATE-guitar-ocean-lamp`, announcing `nameplate` and `name`, once it announces. Its
 * stdout has its events as JSON lines, with every byte it received. Dispose it to stop it.
 */
async function peerIn(
  host: LanHost,
  port: number,
  nameplate: number,
  name: string,
  dir: string,
): Promise<BackgroundProcess> {
  const peer = spawnInNetns(host.ns, [
    Deno.execPath(),
    "run",
    "-A",
    peerPath("discovery_peer.ts"),
    String(port),
    String(nameplate),
    name,
    dir,
  ]);
  try {
    await peer.stdout.waitFor(/"type":"announcing"/);
    return peer;
  } catch (err) {
    await peer.stop("SIGKILL");
    throw err;
  }
}

/** A CLI process on a terminal (`script` gives it one); `type` writes to that terminal. */
interface TerminalProcess extends BackgroundProcess {
  type(text: string): Promise<void>;
}

/** Runs `sockit ARGS` on a pseudo-terminal inside `host`'s namespace. Dispose it to kill it. */
function cliOnTerminal(host: LanHost, args: string[]): TerminalProcess {
  const command = [Deno.execPath(), "run", "-A", "--quiet", CLI_ENTRY, ...args]
    .map((word) => `'${word}'`).join(" ");
  const proc = background(
    new Deno.Command("ip", {
      args: ["netns", "exec", host.ns, "script", "-qfec", `exec ${command}`, "/dev/null"],
      env: { LANG: "C.UTF-8", LC_ALL: "", LC_MESSAGES: "", NO_COLOR: "1", TERM: "dumb" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }),
    60_000,
  );
  const writer = proc.child.stdin.getWriter();
  return { ...proc, type: (text) => writer.write(new TextEncoder().encode(text)) };
}

/** `sockit --json receivers` in `host`'s namespace: the final list of receivers heard. */
async function receiversSeenFrom(host: LanHost): Promise<Record<string, unknown>[]> {
  const result = await runCli(["--json", "receivers"], { netns: host.ns });
  const done = result.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line))
    .find((event) => event.type === "discovery-done");
  assert.ok(done, `no discovery-done event:\n${result.stdout}\n${result.stderr}`);
  return done.receivers;
}

async function homework(): Promise<AsyncDisposable & { path: string; file: string }> {
  const src = await tempDir("sockit-disc-src-");
  const file = join(src.path, "숙제.txt");
  await Deno.writeTextFile(file, "found without typing an address\n");
  return { ...src, file };
}

async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.filter((name) => name !== ".sockit" && name !== LOG_FILE_NAME).sort();
}

function assertOneLine(result: CliResult, pattern: RegExp): void {
  assert.equal(result.code, 1, `exit code; stderr:\n${result.stderr}`);
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0], pattern);
}

test("a sender finds the one receiver and says which; an open one must be named with --to", async () => {
  await using lan = await makeLan(2);
  const [a, b] = lan.hosts;
  await using inbox = await tempDir();
  await using src = await homework();
  await using receiver = await receiverIn(a, inbox.path, 7001);

  const seen = await receiversSeenFrom(b);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].host, a.address);
  assert.equal(seen[0].port, 7001);
  assert.equal(seen[0].nameplate, null);
  // Both copies of the beacon arrived: multicast and the subnet broadcast.
  assert.deepEqual([...(seen[0].via as string[])].sort(), ["broadcast", "multicast"]);

  // Found by discovery, a receiver that asks for no code proves nothing: refused before any file.
  const found = await runCli(["send", src.file], { netns: b.ns });
  assert.match(
    found.stdout,
    /^Sending to .+ at 10\.99\.0\.1:7001, the only receiver found on this network\.$/m,
  );
  assertOneLine(
    found,
    /^sockit: The receiver found on the network at 10\.99\.0\.1:7001 asks for no code, .* send with --to 10\.99\.0\.1:7001\.$/,
  );
  assert.deepEqual(await listing(inbox.path), []);
  const named = await runCli(["send", src.file, "--to", `${a.address}:7001`], { netns: b.ns });
  assert.equal(named.code, 0, named.stderr);
  assert.deepEqual(await listing(inbox.path), ["숙제.txt"]);
  // Not a terminal: no QR code.
  assert.doesNotMatch(receiver.stdout.text, /[█▀▄]/);
});

test("two receivers: the sender lists them and stops without a terminal; --to wins", async () => {
  await using lan = await makeLan(3);
  const [a, b, c] = lan.hosts;
  await using inboxA = await tempDir();
  await using inboxB = await tempDir();
  await using src = await homework();
  await using _a = await receiverIn(a, inboxA.path, 7001);
  await using _b = await receiverIn(b, inboxB.path, 7002);

  const ambiguous = await runCli(["send", src.file], { netns: c.ns });
  assertOneLine(ambiguous, /^sockit: Several receivers are announcing on this network: .+/);
  assert.match(ambiguous.stderr, /10\.99\.0\.1:7001/);
  assert.match(ambiguous.stderr, /10\.99\.0\.2:7002/);
  assert.match(ambiguous.stderr, /--to HOST:PORT/);
  assert.deepEqual(await listing(inboxA.path), []);
  assert.deepEqual(await listing(inboxB.path), []);

  const chosen = await runCli(["send", src.file, "--to", `${b.address}:7002`], { netns: c.ns });
  assert.equal(chosen.code, 0, chosen.stderr);
  assert.doesNotMatch(chosen.stdout, /Looking for receivers/);
  assert.deepEqual(await listing(inboxA.path), []);
  assert.deepEqual(await listing(inboxB.path), ["숙제.txt"]);
});

test("two receivers and a terminal: the sender lists them and asks which", async () => {
  await using lan = await makeLan(3);
  const [a, b, c] = lan.hosts;
  await using inboxA = await tempDir();
  await using inboxB = await tempDir();
  await using src = await homework();
  const codes = { 7001: "3-abandon-ability-able", 7002: "4-ability-able-about" };
  await using _a = await receiverIn(a, inboxA.path, 7001, { env: { SOCKIT_CODE: codes[7001] } });
  await using _b = await receiverIn(b, inboxB.path, 7002, { env: { SOCKIT_CODE: codes[7002] } });

  // A name given, so that the terminal is asked which receiver, then that receiver's code.
  await using term = cliOnTerminal(c, ["send", src.file, "--name", "kim"]);
  const [, second] = await term.stdout.waitFor(
    /^ {2}2\. (.+ at 10\.99\.0\.\d:700\d)(?:, code number \d)?\r?$/,
  );
  await term.stdout.waitFor(/^ {2}1\. .+ at 10\.99\.0\.\d:700\d(?:, code number \d)?\r?$/);
  await term.type("0\n");
  await term.stdout.waitFor(/Type a number from 1 to 2/);
  await term.type("2\n");
  await term.stdout.waitFor(new RegExp(`Sending to ${second.replaceAll(".", "\\.")}`));
  // The receiver asks for its code: the prompt ends no line, so the answer is typed at once.
  await term.type(`${second.endsWith(":7001") ? codes[7001] : codes[7002]}\n`);
  await term.stdout.waitFor(/^Done: 1 file, /);
  const chosenInbox = second.endsWith(":7001") ? inboxA.path : inboxB.path;
  const otherInbox = second.endsWith(":7001") ? inboxB.path : inboxA.path;
  assert.deepEqual(await listing(chosenInbox), ["숙제.txt"]);
  assert.deepEqual(await listing(otherInbox), []);
});

test("two receivers with different nameplates: the code's nameplate picks one", async () => {
  await using lan = await makeLan(3);
  const [a, b, c] = lan.hosts;
  await using inboxA = await tempDir();
  await using inboxB = await tempDir();
  await using src = await homework();
  // Library receivers with the codes 7-… and 12-….
  await using _roomA = await peerIn(a, 7001, 7, "room-a", inboxA.path);
  await using _roomB = await peerIn(b, 7002, 12, "room-b", inboxB.path);

  const seen = await receiversSeenFrom(c);
  assert.deepEqual(seen.map((r) => r.nameplate).sort(), [12, 7]);

  const send = (code?: string) =>
    runCli(["send", src.file], { netns: c.ns, env: code ? { SOCKIT_CODE: code } : {} });
  const ambiguous = await send();
  assertOneLine(ambiguous, /room-a at 10\.99\.0\.1:7001, code number 7/);
  assert.match(ambiguous.stderr, /room-b at 10\.99\.0\.2:7002, code number 12/);

  const picked = await send("12-guitar-ocean-lamp");
  assert.equal(picked.code, 0, picked.stderr);
  assert.match(
    picked.stdout,
    /^Sending to room-b at 10\.99\.0\.2:7002, code number 12, the receiver with the code's number\.$/m,
  );
  assert.deepEqual(await listing(inboxA.path), []);
  assert.deepEqual(await listing(inboxB.path), ["숙제.txt"]);

  const unknown = await send("99-guitar-ocean-lamp");
  assertOneLine(unknown, /^sockit: No receiver on this network announces the code's number 99 /);
  const typo = await send("12-guitra-ocean-lamp");
  assert.equal(typo.code, 1);
  assert.doesNotMatch(typo.stdout, /Looking for receivers/);
  assert.doesNotMatch(typo.stderr, /guitra/);
});

/** The real receiver's code in the impostor tests; its words must never reach the impostor. */
const REAL_CODE = "7-rocket-violin-zebra";
const SECRETS = [REAL_CODE, "rocket", "violin", "zebra"];

function assertNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) {
    assert.ok(!text.toLowerCase().includes(secret), `"${secret}" in ${where}:\n${text}`);
  }
}

/**
 * Checks what the impostor (a {@linkcode peerIn}) went through once it refused the sender's
 * pairing: it received the sender's handshake but not a word of the code, and stored nothing.
 */
async function assertImpostorLearnedNothing(impostor: BackgroundProcess, dir: string) {
  await impostor.stdout.waitFor(/"code":"wrong-code"/);
  assertNoSecret(impostor.stdout.text, "the impostor's events");
  const received = impostor.stdout.lines.map((line) => JSON.parse(line))
    .filter((event) => event.type === "trace" && event.direction === "received")
    .flatMap((event) => (event.bytes as string).split(" ").map((h) => parseInt(h, 16)));
  const wire = new TextDecoder("latin1").decode(Uint8Array.from(received));
  // The sender did talk to it: the preface, its pairing frame (P) and its confirmation (C).
  assert.match(wire, /^SKIT[\s\S]*P[\s\S]*"nonce"[\s\S]*C[\s\S]*"confirm"/);
  assertNoSecret(wire, "the bytes the impostor received");
  // Not a file anywhere in its folder (the receiver's own .sockit folder for partial files is
  // made at start, and stays empty).
  const files: string[] = [];
  const walk = async (path: string) => {
    for await (const entry of Deno.readDir(path)) {
      if (entry.isDirectory) await walk(join(path, entry.name));
      else files.push(join(path, entry.name));
    }
  };
  await walk(dir);
  assert.deepEqual(files, [], "files in the impostor's folder");
}

test("a fake beacon with the receiver's number points at an impostor: the pairing fails, no word leaks", async () => {
  await using lan = await makeLan(3);
  const [a, b, c] = lan.hosts;
  await using inbox = await tempDir();
  await using decoy = await tempDir();
  await using src = await homework();
  await using _real = await receiverIn(a, inbox.path, 7001, { env: { SOCKIT_CODE: REAL_CODE } });
  // The real receiver's beacons do not reach C; an impostor's do, with the real code's number and
  // the real receiver's name (its host name), pointing at the impostor, which has another code.
  await lan.run(c, [
    "iptables",
    "-A",
    "INPUT",
    "-s",
    a.address,
    "-p",
    "udp",
    "--dport",
    "6000",
    "-j",
    "DROP",
  ]);
  const name = beaconName(Deno.hostname());
  await using impostor = await peerIn(b, 7001, 7, name, decoy.path);

  const fooled = await runCli(["send", src.file], { netns: c.ns, env: { SOCKIT_CODE: REAL_CODE } });
  assert.ok(
    fooled.stdout.includes(
      `Sending to ${name} at 10.99.0.2:7001, code number 7, the receiver with the code's number.`,
    ),
    fooled.stdout,
  );
  assertOneLine(fooled, /^sockit: The code does not match — check it with the person receiving\.$/);
  assertNoSecret(fooled.stdout + fooled.stderr, "the sender's output");
  await assertImpostorLearnedNothing(impostor, decoy.path);
  assert.deepEqual(await listing(inbox.path), []);

  // The code was right: given the real receiver's address, the same sender delivers.
  const direct = await runCli(["send", src.file, "--to", `${a.address}:7001`], {
    netns: c.ns,
    env: { SOCKIT_CODE: REAL_CODE },
  });
  assert.equal(direct.code, 0, direct.stderr);
  assert.deepEqual(await listing(inbox.path), ["숙제.txt"]);
});

test("the real and a fake beacon with the same number: the sender takes the first it hears", async () => {
  await using lan = await makeLan(3);
  const [a, b, c] = lan.hosts;
  await using inbox = await tempDir();
  await using decoy = await tempDir();
  await using src = await homework();
  await using _real = await receiverIn(a, inbox.path, 7001, { env: { SOCKIT_CODE: REAL_CODE } });
  const name = beaconName(Deno.hostname());
  await using impostor = await peerIn(b, 7001, 7, name, decoy.path);

  // Listed, the two look alike but for their addresses.
  const seen = await receiversSeenFrom(c);
  assert.deepEqual(seen.map((r) => [r.host, r.port, r.nameplate, r.name]).sort(), [
    [a.address, 7001, 7, name],
    [b.address, 7001, 7, name],
  ]);

  // A sender with the code stops listening at the first beacon with the code's number and sends
  // there: it neither lists the two nor asks. Which beacon comes first is chance (each receiver
  // announces every ~2 s); the test above fixes the impostor first.
  const sent = await runCli(["--json", "send", src.file], {
    netns: c.ns,
    env: { SOCKIT_CODE: REAL_CODE },
  });
  const events = sent.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line));
  const heard = events.filter((e) => e.type === "receiver-found").map((e) => e.receiver);
  const done = events.find((e) => e.type === "discovery-done");
  const chosen = events.find((e) => e.type === "receiver-chosen");
  assert.equal(heard.length, 1, sent.stdout);
  assert.deepEqual(done?.receivers, heard);
  assert.equal(chosen?.reason, "nameplate");
  assert.deepEqual(chosen?.receiver, heard[0]);
  assert.doesNotMatch(sent.stderr, /Several receivers/);
  assertNoSecret(sent.stdout + sent.stderr, "the sender's output");
  if (heard[0].host === a.address) {
    assert.equal(sent.code, 0, sent.stderr);
    assert.deepEqual(await listing(inbox.path), ["숙제.txt"]);
    assert.doesNotMatch(impostor.stdout.text, /"direction":"received"/);
  } else {
    assert.equal(heard[0].host, b.address);
    assertOneLine(sent, /The code does not match — check it with the person receiving\.$/);
    await assertImpostorLearnedNothing(impostor, decoy.path);
    assert.deepEqual(await listing(inbox.path), []);
  }
});

test("multicast dropped: broadcast still finds the receiver", async () => {
  await using lan = await makeLan(2);
  const [a, b] = lan.hosts;
  await lan.run(b, ["iptables", "-A", "INPUT", "-d", "224.0.0.0/4", "-j", "DROP"]);
  await using inbox = await tempDir();
  await using src = await homework();
  const env = { SOCKIT_CODE: "5-abandon-ability-able" };
  await using _receiver = await receiverIn(a, inbox.path, 7001, { env });

  const seen = await receiversSeenFrom(b);
  assert.equal(seen.length, 1);
  assert.deepEqual(seen[0].via, ["broadcast"]);
  const sent = await runCli(["send", src.file], { netns: b.ns, env });
  assert.equal(sent.code, 0, sent.stderr);
  assert.deepEqual(await listing(inbox.path), ["숙제.txt"]);
});

test("multicast and broadcast dropped: one clear message, and --to still works", async () => {
  await using lan = await makeLan(2);
  const [a, b] = lan.hosts;
  await lan.run(b, ["iptables", "-A", "INPUT", "-d", "224.0.0.0/4", "-j", "DROP"]);
  await lan.run(b, [
    "iptables",
    "-A",
    "INPUT",
    "-m",
    "pkttype",
    "--pkt-type",
    "broadcast",
    "-j",
    "DROP",
  ]);
  await using inbox = await tempDir();
  await using src = await homework();
  await using _receiver = await receiverIn(a, inbox.path, 7001);

  const lost = await runCli(["send", src.file], { netns: b.ns });
  assertOneLine(
    lost,
    /^sockit: Discovery found no sockit receiver on this network within 3 s\. Give the receiver's address with --to HOST .*this computer's firewall lets sockit receive on UDP port 6000.*isolate clients or drop multicast/,
  );
  assert.deepEqual(await listing(inbox.path), []);
  const listed = await runCli(["receivers"], { netns: b.ns });
  assertOneLine(listed, /Discovery found no sockit receiver/);

  const direct = await runCli(["send", src.file, "--to", a.address + ":7001"], { netns: b.ns });
  assert.equal(direct.code, 0, direct.stderr);
  assert.deepEqual(await listing(inbox.path), ["숙제.txt"]);
});

test("beacons that cannot leave are reported, once per interface and way", async () => {
  await using lan = await makeLan(1);
  const [a] = lan.hosts;
  await lan.run(a, ["iptables", "-A", "OUTPUT", "-p", "udp", "--dport", "6000", "-j", "DROP"]);
  await using inbox = await tempDir();
  await using receiver = spawnCli(["--json", "receive", "--dir", inbox.path, "--port", "7001"], {
    netns: a.ns,
  });
  await receiver.stdout.waitFor(/"type":"announce-failed".*"via":"multicast"/);
  await receiver.stdout.waitFor(/"type":"announce-failed".*"via":"broadcast"/);
  // Listening 3 s on the same machine hears nothing, and lets the receiver try again.
  const listed = await runCli(["receivers"], { netns: a.ns });
  assertOneLine(listed, /Discovery found no sockit receiver/);
  const status = await receiver.stop("SIGINT");
  assert.equal(status.code, 0, receiver.stderr.text);
  const events = receiver.stdout.lines.map((line) => JSON.parse(line));
  const stopped = events.find((e) => e.type === "announce-stopped");
  assert.ok(stopped?.rounds >= 2, `rounds: ${stopped?.rounds}`);
  const failures = events.filter((e) => e.type === "announce-failed");
  assert.deepEqual(failures.map((e) => [e.address, e.via]).sort(), [
    ["10.99.0.1", "broadcast"],
    ["10.99.0.1", "multicast"],
  ]);
});

test("--no-announce sends no beacon; a missing file is said before listening", async () => {
  await using lan = await makeLan(2);
  const [a, b] = lan.hosts;
  await using inbox = await tempDir();
  await using quiet = spawnCli(
    ["receive", "--dir", inbox.path, "--port", "7001", "--no-announce"],
    { netns: a.ns },
  );
  await quiet.stdout.waitFor(/^Receiving files into/);
  const listed = await runCli(["receivers"], { netns: b.ns });
  assertOneLine(listed, /Discovery found no sockit receiver/);
  assert.doesNotMatch(quiet.stdout.text, /Announcing/);

  const missing = await runCli(["send", "no-such-file.txt"], { netns: b.ns });
  assert.equal(missing.code, 1);
  assert.doesNotMatch(missing.stdout, /Looking for receivers/);
  assert.match(missing.stderr, /no-such-file\.txt does not exist/);
});

test("beacons on the wire: the documented fields only, the same with or without a code", async () => {
  await using lan = await makeLan(3);
  const [a, b, c] = lan.hosts;
  await using inboxA = await tempDir();
  await using inboxB = await tempDir();
  // A receives with a code in its environment, B with --open; the beacons must not differ but
  // by their random id and the nameplate (the code's number, or null): never the words.
  const code = "7-guitar-ocean-lamp";
  await using _a = await receiverIn(a, inboxA.path, 7001, { env: { SOCKIT_CODE: code } });
  await using _b = await receiverIn(b, inboxB.path, 7001);
  // Twelve datagrams take three rounds of both receivers' two copies: each is among them.
  await using capture = spawnInNetns(c.ns, [
    "python3",
    "-u",
    peerPath("beacon_capture.py"),
    "--iface",
    c.address,
    "--count",
    "12",
  ]);
  const status = await capture.child.status;
  assert.ok(status.success, `capture failed:\n${capture.stderr.text}`);

  const datagrams = capture.stdout.lines.filter((line) => line !== "READY").map((line) => {
    const [source, hex] = line.split(" ");
    const bytes = new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
    return { source, bytes, text: new TextDecoder().decode(bytes) };
  });
  assert.equal(datagrams.length, 12);
  const bySource = new Map<string, Set<string>>();
  for (const { source, bytes, text } of datagrams) {
    for (const secret of ["guitar", "ocean", "lamp", code]) {
      assert.ok(!text.toLowerCase().includes(secret), `${secret} in ${text}`);
    }
    const beacon = parseBeacon(bytes);
    const { id: _id, via: _via, nameplate, ...rest } = beacon;
    assert.equal(nameplate, source === a.address ? 7 : null);
    const shapes = bySource.get(source) ?? new Set();
    shapes.add(JSON.stringify(rest));
    bySource.set(source, shapes);
  }
  const withCode = [...bySource.get(a.address) ?? []];
  const without = [...bySource.get(b.address) ?? []];
  assert.equal(withCode.length, 1, [...bySource.keys()].join(", "));
  assert.deepEqual(withCode, without);
});

test("the QR code of the address (the web page's with its code) shows on a terminal only, and not with --no-qr or --json", async () => {
  await using lan = await makeLan(1);
  const [a] = lan.hosts;
  await using inbox = await tempDir();
  /** Runs `sockit receive ARGS` on a terminal (`script` gives it one), stops it with Ctrl+C. */
  /** Runs `sockit receive ARGS` on a terminal, stops it with Ctrl+C, returns what it showed. */
  const onTerminal = async (args: string[], ready: RegExp): Promise<string> => {
    await using term = cliOnTerminal(a, [
      "receive",
      "--dir",
      inbox.path,
      "--port",
      "7001",
      ...args,
    ]);
    await term.stdout.waitFor(ready);
    await term.type("\x03"); // Ctrl+C
    await term.stdout.waitFor(/Receiver stopped|"type":"stopped"/);
    return term.stdout.text;
  };

  // With the web page (the default) the QR code is the page's address with the code.
  for (
    const [args, text] of [
      [[], /Scan for the address http:\/\/10\.99\.0\.1:7001\/#code=\d+(-[a-z]+){3}:/],
      [["--no-web"], /Scan for the address 10\.99\.0\.1:7001:/],
    ] as const
  ) {
    const shown = await onTerminal([...args], /^▀+\r?$/);
    assert.match(shown, text);
    const qr = shown.split("\n").filter((line) => /^[█▀▄ ]+\r?$/.test(line));
    assert.ok(qr.length >= 11 && qr.length <= 21, `${qr.length} QR lines`);
    assert.ok(qr.every((line) => [...line.trimEnd()].length <= 41));
  }

  const hidden = await onTerminal(["--no-qr"], /^Announcing/);
  assert.doesNotMatch(hidden, /[█▀▄]|Scan for/);
  const json = await onTerminal(["--json"], /"type":"announcing"/);
  assert.doesNotMatch(json, /[█▀▄]|Scan for/);
});
