/**
 * Reading the command line: argument parsers that turn option text into typed values (or one
 * clear usage error), and usage errors that show an example of what to type.
 *
 * @module
 */

import type { ProgramSpec, UsageError } from "./parse.ts";
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
 * Argument parsers for sockit's option values. Each returns the typed value or throws
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
 * Finds `--lang` before the command line is parsed, so help and errors are already translated;
 * an unknown language is refused even where parsing would not look (`--lang xx --version`).
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

/** Every long option a command line may use, e.g. `--to`, `--help`, `--version`. */
function longOptions(program: ProgramSpec): Set<string> {
  const all = new Set([program.help.long, program.version.long]);
  for (const options of [program.options, ...program.commands.map((c) => c.options)]) {
    for (const option of options) all.add(option.long);
  }
  return all;
}

/**
 * Refuses a long option written with one dash (`-to`), which would be read as short options
 * (`-t o`) and so take the next word for a file name.
 *
 * @throws {SockitError} `bad-option` naming the option with two dashes.
 */
export function checkSingleDash(lang: Lang, program: ProgramSpec, args: readonly string[]): void {
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
  spy: "spy --listen 9000 --to 127.0.0.1:9999",
};

/**
 * Turns a command line that does not fit into a translated line that names what to type, with
 * an example of the command (`prefix` is how sockit was started, e.g. `deno task sockit`).
 *
 * @example
 * ```ts
 * import { UsageError } from "./parse.ts";
 * import { usageMessage } from "./options.ts";
 * usageMessage("en", new UsageError("missing-argument", "paths", "send"), "sockit");
 * // "Say which files or folders to send, for example: sockit send homework.py --to 192.168.0.12"
 * ```
 */
export function usageMessage(lang: Lang, error: UsageError, prefix: string): string {
  const { command = "", value, suggestions } = error;
  const example = `${prefix} ${EXAMPLES[command] ?? EXAMPLES.send}`;
  const suggestion = suggestions.length > 1
    ? translate(lang, "usage.one-of", { names: suggestions.join(", ") })
    : suggestions[0] ?? "";
  const params = { value, option: value, command, example, suggestion };
  switch (error.code) {
    case "unknown-option":
      return translate(
        lang,
        suggestion ? "usage.unknown-option-suggest" : "usage.unknown-option",
        params,
      );
    case "unknown-command":
      return translate(
        lang,
        suggestion ? "usage.unknown-command-suggest" : "usage.unknown-command",
        params,
      );
    case "missing-argument":
      return translate(lang, "usage.missing-paths", params);
    case "missing-option-value":
      return translate(lang, "usage.missing-option-value", params);
    case "excess-arguments":
      return translate(lang, "usage.excess-arguments", params);
  }
}
