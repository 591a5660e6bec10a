#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env --allow-sys
/**
 * The sockit command line: parses arguments, calls the library, prints its events, and maps
 * errors to exit codes (0 success, 1 failure, 2 usage error, 130 interrupted twice).
 *
 * @module
 */

import { Command, CommanderError, type Help } from "commander";
import { DEFAULT_PORTS, parseHostPort, parsePort, reachableAddresses } from "./lib/net/address.ts";
import { parseSize } from "./lib/core/format.ts";
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
import { detectLang, isLang, translate } from "./cli/messages.ts";
import type { Lang, MessageKey } from "./cli/messages.ts";
import { message, renderEchoClientEvent, renderEchoServerEvent, renderPing } from "./cli/render.ts";
import type { RenderStyle } from "./cli/render.ts";
import { ReceiveView, SendView } from "./cli/render_transfer.ts";
import { liveRegion, Output } from "./cli/output.ts";
import { findReceiver } from "./cli/discover.ts";
import { parseCode } from "./lib/crypto/code.ts";
import { qrLines } from "./cli/qr.ts";
import { renderDiscoveryEvent } from "./cli/render_discovery.ts";

/** Exit codes, as documented in the README. */
const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** Error codes that mean the user typed something wrong (exit 2). */
const USAGE_CODES = new Set(["bad-port", "bad-address", "bad-size", "bad-option"]);

interface GlobalOptions {
  lang?: string;
  json?: boolean;
  quiet?: boolean;
  trace?: boolean;
}

/**
 * Runs `work` with a signal that the first Ctrl+C (or SIGTERM) aborts; a second one exits at
 * once. The handlers are in place before `work` starts, so an early Ctrl+C still stops cleanly,
 * and removed when it ends.
 */
async function interruptible<T>(
  out: Output,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let presses = 0;
  const handler = () => {
    presses++;
    if (presses > 1) Deno.exit(EXIT.interrupted);
    out.note("net.stopping");
    controller.abort();
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, handler);
  try {
    return await work(controller.signal);
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, handler);
  }
}

/** Finds `--lang` before commander runs, so help and errors are already translated. */
function preferredLang(args: readonly string[]): Lang {
  for (let i = 0; i < args.length; i++) {
    const value = args[i].startsWith("--lang=")
      ? args[i].slice(7)
      : args[i] === "--lang"
      ? args[i + 1]
      : undefined;
    if (value !== undefined && isLang(value)) return value;
  }
  return detectLang(Deno.env.toObject());
}

function useColor(): boolean {
  return Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
}

/** Commander's help, laid out the usual way but with translated headings. */
function localizedHelp(lang: Lang) {
  return (cmd: Command, helper: Help): string => {
    const width = helper.padWidth(cmd, helper);
    const item = (term: string, description: string) =>
      description ? `  ${term.padEnd(width + 2)}${description}` : `  ${term}`;
    const section = (key: MessageKey, rows: string[]) =>
      rows.length ? ["", translate(lang, key), ...rows] : [];
    const lines = [`${translate(lang, "cli.usage")} ${helper.commandUsage(cmd)}`];
    const description = helper.commandDescription(cmd);
    if (description) lines.push("", description);
    lines.push(
      ...section(
        "cli.arguments",
        helper.visibleArguments(cmd).map((a) =>
          item(helper.argumentTerm(a), helper.argumentDescription(a))
        ),
      ),
      ...section(
        "cli.options",
        [
          ...helper.visibleOptions(cmd),
          ...helper.visibleGlobalOptions(cmd),
        ].map((o) => item(helper.optionTerm(o), helper.optionDescription(o))),
      ),
      ...section(
        "cli.commands",
        helper.visibleCommands(cmd).map((c) =>
          item(helper.subcommandTerm(c), helper.subcommandDescription(c))
        ),
      ),
    );
    return lines.join("\n") + "\n";
  };
}

/** Maps commander's parse errors to translated usage messages. */
function usageMessage(lang: Lang, error: CommanderError): string {
  const quoted = /'([^']*)'/.exec(error.message)?.[1] ?? error.message;
  const key: MessageKey = ({
    "commander.unknownOption": "usage.unknown-option",
    "commander.unknownCommand": "usage.unknown-command",
    "commander.missingArgument": "usage.missing-argument",
    "commander.optionMissingArgument": "usage.missing-option-value",
    "commander.excessArguments": "usage.excess-arguments",
  } as Record<string, MessageKey>)[error.code] ?? "error.bad-option";
  const text = translate(lang, key, {
    value: quoted,
    reason: error.message.replace(/^error: /, ""),
  });
  return `sockit: ${text}`;
}

