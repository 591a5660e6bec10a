#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env --allow-sys
/**
 * The sockit command line: parses arguments, calls the library, prints its events, and maps
 * errors to exit codes (0 success, 1 failure, 2 usage error, 130 interrupted twice).
 *
 * @module
 */

import { Command, CommanderError } from "commander";
import { DEFAULT_PORTS, parsePort } from "./lib/net/address.ts";
import { SockitError, toSockitError } from "./lib/core/errors.ts";
import { versionLine } from "./lib/core/version.ts";
import { detectLang, translate } from "./cli/messages.ts";
import type { Lang, MessageKey } from "./cli/messages.ts";
import type { RenderStyle } from "./cli/render.ts";
import { Output } from "./cli/output.ts";
import { commandPrefix, currentLaunch } from "./cli/invocation.ts";
import {
  checkSingleDash,
  type GlobalOptions,
  langArgument,
  mayShowHelp,
  parsers,
  usageMessage,
} from "./cli/options.ts";
import { type CommandContext, EXIT } from "./cli/command.ts";
import { refuseCodeOption } from "./cli/pairing_code.ts";
import type { EchoOptions, EchoServerOptions } from "./cli/run_echo.ts";
import type { ReceiveOptions } from "./cli/run_receive.ts";
import type { SendOptions } from "./cli/run_send.ts";
import type { SpyOptions } from "./cli/run_spy.ts";

/** Error codes that mean the user typed something wrong (exit 2). */
const USAGE_CODES = new Set(["bad-port", "bad-address", "bad-size", "bad-option", "code-on-argv"]);

function useColor(): boolean {
  return Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
}

/** Commander's help formatter, once loaded (see {@linkcode mayShowHelp}). */
type HelpFormat = (cmd: Command, helper: import("commander").Help) => string;

function buildProgram(
  lang: Lang,
  prefix: () => string,
  setExit: (code: number) => void,
  help: { format?: HelpFormat },
): Command {
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
    .configureHelp({
      formatHelp: (cmd, helper) => help.format!(cmd, helper),
      showGlobalOptions: true,
    })
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  const context = (cmd: Command): CommandContext => {
    const globals = cmd.optsWithGlobals<GlobalOptions>();
    const style: RenderStyle = { lang, color: useColor() };
    return {
      lang,
      globals,
      style,
      out: new Output(style, !!globals.json, !!globals.quiet),
      prefix,
    };
  };

  // Each command's module is loaded only when it runs: `send` never loads the receiver, the
  // web page, discovery or the spy (start-up time; see docs/performance.md).
  program.command("echo-server")
    .description(t("cmd.echo-server"))
    .option(`--host <${t("val.host")}>`, t("opt.host"))
    .option(`-p, --port <${t("val.port")}>`, `${t("opt.port")} (${DEFAULT_PORTS.echo})`, parsePort)
    .action(async (options: EchoServerOptions, cmd: Command) => {
      const { runEchoServer } = await import("./cli/run_echo.ts");
      setExit(await runEchoServer(options, context(cmd)));
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
      const { runEchoClient } = await import("./cli/run_echo.ts");
      setExit(await runEchoClient(words, options, context(cmd)));
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
      `--max-per-address <${t("val.n")}>`,
      t("opt.max-per-address"),
      p.whole("--max-per-address", 1),
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
      const { runReceive } = await import("./cli/run_receive.ts");
      setExit(await runReceive(options, context(cmd)));
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
      const { runSend } = await import("./cli/run_send.ts");
      setExit(await runSend(paths, options, context(cmd)));
    });

  program.command("receivers")
    .description(t("cmd.receivers"))
    .option(`--wait <${t("val.seconds")}>`, t("opt.wait"), p.seconds("--wait"))
    .action(async (options: { wait?: number }, cmd: Command) => {
      const { runReceivers } = await import("./cli/run_receivers.ts");
      setExit(await runReceivers(options, context(cmd)));
    });

  program.command("spy")
    .description(t("cmd.spy"))
    .option(`-l, --listen <[${t("val.host")}:]${t("val.port")}>`, t("opt.listen"))
    .option(`-t, --to <${t("val.host")}:${t("val.port")}>`, t("opt.spy-to"))
    .action(async (options: SpyOptions, cmd: Command) => {
      const { runSpy } = await import("./cli/run_spy.ts");
      setExit(await runSpy(options, context(cmd)));
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
    const help: { format?: HelpFormat } = {};
    const program = buildProgram(lang, prefix, (code) => exitCode = code, help);
    checkSingleDash(lang, program, args);
    if (mayShowHelp(args, program.commands.map((cmd) => cmd.name()))) {
      help.format = (await import("./cli/help.ts")).localizedHelp(lang);
    }
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
