/**
 * Turning discovery events (a receiver's announcer, a sender's listener) into the lines the CLI
 * prints.
 *
 * @module
 */

import { formatHostPort } from "../lib/net/address.ts";
import type { AnnouncerEvent } from "../lib/discovery/announcer.ts";
import type { DiscoveryEvent, FoundReceiver } from "../lib/discovery/listener.ts";
import { message } from "./render.ts";
import type { Line, RenderStyle } from "./render.ts";

/**
 * Describes a found receiver in one phrase: its name, address and, when it announces one, its
 * code's number. Every part came from the network and is escaped.
 *
 * @example
 * ```ts
 * import { describeReceiver } from "./render_discovery.ts";
 * describeReceiver({ lang: "en", color: false }, {
 *   id: "0123456789abcdef", host: "192.168.0.12", port: 6000, name: "teacher-pc",
 *   protocol: 1, nameplate: 7, web: null, via: ["multicast"],
 * }); // "teacher-pc at 192.168.0.12:6000, code number 7"
 * ```
 */
export function describeReceiver(style: RenderStyle, receiver: FoundReceiver): string {
  const address = formatHostPort(receiver);
  return receiver.nameplate === null
    ? message(style, "disc.receiver", { name: receiver.name, address })
    : message(style, "disc.receiver-nameplate", {
      name: receiver.name,
      address,
      nameplate: receiver.nameplate,
    });
}

/**
 * Renders an announcer or discovery event, or `null` for events people do not need to see
 * (ignored datagrams are shown only with `trace`). `prefix` is how classmates run sockit, for
 * the command the announcing line suggests (default `sockit`).
 *
 * @example
 * ```ts
 * import { renderDiscoveryEvent } from "./render_discovery.ts";
 * renderDiscoveryEvent({ lang: "en", color: false }, { type: "discovery-done", receivers: [] }, false);
 * // null
 * ```
 */
export function renderDiscoveryEvent(
  style: RenderStyle,
  event: AnnouncerEvent | DiscoveryEvent,
  trace: boolean,
  prefix = "sockit",
): Line | null {
  const info = (text: string): Line => ({ text, level: "info" });
  switch (event.type) {
    case "announcing":
      return info(
        event.targets.length > 0
          ? message(style, "disc.announcing", { port: event.discoveryPort, command: prefix })
          : message(style, "disc.no-targets", { address: event.host }),
      );
    case "announce-failed":
      return info(message(style, "disc.announce-failed", event));
    case "discovering":
      return info(message(style, "disc.looking", { seconds: event.timeoutMs / 1000 }));
    case "discovery-join-failed":
      return info(message(style, "disc.join-failed", event));
    case "receiver-found":
      return info(describeReceiver(style, event.receiver));
    case "beacon-ignored":
      return trace ? info(message(style, "disc.ignored", event)) : null;
    case "announce-stopped":
    case "discovery-done":
      return null;
  }
}
