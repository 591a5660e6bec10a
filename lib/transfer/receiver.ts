/**
 * The receiver (`sockit receive`): accepts any number of senders at once, speaking the sockit
 * protocol or the lesson's classic one on the same port, and stores every file verified and
 * under a name that never clobbers another.
 *
 * @module
 */

import { resolve } from "node:path";
import { formatAddr, reachableAddresses } from "../net/address.ts";
import { SockitError, toSockitError } from "../core/errors.ts";
import type { ErrorCode } from "../core/errors.ts";
import { listen } from "../net/socket.ts";
import { serveConnections, stopOnce } from "../net/server.ts";
import { isClassicStart, ProtocolError } from "./protocol.ts";
import type { RefusalProblem, RejectCode } from "./protocol.ts";
import { PartialStore } from "./partials.ts";
import { openTemp } from "./storage.ts";
import type { TraceEvent } from "../net/trace.ts";
import type { Wire } from "../net/wire.ts";
import { Opening, reasonOf, ReceiverContext } from "./receive_context.ts";
import { ClassicConnection } from "./receive_classic.ts";
import type { PairingCode } from "../crypto/code.ts";
import type { GuessLimits } from "./pairing.ts";
import { SockitConnection } from "./receive_sockit.ts";
import { SenderDirectory, SenderRefusal } from "../collect/senders.ts";
import type { Roster } from "../collect/roster.ts";
import { CollectLog } from "../collect/log.ts";
import { logRowOf } from "../collect/record.ts";
import { WebConnection } from "./receive_web.ts";
import type { WebOptions } from "./receive_web.ts";
import { isHttpStart } from "../web/http.ts";

/**
 * Options for {@linkcode startReceiver}.
 *
 * @example
 * ```ts
 * import { startReceiver } from "./receiver.ts";
 * import type { ReceiverOptions } from "./receiver.ts";
 * const options: ReceiverOptions = { dir: await Deno.makeTempDir(), port: 0, maxSize: 50_000_000 };
 * const receiver = await startReceiver(options);
 * await receiver.close();
 * ```
 */
export interface ReceiverOptions {
  /** Folder files are stored in; created if missing. Default `./received`. */
  dir?: string;
  /** Address to listen on. Default `0.0.0.0`. */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 6000. */
  port?: number;
  /** Replace existing files instead of numbering new ones. Default false. */
  overwrite?: boolean;
  /** Largest file accepted, in bytes. Default: no limit. */
  maxSize?: number;
  /**
   * Space always left free on the receiving disk: a file whose remaining bytes do not fit
   * beside this margin (and beside what transfers under way may still write) is refused as
   * `disk-full` before any byte travels. Default: 64 MiB, or 1% of a disk smaller than 6.4 GiB.
   */
  minFreeBytes?: number;
  /**
   * Most senders served at once (connections past their opening); more are told the receiver
   * is busy. Default 64.
   */
  maxConnections?: number;
  /**
   * Most senders served at once from one address other than this machine's own (loopback);
   * more are told busy. Raise it for a class that shares one address (a NAT router, a terminal
   * server). Default 8.
   */
  maxConnectionsPerAddress?: number;
  /**
   * Most connections still in their opening (no complete preface or classic size yet); they
   * hold no transfer slot, and a new one past this closes the oldest of the address with the
   * most openings. Default 256.
   */
  maxOpenings?: number;
  /**
   * Most connections in their opening from one address other than this machine's own
   * (loopback); past it that address's oldest is closed once it has been opening for 2 s (a
   * burst of classmates behind one address is not closed while their prefaces are read).
   * Default: twice `maxConnectionsPerAddress`, at least 16.
   */
  maxOpeningsPerAddress?: number;
  /** How long a connection may take to complete its opening (from connecting). Default 5 000 ms. */
  openingTimeoutMs?: number;
  /** A sender silent for this long is dropped. Default 30 000 ms. */
  idleTimeoutMs?: number;
  /** Largest chunk read from the network at once. Default 1 MiB. */
  chunkSize?: number;
  /** Base name for classic transfers (which carry no name). Default: time and sender address. */
  classicName?: string;
  /** How long a classic size may pause before it counts as complete. Default 150 ms. */
  classicQuietMs?: number;
  /** Emit a `trace` event for every chunk in both directions. */
  trace?: boolean;
  /** Receives every event; the receiver never prints. */
  onEvent?: (event: ReceiverEvent) => void;
  /** How long interrupted transfers are kept for a resume. Default 24 hours. */
  partialTtlMs?: number;
  /**
   * Most interrupted transfers kept for a resume per sender address; past it that address's
   * oldest is dropped. Default 16.
   */
  maxPartialsPerAddress?: number;
  /** Most bytes of interrupted transfers kept in all; past it the oldest are dropped. Default 4 GiB. */
  maxPartialBytes?: number;
  /** How long a sender may take to send a complete header (preface, size, frame). Default 10 s. */
  headerTimeoutMs?: number;
  /**
   * Refusals and failures (and folders) reported per second for one address, after a burst of
   * three times as many; the rest are counted and reported in `suppressed` events. `Infinity`
   * reports everything. Default 10.
   */
  maxLogRate?: number;
  /** Stops the receiver when aborted. */
  signal?: AbortSignal;
  /**
   * Store each sender's files under `DIR/<sender name>/` (senders without a name under
   * `DIR/unnamed-<address>/`). Default false: everything straight in DIR (`sockit receive`
   * turns it on unless `--flat`).
   */
  bySender?: boolean;
  /** The class list senders' names are matched against. Default: none. */
  roster?: Roster;
  /** Refuse senders whose name is not on `roster`, and senders without a name. Default false. */
  rosterOnly?: boolean;
  /**
   * Append a row to `DIR/sockit-log.csv` for every stored file, refusal and failure, before
   * the sender hears of it. Default false (`sockit receive` turns it on).
   */
  log?: boolean;
  /**
   * The pairing code senders must know: every sockit session is then authenticated and
   * encrypted, and every web upload must carry it. Default: none — anyone on the network may
   * send, unencrypted (`receive --open`).
   */
  code?: PairingCode;
  /**
   * Take classic (lesson) senders, which cannot carry a code. Default: true without a code,
   * false with one (each refused classic sender is reported as `classic-refused`).
   */
  classic?: boolean;
  /** Limits on wrong pairing codes, shared by the pairing handshake and web uploads; every default is the documented limit. */
  guessLimits?: GuessLimits;
  /**
   * Serve the upload page on the same port: connections that open with an HTTP method go to
   * it. Default: no web page (HTTP requests are refused like any other stranger).
   */
  web?: WebOptions;
}

