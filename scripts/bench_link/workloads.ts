/**
 * The data `deno task bench:link` sends, and the check of what arrived: every workload is made
 * once per size (names and sizes from a fixed seed, contents random), with the SHA-256 of every
 * file; after each run every expected file is hashed again where the receiver put it.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { dirname, join, relative } from "node:path";
import { formatBytes } from "../../lib/core/format.ts";
import { randomFile } from "../bench/files.ts";
import { sha256File } from "../compile.ts";
import { seededRandom } from "../../tests/fault_helpers.ts";
import type { Sizes, WorkloadName } from "./options.ts";

/** One expected file: where it lands under the receiving folder, its size and SHA-256. */
export interface Expected {
  path: string;
  size: number;
  sha256: string;
}

/** A workload ready to send. */
export interface Workload {
  name: WorkloadName;
  /** Folder holding what is sent. */
  dir: string;
  /** What a sender is given, relative to `dir`: one folder, one file, or one file per sender. */
  items: string[];
  /** One process per item (the concurrent workload) instead of one for all. */
  perItemSender: boolean;
  /** Every file the receiving folder must hold afterwards. */
  files: Expected[];
  bytes: number;
  /** A line for the report ("1000 files of 1–16 KiB in 30 folders, 8.1 MiB"). */
  description: string;
}

/** The result of checking a receiving folder. */
export interface Verdict {
  expected: number;
  matched: number;
  missing: number;
  mismatched: number;
  /** Regular files nobody sent (sockit's own `.sockit/` folder is not counted). */
  extra: number;
}

/** Writes a small file of random bytes in one go and returns its SHA-256. */
async function smallRandomFile(path: string, size: number): Promise<string> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) {
    crypto.getRandomValues(bytes.subarray(i, Math.min(i + 65536, size)));
  }
  await Deno.writeFile(path, bytes);
  return createHash("sha256").update(bytes).digest("hex");
}

/** Homework: `unitN/` folders, each with `labN/` subfolders, files spread over all of them. */
function homeworkLayout(files: number, random: () => number): { path: string; size: number }[] {
  const folders: string[] = [];
  for (let unit = 1; unit <= 6; unit++) {
    folders.push(`unit${unit}`);
    for (let lab = 1; lab <= 4; lab++) folders.push(`unit${unit}/lab${lab}`);
  }
  const stems = ["main", "answer", "report", "test", "helper", "notes"];
  const exts = [".py", ".py", ".py", ".java", ".c", ".txt", ".md", ".csv"];
  return Array.from({ length: files }, (_, i) => {
    const stem = stems[Math.floor(random() * stems.length)];
    const ext = exts[Math.floor(random() * exts.length)];
    return {
      path: `homework/${folders[i % folders.length]}/${String(i).padStart(4, "0")}_${stem}${ext}`,
      size: 1024 + Math.floor(random() * (15 * 1024 + 1)),
    };
  });
}

/**
 * Mixed: sizes log-uniform between 1 KiB and `max`, drawn one from each of `files` equal slices
 * of the log range and shuffled, so that a handful of files still spans the whole range.
 */
function mixedLayout(
  files: number,
  max: number,
  random: () => number,
): { path: string; size: number }[] {
  const lo = Math.log(1024);
  const hi = Math.log(max);
  const sizes = Array.from(
    { length: files },
    (_, k) => Math.round(Math.exp(lo + (k + random()) * (hi - lo) / files)),
  );
  for (let i = sizes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [sizes[i], sizes[j]] = [sizes[j], sizes[i]];
  }
  const kinds = [["", ".bin"], ["slides", ".pdf"], ["photos", ".jpg"], ["code", ".zip"], [
    "data",
    ".csv",
  ]];
  return sizes.map((size, i) => {
    const [folder, ext] = kinds[i % kinds.length];
    return { path: join("mixed", folder, `m${String(i).padStart(3, "0")}${ext}`), size };
  });
}

