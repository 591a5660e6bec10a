/**
 * Reading the command line: commander argument parsers that turn option text into typed values
 * (or one clear usage error), when translated help may be needed, and usage errors that show an example instead of
 * commander's internal words.
 *
 * @module
 */

import type { Command, CommanderError } from "commander";
import { SockitError } from "../lib/core/errors.ts";
import { parseSize } from "../lib/core/format.ts";
import { type HostPort, parseHostPort } from "../lib/net/address.ts";
import { isLang, translate } from "./messages.ts";
import type { Lang, MessageKey } from "./messages.ts";

/** The largest `--chunk-size`: every transfer keeps a buffer this large in memory. */
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;

/** Options every command takes. */
export interface GlobalOptions {
  /** `--lang`. */
  lang?: Lang;
  /** `--json`. */
  json?: boolean;
  /** `--quiet`. */
  quiet?: boolean;
  /** `--trace`. */
  trace?: boolean;
}

function usageError(lang: Lang, key: MessageKey, params: Record<string, string | number>) {
  return new SockitError("bad-option", { reason: translate(lang, key, params) });
}

/** The argument parsers {@linkcode parsers} returns. */
export interface Parsers {
  /** `--lang`: a language sockit speaks. */
  lang(value: string): Lang;
  /** Where to connect (`--to`), with the command's default port; port 0 is refused. */
  target(defaultPort: number): (value: string) => HostPort;
  /** A size such as `4m`. */
  size(value: string): number;
  /** `--chunk-size`: a size of at most {@linkcode MAX_CHUNK_SIZE}. */
  chunkSize(value: string): number;
  /** A whole number of at least `min` for `option`. */
  whole(option: string, min: number): (value: string) => number;
  /** A number of seconds for `option`, fractions allowed. */
  seconds(option: string): (value: string) => number;
}

/**
 * Commander argument parsers for sockit's option values. Each returns the typed value or throws
 * a {@linkcode SockitError} that the CLI prints as one line with exit code 2.
 *
 * @example
 * ```ts
 * import { parsers } from "./options.ts";
 * const p = parsers("en");
 * p.seconds("--timeout")("1.5"); // 1.5
 * p.target(6000)("192.168.0.12"); // { host: "192.168.0.12", port: 6000 }
 * ```
 */
export function parsers(lang: Lang): Parsers {
  return {
    /** `--lang`: a language sockit speaks. */
    lang: (value: string): Lang => {
      if (!isLang(value)) throw usageError(lang, "usage.bad-lang", { value });
      return value;
    },
    /** Where to connect (`--to`): a port of 0 is no place to connect to. */
    target: (defaultPort: number) => (value: string): HostPort => {
      const target = parseHostPort(value, defaultPort);
      if (target.port === 0) throw new SockitError("bad-port", { value: "0" });
      return target;
    },
    /** A size such as `4m`. */
    size: (value: string): number => parseSize(value),
    /** `--chunk-size`: a size of at most {@linkcode MAX_CHUNK_SIZE}. */
    chunkSize: (value: string): number => {
      const size = parseSize(value);
      if (size > MAX_CHUNK_SIZE) {
        throw usageError(lang, "usage.chunk-size-limit", { value, max: "16m" });
      }
      return size;
    },
    /** A whole number of at least `min`. */
    whole: (option: string, min: number) => (value: string): number => {
      const n = Number(value);
      if (value.trim() === "" || !Number.isInteger(n) || n < min) {
        throw usageError(lang, "usage.bad-whole-number", { option, value, min });
      }
      return n;
    },
    /** A number of seconds, fractions allowed. */
    seconds: (option: string) => (value: string): number => {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0 || value.trim() === "") {
        throw usageError(lang, "usage.bad-number", { option, value });
      }
      return n;
    },
  };
}

/**
 * Finds `--lang` before commander runs, so help and errors are already translated; an unknown
 * language is refused even where commander would not look (`--lang xx --version`).
 *
 * @throws {SockitError} `bad-option` for a language sockit does not speak.
 */
export function langArgument(args: readonly string[], fallback: Lang): Lang {
  for (let i = 0; i < args.length && args[i] !== "--"; i++) {
    const value = args[i].startsWith("--lang=")
      ? args[i].slice(7)
      : args[i] === "--lang"
      ? args[i + 1]
      : undefined;
    if (value !== undefined) return parsers(fallback).lang(value);
  }
  return fallback;
}

/** Every long option a command line may use, e.g. `--to`. */
function longOptions(program: Command): Set<string> {
  const all = new Set<string>();
  for (const cmd of [program, ...program.commands]) {
    for (const option of cmd.options) if (option.long) all.add(option.long);
  }
  return all;
}

