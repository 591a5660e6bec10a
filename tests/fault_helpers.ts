/**
 * Helpers for the suites that drive a receiver in this process (transfer, raw, fault, resume,
 * hostile and fuzz): a seeded random source, what a receiver's folder holds, a TCP proxy that
 * throttles and cuts connections, and an in-process receiver that records its events. Every
 * wait here has a time limit.
 *
 * @module
 */

import { LOG_FILE_NAME } from "../lib/collect/identity.ts";
import { join } from "node:path";
import { startReceiver } from "../lib/transfer/receiver.ts";
import type { Receiver, ReceiverEvent, ReceiverOptions } from "../lib/transfer/receiver.ts";
import { sendFiles } from "../lib/transfer/sender.ts";
import type { SendEvent, SendOptions, SendResult } from "../lib/transfer/sender.ts";
import { delay, EventLog, sha256Hex, tempDir, within, writeAll } from "./util.ts";

/** A small, fast, seeded random source (mulberry32): numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seed of a suite: `SOCKIT_FAULT_SEED` when set (to replay a failure), else a fresh one.
 * It is printed, so a failing run can be repeated exactly.
 */
export function suiteSeed(suite: string): number {
  const fixed = Deno.env.get("SOCKIT_FAULT_SEED");
  const seed = fixed !== undefined ? Number(fixed) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
  console.log(`${suite}: seed ${seed} (replay with SOCKIT_FAULT_SEED=${seed})`);
  return seed;
}

/** `length` bytes from a seeded random source. */
export function seededBytes(length: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const out = new Uint8Array(length);
  const words = new Uint32Array(out.buffer, 0, Math.floor(length / 4));
  for (let i = 0; i < words.length; i++) words[i] = (random() * 2 ** 32) >>> 0;
  for (let i = words.length * 4; i < length; i++) out[i] = (random() * 256) >>> 0;
  return out;
}

/** Every path under `dir` (relative, `/`-separated, sorted), folders included. */
export async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(folder: string, prefix: string): Promise<void> {
    for await (const entry of Deno.readDir(folder)) {
      const rel = prefix + entry.name;
      out.push(rel);
      if (entry.isDirectory) await walk(join(folder, entry.name), rel + "/");
    }
  }
  await walk(dir, "");
  return out.sort();
}

/**
 * Every path under `root` (relative, `/`-separated) except those in `skip`, with what it is: a
 * file's SHA-256, `folder`, or `link -> TARGET` (links are not followed).
 */
export async function snapshot(root: string, skip: string[] = []): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(folder: string, prefix: string): Promise<void> {
    for await (const entry of Deno.readDir(folder)) {
      const rel = prefix + entry.name;
      const full = join(folder, entry.name);
      if (skip.includes(rel)) continue;
      if (entry.isSymlink) out[rel] = `link -> ${await Deno.readLink(full)}`;
      else if (entry.isDirectory) {
        out[rel] = "folder";
        await walk(full, rel + "/");
      } else out[rel] = sha256Hex(await Deno.readFile(full));
    }
  }
  await walk(root, "");
  return out;
}

/** Files and folders stored under final names in `dir` (everything but `.sockit` and the log). */
export async function finalEntries(dir: string): Promise<string[]> {
  return (await tree(dir)).filter((p) =>
    p !== ".sockit" && !p.startsWith(".sockit/") && p !== LOG_FILE_NAME
  );
}

/** What sockit keeps in `DIR/.sockit`: temporary files and partials. */
export async function internalEntries(dir: string): Promise<string[]> {
  try {
    return (await tree(join(dir, ".sockit"))).sort();
  } catch {
    return [];
  }
}

/** The sizes of the `.part` files kept for a resume in `dir`. */
export async function partSizes(dir: string): Promise<number[]> {
  const sizes: number[] = [];
  for (const name of await internalEntries(dir)) {
    if (!/^partial-[0-9a-f]{32}\.part$/.test(name)) continue;
    const info = await Deno.stat(join(dir, ".sockit", name)).catch(() => null);
    if (info) sizes.push(info.size);
  }
  return sizes;
}

/** Temporary (non-resumable) files left in `DIR/.sockit`. */
export async function tempFiles(dir: string): Promise<string[]> {
  return (await internalEntries(dir)).filter((n) => n.startsWith("tmp-"));
}