/** Makes (or finds, from an earlier profile with the same sizes) one workload under `root`. */
export async function makeWorkload(
  root: string,
  name: WorkloadName,
  sizes: Sizes,
): Promise<Workload> {
  const random = seededRandom(20261202);
  let key: string;
  let layout: { path: string; size: number }[];
  let items: string[];
  let description: string;
  switch (name) {
    case "single":
      key = `single-${sizes.singleBytes}`;
      layout = [{ path: "big.bin", size: sizes.singleBytes }];
      items = ["big.bin"];
      description = `one file of ${formatBytes(sizes.singleBytes)}`;
      break;
    case "homework":
      key = `homework-${sizes.homeworkFiles}`;
      layout = homeworkLayout(sizes.homeworkFiles, random);
      items = ["homework"];
      description = `homework folder: ${sizes.homeworkFiles} files of 1–16 KiB`;
      break;
    case "mixed":
      key = `mixed-${sizes.mixedFiles}-${sizes.mixedMaxBytes}`;
      layout = mixedLayout(sizes.mixedFiles, sizes.mixedMaxBytes, random);
      items = ["mixed"];
      description = `mixed folder: ${sizes.mixedFiles} files of 1 KiB–${
        formatBytes(sizes.mixedMaxBytes)
      } (log-uniform)`;
      break;
    case "concurrent":
      key = `concurrent-${sizes.senders}-${sizes.senderBytes}`;
      layout = Array.from({ length: sizes.senders }, (_, i) => ({
        path: `c${String(i).padStart(2, "0")}.bin`,
        size: sizes.senderBytes,
      }));
      items = layout.map((f) => f.path);
      description = `${sizes.senders} senders at once, one file of ${
        formatBytes(sizes.senderBytes)
      } each`;
      break;
  }
  const dir = join(root, key);
  const manifest = join(root, `${key}.json`);
  let files: Expected[];
  try {
    files = JSON.parse(await Deno.readTextFile(manifest));
  } catch {
    files = [];
    for (const file of layout) {
      const path = join(dir, file.path);
      // Files sent one by one may carry randomFile's digest stamp beside them; folders may not.
      await Deno.mkdir(dirname(path), { recursive: true });
      const sha256 = items.includes(file.path)
        ? await randomFile(path, file.size)
        : await smallRandomFile(path, file.size);
      files.push({ path: file.path, size: file.size, sha256 });
    }
    await Deno.writeTextFile(manifest, JSON.stringify(files));
  }
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  const folders = new Set(files.map((f) => dirname(f.path))).size;
  if (name === "homework" || name === "mixed") description += ` in ${folders} folders`;
  if (name !== "single") description += `, ${formatBytes(bytes)} in all`;
  return {
    name,
    dir,
    items,
    perItemSender: name === "concurrent",
    files,
    bytes,
    description,
  };
}

/**
 * Every regular file under `dir`, relative to it, hidden folders (sockit's `.sockit/`) and
 * sockit's log (`sockit-log.csv`) left out.
 */
async function listFiles(dir: string, under = dir): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(under)) {
    if (entry.name.startsWith(".") && entry.isDirectory) continue;
    if (under === dir && entry.name === "sockit-log.csv") continue;
    const path = join(under, entry.name);
    if (entry.isDirectory) out.push(...await listFiles(dir, path));
    else if (entry.isFile) out.push(relative(dir, path));
  }
  return out;
}

/** Hashes every expected file under `dest` and counts what is missing, wrong or extra. */
export async function verify(dest: string, files: Expected[]): Promise<Verdict> {
  const verdict: Verdict = {
    expected: files.length,
    matched: 0,
    missing: 0,
    mismatched: 0,
    extra: 0,
  };
  for (const file of files) {
    let sha256: string;
    try {
      sha256 = await sha256File(join(dest, file.path));
    } catch {
      verdict.missing++;
      continue;
    }
    if (sha256 === file.sha256) verdict.matched++;
    else verdict.mismatched++;
  }
  const wanted = new Set(files.map((f) => f.path));
  try {
    verdict.extra = (await listFiles(dest)).filter((p) => !wanted.has(p)).length;
  } catch {
    // No receiving folder at all: everything is missing already.
  }
  return verdict;
}

/** True when every expected file arrived intact and nothing else did. */
export function verified(v: Verdict): boolean {
  return v.matched === v.expected && v.missing === 0 && v.mismatched === 0 && v.extra === 0;
}