/** Parses a whole number option of at least `min`; `undefined` when not given. */
function count(
  lang: Lang,
  value: string | undefined,
  option: string,
  min: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min) {
    const reason = translate(lang, "usage.bad-whole-number", { option, value, min });
    throw new SockitError("bad-option", { reason });
  }
  return n;
}

/** Parses a number of seconds given as an option. */
function seconds(lang: Lang, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || value.trim() === "") {
    throw new SockitError("bad-option", { reason: translate(lang, "usage.bad-number", { value }) });
  }
  return n;
}

function buildProgram(lang: Lang, setExit: (code: number) => void): Command {
  const t = (key: MessageKey) => translate(lang, key);
  const program = new Command("sockit")
    .description(t("cli.description"))
    .version(versionLine(), "-V, --version", t("opt.version"))
    .helpOption("-h, --help", t("opt.help"))
    .helpCommand("help [command]", t("cmd.help"))
    .option("--lang <lang>", t("opt.lang"))
    .option("--json", t("opt.json"))
    .option("-q, --quiet", t("opt.quiet"))
    .option("--trace", t("opt.trace"))
    .configureHelp({ formatHelp: localizedHelp(lang), showGlobalOptions: true })
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  const context = (cmd: Command) => {
    const globals = cmd.optsWithGlobals<GlobalOptions>();
    if (globals.lang !== undefined && !isLang(globals.lang)) {
      throw new SockitError("bad-option", {
        reason: translate(lang, "usage.bad-lang", { value: globals.lang }),
      });
    }
    const style: RenderStyle = { lang, color: useColor() };
    return { globals, style, out: new Output(style, !!globals.json, !!globals.quiet) };
  };

  program.command("echo-server")
    .description(t("cmd.echo-server"))
    .option("--host <host>", t("opt.host"))
    .option("-p, --port <port>", `${t("opt.port")} (${DEFAULT_PORTS.echo})`)
    .action(async (options: { host?: string; port?: string }, cmd: Command) => {
      const { globals, style, out } = context(cmd);
      await interruptible(out, (signal) =>
        startEchoServer({
          host: options.host ?? "0.0.0.0",
          port: options.port === undefined ? DEFAULT_PORTS.echo : parsePort(options.port),
          trace: globals.trace,
          signal,
          onEvent: (event) => out.event(event, renderEchoServerEvent(style, event)),
        }).finished);
      setExit(EXIT.ok);
    });

  program.command("echo")
    .description(t("cmd.echo"))
    .argument("[message...]", t("arg.message"))
    .option("-t, --to <host[:port]>", `${t("opt.to")} (127.0.0.1:${DEFAULT_PORTS.echo})`)
    .option("-c, --count <n>", t("opt.count"))
    .option("-i, --interval <seconds>", `${t("opt.interval")} (1)`)
    .option("--timeout <seconds>", `${t("opt.timeout")} (10)`)
    .action(async (words: string[], options: Record<string, string | undefined>, cmd: Command) => {
      const { globals, style, out } = context(cmd);
      const target = parseHostPort(options.to ?? "127.0.0.1", DEFAULT_PORTS.echo);
      const rounds = count(lang, options.count, "--count", 1) ?? 1;
      const messages = words.length > 0
        ? [words.join(" ")]
        : Deno.stdin.readable.pipeThrough(textLines({ skipEmpty: true }));
      const result = await interruptible(out, (signal) =>
        runEcho({
          ...target,
          messages,
          trace: globals.trace,
          count: rounds,
          intervalMs: rounds > 1 ? seconds(lang, options.interval, 1) * 1000 : 0,
          timeoutMs: seconds(lang, options.timeout, 10) * 1000,
          signal,
          onEvent: (event) => {
            const line = event.type === "reply" && rounds > 1
              ? renderPing(style, event)
              : renderEchoClientEvent(style, event);
            out.event(event, line);
          },
        }));
      if (result.matched !== result.sent) {
        throw new SockitError("echo-mismatch", { sent: result.sent, received: result.matched });
      }
      setExit(EXIT.ok);
    });

  program.command("receive")
    .description(t("cmd.receive"))
    .option("-d, --dir <dir>", t("opt.dir"))
    .option("--host <host>", t("opt.host"))
    .option("-p, --port <port>", `${t("opt.port")} (${DEFAULT_PORTS.transfer})`)
    .option("--overwrite", t("opt.overwrite"))
    .option("--max-size <size>", t("opt.max-size"))
    .option("--max-connections <n>", t("opt.max-connections"))
    .option("--idle-timeout <seconds>", t("opt.idle-timeout"))
    .option("--classic-name <name>", t("opt.classic-name"))
    .option("--chunk-size <size>", t("opt.chunk-size"))
    .option("--no-announce", t("opt.no-announce"))
    .option("--no-qr", t("opt.no-qr"))
    .action(async (options: Record<string, string | boolean | undefined>, cmd: Command) => {
      const { globals, style, out } = context(cmd);
      const text = (name: string) => options[name] as string | undefined;
      const view = new ReceiveView(style);
      const live = liveRegion(globals);
      const host = text("host") ?? "0.0.0.0";
      await interruptible(out, async (signal) => {
        const receiver = await startReceiver({
          signal,
          dir: text("dir") ?? "received",
          host,
          port: text("port") === undefined ? DEFAULT_PORTS.transfer : parsePort(text("port")!),
          overwrite: options.overwrite === true,
          maxSize: text("maxSize") === undefined ? undefined : parseSize(text("maxSize")!),
          maxConnections: count(lang, text("maxConnections"), "--max-connections", 1),
          idleTimeoutMs: seconds(lang, text("idleTimeout"), 30) * 1000,
          classicName: text("classicName"),
          chunkSize: text("chunkSize") === undefined ? undefined : parseSize(text("chunkSize")!),
          trace: globals.trace,
          onEvent: (event) => out.view(event, view.update(event), live),
        });
        // The library never announces by itself; `receive` does unless --no-announce.
        await using _announcer = options.announce === false ? null : startAnnouncer({
          port: receiver.addr.port,
          host,
          // Wiring point for the pairing code (issue 12): a receiver with a code announces its
          // nameplate here (the number only, never the words); without one, or with --open, null.
          nameplate: null,
          signal,
          onEvent: (event) => {
            const line = renderDiscoveryEvent(style, event, !!globals.trace);
            out.view(event, { log: line ? [line] : [] }, live);
          },
        });
        const reachable = reachableAddresses(receiver.addr.hostname, receiver.addr.port);
        // The address for now; the web page's address (with its token) once there is one.
        const qr = reachable[0];
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
    .argument("<paths...>", t("arg.paths"))
    .option("-t, --to <host[:port]>", `${t("opt.to")} (${t("opt.to-found")})`)
    .option("--chunk-size <size>", t("opt.chunk-size"))
    .option("--retries <n>", t("opt.retries"))
    .option("--classic", t("opt.classic"))
    .option("--timeout <seconds>", `${t("opt.timeout")} (30)`)
    .action(
      async (
        paths: string[],
        options: Record<string, string | boolean | undefined>,
        cmd: Command,
      ) => {
        const { globals, style, out } = context(cmd);
        const text = (name: string) => options[name] as string | undefined;
        const to = text("to");
        const given = to === undefined ? null : parseHostPort(to, DEFAULT_PORTS.transfer);
        const settings = {
          chunkSize: text("chunkSize") === undefined ? undefined : parseSize(text("chunkSize")!),
          classic: options.classic === true,
          retries: count(lang, text("retries"), "--retries", 0),
          timeoutMs: seconds(lang, text("timeout"), 30) * 1000,
          trace: globals.trace,
        };
        const view = new SendView(style);
        const live = liveRegion(globals);
        let interrupted = false;
        const result = await interruptible(out, async (signal) => {
          signal.addEventListener("abort", () => interrupted = true);
          if (!given) await planSend(paths); // a missing file is said before listening
          // With a pairing code (SOCKIT_CODE), its nameplate picks the receiver; only the number
          // is used here, the words never leave the code.
          const code = given ? undefined : Deno.env.get("SOCKIT_CODE");
          const nameplate = code ? parseCode(code).nameplate : undefined;
          const target = given ??
            await findReceiver({ out, nameplate, trace: globals.trace, signal });
          if (!target) return null;
          return sendFiles({
            paths,
            ...target,
            ...settings,
            signal,
            onEvent: (event) => out.view(event, view.update(event), live),
          });
        });
        setExit(!result || result.rejected > 0 || interrupted ? EXIT.failure : EXIT.ok);
      },
    );

  program.command("receivers")
    .description(t("cmd.receivers"))
    .option("--wait <seconds>", t("opt.wait"))
    .action(async (options: { wait?: string }, cmd: Command) => {
      const { globals, style, out } = context(cmd);
      const timeoutMs = seconds(lang, options.wait, 3) * 1000;
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
  const lang = preferredLang(args);
  const style: RenderStyle = { lang, color: Deno.stderr.isTerminal() && !Deno.env.get("NO_COLOR") };
  let exitCode: number = EXIT.ok;
  const program = buildProgram(lang, (code) => exitCode = code);
  try {
    await program.parseAsync(args, { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return EXIT.ok;
      // No command given: commander has already printed the help to stderr.
      if (err.code === "commander.help") return EXIT.usage;
      console.error(usageMessage(lang, err));
      console.error(translate(lang, "cli.help-hint", { command: "sockit" }));
      return EXIT.usage;
    }
    const error = toSockitError(err);
    const json = args.includes("--json");
    new Output(style, json, false).error(error);
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
