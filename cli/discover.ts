/**
 * `sockit send` without `--to`: find the receiver on this network, and ask which one on a
 * terminal when several are announcing.
 *
 * @module
 */

import { SockitError } from "../lib/core/errors.ts";
import type { HostPort } from "../lib/net/address.ts";
import { DISCOVERY_PORT } from "../lib/discovery/beacon.ts";
import { chooseReceiver, discoverReceivers } from "../lib/discovery/listener.ts";
import type { FoundReceiver } from "../lib/discovery/listener.ts";
import { message } from "./render.ts";
import type { Output } from "./output.ts";
import { describeReceiver, renderDiscoveryEvent } from "./render_discovery.ts";

/** Options for {@linkcode findReceiver}. */
export interface FindOptions {
  /** Where lines and events go. */
  out: Output;
  /** The pairing code's nameplate, when the sender has a code: it picks the receiver. */
  nameplate?: number;
  /** How long to listen, in milliseconds. Default 3 000. */
  timeoutMs?: number;
  /** Show ignored datagrams. */
  trace?: boolean;
  /** Ask on the terminal when several receivers are found. Default: when stdin is a terminal. */
  ask?: boolean;
  /** Stops listening when aborted. */
  signal?: AbortSignal;
}

/**
 * Listens for receivers and returns the address to send to, saying which receiver it is; or
 * `null` when `signal` aborted first.
 *
 * @example
 * ```ts
 * import { findReceiver } from "./discover.ts";
 * import { Output } from "./output.ts";
 * const out = new Output({ lang: "en", color: false }, false, false);
 * const target = await findReceiver({ out }); // e.g. { host: "192.168.0.12", port: 6000 }
 * ```
 * @throws {SockitError} `no-receivers`, `several-receivers` or `no-matching-receiver`.
 */
export async function findReceiver(options: FindOptions): Promise<HostPort | null> {
  const { out, nameplate } = options;
  const timeoutMs = options.timeoutMs ?? 3_000;
  const found = await discoverReceivers({
    timeoutMs,
    until: nameplate === undefined
      ? undefined
      : (receivers) => receivers.some((r) => r.nameplate === nameplate),
    signal: options.signal,
    onEvent: (event) =>
      out.event(event, renderDiscoveryEvent(out.style, event, options.trace ?? false)),
  });
  if (options.signal?.aborted) return null;
  const choice = chooseReceiver(found, { nameplate });
  const list = (receivers: FoundReceiver[]) =>
    receivers.map((r) => describeReceiver(out.style, r)).join("; ");
  switch (choice.kind) {
    case "none":
      throw new SockitError("no-receivers", { seconds: timeoutMs / 1000, port: DISCOVERY_PORT });
    case "no-match":
      throw new SockitError("no-matching-receiver", {
        nameplate: choice.nameplate,
        list: list(choice.receivers),
      });
    case "one":
      return chosen(out, choice.receiver, nameplate === undefined ? "only" : "nameplate");
    case "several": {
      if (!(options.ask ?? (Deno.stdin.isTerminal() && !out.json))) {
        throw new SockitError("several-receivers", { list: list(choice.receivers) });
      }
      const picked = ask(out, choice.receivers);
      return picked ? chosen(out, picked, "asked") : null;
    }
  }
}

function chosen(out: Output, receiver: FoundReceiver, reason: "only" | "nameplate" | "asked") {
  const key = reason === "only"
    ? "disc.using-only"
    : reason === "nameplate"
    ? "disc.using-nameplate"
    : "disc.using-chosen";
  const text = message(out.style, key, { receiver: describeReceiver(out.style, receiver) });
  out.event({ type: "receiver-chosen", reason, receiver }, { text, level: "result" });
  return { host: receiver.host, port: receiver.port };
}

/** Lists `receivers` and reads a number from the terminal; `null` when input ends. */
function ask(out: Output, receivers: FoundReceiver[]): FoundReceiver | null {
  const count = receivers.length;
  console.error(message(out.style, "disc.several"));
  receivers.forEach((r, i) => console.error(`  ${i + 1}. ${describeReceiver(out.style, r)}`));
  for (;;) {
    const answer = prompt(message(out.style, "disc.ask", { count }));
    if (answer === null) return null;
    const n = Number(answer.trim());
    if (Number.isInteger(n) && n >= 1 && n <= count) return receivers[n - 1];
    console.error(message(out.style, "disc.ask-again", { count }));
  }
}
