/**
 * sockit's command-line parser: a program with global options and commands, each described by a
 * table ({@linkcode ProgramSpec}). It reads the command line the way sockit always has (commander's
 * rules): global options anywhere before `--`, `--opt value` and `--opt=value`, short options
 * grouped (`-qV`) or with the value attached (`-p9999`), `--no-x` negations, `--` ending options,
 * a variadic last argument, `help [command]`, `-h`/`--help` and `-V`/`--version`. It is small so
 * that every sockit process starts without loading a CommonJS package (see docs/performance.md).
 *
 * @module
 */

/** One option of a command (or of the program). */
export interface OptionSpec {
  /** The short flag, e.g. `-t`. Default: none. */
  short?: string;
  /** The long flag, e.g. `--to`; `--no-web` sets `web` to false (and `web` defaults to true). */
  long: string;
  /** The value's name in help, e.g. `host[:port]`. Default: none (the option is a flag). */
  value?: string;
  /** What the option does, for help. */
  description: string;
  /** Turns the value's text into its typed value, or throws. Default: the text as it is. */
  parse?: (value: string) => unknown;
}

/** A command's argument: the words after the command that are not options. */
export interface ArgumentSpec {
  /** Its name in help, e.g. `paths`. */
  name: string;
  /** What it is, for help. */
  description: string;
  /** Whether at least one word must be given. */
  required: boolean;
}

/** One command: its name, options and (variadic) argument. */
export interface CommandSpec {
  /** What the user types, e.g. `send`. */
  name: string;
  /** One line for help. */
  description: string;
  /** The words it takes after its options, all of them. Default: none. */
  argument?: ArgumentSpec;
  /** Its options, in help order. */
  options: readonly OptionSpec[];
}

/** The whole command line: the program's own options and flags, and its commands. */
export interface ProgramSpec<C extends CommandSpec = CommandSpec> {
  /** The program's name, e.g. `sockit`. */
  name: string;
  /** One line for help. */
  description: string;
  /** Options every command takes (`--json`…), in help order. */
  options: readonly OptionSpec[];
  /** `-V, --version`: printing the version. */
  version: OptionSpec;
  /** `-h, --help`: printing help. */
  help: OptionSpec;
  /** The `help [command]` command's description. */
  helpCommand: { argument: string; description: string };
  /** The commands, in help order. */
  commands: readonly C[];
}

/** What the command line asks for. */
export type Parsed<C extends CommandSpec = CommandSpec> =
  | { kind: "version" }
  | {
    kind: "help";
    /** The command whose help to show; none for the program's. */
    command?: C;
    /** True when help stands in for a missing command: it goes to stderr, exit code 2. */
    error: boolean;
  }
  | {
    kind: "run";
    command: C;
    /** The argument's words. */
    operands: string[];
    /** The command's options by name (`--max-size` is `maxSize`). */
    options: Record<string, unknown>;
    /** The program's options by name. */
    globals: Record<string, unknown>;
  };

/** The kinds of mistake {@linkcode UsageError} reports. */
export type UsageCode =
  | "unknown-option"
  | "unknown-command"
  | "missing-argument"
  | "missing-option-value"
  | "excess-arguments";

/** A command line that does not fit the table: what was wrong and where. */
export class UsageError extends Error {
  /**
   * @param code What is wrong.
   * @param value The word concerned: the option or command typed, or the first extra word.
   * @param command The command being read, when there is one.
   * @param suggestions The known names close to `value` (`--count` for `--cont`), if any.
   */
  constructor(
    readonly code: UsageCode,
    readonly value: string,
    readonly command: string | undefined,
    readonly suggestions: readonly string[] = [],
  ) {
    super(`${code}: ${value}`);
    this.name = "UsageError";
  }
}

/** `--max-size` → `maxSize`; `--no-web` → `web`. */
function attributeName(option: OptionSpec): string {
  return option.long.replace(/^--(no-)?/, "").replace(
    /-([a-z])/g,
    (_, c: string) => c.toUpperCase(),
  );
}

