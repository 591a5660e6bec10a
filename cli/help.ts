/**
 * Translated help, laid out from the command-line table (see parse.ts): a usage line, the
 * description, then the arguments, options and commands with their terms padded by display
 * width. Loaded only when help is printed, since measuring display width (string-width) is
 * costly to load.
 *
 * @module
 */

import stringWidth from "string-width";
import { translate } from "./messages.ts";
import type { Lang, MessageKey } from "./messages.ts";
import type { ArgumentSpec, CommandSpec, OptionSpec, ProgramSpec } from "./parse.ts";

/** `<paths...>` for a required argument, `[message...]` for an optional one. */
function argumentUsage(argument: ArgumentSpec): string {
  return argument.required ? `<${argument.name}...>` : `[${argument.name}...]`;
}

/** `-t, --to <host[:port]>`. */
function optionTerm(option: OptionSpec): string {
  const flags = option.short ? `${option.short}, ${option.long}` : option.long;
  return option.value === undefined ? flags : `${flags} <${option.value}>`;
}

/**
 * The help of `command`, or of the whole program when `command` is not given, in `lang`.
 *
 * @example
 * ```ts
 * import { helpText } from "./help.ts";
 * const program = {
 *   name: "tool",
 *   description: "A tool.",
 *   options: [],
 *   version: { short: "-V", long: "--version", description: "print the version" },
 *   help: { short: "-h", long: "--help", description: "show this help" },
 *   helpCommand: { argument: "command", description: "Show help for a command." },
 *   commands: [{ name: "run", description: "Run it.", options: [] }],
 * };
 * helpText("en", program); // "Usage: tool [options] [command]\n\nA tool.\n\nOptions:\n…"
 * ```
 */
export function helpText(lang: Lang, program: ProgramSpec, command?: CommandSpec): string {
  const t = (key: MessageKey) => translate(lang, key);
  const options = t("cli.usage-options");
  const sections: { key: MessageKey; items: [string, string][] }[] = [];
  let usage: string;
  let description: string;
  if (command) {
    const argument = command.argument;
    usage = `${program.name} ${command.name} ${options}` +
      (argument ? ` ${argumentUsage(argument)}` : "");
    description = command.description;
    sections.push(
      { key: "cli.arguments", items: argument ? [[argument.name, argument.description]] : [] },
      {
        key: "cli.options",
        items: [...command.options, program.help, program.version, ...program.options].map((
          o,
        ) => [optionTerm(o), o.description]),
      },
    );
  } else {
    usage = `${program.name} ${options} ${t("cli.usage-command")}`;
    description = program.description;
    sections.push(
      {
        key: "cli.options",
        items: [program.version, ...program.options, program.help].map((o) => [
          optionTerm(o),
          o.description,
        ]),
      },
      {
        key: "cli.commands",
        items: [
          ...program.commands.map((c): [string, string] => [
            `${c.name}${c.options.length ? ` ${options}` : ""}` +
            (c.argument ? ` ${argumentUsage(c.argument)}` : ""),
            c.description,
          ]),
          [`help [${program.helpCommand.argument}]`, program.helpCommand.description],
        ],
      },
    );
  }
  // Terms are padded by display width: a Korean value name takes two columns a character.
  const width = Math.max(0, ...sections.flatMap((s) => s.items.map(([term]) => stringWidth(term))));
  const item = ([term, text]: [string, string]) =>
    text ? `  ${term}${" ".repeat(width + 2 - stringWidth(term))}${text}` : `  ${term}`;
  const lines = [`${t("cli.usage")} ${usage}`];
  if (description) lines.push("", description);
  for (const { key, items } of sections) {
    if (items.length) lines.push("", t(key), ...items.map(item));
  }
  return lines.join("\n");
}