/**
 * A file's identity in receiver events.
 *
 * @example
 * ```ts
 * import type { ReceiverFileInfo } from "./receiver.ts";
 * const info: ReceiverFileInfo = {
 *   id: 1,
 *   peer: "10.0.0.5:51234",
 *   sender: "김민지",
 *   classic: false,
 *   path: "hw/main.py",
 *   size: 812,
 * };
 * ```
 */
export interface ReceiverFileInfo {
  /** Unique per receiver, to tell concurrent transfers apart. */
  id: number;
  /** The sender's address. */
  peer: string;
  /** The sender's name (escape before display), or `unnamed-<address>` without one. */
  sender: string;
  /** True for the lesson's classic protocol. */
  classic: boolean;
  /** True for an upload through the web page. Default false. */
  web?: boolean;
  /** The name the sender gave (escaped before display), or `(classic)`. */
  path: string;
  /** Declared size in bytes. */
  size: number;
}

/**
 * What the receiver reports.
 *
 * @example
 * ```ts
 * import { startReceiver } from "./receiver.ts";
 * import type { ReceiverEvent } from "./receiver.ts";
 * const onEvent = (event: ReceiverEvent) => {
 *   if (event.type === "file-done") console.log(`${event.stored} from ${event.peer}`);
 *   if (event.type === "file-rejected") console.log(event.path, event.code, event.problem);
 * };
 * const receiver = await startReceiver({ dir: await Deno.makeTempDir(), port: 0, onEvent });
 * await receiver.close();
 * ```
 */
