#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env --allow-sys
/**
 * The sockit command line: parses arguments, calls the library, prints its events, and maps
 * errors to exit codes (0 success, 1 failure, 2 usage error, 130 interrupted twice).
 *
 * @module
 */

import { Command, CommanderError } from "commander";
import {
  DEFAULT_PORTS,
  formatAddr,
  type HostPort,
  isWildcard,
  parseHostPort,
  parsePort,
  reachableAddresses,
} from "./lib/net/address.ts";
import { SockitError, toSockitError } from "./lib/core/errors.ts";
import { versionLine } from "./lib/core/version.ts";
import {
  discoverReceivers,
  DISCOVERY_PORT,
  planSend,
  runEcho,
  sendFiles,
  startAnnouncer,
  startEchoServer,
  startReceiver,
  textLines,
} from "./lib/mod.ts";
import { detectLang, translate } from "./cli/messages.ts";
import type { Lang, MessageKey } from "./cli/messages.ts";
import { message, renderEchoClientEvent, renderEchoServerEvent, renderPing } from "./cli/render.ts";
import type { RenderStyle } from "./cli/render.ts";
import { ReceiveView, SendView } from "./cli/render_transfer.ts";
import { TraceView } from "./cli/render_trace.ts";
import { renderSpyEvent } from "./cli/render_spy.ts";
import { startSpy } from "./lib/spy/relay.ts";
import { liveRegion, Output } from "./cli/output.ts";
import { findReceiver } from "./cli/discover.ts";
import { givenCode, promptCode, receiverCode, refuseCodeOption } from "./cli/pairing_code.ts";
import { qrLines } from "./cli/qr.ts";
import { renderDiscoveryEvent } from "./cli/render_discovery.ts";
import { distFolder, loadDownloads, webLines, webOptions, webUrl } from "./cli/web.ts";
import type { WebPageEvent } from "./cli/web.ts";
import { commandPrefix, currentLaunch } from "./cli/invocation.ts";
import {
  checkSingleDash,
  type GlobalOptions,
  langArgument,
  localizedHelp,
  parsers,
  usageMessage,
} from "./cli/options.ts";
import { Roster } from "./lib/collect/roster.ts";
import { readLog } from "./lib/collect/log.ts";
import { ClassTally } from "./lib/collect/tally.ts";
import { summaryLines } from "./cli/render_collect.ts";
import { chooseSenderName } from "./cli/sender_name.ts";

/** Exit codes, as documented in the README. */
const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** Error codes that mean the user typed something wrong (exit 2). */
const USAGE_CODES = new Set(["bad-port", "bad-address", "bad-size", "bad-option", "code-on-argv"]);

/**
 * Presses of Ctrl+C closer together than this are one press (see {@linkcode interruptible}):
 * long enough for the copy a busy machine delivers late, short enough that pressing again to quit
 * at once still works.
 */
const SAME_PRESS_MS = 400;

/**
 * Runs `work` with a signal that the first Ctrl+C (or SIGTERM) aborts; a second one exits at
 * once. The handlers are in place before `work` starts, so an early Ctrl+C still stops cleanly.
 * Under `deno task` one key press arrives twice (the terminal signals the whole process group and
 * deno task forwards its own copy), so a repeat within {@linkcode SAME_PRESS_MS} counts as the
 * same press; once the work has stopped, copies that still arrive are ignored while the process
 * exits with the work's own code.
 */
async function interruptible<T>(
  out: Output,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let first = 0;
  let done = false;
  const handler = () => {
    const now = performance.now();
    if (done) return;
    if (controller.signal.aborted) {
      if (now - first > SAME_PRESS_MS) Deno.exit(EXIT.interrupted);
      return;
    }
    first = now;
    out.note("net.stopping");
    controller.abort();
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, handler);
  try {
    return await work(controller.signal);
  } finally {
    done = true;
    // Removed a moment later, so a late copy of the press meets the handler, not the default
    // action (which would end the process with 130 after a clean stop).
    Deno.unrefTimer(setTimeout(() => {
      for (const signal of signals) Deno.removeSignalListener(signal, handler);
    }, SAME_PRESS_MS));
  }
}

function useColor(): boolean {
  return Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
}

interface EchoServerOptions {
  host?: string;
  port?: number;
}

interface EchoOptions {
  to?: HostPort;
  count?: number;
  interval?: number;
  timeout?: number;
}

interface ReceiveOptions {
  dir?: string;
  host?: string;
  port?: number;
  overwrite?: boolean;
  maxSize?: number;
  maxConnections?: number;
  idleTimeout?: number;
  classicName?: string;
  chunkSize?: number;
  announce?: boolean;
  qr?: boolean;
  flat?: boolean;
  roster?: string;
  rosterOnly?: boolean;
  summary?: boolean;
  open?: boolean;
  classic?: boolean;
  codeFile?: string;
  web?: boolean;
}