const maybeOption = (arg: string) => arg.length > 1 && arg[0] === "-";
const negativeNumber = (arg: string) => /^-(\d+|\d*\.\d+)(e[+-]?\d+)?$/.test(arg);

/** Options' values by name, with `--no-x` options' defaults (true) filled in. */
function defaults(options: readonly OptionSpec[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const option of options) {
    if (option.long.startsWith("--no-")) values[attributeName(option)] = true;
  }
  return values;
}

/** Where one level's scan put the words it did not take. */
interface Scan {
  operands: string[];
  /** The first word that looked like an unknown option, and every word after it. */
  unknown: string[];
  /** Whether the scan stopped at the `stop` flag. */
  stopped: boolean;
}

/**
 * One level's scan of `args` (commander's `parseOptions`): the options in `known` are taken and
 * stored in `values` wherever they appear, until the `stop` flag (`--version`) if it comes.
 * The first unknown option and every word after it are left for the next level.
 */
function scan(
  args: readonly string[],
  known: readonly OptionSpec[],
  values: Record<string, unknown>,
  context: { command?: string; leaf: boolean; stop?: OptionSpec },
): Scan {
  const find = (flag: string) => known.find((o) => o.long === flag || o.short === flag);
  const take = (option: OptionSpec, value: string | undefined) => {
    if (value === undefined) {
      throw new UsageError("missing-option-value", option.long, context.command);
    }
    values[attributeName(option)] = option.parse ? option.parse(value) : value;
  };
  const result: Scan = { operands: [], unknown: [], stopped: false };
  const flag = (option: OptionSpec) => {
    values[attributeName(option)] = !option.long.startsWith("--no-");
    result.stopped = option === context.stop;
    return result.stopped;
  };
  let dest = result.operands;
  let group: string | undefined; // the rest of a group of short flags, e.g. `-V` of `-qV`
  let i = 0;
  while (i < args.length || group !== undefined) {
    const arg = group ?? args[i++];
    group = undefined;
    if (arg === "--") {
      if (dest === result.unknown) dest.push(arg);
      dest.push(...args.slice(i));
      break;
    }
    const option = maybeOption(arg) ? find(arg) : undefined;
    if (option) {
      if (option.value !== undefined) take(option, args[i++]);
      else if (flag(option)) return result;
      continue;
    }
    if (arg.length > 2 && arg[0] === "-" && arg[1] !== "-") {
      const short = find(arg.slice(0, 2));
      if (short) {
        if (short.value !== undefined) take(short, arg.slice(2));
        else if (flag(short)) return result;
        else group = `-${arg.slice(2)}`;
        continue;
      }
    }
    if (/^--[^=]+=/.test(arg)) {
      const equals = arg.indexOf("=");
      const long = find(arg.slice(0, equals));
      if (long?.value !== undefined) {
        take(long, arg.slice(equals + 1));
        continue;
      }
    }
    if (dest === result.operands && maybeOption(arg) && !(context.leaf && negativeNumber(arg))) {
      dest = result.unknown;
    }
    dest.push(arg);
  }
  return result;
}

const MAX_DISTANCE = 3;

/** Damerau–Levenshtein distance (adjacent swaps count one), capped for very different lengths. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > MAX_DISTANCE) return Math.max(a.length, b.length);
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d[i] = [i];
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let j = 1; j <= b.length; j++) {
    for (let i = 1; i <= a.length; i++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The known names closest to `word` (at most 2 edits and 40 % alike), in order; none when none
 * is close.
 *
 * @example
 * ```ts
 * import { suggest } from "./parse.ts";
 * suggest("--cont", ["--count", "--to"]); // ["--count"]
 * suggest("sned", ["send", "spy"]); // ["send"]
 * ```
 */
export function suggest(word: string, candidates: readonly string[]): string[] {
  const options = word.startsWith("--");
  const strip = (name: string) => options ? name.slice(2) : name;
  let best = MAX_DISTANCE;
  let similar: string[] = [];
  for (const candidate of new Set(candidates)) {
    const name = strip(candidate);
    if (name.length <= 1) continue;
    const distance = editDistance(strip(word), name);
    const length = Math.max(strip(word).length, name.length);
    if ((length - distance) / length <= 0.4) continue;
    if (distance < best) {
      best = distance;
      similar = [candidate];
    } else if (distance === best) similar.push(candidate);
  }
  return similar.sort((a, b) => strip(a).localeCompare(strip(b)));
}

