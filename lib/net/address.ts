/**
 * Host and port handling: parsing what users type, formatting what sockit prints, and
 * finding the addresses at which classmates can reach this machine.
 *
 * @module
 */

import { SockitError } from "../core/errors.ts";

/**
 * A host name or IP address with a TCP port.
 *
 * @example
 * ```ts
 * import { parseHostPort } from "./address.ts";
 * import type { HostPort } from "./address.ts";
 * const target: HostPort = parseHostPort("10.0.0.5:7000", 6000); // { host: "10.0.0.5", port: 7000 }
 * ```
 */
export interface HostPort {
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  /** TCP port, 0–65535 (0 means "any free port" when listening). */
  port: number;
}

/**
 * Parses a port number as a user typed it.
 *
 * @example
 * ```ts
 * import { parsePort } from "./address.ts";
 * parsePort("6000"); // 6000
 * ```
 * @throws {SockitError} `bad-port` when it is not a whole number from 0 to 65535.
 */
export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text.trim())) throw new SockitError("bad-port", { value: text });
  const port = Number(text.trim());
  if (port > 65535) throw new SockitError("bad-port", { value: text });
  return port;
}

/**
 * Parses `HOST`, `HOST:PORT`, `[IPv6]`, `[IPv6]:PORT` or a bare IPv6 address, taking the port
 * from `defaultPort` when none is given.
 *
 * @example
 * ```ts
 * import { parseHostPort } from "./address.ts";
 * parseHostPort("192.168.0.12:7000", 6000); // { host: "192.168.0.12", port: 7000 }
 * parseHostPort("[::1]", 6000); // { host: "::1", port: 6000 }
 * ```
 * @throws {SockitError} `bad-address` or `bad-port` for malformed input.
 */
export function parseHostPort(text: string, defaultPort: number): HostPort {
  const value = text.trim();
  const bad = () => new SockitError("bad-address", { value: text });
  if (value === "") throw bad();
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(value);
  if (bracketed) {
    if (!isIPv6(bracketed[1])) throw bad();
    return {
      host: bracketed[1],
      port: bracketed[2] === undefined ? defaultPort : parsePort(bracketed[2]),
    };
  }
  const colons = value.split(":").length - 1;
  if (colons > 1) {
    if (!isIPv6(value)) throw bad();
    return { host: value, port: defaultPort };
  }
  const [host, port] = colons === 1 ? value.split(":") : [value, undefined];
  if (!isHostName(host)) throw bad();
  return { host, port: port === undefined ? defaultPort : parsePort(port) };
}

/** True for an IPv6 address as URLs accept it (`::1`, `::ffff:1.2.3.4`), with a zone (`fe80::1%eth0`). */
function isIPv6(text: string): boolean {
  const [address, zone, ...rest] = text.split("%");
  if (rest.length > 0 || (zone !== undefined && !/^[\w.-]+$/.test(zone))) return false;
  if (!/^[0-9a-fA-F:.]+$/.test(address) || !address.includes(":")) return false;
  try {
    new URL(`http://[${address}]/`);
    return true;
  } catch {
    return false;
  }
}

/** True for a dotted IPv4 address or a DNS host name (letters, digits, `-`, dots). */
function isHostName(text: string): boolean {
  if (/^[\d.]+$/.test(text)) {
    const parts = text.split(".");
    return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
  }
  const label = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  const name = text.endsWith(".") ? text.slice(0, -1) : text;
  return name.length > 0 && name.length <= 253 && name.split(".").every((l) => label.test(l));
}

/**
 * Formats a host and port the way users type them back: IPv6 in brackets.
 *
 * @example
 * ```ts
 * import { formatHostPort } from "./address.ts";
 * formatHostPort({ host: "::1", port: 9999 }); // "[::1]:9999"
 * ```
 */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Formats the address of a connection's peer or a listener, e.g. `127.0.0.1:50123`. */
export function formatAddr(addr: Deno.Addr): string {
  return addr.transport === "tcp" || addr.transport === "udp"
    ? formatHostPort({ host: addr.hostname, port: addr.port })
    : String((addr as Deno.UnixAddr).path ?? addr.transport);
}

/**
 * Lists the addresses at which other machines can reach a listener bound to `host`: for a
 * wildcard host, every non-loopback IPv4 address of this machine (classroom networks are
 * IPv4); otherwise the host itself. Returns an empty list when the interfaces cannot be read.
 *
 * @example
 * ```ts
 * import { reachableAddresses } from "./address.ts";
 * reachableAddresses("0.0.0.0", 6000); // e.g. ["192.168.0.12:6000"]
 * ```
 */
export function reachableAddresses(host: string, port: number): string[] {
  if (!isWildcard(host)) return isLoopback(host) ? [] : [formatHostPort({ host, port })];
  let interfaces: Deno.NetworkInterfaceInfo[];
  try {
    interfaces = Deno.networkInterfaces();
  } catch {
    return [];
  }
  return interfaces
    .filter((i) => i.family === "IPv4" && !isLoopback(i.address))
    .map((i) => formatHostPort({ host: i.address, port }));
}

/** True for `0.0.0.0` and `::`, which listen on every interface. */
export function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]";
}

/** True for 127.0.0.0/8, `::1` and `localhost`. */
export function isLoopback(host: string): boolean {
  return host.startsWith("127.") || host === "::1" || host === "localhost";
}

/**
 * Default ports of the lesson's programs.
 *
 * @example
 * ```ts
 * import { DEFAULT_PORTS } from "./address.ts";
 * console.log(DEFAULT_PORTS.transfer, DEFAULT_PORTS.echo); // 6000 9999
 * ```
 */
export const DEFAULT_PORTS = { echo: 9999, transfer: 6000 } as const;
