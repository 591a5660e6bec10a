/**
 * The arena the abuse suites (`transfer_raw_test.ts`, `hostile_test.ts`) share: a receiver in
 * this process whose folder sits deep inside a temporary root next to a folder `outside`, raw
 * peers that poke it, the answers each abuse must get, and the checks that follow every abuse:
 * nothing outside DIR changed, DIR holds exactly what it should, and its working folder holds
 * only the partials the resume policy keeps.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { SockitError } from "../lib/core/errors.ts";
import { PartialStore } from "../lib/transfer/partials.ts";
import type { PartialSource } from "../lib/transfer/partials.ts";
import type { ErrorFrame, ReceiverFrame, RejectCode } from "../lib/transfer/protocol.ts";
import type { ReceiverEvent, ReceiverOptions } from "../lib/transfer/receiver.ts";
import { finalEntries, internalEntries, RecordingReceiver, snapshot } from "./fault_helpers.ts";
import { RawPeer } from "./raw_peer.ts";
import { randomBytes, tempDir, within } from "./util.ts";

/** What a peer got back: the receiver's frames, and whether the receiver closed. */
export interface Outcome {
  /** The frames, in order. */
  frames: ReceiverFrame[];
  /** True when the receiver closed the connection (cleanly or with a reset). */
  closed: boolean;
}

/** Reads the receiver's frames until it closes or `ms` pass. */
export async function collect(peer: RawPeer, ms = 4000): Promise<Outcome> {
  const frames: ReceiverFrame[] = [];
  const deadline = performance.now() + ms;
  while (true) {
    const left = deadline - performance.now();
    if (left <= 0) return { frames, closed: false };
    try {
      frames.push(await within(left, peer.frame(), "an answer"));
    } catch (err) {
      if (err instanceof SockitError && ["closed-early", "connection-reset"].includes(err.code)) {
        return { frames, closed: true };
      }
      if (err instanceof Error && err.message.startsWith("timed out")) {
        return { frames, closed: false };
      }
      throw err;
    }
  }
}

/**
 * A receiver whose DIR sits four folders deep inside a temporary root (so `..` traversals
 * would land inside the root, where the snapshot sees them), next to a folder `outside` with
 * a file a symbolic link may point at. Tracks the raw peers it opened; dispose it to close them,
 * stop the receiver and remove the root.
 */
export class Arena implements AsyncDisposable {
  /** Everything outside DIR when {@linkcode Arena.freeze} was called. */
  before: Record<string, string> = {};
  /** Every raw peer opened through the arena. */
  readonly peers: RawPeer[] = [];

  private constructor(
    readonly receiver: RecordingReceiver,
    readonly root: string,
    readonly dir: string,
    readonly outside: string,
  ) {}

  /** Starts the receiver with `options` (its `dir` is the arena's own). */
  static async start(options: ReceiverOptions = {}): Promise<Arena> {
    const root = await Deno.makeTempDir({ prefix: "sockit-arena-" });
    const dir = join(root, "l1", "l2", "l3", "received");
    const outside = join(root, "outside");
    try {
      await Deno.mkdir(dir, { recursive: true });
      await Deno.mkdir(outside);
      await Deno.writeTextFile(join(outside, "target.txt"), "outside, keep me\n");
      // Every refusal is checked here, so none is held back (tests/limits_test.ts tests that).
      const receiver = await RecordingReceiver.start({ maxLogRate: Infinity, ...options, dir });
      return new Arena(receiver, root, dir, outside);
    } catch (err) {
      await Deno.remove(root, { recursive: true }).catch(() => {});
      throw err;
    }
  }

  /** The receiver's port. */
  get port(): number {
    return this.receiver.port;
  }

  /** Every event the receiver reported so far. */
  get events(): ReceiverEvent[] {
    return this.receiver.events;
  }

  /** A raw connection, no preface; reads fail after 8 s of silence. */
  async connect(): Promise<RawPeer> {
    const peer = await RawPeer.connect(this.port, "127.0.0.1", 8000);
    this.peers.push(peer);
    return peer;
  }

  /** A connection after the opening (preface out, hello back). */
  async open(): Promise<RawPeer> {
    const peer = await RawPeer.open(this.port);
    this.peers.push(peer);
    return peer;
  }

  /** Writes, ignoring a receiver that already closed. */
  async send(peer: RawPeer, data: Uint8Array): Promise<void> {
    await peer.send(data).catch(() => {});
  }

  /** The receiver must answer an `X` with `code` (after any `R`s), close, and log why. */
  async expectX(peer: RawPeer, code: RejectCode, ms = 4000): Promise<ErrorFrame> {
    const outcome = await collect(peer, ms);
    const last = outcome.frames.at(-1);
    assert.ok(last?.type === "X", `expected X ${code}, got ${JSON.stringify(outcome)}`);
    assert.equal(last.code, code);
    assert.ok(last.message.length > 0, "with a reason");
    assert.ok(outcome.closed, "and the receiver closes");
    await this.logged(peer);
    return last;
  }

