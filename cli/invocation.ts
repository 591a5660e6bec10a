/**
 * How this sockit was started, so that the commands it prints (the receiver's "Classmates send
 * with:", "Run '… --help'") are ones that work where they are typed: `deno task sockit`, the
 * bundled `deno run -A sockit.js`, an installed `sockit`, or a compiled executable.
 *
 * @module
 */

import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** What {@linkcode commandPrefix} looks at; {@linkcode currentLaunch} reads it from Deno. */
export interface Launch {
  /** Environment variables (`SOCKIT_FROM_TASK` is set by the project's tasks, `PATH`). */
  env: Record<string, string | undefined>;
  /** `Deno.mainModule`: the script's URL (for a compiled executable, a URL inside it). */
  mainModule: string;
  /** `Deno.execPath()`: the `deno` program, or the compiled executable itself. */
  execPath: string;
  /** The current folder. */
  cwd: string;
  /** `windows` changes path separators and the executable suffix. */
  os: string;
  /** Reads a small text file, or returns `undefined` (used to recognise `deno install` scripts). */
  readText: (path: string) => string | undefined;
}

/** The names `deno install -g -n NAME` gives its launcher, per platform. */
function launcherNames(name: string, os: string): string[] {
  return os === "windows" ? [`${name}.cmd`, `${name}.bat`, `${name}.ps1`] : [name];
}

/**
 * The words a user types to run this sockit again, e.g. `deno task sockit`, `sockit`,
 * `./sockit-0.1.0-x86_64-unknown-linux-gnu` or `deno run -A sockit.js`.
 *
 * @example
 * ```ts
 * import { commandPrefix } from "./invocation.ts";
 * commandPrefix({
 *   env: { SOCKIT_FROM_TASK: "1" },
 *   mainModule: "file:///home/kim/sockit/main.ts",
 *   execPath: "/usr/bin/deno",
 *   cwd: "/home/kim",
 *   os: "linux",
 *   readText: () => undefined,
 * }); // "deno task sockit"
 * ```
 */
export function commandPrefix(launch: Launch): string {
  if (launch.env.SOCKIT_FROM_TASK) return "deno task sockit";
  const exe = basename(launch.execPath).replace(/\.exe$/i, "");
  const isDeno = exe === "deno";
  const script = launch.mainModule.startsWith("file:") ? launch.mainModule : undefined;
  const sep = launch.os === "windows" ? ";" : ":";
  // An installed launcher on PATH that runs this very script (deno install -g -n sockit …).
  if (isDeno && script) {
    for (const folder of (launch.env.PATH ?? "").split(sep).filter(Boolean)) {
      for (const name of launcherNames("sockit", launch.os)) {
        const text = launch.readText(join(folder, name));
        if (text?.includes(script)) return "sockit";
      }
    }
  }
  if (!isDeno) {
    // A compiled executable: by name when its folder is on PATH, else by path.
    const folder = dirname(launch.execPath);
    const onPath = (launch.env.PATH ?? "").split(sep).some((p) => p && resolve(p) === folder);
    return onPath ? exe : shownPath(launch.execPath, launch, true);
  }
  const file = script ? fileURLToPath(script) : "main.ts";
  return `deno run -A ${shownPath(file, launch, false)}`;
}

/**
 * A path as typed from the current folder: relative below it, absolute elsewhere; a program in
 * the current folder itself needs `./` (`.\\` on Windows) to run.
 */
function shownPath(path: string, launch: Launch, program: boolean): string {
  const rel = relative(launch.cwd, path);
  if (rel === "" || rel.startsWith("..") || /^[a-z]:/i.test(rel)) return path;
  const bare = !rel.includes("/") && !rel.includes("\\");
  return program && bare ? `${launch.os === "windows" ? ".\\" : "./"}${rel}` : rel;
}

/** The {@linkcode Launch} of the running program. */
export function currentLaunch(): Launch {
  return {
    env: Deno.env.toObject(),
    mainModule: Deno.mainModule,
    execPath: Deno.execPath(),
    cwd: Deno.cwd(),
    os: Deno.build.os,
    readText: (path) => {
      try {
        const info = Deno.statSync(path);
        return info.isFile && info.size < 64 * 1024 ? Deno.readTextFileSync(path) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
