#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env --allow-sys
/**
 * The sockit command line: parses arguments, calls the library, prints its events, and maps
 * errors to exit codes (0 success, 1 failure, 2 usage error, 130 interrupted twice).
 *
 * @module
 */

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
  parsers,
  usageMessage,
} from "./cli/options.ts";
import { type CommandSpec, parse, type ProgramSpec, UsageError } from "./cli/parse.ts";
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

/** A sockit command: its table entry and what runs it. */
export interface SockitCommand extends CommandSpec {
  /** Loads the command's module and runs it; resolves with the exit code. */
  run(words: string[], options: never, context: CommandContext): Promise<number>;
}

/**
 * The command line, in `lang`: every command and option, with the parsers of their values
 * (read by `parse` in cli/parse.ts, laid out by `helpText` in cli/help.ts).
 *
 * @example
 * ```ts
 * import { sockitProgram } from "./main.ts";
 * import { parse } from "./cli/parse.ts";
 * parse(sockitProgram("en"), ["send", "a.txt", "--to", "192.168.0.12"]);
 * // { kind: "run", operands: ["a.txt"],
 * //   options: { to: { host: "192.168.0.12", port: 6000 } }, … }
 * ```
 */
export function sockitProgram(lang: Lang): ProgramSpec<SockitCommand> {
  const t = (key: MessageKey) => translate(lang, key);
  const p = parsers(lang);
  const host = { long: "--host", value: t("val.host"), description: t("opt.host") };
  const port = (fallback: number) => ({
    short: "-p",
    long: "--port",
    value: t("val.port"),
    description: `${t("opt.port")} (${fallback})`,
    parse: parsePort,
  });
  const seconds = (long: string, description: string) => ({
    long,
    value: t("val.seconds"),
    description,
    parse: p.seconds(long),
  });
  const timeout = (fallback: number) => seconds("--timeout", `${t("opt.timeout")} (${fallback})`);
  /** `-t, --to HOST[:PORT]`; `fallback` is the port when none is given. */
  const to = (fallback: number, shown: string) => ({
    short: "-t",
    long: "--to",
    value: t("val.to"),
    description: `${t("opt.to")} (${shown})`,
    parse: p.target(fallback),
  });
  const chunkSize = {
    long: "--chunk-size",
    value: t("val.size"),
    description: t("opt.chunk-size"),
    parse: p.chunkSize,
  };
  const codeFile = { long: "--code-file", value: t("val.file"), description: t("opt.code-file") };
  const code = {
    long: "--code",
    value: t("val.code"),
    description: t("opt.code"),
    parse: refuseCodeOption,
  };
  const whole = (long: string, min: number, value: MessageKey, description: MessageKey) => ({
    long,
    value: t(value),
    description: t(description),
    parse: p.whole(long, min),
  });
  const flag = (long: string, description: MessageKey) => ({ long, description: t(description) });

  // Each command's module is loaded only when it runs: `send` never loads the receiver, the
  // web page, discovery or the spy (start-up time; see docs/performance.md).
  const commands: SockitCommand[] = [{
    name: "echo-server",
    description: t("cmd.echo-server"),
    options: [host, port(DEFAULT_PORTS.echo)],
    run: async (_, options: EchoServerOptions, context) =>
      (await import("./cli/run_echo.ts")).runEchoServer(options, context),
  }, {
    name: "echo",
    description: t("cmd.echo"),
    argument: { name: t("val.message"), description: t("arg.message"), required: false },
    options: [
      to(DEFAULT_PORTS.echo, `127.0.0.1:${DEFAULT_PORTS.echo}`),
      { short: "-c", ...whole("--count", 1, "val.n", "opt.count") },
      { short: "-i", ...seconds("--interval", `${t("opt.interval")} (1)`) },
      timeout(10),
    ],
    run: async (words, options: EchoOptions, context) =>
      (await import("./cli/run_echo.ts")).runEchoClient(words, options, context),
  }, {
    name: "receive",
    description: t("cmd.receive"),
    options: [
      { short: "-d", long: "--dir", value: t("val.dir"), description: t("opt.dir") },
      host,
      port(DEFAULT_PORTS.transfer),
      flag("--overwrite", "opt.overwrite"),
      { long: "--max-size", value: t("val.size"), description: t("opt.max-size"), parse: p.size },
      whole("--max-connections", 1, "val.n", "opt.max-connections"),
      whole("--max-per-address", 1, "val.n", "opt.max-per-address"),
      seconds("--idle-timeout", t("opt.idle-timeout")),
      { long: "--classic-name", value: t("val.name"), description: t("opt.classic-name") },
      chunkSize,
      flag("--no-announce", "opt.no-announce"),
      flag("--no-qr", "opt.no-qr"),
      flag("--flat", "opt.flat"),
      { long: "--roster", value: t("val.file"), description: t("opt.roster") },
      flag("--roster-only", "opt.roster-only"),
      flag("--summary", "opt.summary"),
      flag("--open", "opt.open"),
      flag("--classic", "opt.classic-receive"),
      codeFile,
      code,
      flag("--no-web", "opt.no-web"),
    ],
    run: async (_, options: ReceiveOptions, context) =>
      (await import("./cli/run_receive.ts")).runReceive(options, context),
  }, {
    name: "send",
    description: t("cmd.send"),
    argument: { name: t("val.paths"), description: t("arg.paths"), required: true },
    options: [
      to(DEFAULT_PORTS.transfer, t("opt.to-found")),
      chunkSize,
      whole("--retries", 0, "val.n", "opt.retries"),
      flag("--classic", "opt.classic"),
      timeout(30),
      { long: "--name", value: t("val.name"), description: t("opt.name") },
      codeFile,
      code,
    ],
    run: async (paths, options: SendOptions, context) =>
      (await import("./cli/run_send.ts")).runSend(paths, options, context),
  }, {
    name: "receivers",
    description: t("cmd.receivers"),
    options: [seconds("--wait", t("opt.wait"))],
    run: async (_, options: { wait?: number }, context) =>
      (await import("./cli/run_receivers.ts")).runReceivers(options, context),
  }, {
    name: "spy",
    description: t("cmd.spy"),
    options: [
      {
        short: "-l",
        long: "--listen",
        value: `[${t("val.host")}:]${t("val.port")}`,
        description: t("opt.listen"),
      },
      {
        short: "-t",
        long: "--to",
        value: `${t("val.host")}:${t("val.port")}`,
        description: t("opt.spy-to"),
      },
    ],
    run: async (_, options: SpyOptions, context) =>
      (await import("./cli/run_spy.ts")).runSpy(options, context),
  }];

  return {
    name: "sockit",
    description: t("cli.description"),
    options: [
      { long: "--lang", value: t("val.lang"), description: t("opt.lang"), parse: p.lang },
      flag("--json", "opt.json"),
      { short: "-q", ...flag("--quiet", "opt.quiet") },
      flag("--trace", "opt.trace"),
    ],
    version: { short: "-V", long: "--version", description: t("opt.version") },
    help: { short: "-h", long: "--help", description: t("opt.help") },
    helpCommand: { argument: t("val.command"), description: t("cmd.help") },
    commands,
  };
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
  try {
    lang = langArgument(args, lang);
    const program = sockitProgram(lang);
    checkSingleDash(lang, program, args);
    const parsed = parse(program, args);
    if (parsed.kind === "version") {
      console.log(versionLine());
      return EXIT.ok;
    }
    if (parsed.kind === "help") {
      // string-width, which the help layout needs, is loaded only when help is shown.
      const text = (await import("./cli/help.ts")).helpText(lang, program, parsed.command);
      (parsed.error ? console.error : console.log)(text);
      return parsed.error ? EXIT.usage : EXIT.ok;
    }
    const globals = parsed.globals as GlobalOptions;
    const style: RenderStyle = { lang, color: useColor() };
    const out = new Output(style, !!globals.json, !!globals.quiet);
    const context: CommandContext = { lang, globals, style, out, prefix };
    return await parsed.command.run(parsed.operands, parsed.options as never, context);
  } catch (err) {
    if (err instanceof UsageError) {
      fail(new SockitError("bad-option", { reason: usageMessage(lang, err, prefix()) }), true);
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