/**
 * A receiver running in this process on 127.0.0.1 that records every event, can wait for one,
 * and can send it files through the library.
 */
export class RecordingReceiver extends EventLog<ReceiverEvent> implements AsyncDisposable {
  /** The receiver. */
  receiver!: Receiver;
  #temp?: AsyncDisposable;

  /**
   * Starts a receiver on 127.0.0.1, port 0 unless given, with `options`. Without `dir` it
   * stores into `received` inside a new temporary folder, removed when it is disposed.
   */
  static async start(options: ReceiverOptions = {}): Promise<RecordingReceiver> {
    const self = new RecordingReceiver();
    let dir = options.dir;
    if (dir === undefined) {
      const temp = await tempDir("sockit-receiver-");
      self.#temp = temp;
      dir = join(temp.path, "received");
    }
    try {
      self.receiver = await startReceiver({
        host: "127.0.0.1",
        port: 0,
        ...options,
        dir,
        onEvent: (event) => self.record(event),
      });
    } catch (err) {
      await self.#temp?.[Symbol.asyncDispose]();
      throw err;
    }
    return self;
  }

  /** The port it listens on. */
  get port(): number {
    return this.receiver.addr.port;
  }

  /** The folder it stores into. */
  get dir(): string {
    return this.receiver.dir;
  }

  /**
   * Sends `paths` to this receiver with {@linkcode sendFiles} (bounded; each step of the
   * sender times out after 20 s unless `options` say otherwise), recording the sender's events.
   */
  async send(
    paths: string[],
    options: Partial<SendOptions> = {},
  ): Promise<{ result: SendResult; events: SendEvent[] }> {
    const events: SendEvent[] = [];
    const result = await within(
      60_000,
      sendFiles({
        paths,
        host: "127.0.0.1",
        port: this.port,
        timeoutMs: 20_000,
        ...options,
        onEvent: (event) => {
          // Trace hooks must not keep the bytes they are given: copy them.
          events.push(event.type === "trace" ? { ...event, bytes: event.bytes.slice() } : event);
        },
      }),
      `sending ${paths.join(", ")}`,
    );
    return { result, events };
  }

  /** Stops the receiver (bounded) and removes the temporary folder it made, if any. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await within(10_000, this.receiver.close(), "closing the receiver");
    } finally {
      await this.#temp?.[Symbol.asyncDispose]();
    }
  }
}

/** One connection through a {@linkcode CutProxy}. */
export interface ProxiedConnection {
  /** 0 for the first connection the proxy accepted, then 1, 2, … */
  index: number;
  /** Bytes forwarded from the client (sender) to the target (receiver). */
  up: number;
  /** Bytes forwarded from the target to the client. */
  down: number;
  /** True when the proxy cut this connection on purpose. */
  cut: boolean;
  /** Resolves once both sides are closed. */
  done: Promise<void>;
}

/** Options for {@linkcode CutProxy}. */
export interface CutProxyOptions {
  /** The port forwarded to, on 127.0.0.1. May be changed later with `targetPort`. */
  targetPort: number;
  /** For the connection numbered `index`: cut both sides after this many client bytes. */
  cutAfter?: (index: number) => number | undefined;
  /** For the connection numbered `index`: forward client bytes at most this fast (bytes/s). */
  rate?: (index: number) => number | undefined;
  /** Bytes read from the client at once when throttled. Default 16 KiB. */
  step?: number;
  /** The target's bytes reach the client this many ms late (a long way back). Default 0. */
  latencyMs?: number;
  /**
   * Called after every forward of client bytes; the connection waits while the returned
   * promise is pending (a link that stalls while the test kills a process at a chosen offset).
   */
  onForward?: (connection: ProxiedConnection) => void | Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 that forwards every connection to the target, optionally slowly,
 * and cuts both sides after a chosen number of client bytes (a Wi-Fi drop in the middle of a
 * transfer). When either side closes, so does the other.
 */
export class CutProxy implements AsyncDisposable {
  /** Connections so far. */
  readonly connections: ProxiedConnection[] = [];
  /** Where connections are forwarded. */
  targetPort: number;
  readonly #listener: Deno.TcpListener;
  readonly #options: CutProxyOptions;
  readonly #conns = new Set<Deno.Conn>();
  readonly #loop: Promise<void>;

