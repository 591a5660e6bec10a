/**
 * What every section of the benchmark shares: where the project and the work folder are, the
 * peers found, how to start sockit, and the log.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { Peer } from "./peers.ts";
import type { Usage } from "./proc.ts";

/** The project's root folder (with a trailing slash). */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** This folder: the benchmark's helpers. */
export const BENCH_DIR: string = `${ROOT}scripts/bench/`;

/** The permissions `deno task send` / `receive` / `echo-server` run sockit with. */
export const SOCKIT_PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
];

/**
 * The permissions sockit actually runs with in this benchmark: the tasks' own, unless the test
 * files live under `/dev` (as `/dev/shm` does), where Deno requires `--allow-all` for any
 * access. Permissions are checked when a file or socket is opened, not on every read or
 * write, so this does not change the figures.
 */
let sockitPermissions: string[] = SOCKIT_PERMISSIONS;

/** Runs sockit with `--allow-all` (see {@linkcode sockitCommand}). */
export function allowAllForSockit(): void {
  sockitPermissions = ["--allow-all"];
}

/** Shared state of one benchmark run. */
export interface Context {
  /** Folder for test files and received files (tmpfs when possible). */
  work: string;
  /** Peers by name. */
  peers: Map<string, Peer>;
  /** Measured runs per comparison. */
  runs: number;
  /** Smoke mode: tiny sizes, correctness only. */
  smoke: boolean;
  /** Prints a progress line. */
  log: (line: string) => void;
  /** Notes that end up in the report (scaled-down sizes, fallbacks, skipped peers). */
  notes: string[];
}

/** The command line that runs the sockit CLI with `args`. */
export function sockitCommand(args: string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    ...sockitPermissions,
    "--quiet",
    "--config",
    `${ROOT}deno.json`,
    `${ROOT}main.ts`,
    ...args,
  ];
}

/** The command line that runs one of the benchmark's own Deno helpers. */
export function helperCommand(script: string, args: string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    "--allow-all",
    "--quiet",
    "--config",
    `${ROOT}deno.json`,
    `${BENCH_DIR}${script}`,
    ...args,
  ];
}

/** Path of a Python peer in `tests/peers/`. */
export function pythonPeer(name: string): string {
  return `${ROOT}tests/peers/${name}`;
}

/** Path of the peer program `name`, or null when it was skipped. */
export function peerPath(context: Context, name: string): string | null {
  return context.peers.get(name)?.path ?? null;
}

/** User + system CPU seconds of the given processes (null when any is unknown). */
export function cpuSeconds(...usages: (Usage | null | undefined)[]): number | null {
  let sum = 0;
  for (const usage of usages) {
    if (!usage) return null;
    sum += usage.userS + usage.sysS;
  }
  return sum;
}

/** Decimal megabytes per second. */
export function mbps(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes / 1e6 / seconds : 0;
}