/**
 * Refuses a long option written with one dash (`-to`), which commander would read as short
 * options (`-t o`) and so take the next word for a file name.
 *
 * @throws {SockitError} `bad-option` naming the option with two dashes.
 */
export function checkSingleDash(lang: Lang, program: Command, args: readonly string[]): void {
  const known = longOptions(program);
  for (const arg of args) {
    if (arg === "--") return;
    const match = /^-([a-z][a-z-]+)(=.*)?$/.exec(arg);
    if (match && known.has(`--${match[1]}`)) {
      throw usageError(lang, "usage.single-dash", { value: arg, option: `--${match[1]}` });
    }
  }
}

/** An example command line for each command, shown with usage errors. */
const EXAMPLES: Record<string, string> = {
  "echo-server": "echo-server --port 9999",
  echo: "echo 안녕 --to 127.0.0.1:9999",
  receive: "receive --dir received",
  send: "send homework.py --to 192.168.0.12",
  receivers: "receivers --wait 3",
};

/** The command the user asked for: the first argument naming one. */
function commandOf(args: readonly string[]): string | undefined {
  return args.find((arg) => arg in EXAMPLES);
}

/**
 * Turns commander's parse errors into a translated line that names what to type, with an example
 * of the command (`prefix` is how sockit was started, e.g. `deno task sockit`).
 *
 * @example
 * ```ts
 * import { CommanderError } from "commander";
 * import { usageMessage } from "./options.ts";
 * const error = new CommanderError(1, "commander.missingArgument", "error: missing required argument 'paths'");
 * usageMessage("en", error, ["send"], "sockit");
 * // "Say which files or folders to send, for example: sockit send homework.py --to 192.168.0.12"
 * ```
 */
export function usageMessage(
  lang: Lang,
  error: CommanderError,
  args: readonly string[],
  prefix: string,
): string {
  const command = commandOf(args);
  const example = `${prefix} ${EXAMPLES[command ?? "send"]}`;
  const quoted = /'([^']*)'/.exec(error.message)?.[1] ?? error.message;
  const option = /--[a-z-]+/.exec(quoted)?.[0] ?? quoted;
  const suggestion = /Did you mean (.+)\?/.exec(error.message)?.[1];
  const params = { value: quoted, option, command: command ?? "", example };
  switch (error.code) {
    case "commander.unknownOption":
      return translate(lang, suggestion ? "usage.unknown-option-suggest" : "usage.unknown-option", {
        ...params,
        suggestion: suggestion ?? "",
      });
    case "commander.unknownCommand":
      return translate(
        lang,
        suggestion ? "usage.unknown-command-suggest" : "usage.unknown-command",
        { ...params, suggestion: suggestion ?? "" },
      );
    case "commander.missingArgument":
      return translate(lang, "usage.missing-paths", params);
    case "commander.optionMissingArgument":
      return translate(lang, "usage.missing-option-value", params);
    case "commander.excessArguments":
      return translate(lang, "usage.excess-arguments", { ...params, value: excessWord(args) });
    default:
      return error.message.replace(/^error: /, "");
  }
}

/** The first word after a command that takes no arguments (the one commander refused). */
function excessWord(args: readonly string[]): string {
  const command = commandOf(args);
  const after = args.slice(args.indexOf(command ?? "") + 1);
  return after.find((arg) => !arg.startsWith("-")) ?? after[0] ?? "";
}

/**
 * Whether commander may print help for `args`: neither a command nor `-V`/`--version` named
 * (commander then shows the help), the `help` command, or `-h`/`--help` (alone or among short
 * flags). A superset on purpose: the help layout ({@linkcode localizedHelp} in help.ts) is loaded only when this says
 * so, and loading it unused costs only time.
 *
 * @example
 * ```ts
 * import { mayShowHelp } from "./options.ts";
 * mayShowHelp(["send", "a.txt"], ["send", "receive"]); // false
 * mayShowHelp(["send", "--help"], ["send", "receive"]); // true
 * mayShowHelp([], ["send", "receive"]); // true
 * mayShowHelp(["--version"], ["send", "receive"]); // false
 * ```
 */
export function mayShowHelp(args: readonly string[], commands: readonly string[]): boolean {
  const named = args.some((arg) =>
    commands.includes(arg) || arg === "--version" || /^-[a-zA-Z]*V/.test(arg)
  );
  return !named ||
    args.some((arg) => arg === "help" || arg === "--help" || /^-[a-zA-Z]*h/.test(arg));
}