interface SendOptions {
  to?: HostPort;
  chunkSize?: number;
  retries?: number;
  classic?: boolean;
  timeout?: number;
  name?: string;
  codeFile?: string;
}

function buildProgram(lang: Lang, prefix: () => string, setExit: (code: number) => void): Command {
  const t = (key: MessageKey) => translate(lang, key);
  const p = parsers(lang);
  const program = new Command("sockit")
    .description(t("cli.description"))
    .version(versionLine(), "-V, --version", t("opt.version"))
    .helpOption("-h, --help", t("opt.help"))
    .helpCommand(`help [${t("val.command")}]`, t("cmd.help"))
    .option(`--lang <${t("val.lang")}>`, t("opt.lang"), p.lang)
    .option("--json", t("opt.json"))
    .option("-q, --quiet", t("opt.quiet"))
    .option("--trace", t("opt.trace"))
    .configureHelp({ formatHelp: localizedHelp(lang), showGlobalOptions: true })
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  const context = (cmd: Command) => {
    const globals = cmd.optsWithGlobals<GlobalOptions>();
    const style: RenderStyle = { lang, color: useColor() };
    return { globals, style, out: new Output(style, !!globals.json, !!globals.quiet) };
  };

  program.command("echo-server")
    .description(t("cmd.echo-server"))
    .option(`--host <${t("val.host")}>`, t("opt.host"))
    .option(`-p, --port <${t("val.port")}>`, `${t("opt.port")} (${DEFAULT_PORTS.echo})`, parsePort)
    .action(async (options: EchoServerOptions, cmd: Command) => {
      const { globals, style, out } = context(cmd);
      const trace = new TraceView(style, "server", { recognise: false });
      await interruptible(out, (signal) =>
        startEchoServer({
          host: options.host ?? "0.0.0.0",
          port: options.port ?? DEFAULT_PORTS.echo,
          trace: globals.trace,
          signal,
          onEvent: (event) => out.event(event, renderEchoServerEvent(style, event, trace)),
        }).finished);
      setExit(EXIT.ok);
    });

  program.command("echo")
    .description(t("cmd.echo"))
    .argument(`[${t("val.message")}...]`, t("arg.message"))
    .option(
      `-t, --to <${t("val.to")}>`,
      `${t("opt.to")} (127.0.0.1:${DEFAULT_PORTS.echo})`,
      p.target(DEFAULT_PORTS.echo),
    )
    .option(`-c, --count <${t("val.n")}>`, t("opt.count"), p.whole("--count", 1))
    .option(
      `-i, --interval <${t("val.seconds")}>`,
      `${t("opt.interval")} (1)`,
      p.seconds("--interval"),
    )
    .option(`--timeout <${t("val.seconds")}>`, `${t("opt.timeout")} (10)`, p.seconds("--timeout"))
    .action(async (words: string[], options: EchoOptions, cmd: Command) => {
      const { globals, style, out } = context(cmd);
      const target = options.to ?? { host: "127.0.0.1", port: DEFAULT_PORTS.echo };
      const rounds = options.count ?? 1;
      const trace = new TraceView(style, "client", { recognise: false });
      // Typing at a terminal with no message: say what to do, or the cursor just blinks.
      if (words.length === 0 && Deno.stdin.isTerminal()) out.note("echo.type-lines");
      const messages = words.length > 0
        ? [words.join(" ")]
        : Deno.stdin.readable.pipeThrough(textLines({ skipEmpty: true }));
      const result = await interruptible(out, (signal) =>
        runEcho({
          ...target,
          messages,
          trace: globals.trace,
          count: rounds,
          intervalMs: rounds > 1 ? (options.interval ?? 1) * 1000 : 0,
          timeoutMs: (options.timeout ?? 10) * 1000,
          signal,
          onEvent: (event) => {
            const line = event.type === "reply" && rounds > 1
              ? renderPing(style, event)
              : renderEchoClientEvent(style, event, trace);
            out.event(event, line);
          },
        }));
      if (result.matched !== result.sent) {
        throw new SockitError("echo-mismatch", {
          ...target,
          replies: result.sent,
          intact: result.matched,
          sent: result.bytesSent,
          received: result.bytesReceived,
        });
      }
      setExit(EXIT.ok);
    });

  program.command("receive")
    .description(t("cmd.receive"))
    .option(`-d, --dir <${t("val.dir")}>`, t("opt.dir"))
    .option(`--host <${t("val.host")}>`, t("opt.host"))
    .option(
      `-p, --port <${t("val.port")}>`,
      `${t("opt.port")} (${DEFAULT_PORTS.transfer})`,
      parsePort,
    )
    .option("--overwrite", t("opt.overwrite"))
    .option(`--max-size <${t("val.size")}>`, t("opt.max-size"), p.size)
    .option(
      `--max-connections <${t("val.n")}>`,
      t("opt.max-connections"),
      p.whole("--max-connections", 1),
    )
    .option(
      `--idle-timeout <${t("val.seconds")}>`,
      t("opt.idle-timeout"),
      p.seconds("--idle-timeout"),
    )
    .option(`--classic-name <${t("val.name")}>`, t("opt.classic-name"))
    .option(`--chunk-size <${t("val.size")}>`, t("opt.chunk-size"), p.chunkSize)
    .option("--no-announce", t("opt.no-announce"))
    .option("--no-qr", t("opt.no-qr"))
    .option("--flat", t("opt.flat"))
    .option(`--roster <${t("val.file")}>`, t("opt.roster"))
    .option("--roster-only", t("opt.roster-only"))
    .option("--summary", t("opt.summary"))
    .option("--open", t("opt.open"))
    .option("--classic", t("opt.classic-receive"))
    .option(`--code-file <${t("val.file")}>`, t("opt.code-file"))
    .option(`--code <${t("val.code")}>`, t("opt.code"), refuseCodeOption)
    .option("--no-web", t("opt.no-web"))
    .action(async (options: ReceiveOptions, cmd: Command) => {
      const { globals, style, out } = context(cmd);
      if (options.rosterOnly && options.roster === undefined) {
        throw new SockitError("bad-option", { reason: t("usage.roster-only") });
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
        return setExit(EXIT.ok);
      }
      // No code with --open (anyone may send); else the one given, or a fresh one.
      const code = options.open ? undefined : await receiverCode({ codeFile: options.codeFile });
      const live = liveRegion(globals, style);
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
        : webOptions(await loadDownloads(distFolder(Deno.mainModule)));
      await interruptible(out, async (signal) => {
        const receiver = await startReceiver({
          signal,
          dir,
          host,
          port: options.port ?? DEFAULT_PORTS.transfer,
          overwrite: options.overwrite === true,
          maxSize: options.maxSize,
          maxConnections: options.maxConnections,
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
      setExit(EXIT.ok);
    });

  program.command("send")
    .description(t("cmd.send"))
    .argument(`<${t("val.paths")}...>`, t("arg.paths"))
    .option(
      `-t, --to <${t("val.to")}>`,
      `${t("opt.to")} (${t("opt.to-found")})`,
      p.target(DEFAULT_PORTS.transfer),
    )
    .option(`--chunk-size <${t("val.size")}>`, t("opt.chunk-size"), p.chunkSize)
    .option(`--retries <${t("val.n")}>`, t("opt.retries"), p.whole("--retries", 0))
    .option("--classic", t("opt.classic"))
    .option(`--timeout <${t("val.seconds")}>`, `${t("opt.timeout")} (30)`, p.seconds("--timeout"))
    .option(`--name <${t("val.name")}>`, t("opt.name"))
    .option(`--code-file <${t("val.file")}>`, t("opt.code-file"))
    .option(`--code <${t("val.code")}>`, t("opt.code"), refuseCodeOption)
    .action(async (paths: string[], options: SendOptions, cmd: Command) => {
      const { globals, style, out } = context(cmd);
      const given = options.to ?? null;
      const settings = {
        chunkSize: options.chunkSize,
        classic: options.classic === true,
        retries: options.retries,
        timeoutMs: (options.timeout ?? 30) * 1000,
        trace: globals.trace,
        name: options.classic === true ? undefined : await chooseSenderName(style, options.name),
      };
      const live = liveRegion(globals, style);
      const view = new SendView(style, { classic: options.classic === true, live: live !== null });
      const result = await interruptible(out, async (signal) => {
        if (!given) await planSend(paths); // a missing file is said before listening
        // The pairing code: SOCKIT_CODE or --code-file, else asked (without echo) on a
        // terminal when a receiver wants one. Without --to, its nameplate picks the receiver
        // (only the number; the words never leave the code).
        const code = options.classic ? undefined : await givenCode({ codeFile: options.codeFile });
        const nameplate = given ? undefined : code?.nameplate;
        const target = given ??
          await findReceiver({ out, nameplate, trace: globals.trace, signal });
        if (!target) return null;
        const ask = Deno.stdin.isTerminal() && !globals.json
          ? () => promptCode(`${message(style, "send.code-prompt")} `)
          : undefined;
        return sendFiles({
          paths,
          ...target,
          ...settings,
          code: code ?? ask,
          // A receiver found by discovery must prove the code: a beacon is only a hint.
          requirePairing: !given && !options.classic,
          signal,
          onEvent: (event) => out.view(event, view.update(event), live),
        });
      });
      setExit(!result || result.rejected > 0 || result.interrupted ? EXIT.failure : EXIT.ok);
    });

  program.command("receivers")
    .description(t("cmd.receivers"))
    .option(`--wait <${t("val.seconds")}>`, t("opt.wait"), p.seconds("--wait"))
    .action(async (options: { wait?: number }, cmd: Command) => {
      const { globals, style, out } = context(cmd);
      const timeoutMs = (options.wait ?? 3) * 1000;
      const found = await interruptible(out, (signal) =>
        discoverReceivers({
          timeoutMs,
          signal,
          onEvent: (event) => {
            const line = renderDiscoveryEvent(style, event, !!globals.trace);
            // The list is this command's result: shown with --quiet too.
            out.event(
              event,
              line && event.type === "receiver-found" ? { ...line, level: "result" } : line,
            );
          },
        }));
      if (found.length === 0) {
        throw new SockitError("no-receivers", {
          seconds: timeoutMs / 1000,
          port: DISCOVERY_PORT,
        });
      }
      setExit(EXIT.ok);
    });

  program.command("spy")
    .description(t("cmd.spy"))
    .option(`-l, --listen <[${t("val.host")}:]${t("val.port")}>`, t("opt.listen"))
    .option(`-t, --to <${t("val.host")}:${t("val.port")}>`, t("opt.spy-to"))
    .action(async (options: { listen?: string; to?: string }, cmd: Command) => {
      const { style, out } = context(cmd);
      const needs = () =>
        new SockitError("bad-option", {
          reason: translate(lang, "usage.spy-needs", { command: prefix() }),
        });
      if (options.listen === undefined || options.to === undefined) throw needs();
      const listen = /^\d+$/.test(options.listen.trim())
        ? { host: "127.0.0.1", port: parsePort(options.listen) }
        : parseHostPort(options.listen, -1);
      const to = parseHostPort(options.to, -1);
      if (listen.port < 0 || to.port < 1) throw needs();
      await interruptible(out, async (signal) => {
        const spy = await startSpy({
          ...listen,
          to,
          signal,
          onEvent: (event) => out.event(event, renderSpyEvent(style, event)),
        });
        await spy.finished;
      });
      setExit(EXIT.ok);
    });

  return program;
}

/**
 * Runs the CLI with `args` and resolves with the exit code.
 *
 * @example
 * ```ts
 * import { main } from "./main.ts";
 * const code = await main(["--version"]); // prints the version line
 * console.log(code); // 0
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const json = args.includes("--json");
  let lang = detectLang(Deno.env.toObject(), navigator.language);
  let prefixText: string | undefined;
  const prefix = () => prefixText ??= commandPrefix(currentLaunch());
  const fail = (error: SockitError, hint: boolean) => {
    new Output({ lang, color: Deno.stderr.isTerminal() && !Deno.env.get("NO_COLOR") }, json, false)
      .error(error);
    if (hint && !json) {
      console.error(translate(lang, "cli.help-hint", { command: prefix() }));
    }
  };
  let exitCode: number = EXIT.ok;
  try {
    lang = langArgument(args, lang);
    const program = buildProgram(lang, prefix, (code) => exitCode = code);
    checkSingleDash(lang, program, args);
    await program.parseAsync(args, { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return EXIT.ok;
      // No command given: commander has already printed the help to stderr.
      if (err.code === "commander.help") return EXIT.usage;
      const reason = usageMessage(lang, err, args, prefix());
      fail(new SockitError("bad-option", { reason }), true);
      return EXIT.usage;
    }
    const error = toSockitError(err);
    fail(error, false);
    if (error.code === "internal") console.error(err);
    return USAGE_CODES.has(error.code) ? EXIT.usage : EXIT.failure;
  }
}

if (import.meta.main) {
  // `deno task` runs us in the project folder, but the paths the user typed are relative to
  // where they typed them (INIT_CWD). The tasks that run sockit say so with SOCKIT_FROM_TASK.
  const typedIn = Deno.env.get("INIT_CWD");
  if (typedIn && Deno.env.get("SOCKIT_FROM_TASK")) {
    try {
      Deno.chdir(typedIn);
    } catch {
      // An INIT_CWD inherited from elsewhere that no longer exists: stay where the task put us.
    }
  }
  Deno.exit(await main(Deno.args));
}
