/**
 * `sockit receive`: receives files from sockit senders, lesson-style senders and browsers, or
 * with `--summary` shows what a class has sent so far.
 *
 * @module
 */

import { DEFAULT_PORTS, formatAddr, isWildcard, reachableAddresses } from "../lib/net/address.ts";
import { SockitError } from "../lib/core/errors.ts";
import { startReceiver } from "../lib/transfer/receiver.ts";
import { startAnnouncer } from "../lib/discovery/announcer.ts";
import { Roster } from "../lib/collect/roster.ts";
import { readLog } from "../lib/collect/log.ts";
import { ClassTally } from "../lib/collect/tally.ts";
import { translate } from "./messages.ts";
import { message } from "./render.ts";
import { ReceiveView } from "./render_transfer.ts";
import { liveRegion } from "./output.ts";
import { receiverCode } from "./pairing_code.ts";
import { qrLines } from "./qr.ts";
import { renderDiscoveryEvent } from "./render_discovery.ts";
import { distFolder, lazyDownloads, webLines, webOptions, webUrl } from "./web.ts";
import type { WebPageEvent } from "./web.ts";
import { summaryLines } from "./render_collect.ts";
import { type CommandContext, EXIT, interruptible } from "./command.ts";

/** The options of `sockit receive`. */
export interface ReceiveOptions {
  /** `--dir`. Default `received`. */
  dir?: string;
  /** `--host`. Default `0.0.0.0`. */
  host?: string;
  /** `--port`. Default {@linkcode DEFAULT_PORTS}.transfer. */
  port?: number;
  /** `--overwrite`. */
  overwrite?: boolean;
  /** `--max-size` in bytes. Default: the library's. */
  maxSize?: number;
  /** `--max-connections`. Default: the library's. */
  maxConnections?: number;
  /** `--max-per-address`: most senders at once from one address. Default: the library's (8). */
  maxPerAddress?: number;
  /** `--idle-timeout` in seconds. Default 30. */
  idleTimeout?: number;
  /** `--classic-name`. Default: the library's. */
  classicName?: string;
  /** `--chunk-size`. Default: the library's. */
  chunkSize?: number;
  /** False with `--no-announce`. */
  announce?: boolean;
  /** False with `--no-qr`. */
  qr?: boolean;
  /** `--flat`: no folder per sender. */
  flat?: boolean;
  /** `--roster`. */
  roster?: string;
  /** `--roster-only`. */
  rosterOnly?: boolean;
  /** `--summary`. */
  summary?: boolean;
  /** `--open`: no pairing code. */
  open?: boolean;
  /** `--classic`. */
  classic?: boolean;
  /** `--code-file`. */
  codeFile?: string;
  /** False with `--no-web`. */
  web?: boolean;
}

/**
 * Runs `sockit receive` until Ctrl+C (or prints the class summary); resolves with the exit code.
 *
 * @example
 * ```ts
 * import { runReceive } from "./run_receive.ts";
 * import { Output } from "./output.ts";
 * const style = { lang: "en", color: false } as const;
 * const out = new Output(style, false, false);
 * const context = { lang: "en", globals: {}, style, out, prefix: () => "sockit" } as const;
 * await runReceive({ dir: "received", summary: true }, context); // prints who sent what
 * ```
 * @throws {SockitError} `bad-option` for `--roster-only` without `--roster`.
 */
export async function runReceive(
  options: ReceiveOptions,
  { lang, globals, style, out, prefix }: CommandContext,
): Promise<number> {
  if (options.rosterOnly && options.roster === undefined) {
    throw new SockitError("bad-option", { reason: translate(lang, "usage.roster-only") });
  }
  const rosterPath = options.roster;
  const roster = rosterPath === undefined ? undefined : await Roster.load(rosterPath);
  const dir = options.dir ?? "received";
  if (options.summary) {
    const tally = new ClassTally(roster);
    for (const row of await readLog(dir)) tally.add(row);
    const summary = { type: "summary", senders: tally.rows(), missing: tally.missing() };
    for (const line of summaryLines(style, tally, dir)) {
      out.event(summary, line);
      if (globals.json) break;
    }
    return EXIT.ok;
  }
  // No code with --open (anyone may send); else the one given, or a fresh one.
  const code = options.open ? undefined : await receiverCode({ codeFile: options.codeFile });
  const live = await liveRegion(globals, style);
  const view = new ReceiveView(style, prefix(), {
    roster,
    rosterPath,
    logged: true,
    code: code?.text,
    live: live !== null,
  });
  const host = options.host ?? "0.0.0.0";
  const web = options.web === false
    ? undefined
    : webOptions(lazyDownloads(distFolder(Deno.mainModule)));
  await interruptible(out, async (signal) => {
    const receiver = await startReceiver({
      signal,
      dir,
      host,
      port: options.port ?? DEFAULT_PORTS.transfer,
      overwrite: options.overwrite === true,
      maxSize: options.maxSize,
      maxConnections: options.maxConnections,
      maxConnectionsPerAddress: options.maxPerAddress,
      idleTimeoutMs: (options.idleTimeout ?? 30) * 1000,
      classicName: options.classicName,
      chunkSize: options.chunkSize,
      trace: globals.trace,
      bySender: options.flat !== true,
      roster,
      rosterOnly: options.rosterOnly === true,
      log: true,
      code,
      classic: options.classic === true || options.open === true,
      web,
      onEvent: (event) => out.view(event, view.update(event), live),
    });
    // The library never announces by itself; `receive` does unless --no-announce.
    await using _announcer = options.announce === false ? null : startAnnouncer({
      port: receiver.addr.port,
      host,
      // The code's nameplate only (the number, never the words); null with --open.
      nameplate: code?.nameplate ?? null,
      signal,
      onEvent: (event) => {
        const line = renderDiscoveryEvent(style, event, !!globals.trace, prefix());
        out.view(event, { log: line ? [line] : [] }, live);
      },
    });
    const reachable = reachableAddresses(receiver.addr.hostname, receiver.addr.port);
    // Without a network address (or listening on loopback), the page is for this machine.
    const where = reachable[0] ??
      (isWildcard(host) ? `localhost:${receiver.addr.port}` : formatAddr(receiver.addr));
    const url = web ? webUrl(where, code) : undefined;
    if (url) {
      const event: WebPageEvent = { type: "web", url };
      out.view(event, { log: webLines(style, url) }, live);
    }
    // For a phone: the web page's address (with the code in its fragment), or the plain
    // address; none when only this machine can connect (a phone cannot reach loopback).
    const qr = reachable[0] && (url ?? reachable[0]);
    const drawn = qr && options.qr !== false && live ? qrLines(qr, style.color) : null;
    if (drawn) {
      const lines = [message(style, "disc.qr", { text: qr }), ...drawn];
      live!.show(lines.map((text) => ({ text, level: "info" })));
    }
    await receiver.finished;
  });
  return EXIT.ok;
}