/** The long flags help lists for `command` (or the program): what an unknown option may be. */
function longFlags(program: ProgramSpec, command?: CommandSpec): string[] {
  const own = command ? [...command.options, program.help] : [];
  return [...own, program.version, ...program.options, program.help].map((o) => o.long);
}

/** Whether `unknown`, the words no option took, ask for help (`-h`, `--help`). */
function asksHelp(program: ProgramSpec, unknown: readonly string[]): boolean {
  return unknown.some((arg) => arg === program.help.short || arg === program.help.long);
}

/**
 * Reads `args` (without the program's name) against `program`.
 *
 * @example
 * ```ts
 * import { parse } from "./parse.ts";
 * const program = {
 *   name: "tool",
 *   description: "A tool.",
 *   options: [{ long: "--json", description: "JSON output" }],
 *   version: { short: "-V", long: "--version", description: "version" },
 *   help: { short: "-h", long: "--help", description: "help" },
 *   helpCommand: { argument: "command", description: "Show help." },
 *   commands: [{
 *     name: "send",
 *     description: "Send files.",
 *     argument: { name: "paths", description: "files", required: true },
 *     options: [{ short: "-t", long: "--to", value: "host", description: "where" }],
 *   }],
 * };
 * parse(program, ["send", "a.txt", "--to=h", "--json"]);
 * // { kind: "run", command: program.commands[0], operands: ["a.txt"],
 * //   options: { to: "h" }, globals: { json: true } }
 * ```
 * @throws {UsageError} for a command line that does not fit; whatever an option's `parse` throws.
 */
export function parse<C extends CommandSpec>(
  program: ProgramSpec<C>,
  args: readonly string[],
): Parsed<C> {
  const globals = defaults(program.options);
  const top = scan(args, [program.version, ...program.options], globals, {
    leaf: false,
    stop: program.version,
  });
  if (top.stopped) return { kind: "version" };
  const [first, ...rest] = top.operands;
  const command = program.commands.find((c) => c.name === first);
  if (command) return parseCommand(program, command, rest, top.unknown, globals);
  if (first === "help") {
    const name = rest[0];
    const named = program.commands.find((c) => c.name === name);
    return { kind: "help", command: named, error: name !== undefined && !named };
  }
  if (top.operands.length === 0 && top.unknown.length === 0) return { kind: "help", error: true };
  if (asksHelp(program, top.unknown)) return { kind: "help", error: false };
  if (first !== undefined) {
    const names = [...program.commands.map((c) => c.name), "help"];
    throw new UsageError("unknown-command", first, undefined, suggest(first, names));
  }
  const option = top.unknown[0];
  const suggestions = option.startsWith("--") ? suggest(option, longFlags(program)) : [];
  throw new UsageError("unknown-option", option, undefined, suggestions);
}

/** A command's options and argument: what is left after the program's own options. */
function parseCommand<C extends CommandSpec>(
  program: ProgramSpec<C>,
  command: C,
  operands: readonly string[],
  unknown: readonly string[],
  globals: Record<string, unknown>,
): Parsed<C> {
  const options = defaults(command.options);
  const own = scan(unknown, command.options, options, { command: command.name, leaf: true });
  const words = [...operands, ...own.operands];
  if (asksHelp(program, own.unknown)) {
    return { kind: "help", command, error: false };
  }
  if (own.unknown.length > 0) {
    const option = own.unknown[0];
    const suggestions = option.startsWith("--") ? suggest(option, longFlags(program, command)) : [];
    throw new UsageError("unknown-option", option, command.name, suggestions);
  }
  if (command.argument?.required && words.length === 0) {
    throw new UsageError("missing-argument", command.argument.name, command.name);
  }
  if (!command.argument && words.length > 0) {
    throw new UsageError("excess-arguments", words[0], command.name);
  }
  return { kind: "run", command, operands: words, options, globals };
}
