/**
 * Finding the programs the benchmark uses (hyperfine, GNU time) and compares sockit with. The
 * benchmark installs nothing: a program that is not there is reported as skipped, with the
 * Debian package to install (README and docs/performance.md list them).
 *
 * @module
 */

import { CHROMIUM } from "./browser.ts";
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
  /** `found` or `skipped`. */
  status: "found" | "skipped";
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

/** The full path of program `name` on the `PATH`, or null. */
export async function which(name: string): Promise<string | null> {
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
    name: "hyperfine",
    pkg: "hyperfine",
    probe: () => which("hyperfine"),
    version: (path) => firstLine([path, "--version"]),
  },
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
    // The browser of the web page's upload row (driven by puppeteer-core, never downloaded).
    name: "chromium",
    pkg: "chromium",
    probe: () => Deno.stat(CHROMIUM).then(() => CHROMIUM, () => null),
    version: (path) => firstLine([path, "--version"]),
  },
  {
    name: "cp",
    pkg: "coreutils",
    probe: () => which("cp"),
    version: (path) => firstLine([path, "--version"]),
  },
];

/** Finds every peer; a missing one is skipped, with the package that provides it. */
export async function findPeers(): Promise<Map<string, Peer>> {
  const peers = new Map<string, Peer>();
  for (const spec of SPECS) {
    const path = await spec.probe();
    peers.set(spec.name, {
      name: spec.name,
      pkg: spec.pkg,
      path,
      version: path ? await spec.version(path) : null,
      status: path ? "found" : "skipped",
      ...(path ? {} : { reason: `not installed (Debian package ${spec.pkg})` }),
    });
  }
  return peers;
}
