/**
 * A class behind one address (a NAT router, a terminal server, a benchmark playing the class from
 * one namespace): many senders connect at the same moment from an address that is not the
 * receiver's own, so the per-address limits apply (loopback is exempt). Network namespaces that
 * each test creates and removes; root only, skipped with a note in the test names otherwise.
 *
 * @module
 */

import assert from "node:assert/strict";
import { CAN_NETNS, makeLan, NETNS_SKIP_NOTE } from "./netns.ts";
import type { LanHost } from "./netns.ts";
import { peerPath, spawnCli, spawnInNetns, tempDir } from "./util.ts";
import type { BackgroundProcess } from "./util.ts";

function test(name: string, fn: () => Promise<void>): void {
  Deno.test({ name: `burst (netns): ${name}${NETNS_SKIP_NOTE}`, ignore: !CAN_NETNS, fn });
}

/** How many senders start at once: more than the default 8 sessions and 16 openings per address. */
const SENDERS = 24;

/** `sockit --json receive --open --flat` in `host`'s namespace, once it listens, and its port. */
async function receiverIn(
  host: LanHost,
  dir: string,
  args: string[],
): Promise<{ proc: BackgroundProcess; port: number }> {
  const proc = spawnCli(
    [
      "--json",
      "receive",
      "--dir",
      dir,
      "--port",
      "0",
      "--open",
      "--flat",
      "--no-announce",
      ...args,
    ],
    { netns: host.ns, timeoutMs: 60_000 },
  );
  try {
    const [, port] = await proc.stdout.waitFor(/^\{"type":"listening".*"port":(\d+)/);
    return { proc, port: Number(port) };
  } catch (err) {
    await proc.stop("SIGKILL");
    throw err;
  }
}

interface Outcome {
  i: number;
  ok: boolean;
  code?: string;
  busy: number;
}

/** tests/peers/burst_sender.ts in `host`'s namespace: SENDERS senders at once, their outcomes. */
async function burst(host: LanHost, to: LanHost, port: number, dir: string): Promise<Outcome[]> {
  await using peer = spawnInNetns(host.ns, [
    Deno.execPath(),
    "run",
    "-A",
    peerPath("burst_sender.ts"),
    to.address,
    String(port),
    String(SENDERS),
    dir,
  ]);
  const status = await peer.child.status;
  await peer.stdout.done;
  assert.ok(status.success, `the burst ran: ${peer.stderr.text}`);
  return peer.stdout.lines.map((line) => JSON.parse(line) as Outcome);
}

/** Runs a burst of SENDERS against a receiver started with `args`; returns the outcomes. */
async function classBehindOneAddress(args: string[]): Promise<Outcome[]> {
  await using lan = await makeLan(2);
  const [teacher, classroom] = lan.hosts;
  await using received = await tempDir("sockit-burst-received-");
  await using sent = await tempDir("sockit-burst-sent-");
  const { proc, port } = await receiverIn(teacher, received.path, args);
  await using _receiver = proc;
  const outcomes = await burst(classroom, teacher, port, sent.path);
  assert.equal(outcomes.length, SENDERS);
  const failed = outcomes.filter((o) => !o.ok);
  assert.deepEqual(failed, [], "every sender of the burst stored its file");
  const stored = [];
  for await (const entry of Deno.readDir(received.path)) {
    if (entry.name.startsWith("burst-")) stored.push(entry.name);
  }
  assert.equal(stored.length, SENDERS, "each file once, under its own name");
  // Nobody's connection was closed as a surplus opening while the receiver read the prefaces.
  const evicted = proc.stdout.lines.filter((line) => line.includes("unfinished connections"));
  assert.deepEqual(evicted, [], "no opening of the burst was closed");
  return outcomes;
}

test(`${SENDERS} senders at once from one address, --max-per-address 32: all served at once`, async () => {
  const outcomes = await classBehindOneAddress(["--max-per-address", "32"]);
  assert.deepEqual(
    outcomes.filter((o) => o.busy > 0).map((o) => o.i),
    [],
    "nobody was told to wait",
  );
});

test(`${SENDERS} senders at once from one address, default limits: busy, then served`, async () => {
  const outcomes = await classBehindOneAddress([]);
  // 8 sessions per address at once: the others wait for a turn and then get it.
  assert.ok(
    outcomes.filter((o) => o.busy > 0).length >= SENDERS - 8,
    `at least ${SENDERS - 8} were told busy: ${JSON.stringify(outcomes)}`,
  );
});
