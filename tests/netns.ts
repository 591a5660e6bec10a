/**
 * A small LAN made of network namespaces on a bridge, for tests that send multicast and
 * broadcast: nothing leaves it, since the bridge has no address and no uplink. Root only; every
 * name is unique to this process and everything is removed when the LAN is disposed.
 *
 * @module
 */

/** True when this process may create network namespaces (root, with `ip` and `iptables`). */
export const CAN_NETNS: boolean = (() => {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  try {
    for (const tool of ["ip", "iptables"]) {
      if (
        !new Deno.Command(tool, { args: ["-V"], stdout: "null", stderr: "null" }).outputSync()
          .success
      ) {
        return false;
      }
    }
    return true;
  } catch {
    return false;
  }
})();

/** Why namespace tests are skipped, for their names. */
export const NETNS_SKIP_NOTE = CAN_NETNS
  ? ""
  : " [SKIPPED: needs root, ip and iptables to create network namespaces]";

/** One machine on the LAN. */
export interface LanHost {
  /** The network namespace's name (for `ip netns exec` and `CliOptions.netns`). */
  ns: string;
  /** Its IPv4 address on the LAN (a /24). */
  address: string;
}

/** A LAN of namespaces. Dispose it to remove it. */
export interface Lan extends AsyncDisposable {
  /** The machines, with addresses .1, .2, … */
  hosts: LanHost[];
  /** The subnet's broadcast address. */
  broadcast: string;
  /** Runs `args` inside `host`'s namespace and throws with its output when it fails. */
  run(host: LanHost, args: string[]): Promise<void>;
}

let made = 0;

/** Runs a command (`ip …`, or inside `ns` anything) and throws with its error output on failure. */
async function exec(args: string[], ns?: string): Promise<void> {
  const full = ns === undefined ? args : ["ip", "netns", "exec", ns, ...args];
  const out = await new Deno.Command(full[0], {
    args: full.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`${full.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

const ip = (args: string[], ns?: string) => exec(["ip", ...args], ns);

/**
 * Creates `count` namespaces (at most 9) joined by a bridge, each with one interface in
 * 10.99.0.0/24 and loopback up. Nothing is routed beyond the bridge.
 *
 * @example
 * ```ts
 * await using lan = await makeLan(2);
 * await runCli(["receivers"], { netns: lan.hosts[1].ns });
 * ```
 */
export async function makeLan(count: number): Promise<Lan> {
  const tag = `${Deno.pid % 100000}${String.fromCharCode(97 + (made++ % 26))}`;
  const bridge = `skb${tag}`;
  const hosts: LanHost[] = [];
  const remove = async () => {
    for (const host of hosts) await ip(["netns", "del", host.ns]).catch(() => {});
    for (let i = 1; i <= count; i++) await ip(["link", "del", `skv${tag}${i}`]).catch(() => {});
    await ip(["link", "del", bridge]).catch(() => {});
  };
  try {
    await ip(["link", "add", bridge, "type", "bridge"]);
    await ip(["link", "set", bridge, "up"]);
    for (let i = 1; i <= count; i++) {
      const host = { ns: `sockit-disc-${tag}-${i}`, address: `10.99.0.${i}` };
      hosts.push(host);
      const veth = `skv${tag}${i}`;
      await ip(["netns", "add", host.ns]);
      await ip(["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", host.ns]);
      await ip(["link", "set", veth, "master", bridge, "up"]);
      await ip(["addr", "add", `${host.address}/24`, "brd", "+", "dev", "eth0"], host.ns);
      await ip(["link", "set", "eth0", "up"], host.ns);
      await ip(["link", "set", "lo", "up"], host.ns);
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    hosts,
    broadcast: "10.99.0.255",
    run: (host, args) => exec(args, host.ns),
    [Symbol.asyncDispose]: remove,
  };
}