  /** The receiver must refuse the file with `R code`, log it, and go on (the peer then quits). */
  async expectR(peer: RawPeer, code: RejectCode): Promise<void> {
    const answer = await within(4000, peer.frame(), "the refusal");
    assert.ok(answer.type === "R", `expected R ${code}, got ${JSON.stringify(answer)}`);
    assert.equal(answer.code, code);
    assert.ok(answer.message.length > 0);
    assert.ok(
      this.events.some((e) => e.type === "file-rejected" && e.peer === peer.name),
      "the receiver logs the refusal",
    );
    await peer.sendFrame({ type: "Q" });
    await peer.wire.closeWrite();
    assert.deepEqual(
      await collect(peer),
      { frames: [{ type: "Q", files: 0, bytes: 0 }], closed: true },
      "a clean end",
    );
  }

  /** The protocol has no answer here (classic, or the peer left): a clean close, logged. */
  async expectClose(peer: RawPeer, logged = true): Promise<void> {
    const outcome = await collect(peer);
    assert.deepEqual(outcome.frames, [], "no frame where the protocol has none");
    assert.ok(outcome.closed, "the receiver closes");
    if (logged) await this.logged(peer);
  }

  /** The receiver logged why this peer's session ended, with a reason; returns that event. */
  async logged(peer: RawPeer): Promise<Extract<ReceiverEvent, { type: "session-error" }>> {
    const event = await this.receiver.waitFor(
      (e) => e.type === "session-error" && e.peer === peer.name,
      5000,
      `the session error of ${peer.name}`,
    );
    assert.ok(event.type === "session-error" && event.reason.length > 0);
    return event;
  }

  /** Waits until the receiver is done with `peer`'s connection (ended well or not). */
  sessionOver(peer: RawPeer): Promise<ReceiverEvent> {
    return this.receiver.waitFor(
      (e) => (e.type === "session-end" || e.type === "session-error") && e.peer === peer.name,
      10_000,
      `the end of ${peer.name}`,
    );
  }

  /** Takes the snapshot of everything outside DIR (call after any setup inside the root). */
  async freeze(): Promise<void> {
    this.before = await snapshot(this.root, [this.#dirInRoot]);
  }

  get #dirInRoot(): string {
    return this.dir.slice(this.root.length + 1);
  }

  /**
   * Nothing outside DIR changed, DIR holds exactly `expected` (files and folders, relative), and
   * its working folder holds no temporary file: only the resumable partials of `partials`.
   */
  async check(expected: string[], partials: PartialSource[] = []): Promise<void> {
    assert.deepEqual(await snapshot(this.root, [this.#dirInRoot]), this.before, "outside DIR");
    assert.deepEqual(await finalEntries(this.dir), [...expected].sort(), "inside DIR");
    const kept = partials.flatMap((source) => {
      const key = PartialStore.key(source);
      return [`partial-${key}.json`, `partial-${key}.part`];
    });
    assert.deepEqual(await internalEntries(this.dir), kept.sort(), "left in DIR/.sockit");
  }

  /** Checks the kept partial of `source` holds at most `most` bytes and describes `source`. */
  async checkPartial(source: PartialSource, most: number): Promise<void> {
    const base = join(this.dir, ".sockit", `partial-${PartialStore.key(source)}`);
    const size = (await Deno.stat(`${base}.part`)).size;
    assert.ok(size <= most, `partial of ${size} bytes, at most ${most} arrived`);
    const meta = JSON.parse(await Deno.readTextFile(`${base}.json`));
    assert.deepEqual([meta.path, meta.size, meta.mtime], [source.path, source.size, source.mtime]);
  }

  /** An honest sender through the library: sends one file and checks it was stored. */
  async honestSend(name: string): Promise<string> {
    await using src = await tempDir();
    const bytes = randomBytes(20_000);
    await Deno.writeFile(join(src.path, name), bytes);
    const { result } = await this.receiver.send([join(src.path, name)], {
      retries: 0,
      timeoutMs: 5000,
    });
    assert.equal(result.files, 1, "the receiver still serves");
    assert.deepEqual(await Deno.readFile(join(this.dir, name)), bytes);
    return name;
  }

  /** Closes every peer, stops the receiver and removes the root. */
  async [Symbol.asyncDispose](): Promise<void> {
    for (const peer of this.peers) peer.close();
    try {
      await this.receiver[Symbol.asyncDispose]();
    } finally {
      await Deno.remove(this.root, { recursive: true }).catch(() => {});
    }
  }
}
