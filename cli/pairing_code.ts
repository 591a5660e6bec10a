/**
 * Where the pairing code comes from on the command line: `SOCKIT_CODE`, `--code-file FILE`,
 * a fresh one (`receive`), or a prompt without echo (`send` on a terminal). Never from the
 * command line itself: every user of the computer can read a process's arguments (`ps`), so
 * `--code` is refused.
 *
 * @module
 */

import { SockitError } from "../lib/core/errors.ts";
import type { PairingCode } from "../lib/crypto/code.ts";

/**
 * The code module, loaded only when a code is actually read or made: its word list is costly
 * to load, and `send --to` to an open receiver never needs it.
 */
const codes = () => import("../lib/crypto/code.ts");

/** Where the code was given: `--code-file`, and the environment. */
export interface CodeSources {
  /** The `--code-file` option, when given. */
  codeFile?: string;
  /** The environment's `SOCKIT_CODE`. Default: read from `Deno.env`. */
  env?: string;
}

/**
 * The code given through `SOCKIT_CODE` or `--code-file` (the file wins), or `undefined`.
 *
 * @example
 * ```ts
 * import { givenCode } from "./pairing_code.ts";
 * (await givenCode({ env: "7-guitar-ocean-lamp" }))?.nameplate; // 7
 * ```
 * @throws {SockitError} `bad-code` for a code that cannot be read, `not-found` or
 * `read-failed` for the file.
 */
export async function givenCode(sources: CodeSources): Promise<PairingCode | undefined> {
  if (sources.codeFile !== undefined) {
    let text: string;
    try {
      text = await Deno.readTextFile(sources.codeFile);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new SockitError("not-found", { path: sources.codeFile });
      }
      throw new SockitError("read-failed", {
        path: sources.codeFile,
        reason: err instanceof Error ? err.message : String(err),
      });
    }
    return (await codes()).parseCode(text.trim());
  }
  const env = sources.env ?? Deno.env.get("SOCKIT_CODE");
  return env ? (await codes()).parseCode(env) : undefined;
}

/**
 * The receiver's code: the one given, else a fresh one from the CSPRNG.
 *
 * @example
 * ```ts
 * import { receiverCode } from "./pairing_code.ts";
 * (await receiverCode({ env: "" })).words.length; // 3
 * ```
 */
export async function receiverCode(sources: CodeSources): Promise<PairingCode> {
  return await givenCode(sources) ?? (await codes()).generateCode();
}

/** Refuses a pairing code on the command line (`--code`), with the reason in one line. */
export function refuseCodeOption(): never {
  throw new SockitError("code-on-argv", {});
}

/**
 * Asks for the code on the terminal without echoing it (each key shows as `*`), and reads it.
 * Backspace deletes; Ctrl+C or Ctrl+D gives up (`bad-code`).
 *
 * @example
 * ```ts
 * import { promptCode } from "./pairing_code.ts";
 * // const code = await promptCode("Code: ");
 * ```
 */
export async function promptCode(label: string): Promise<PairingCode> {
  const encoder = new TextEncoder();
  await Deno.stderr.write(encoder.encode(label));
  Deno.stdin.setRaw(true);
  let typed = "";
  try {
    const buffer = new Uint8Array(64);
    const decoder = new TextDecoder();
    reading: while (true) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) break;
      for (const char of decoder.decode(buffer.subarray(0, n), { stream: true })) {
        if (char === "\r" || char === "\n") break reading;
        if (char === "\x03" || char === "\x04") {
          throw new SockitError("bad-code", { problem: "empty" });
        }
        if (char === "\x7f" || char === "\b") {
          if (typed.length > 0) {
            typed = [...typed].slice(0, -1).join("");
            await Deno.stderr.write(encoder.encode("\b \b"));
          }
          continue;
        }
        if (char < " ") continue;
        typed += char;
        await Deno.stderr.write(encoder.encode("*"));
      }
    }
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stderr.write(encoder.encode("\n"));
  }
  return (await codes()).parseCode(typed);
}