export type ReceiverEvent =
  | { type: "listening"; address: string; reachable: string[]; dir: string; port: number }
  | { type: "session"; peer: string; protocol: "sockit" | "classic" | "web" }
  | ({ type: "file-start"; offset: number } & ReceiverFileInfo)
  | ({ type: "file-progress"; bytes: number } & ReceiverFileInfo)
  | (
    & {
      type: "file-done";
      stored: string;
      sha256: string;
      ms: number;
      /** The receiver's time when it stored the file (ISO 8601 with offset), as in the receipt. */
      time: string;
    }
    & ReceiverFileInfo
  )
  | {
    type: "file-rejected";
    peer: string;
    /** The sender's name, or `unnamed-<address>`. */
    sender: string;
    classic: boolean;
    /** True for an upload through the web page. */
    web?: boolean;
    path: string;
    /** The declared size, when known. */
    size?: number;
    code: RejectCode;
    reason: string;
    /** For `bad-name` and `name-conflict`: which problem the name has. */
    problem?: RefusalProblem;
  }
  | (
    & {
      type: "file-failed";
      code: ErrorCode | RejectCode;
      reason: string;
      /** For `name-conflict`: which problem the name has. */
      problem?: RefusalProblem;
    }
    & ReceiverFileInfo
  )
  | {
    type: "sender";
    peer: string;
    /** How the sender is known from now on (escape before display). */
    name: string;
    /** True when the sender gave a name. */
    named: boolean;
    /** Whether the name is on the class list (with one). */
    onRoster?: boolean;
    /** The folder its files go into, unless flat. */
    folder?: string;
  }
  | {
    type: "sender-refused";
    peer: string;
    protocol: "sockit" | "classic" | "web";
    /** The name as sent (`""` for none; escape before display). */
    name: string;
    code: "bad-name" | "not-on-roster";
    /** For `bad-name` the name's problem; else a sentence. */
    reason: string;
    /** The class list's closest names. */
    closest: string[];
  }
  | { type: "folder"; peer: string; stored: string }
  | {
    type: "partial-dropped";
    /** The relative path the sender sent. */
    path: string;
    /** The sender's address. */
    from: string;
    /** Bytes the dropped partial held. */
    bytes: number;
  }
  | { type: "session-end"; peer: string; files: number; bytes: number }
  | { type: "session-error"; peer: string; code: ErrorCode | RejectCode; reason: string }
  | {
    type: "suppressed";
    /** The address whose refusals and failures were held back. */
    from: string;
    /** How many events were held back since the last summary. */
    count: number;
  }
  /** A pairing from `peer` waits `ms` before it is answered: earlier wrong codes from it. */
  | { type: "pairing-delayed"; peer: string; ms: number }
  /** More wrong codes than the total limit: someone keeps guessing (`peer` failed last). */
  | { type: "guessing"; peer: string; failures: number }
  /** A classic sender was turned away: the receiver has a code and no `classic` option. */
  | { type: "classic-refused"; peer: string }
  | ({ type: "stopped" } & ReceiverSummary)
  | TraceEvent;

/**
 * Totals over a receiver's life.
 *
 * @example
 * ```ts
 * import { startReceiver } from "./receiver.ts";
 * import type { ReceiverSummary } from "./receiver.ts";
 * const receiver = await startReceiver({ dir: await Deno.makeTempDir(), port: 0 });
 * const summary: ReceiverSummary = await receiver.close();
 * console.log(summary.files); // 0
 * ```
 */
export interface ReceiverSummary {
  /** Sessions (connections) served. */
  sessions: number;
  /** Files stored and verified. */
  files: number;
  /** Bytes of those files. */
  bytes: number;
}

/**
 * A running receiver.
 *
 * @example
 * ```ts
 * import { startReceiver } from "./receiver.ts";
 * import type { Receiver } from "./receiver.ts";
 * const receiver: Receiver = await startReceiver({ dir: await Deno.makeTempDir(), port: 0 });
 * console.log(receiver.addr.port, receiver.dir);
 * await receiver.close();
 * ```
 */
export interface Receiver {
  /** The bound address (with the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** The absolute path of the folder files are stored in. */
  readonly dir: string;
  /** Resolves with the totals once the receiver stopped. */
  readonly finished: Promise<ReceiverSummary>;
  /** Stops listening, ends every transfer (their temporary files are removed) and resolves. */
  close(): Promise<ReceiverSummary>;
}

/**
 * Creates `dir` if needed and checks that files can be made in it, naming the folder the user
 * gave (never sockit's working folder inside it) when that fails.
 */
async function prepareDir(dir: string): Promise<void> {
  const info = await Deno.stat(dir).catch(() => undefined);
  if (info && !info.isDirectory) throw new SockitError("dir-not-folder", { path: dir });
  try {
    if (!info) await Deno.mkdir(dir, { recursive: true });
    // Can files be made here? The probe is closed and removed at the end of the block.
    await using _probe = await openTemp(dir);
  } catch (err) {
    // A working folder other users could tamper with says so itself.
    if (err instanceof SockitError && err.code === "unsafe-folder") throw err;
    // Storage errors wrap the system's: judge by that.
    const cause = err instanceof SockitError && err.cause !== undefined ? err.cause : err;
    if (cause instanceof Deno.errors.PermissionDenied || cause instanceof Deno.errors.NotCapable) {
      throw new SockitError("dir-not-writable", { path: dir }, { cause: err });
    }
    if (cause instanceof Deno.errors.AlreadyExists || cause instanceof Deno.errors.NotADirectory) {
      // A file is in the way of the folder or of one above it.
      throw new SockitError("dir-not-folder", { path: dir }, { cause: err });
    }
    // Anything else (a read-only disk, …): the system's reason, without the paths inside DIR.
    const reason = cause instanceof Error ? cause.message.replace(/ \(os error \d+\).*$/s, "") : "";
    throw new SockitError("write-failed", { path: dir, reason }, { cause: err });
  }
}

