/**
 * Test files for the benchmark: random contents, their SHA-256, and room on the file system.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { capture } from "./proc.ts";

/**
 * Writes `size` random bytes to `path` (unless a file of that size made by an earlier run is
 * already there with its SHA-256 recorded beside it) and returns the SHA-256.
 */
export async function randomFile(path: string, size: number): Promise<string> {
  const stamp = `${path}.sha256`;
  try {
    const info = await Deno.stat(path);
    const known = (await Deno.readTextFile(stamp)).trim();
    if (info.size === size && /^[0-9a-f]{64}$/.test(known)) return known;
  } catch {
    // Make it.
  }
  const hash = createHash("sha256");
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    const block = new Uint8Array(1024 * 1024);
    let left = size;
    while (left > 0) {
      const n = Math.min(block.length, left);
      for (let i = 0; i < n; i += 65536) {
        crypto.getRandomValues(block.subarray(i, Math.min(i + 65536, n)));
      }
      const part = block.subarray(0, n);
      hash.update(part);
      let offset = 0;
      while (offset < n) offset += await file.write(part.subarray(offset));
      left -= n;
    }
  } finally {
    file.close();
  }
  const digest = hash.digest("hex");
  await Deno.writeTextFile(stamp, digest + "\n");
  return digest;
}

/** Bytes available to unprivileged writers on the file system holding `path`. */
export async function freeBytes(path: string): Promise<number | null> {
  const out = await capture(["df", "-P", "-B1", path]);
  const fields = out.stdout.trim().split("\n").pop()?.split(/\s+/);
  const available = Number(fields?.[3]);
  return out.code === 0 && Number.isFinite(available) ? available : null;
}

/** `MemAvailable` from /proc/meminfo, in bytes. */
export async function availableMemory(): Promise<number | null> {
  try {
    const text = await Deno.readTextFile("/proc/meminfo");
    const match = /MemAvailable:\s+(\d+) kB/.exec(text);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** True when `path` is on a tmpfs (memory-backed) file system. */
export async function isTmpfs(path: string): Promise<boolean> {
  const out = await capture(["df", "--output=fstype", path]);
  return out.code === 0 && /tmpfs/.test(out.stdout);
}

/** Removes `path` and everything in it, ignoring errors. */
export async function removeAll(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch(() => {});
}
