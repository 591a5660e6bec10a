/**
 * Translated help: commander's help laid out the usual way, with translated headings and value
 * names padded by display width. Loaded only when help may be printed (see `mayShowHelp` in
 * options.ts), since measuring display width (string-width) is costly to load.
 *
 * @module
 */

import type { Command, Help } from "commander";
import stringWidth from "string-width";
import { translate } from "./messages.ts";
import type { Lang, MessageKey } from "./messages.ts";

/** Commander's help, laid out the usual way but with translated headings and value names. */
export function localizedHelp(lang: Lang): (cmd: Command, helper: Help) => string {
  // Commander writes these two words itself.
  const words = (text: string) =>
    text.replaceAll("[options]", translate(lang, "cli.usage-options"))
      .replaceAll("[command]", translate(lang, "cli.usage-command"));
  return (cmd: Command, helper: Help): string => {
    const rows = (key: MessageKey, items: [string, string][]) => ({ key, items });
    const sections = [
      rows(
        "cli.arguments",
        helper.visibleArguments(cmd).map((a) => [
          helper.argumentTerm(a),
          helper.argumentDescription(a),
        ]),
      ),
      rows(
        "cli.options",
        [...helper.visibleOptions(cmd), ...helper.visibleGlobalOptions(cmd)].map((o) => [
          helper.optionTerm(o),
          helper.optionDescription(o),
        ]),
      ),
      rows(
        "cli.commands",
        helper.visibleCommands(cmd).map((c) => [
          words(helper.subcommandTerm(c)),
          helper.subcommandDescription(c),
        ]),
      ),
    ];
    // Terms are padded by display width: a Korean value name takes two columns a character.
    const width = Math.max(
      0,
      ...sections.flatMap((s) => s.items.map(([term]) => stringWidth(term))),
    );
    const item = ([term, description]: [string, string]) =>
      description
        ? `  ${term}${" ".repeat(width + 2 - stringWidth(term))}${description}`
        : `  ${term}`;
    const lines = [`${translate(lang, "cli.usage")} ${words(helper.commandUsage(cmd))}`];
    const description = helper.commandDescription(cmd);
    if (description) lines.push("", description);
    for (const { key, items } of sections) {
      if (items.length) lines.push("", translate(lang, key), ...items.map(item));
    }
    return lines.join("\n") + "\n";
  };
}