/**
 * Starts a receiver. Errors opening the folder or the port are thrown at once as
 * {@linkcode SockitError}; everything afterwards is reported through `onEvent`.
 *
 * @example
 * ```ts
 * import { startReceiver } from "./receiver.ts";
 * const receiver = await startReceiver({ dir: await Deno.makeTempDir(), host: "127.0.0.1", port: 0 });
 * console.log(receiver.addr.port);
 * await receiver.close();
 * ```
 */
export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const dir = resolve(options.dir ?? "received");
  // The port first: a receiver that cannot listen creates no folder.
  const listener = listen(options.host ?? "0.0.0.0", options.port ?? 6000);
  let log: CollectLog | undefined;
  try {
    await prepareDir(dir);
    if (options.log) log = CollectLog.open(dir);
  } catch (err) {
    listener.close();
    throw err;
  }
  const addr = listener.addr as Deno.NetAddr;
  const partials = new PartialStore(dir, {
    ttlMs: options.partialTtlMs,
    maxPerAddress: options.maxPartialsPerAddress,
    maxBytes: options.maxPartialBytes,
    onDrop: (dropped) => context.emit({ type: "partial-dropped", ...dropped }),
  });
  const onEvent = options.onEvent ?? (() => {});
  const senders = new SenderDirectory(dir, {
    roster: options.roster,
    rosterOnly: options.rosterOnly,
    flat: !options.bySender,
  });
  const context = new ReceiverContext(
    {
      ...options,
      // The row is on disk before anyone (the sender included) hears of what happened.
      onEvent: (event) => {
        const row = log && logRowOf(event);
        if (row) log!.append(row);
        onEvent(event);
      },
    },
    dir,
    partials,
    senders,
  );
  const { emit, summary } = context;

  emit({
    type: "listening",
    address: formatAddr(addr),
    reachable: reachableAddresses(addr.hostname, addr.port),
    dir,
    port: addr.port,
  });

  await partials.sweep();

  async function serve(wire: Wire, peer: string): Promise<void> {
    try {
      await openConnection(context, options.web, wire, peer);
    } catch (err) {
      // Already reported as a sender-refused event.
      if (err instanceof SenderRefusal) return;
      if (!server.stopping) {
        const error = err instanceof ProtocolError ? err : toSockitError(err, "io", { peer });
        emit({ type: "session-error", peer, code: error.code, reason: reasonOf(error) });
      }
    }
  }

  const server = serveConnections(listener, {
    wire: (peer) => ({
      idleTimeoutMs: context.idleTimeoutMs,
      onTrace: options.trace
        ? (direction, bytes) => {
          const layer = context.layers.get(peer);
          emit({ type: "trace", peer, direction, bytes, ...(layer ? { layer } : {}) });
        }
        : undefined,
    }),
    handle: serve,
    onAcceptError: (err) =>
      emit({
        type: "session-error",
        peer: "?",
        code: toSockitError(err).code,
        reason: String(err),
      }),
    signal: options.signal,
  });
  const { close, finished } = stopOnce(server, () => {
    context.flushLog();
    log?.close();
    emit({ type: "stopped", ...summary });
    return { ...summary };
  });
  return { addr, dir, finished, close };
}

/**
 * Tells the protocol from the connection's first byte (a digit: classic; `G`, `H` or `P` with the
 * web page on: HTTP; anything else: sockit, which refuses what is not a preface) and hands the
 * connection to that handler, which completes the {@linkcode Opening} once the preface, classic
 * size or request head is in.
 */
async function openConnection(
  context: ReceiverContext,
  web: WebOptions | undefined,
  wire: Wire,
  peer: string,
): Promise<void> {
  using opening = new Opening(context, wire, peer);
  using _ = { [Symbol.dispose]: () => context.flushLog(opening.address) };
  try {
    await dispatch(context, web, wire, peer, opening);
  } catch (err) {
    // An opening closed for a newer one was reported then: its handler's error is that close.
    if (!opening.evicted) throw err;
  }
}

/** Hands the connection of `opening` to the handler of its protocol (see openConnection). */
async function dispatch(
  context: ReceiverContext,
  web: WebOptions | undefined,
  wire: Wire,
  peer: string,
  opening: Opening,
): Promise<void> {
  const first = await wire.waitForMore(context.idleTimeoutMs);
  if (first === "end") return;
  if (first === "quiet") {
    throw new SockitError("timeout", { seconds: context.idleTimeoutMs / 1000 });
  }
  const start = wire.peek()[0];
  if (isClassicStart(start)) {
    // The lesson's protocol cannot carry a pairing code: closed without `ready`, and said so.
    if (!context.acceptClassic) return context.emit({ type: "classic-refused", peer });
    await new ClassicConnection(context, wire, peer).serve(opening);
  } else if (web && isHttpStart(start)) {
    await new WebConnection(context, web, wire, peer).serve(opening);
  } else {
    await new SockitConnection(context, wire, peer).serve(opening);
  }
}
