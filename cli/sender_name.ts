/**
 * Which name `sockit send` goes by: `--name`, else `SOCKIT_NAME`, else the name remembered
 * in the user's config folder, else (on a terminal) one asked for once and remembered, else
 * the login name. Every name is checked like a file name before it is used.
 *
 * @module
 */

import { SockitError } from "../lib/core/errors.ts";
import {
  loadSavedName,
  nameConfigPath,
  osUserName,
  sanitizeSenderName,
  saveName,
  SenderNameError,
} from "../lib/collect/identity.ts";
import { message } from "./render.ts";
import type { RenderStyle } from "./render.ts";

/** Times a terminal user is asked before sockit gives up. */
const ASK_ATTEMPTS = 3;

/**
 * Decides the sender's name; `undefined` when there is none to be had (no terminal, no login
 * name that is a valid name).
 *
 * @throws {SockitError} `bad-option` when `--name` or `SOCKIT_NAME` is not a valid name.
 */
export async function chooseSenderName(
  style: RenderStyle,
  flag: string | undefined,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<string | undefined> {
  const given = flag ?? (env.SOCKIT_NAME || undefined);
  if (given !== undefined) return checked(style, given);
  const path = nameConfigPath(env);
  const saved = path === undefined ? undefined : await loadSavedName(path);
  if (saved !== undefined) return saved;
  const login = validOrUndefined(osUserName());
  if (!Deno.stdin.isTerminal() || !Deno.stderr.isTerminal()) return login;
  for (let attempt = 0; attempt < ASK_ATTEMPTS; attempt++) {
    // Enter (or the end of input) takes the login name shown in brackets.
    const question = message(style, "send.ask-name");
    const answer = prompt(login === undefined ? `${question}:` : `${question} [${login}]:`) ??
      login;
    if (answer === undefined) return undefined;
    try {
      const name = sanitizeSenderName(answer);
      if (path !== undefined) {
        await saveName(path, name);
        console.error(message(style, "send.name-saved", { path }));
      }
      return name;
    } catch (err) {
      if (!(err instanceof SenderNameError)) throw err;
      console.error(
        message(style, "send.name-retry", { problem: message(style, `name.${err.problem}`) }),
      );
    }
  }
  return login;
}

function checked(style: RenderStyle, name: string): string {
  try {
    return sanitizeSenderName(name);
  } catch (err) {
    if (!(err instanceof SenderNameError)) throw err;
    const reason = message(style, "send.bad-name", {
      name,
      problem: message(style, `name.${err.problem}`),
    });
    throw new SockitError("bad-option", { reason });
  }
}

function validOrUndefined(name: string | undefined): string | undefined {
  try {
    return name === undefined ? undefined : sanitizeSenderName(name);
  } catch {
    return undefined;
  }
}
