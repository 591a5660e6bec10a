/**
 * Finding (and, as root with apt-get, installing) the programs the benchmark compares sockit
 * with. A program that cannot be had is reported as skipped, with the reason.
 *
 * @module
 */

import { capture, findTime } from "./proc.ts";

/** One peer program and whether it can be used. */
export interface Peer {
  /** Short name used in the tables (`nc`, `socat`, …). */
  name: string;
  /** Debian package that provides it. */
  pkg: string;
  /** Full path, when available. */
  path: string | null;
  /** Version text, when known. */
  version: string | null;
  /** `found`, `installed` (by this run) or `skipped`. */
  status: "found" | "installed" | "skipped";
  /** Why it was skipped. */
  reason?: string;
}

interface PeerSpec {
  name: string;
  pkg: string;
  /** Returns the path when the program is there and usable. */
  probe: () => Promise<string | null>;
  version: (path: string) => Promise<string | null>;
}

async function which(name: string): Promise<string | null> {
  const out = await capture(["sh", "-c", `command -v ${name}`]);
  const path = out.stdout.trim();
  return out.code === 0 && path.startsWith("/") ? path : null;
}

async function firstLine(command: string[]): Promise<string | null> {
  const out = await capture(command, { timeoutMs: 10_000 });
  const text = (out.stdout + "\n" + out.stderr).split("\n").map((l) => l.trim()).find(Boolean);
  return text ?? null;
}

async function debVersion(pkg: string): Promise<string | null> {
  const out = await capture(["dpkg-query", "-W", "-f=${Version}", pkg]);
  return out.code === 0 && out.stdout.trim() ? `${pkg} ${out.stdout.trim()}` : null;
}

const SPECS: PeerSpec[] = [
  {
    name: "time",
    pkg: "time",
    probe: findTime,
    version: () => debVersion("time").then((v) => v ?? "GNU time"),
  },
  {
    name: "nc",
    pkg: "netcat-openbsd",
    // The OpenBSD netcat is needed: `-N` (shut down the socket at end of input) and `-d`.
    probe: async () => {
      const path = await which("nc");
      if (!path) return null;
      const help = await capture([path, "-h"], { timeoutMs: 5_000 });
      return /OpenBSD netcat/i.test(help.stdout + help.stderr) ? path : null;
    },
    version: () => debVersion("netcat-openbsd").then((v) => v ?? "OpenBSD netcat"),
  },
  {
    name: "socat",
    pkg: "socat",
    probe: () => which("socat"),
    version: async (path) => {
      const out = await capture([path, "-V"], { timeoutMs: 10_000 });
      return /socat version \S+/.exec(out.stdout + out.stderr)?.[0] ?? debVersion("socat");
    },
  },
  {
    name: "iperf3",
    pkg: "iperf3",
    probe: () => which("iperf3"),
    version: (path) => firstLine([path, "--version"]),
  },
  {
    name: "python3",
    pkg: "python3",
    probe: () => which("python3"),
    version: (path) => firstLine([path, "--version"]),
  },
  {
    name: "cp",
    pkg: "coreutils",
    probe: () => which("cp"),
    version: (path) => firstLine([path, "--version"]),
  },
];

/** The names of every peer the benchmark can use. */
export const PEER_NAMES: readonly string[] = SPECS.map((s) => s.name);

async function aptInstall(pkgs: string[], log: (line: string) => void): Promise<boolean> {
  if (Deno.uid() !== 0) {
    log(`not root: cannot install ${pkgs.join(" ")}`);
    return false;
  }
  if (!(await which("apt-get"))) {
    log(`no apt-get: cannot install ${pkgs.join(" ")}`);
    return false;
  }
  const env = ["env", "DEBIAN_FRONTEND=noninteractive"];
  const install = [...env, "apt-get", "install", "-y", "-q", "--no-install-recommends", ...pkgs];
  log(`installing ${pkgs.join(" ")} with apt-get`);
  let out = await capture(install, { timeoutMs: 300_000 });
  if (out.code !== 0) {
    log("apt-get install failed; running apt-get update and trying again");
    await capture([...env, "apt-get", "update", "-q"], { timeoutMs: 300_000 });
    out = await capture(install, { timeoutMs: 300_000 });
  }
  if (out.code !== 0) log(`apt-get install failed: ${out.stderr.trim().split("\n").pop()}`);
  return out.code === 0;
}

/**
 * Finds every peer; with `install`, missing ones are installed with apt-get first (one
 * package at a time after a failed batch, so one unavailable package skips only itself).
 */
export async function findPeers(
  options: { install: boolean; log: (line: string) => void },
): Promise<Map<string, Peer>> {
  const found = new Map<string, string | null>();
  for (const spec of SPECS) found.set(spec.name, await spec.probe());
  const missing = SPECS.filter((s) => !found.get(s.name));
  const installed = new Set<string>();
  const reasons = new Map<string, string>();
  if (missing.length > 0 && options.install) {
    let retry = missing;
    if (!(await aptInstall([...new Set(missing.map((s) => s.pkg))], options.log))) {
      retry = [];
      if (missing.length > 1) {
        for (const spec of missing) {
          if (await aptInstall([spec.pkg], options.log)) retry.push(spec);
        }
      }
    }
    for (const spec of retry) {
      const path = await spec.probe();
      found.set(spec.name, path);
      if (path) installed.add(spec.name);
    }
  }
  for (const spec of missing) {
    if (!found.get(spec.name)) {
      reasons.set(
        spec.name,
        options.install
          ? `not installed and could not be installed (Debian package ${spec.pkg})`
          : `not installed (Debian package ${spec.pkg}); installing was not allowed`,
      );
    }
  }
  const peers = new Map<string, Peer>();
  for (const spec of SPECS) {
    const path = found.get(spec.name) ?? null;
    peers.set(spec.name, {
      name: spec.name,
      pkg: spec.pkg,
      path,
      version: path ? await spec.version(path) : null,
      status: !path ? "skipped" : installed.has(spec.name) ? "installed" : "found",
      ...(reasons.has(spec.name) ? { reason: reasons.get(spec.name) } : {}),
    });
  }
  return peers;
}