  /** Starts the proxy on a free port. */
  constructor(options: CutProxyOptions) {
    this.#options = options;
    this.targetPort = options.targetPort;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#loop = this.#accept();
  }

  /** The port the proxy listens on. */
  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  /** Total client bytes forwarded over every connection. */
  get totalUp(): number {
    return this.connections.reduce((sum, c) => sum + c.up, 0);
  }

  async #accept(): Promise<void> {
    for (let index = 0;; index++) {
      let client: Deno.Conn;
      try {
        client = await this.#listener.accept();
      } catch {
        return;
      }
      const record: ProxiedConnection = {
        index,
        up: 0,
        down: 0,
        cut: false,
        done: Promise.resolve(),
      };
      this.connections.push(record);
      record.done = this.#serve(client, record);
    }
  }

  async #serve(client: Deno.Conn, record: ProxiedConnection): Promise<void> {
    this.#conns.add(client);
    let server: Deno.Conn;
    try {
      server = await Deno.connect({ hostname: "127.0.0.1", port: this.targetPort });
    } catch {
      this.#close(client);
      return;
    }
    this.#conns.add(server);
    const closeBoth = () => {
      this.#close(client);
      this.#close(server);
    };
    const cutAt = this.#options.cutAfter?.(record.index);
    const rate = this.#options.rate?.(record.index);
    const up = (async () => {
      const buffer = new Uint8Array(rate ? this.#options.step ?? 16 * 1024 : 64 * 1024);
      const started = performance.now();
      while (true) {
        const n = await client.read(buffer);
        if (n === null) return server.closeWrite();
        let chunk = buffer.subarray(0, n);
        const cutNow = cutAt !== undefined && record.up + n >= cutAt;
        if (cutNow) chunk = chunk.subarray(0, cutAt - record.up);
        await writeAll(server, chunk);
        record.up += chunk.length;
        if (cutNow) {
          record.cut = true;
          return closeBoth();
        }
        await this.#options.onForward?.(record);
        if (rate) {
          const due = (record.up / rate) * 1000 - (performance.now() - started);
          if (due > 0) await delay(due); // the throttle's pace, not a wait for anything
        }
      }
    })().catch(closeBoth);
    const down = (async () => {
      const buffer = new Uint8Array(64 * 1024);
      while (true) {
        const n = await server.read(buffer);
        if (n === null) return client.closeWrite();
        // The link's delay back to the client, not a wait for anything.
        if (this.#options.latencyMs) await delay(this.#options.latencyMs);
        await writeAll(client, buffer.subarray(0, n));
        record.down += n;
      }
    })().catch(closeBoth);
    await Promise.allSettled([up, down]);
    closeBoth();
  }

  #close(conn: Deno.Conn): void {
    this.#conns.delete(conn);
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }

  /** Cuts every open connection at once. */
  cutAll(): void {
    for (const conn of [...this.#conns]) this.#close(conn);
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    this.cutAll();
    await this.#loop;
    await Promise.allSettled(this.connections.map((c) => c.done));
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Parses the `--json` lines a CLI printed. */
export function jsonEvents(lines: readonly string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of lines) {
    if (!line.startsWith("{")) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // Not an event line.
    }
  }
  return out;
}

/** Runs a system command; resolves with its exit code and error output. */
export async function system(cmd: string, args: string[]): Promise<{ code: number; err: string }> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
    return { code: out.code, err: new TextDecoder().decode(out.stderr).trim() };
  } catch (err) {
    return { code: -1, err: String(err) };
  }
}

/**
 * Whether this machine lets the tests mount a small tmpfs (it needs root and a kernel that
 * allows it, e.g. not inside every container). Resolves with null when it does, else why not.
 */
export async function tmpfsUnavailable(): Promise<string | null> {
  if (Deno.build.os !== "linux") return "tmpfs mounts need Linux";
  const probe = await Deno.makeTempDir({ prefix: "sockit-mount-probe-" });
  try {
    const mounted = await system("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe]);
    if (mounted.code !== 0) return `mount -t tmpfs failed: ${mounted.err || mounted.code}`;
    await system("umount", [probe]);
    return null;
  } finally {
    await Deno.remove(probe, { recursive: true }).catch(() => {});
  }
}
