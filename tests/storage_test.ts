/**
 * Storing received files: temporary files in `DIR/.sockit/`, numbered names under concurrency,
 * overwrite, and symbolic links that must never lead outside DIR.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { SockitError } from "../lib/core/errors.ts";
import { NameError } from "../lib/transfer/names.ts";
import { commitFile, discardTemp, openTemp, prepareFolder } from "../lib/transfer/storage.ts";
import { tempDir } from "./util.ts";

const encoder = new TextEncoder();
const windows = Deno.build.os === "windows";

/** Writes `text` to a new temporary file in `dir` and returns its path, closed. */
async function tempWith(dir: string, text: string): Promise<string> {
  const temp = await openTemp(dir);
  await temp.file.write(encoder.encode(text));
  temp.file.close();
  return temp.path;
}

async function list(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

function assertConflict(problem: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof SockitError, String(err));
    assert.equal(err.code, "name-conflict");
    assert.equal(err.details.problem, problem);
    return true;
  };
}

Deno.test("openTemp creates a private working folder and unique temporary files", async () => {
  await using dir = await tempDir();
  const a = await openTemp(dir.path);
  const b = await openTemp(dir.path);
  a.file.close();
  b.file.close();
  const internal = await Deno.realPath(join(dir.path, ".sockit"));
  assert.notEqual(a.path, b.path);
  for (const temp of [a, b]) {
    assert.equal(temp.path, join(internal, temp.path.slice(internal.length + 1)));
    assert.match(temp.path.slice(internal.length + 1), /^tmp-[0-9a-f-]{36}$/);
  }
  if (!windows) assert.equal((await Deno.stat(internal)).mode! & 0o777, 0o700);
  await discardTemp(a.path);
  await discardTemp(a.path); // already gone: fine
  assert.deepEqual(await list(internal), [b.path.slice(internal.length + 1)]);
});

for (const hardLinks of [true, false]) {
  Deno.test(`50 concurrent commits of one name keep 50 files (hardLinks: ${hardLinks})`, async () => {
    await using dir = await tempDir();
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const content = `print(${i})\n`;
        const tempPath = await tempWith(dir.path, content);
        const stored = await commitFile({
          dir: dir.path,
          tempPath,
          segments: ["homework.py"],
          hardLinks,
        });
        return { ...stored, content, tempPath };
      }),
    );
    const expected = [
      "homework.py",
      ...Array.from({ length: 49 }, (_, i) => `homework (${i + 1}).py`),
    ].sort();
    assert.deepEqual(results.map((r) => r.relative).sort(), expected);
    assert.deepEqual(await list(dir.path), [".sockit", ...expected].sort());
    for (const result of results) {
      assert.equal(await Deno.readTextFile(result.path), result.content);
      assert.equal(result.path, join(await Deno.realPath(dir.path), result.relative));
      await assert.rejects(Deno.lstat(result.tempPath), Deno.errors.NotFound);
    }
    assert.deepEqual(await list(join(dir.path, ".sockit")), []);
  });
}

Deno.test("commitFile numbers compound extensions and dotfiles", async () => {
  await using dir = await tempDir();
  const commit = async (name: string) =>
    (await commitFile({
      dir: dir.path,
      tempPath: await tempWith(dir.path, name),
      segments: [name],
    })).relative;
  assert.equal(await commit("archive.tar.gz"), "archive.tar.gz");
  assert.equal(await commit("archive.tar.gz"), "archive (1).tar.gz");
  assert.equal(await commit(".bashrc"), ".bashrc");
  assert.equal(await commit(".bashrc"), ".bashrc (1)");
});

Deno.test("commitFile with overwrite replaces the file", async () => {
  await using dir = await tempDir();
  const first = await commitFile({
    dir: dir.path,
    tempPath: await tempWith(dir.path, "old"),
    segments: ["과제.py"],
  });
  const second = await commitFile({
    dir: dir.path,
    tempPath: await tempWith(dir.path, "new"),
    segments: ["과제.py"],
    overwrite: true,
  });
  assert.equal(second.relative, "과제.py");
  assert.equal(second.path, first.path);
  assert.equal(await Deno.readTextFile(second.path), "new");
  assert.deepEqual(await list(dir.path), [".sockit", "과제.py"]);
  assert.deepEqual(await list(join(dir.path, ".sockit")), []);
});

Deno.test("commitFile creates nested folders and reports a /-separated path", async () => {
  await using dir = await tempDir();
  const stored = await commitFile({
    dir: dir.path,
    tempPath: await tempWith(dir.path, "x"),
    segments: ["a", "b", "c", "d.txt"],
  });
  assert.equal(stored.relative, "a/b/c/d.txt");
  assert.equal(await Deno.readTextFile(join(dir.path, "a", "b", "c", "d.txt")), "x");
  // Decomposed names are stored composed.
  const nfd = await commitFile({
    dir: dir.path,
    tempPath: await tempWith(dir.path, "y"),
    segments: ["과제".normalize("NFD"), "보고서.txt".normalize("NFD")],
  });
  assert.equal(nfd.relative, "과제/보고서.txt");
  assert.deepEqual(await list(join(dir.path, "과제")), ["보고서.txt"]);
});

Deno.test("prepareFolder creates empty folders and reuses existing ones", async () => {
  await using dir = await tempDir();
  const real = await Deno.realPath(dir.path);
  assert.equal(await prepareFolder(dir.path, []), real);
  const folder = await prepareFolder(dir.path, ["empty", "deeper"]);
  assert.equal(folder, join(real, "empty", "deeper"));
  assert.ok((await Deno.lstat(folder)).isDirectory);
  assert.equal(await prepareFolder(dir.path, ["empty", "deeper"]), folder);
  const results = await Promise.all(
    Array.from({ length: 20 }, () => prepareFolder(dir.path, ["same", "path"])),
  );
  assert.ok(results.every((r) => r === join(real, "same", "path")));
});

Deno.test("commitFile and prepareFolder check the names again", async () => {
  await using dir = await tempDir();
  const tempPath = await tempWith(dir.path, "x");
  await assert.rejects(
    commitFile({ dir: dir.path, tempPath, segments: ["..", "x.txt"] }),
    NameError,
  );
  await assert.rejects(commitFile({ dir: dir.path, tempPath, segments: [".sockit", "x"] }), {
    problem: "internal",
  });
  await assert.rejects(prepareFolder(dir.path, ["a", "/etc"]), NameError);
  await assert.rejects(commitFile({ dir: dir.path, tempPath, segments: [] }), NameError);
  assert.deepEqual(await list(dir.path), [".sockit"]);
});

Deno.test("an existing file where a folder is needed is a name conflict", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, "a"), "file");
  const tempPath = await tempWith(dir.path, "x");
  await assert.rejects(
    commitFile({ dir: dir.path, tempPath, segments: ["a", "b.txt"] }),
    assertConflict("not-a-folder"),
  );
  await assert.rejects(prepareFolder(dir.path, ["a", "b"]), assertConflict("not-a-folder"));
  assert.equal(await Deno.readTextFile(join(dir.path, "a")), "file");
});

Deno.test("overwrite never replaces a folder", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(join(dir.path, "x", "inside"), { recursive: true });
  const tempPath = await tempWith(dir.path, "x");
  await assert.rejects(
    commitFile({ dir: dir.path, tempPath, segments: ["x"], overwrite: true }),
    assertConflict("is-a-folder"),
  );
  assert.deepEqual(await list(join(dir.path, "x")), ["inside"]);
  // Without overwrite the folder's name is simply taken.
  const stored = await commitFile({ dir: dir.path, tempPath, segments: ["x"] });
  assert.equal(stored.relative, "x (1)");
});

Deno.test({
  name: "a symbolic link used as a folder is refused and nothing is written outside",
  ignore: windows,
  fn: async () => {
    await using dir = await tempDir();
    await using outside = await tempDir("sockit-outside-");
    await Deno.symlink(outside.path, join(dir.path, "link"));
    await Deno.mkdir(join(dir.path, "real"));
    await Deno.symlink(join(dir.path, "real"), join(dir.path, "inner"));
    const tempPath = await tempWith(dir.path, "payload");
    for (const segments of [["link", "x.txt"], ["link", "sub", "x.txt"], ["inner", "x.txt"]]) {
      await assert.rejects(
        commitFile({ dir: dir.path, tempPath, segments }),
        assertConflict("symlink"),
      );
      await assert.rejects(
        commitFile({ dir: dir.path, tempPath, segments, overwrite: true }),
        assertConflict("symlink"),
      );
    }
    await assert.rejects(prepareFolder(dir.path, ["link"]), assertConflict("symlink"));
    assert.deepEqual(await list(outside.path), []);
    assert.deepEqual(await list(join(dir.path, "real")), []);
    assert.equal(await Deno.readTextFile(tempPath), "payload");
    await discardTemp(tempPath);
  },
});

Deno.test({
  name: "a symbolic link at the final name is replaced with overwrite, never its target",
  ignore: windows,
  fn: async () => {
    await using dir = await tempDir();
    await using outside = await tempDir("sockit-outside-");
    const target = join(outside.path, "target.txt");
    await Deno.writeTextFile(target, "secret");
    await Deno.symlink(target, join(dir.path, "x.txt"));
    await Deno.symlink(join(outside.path, "missing.txt"), join(dir.path, "dangling.txt"));

    // Without overwrite a link (even a dangling one) just takes the name.
    const numbered = await commitFile({
      dir: dir.path,
      tempPath: await tempWith(dir.path, "one"),
      segments: ["dangling.txt"],
    });
    assert.equal(numbered.relative, "dangling (1).txt");
    const fallback = await commitFile({
      dir: dir.path,
      tempPath: await tempWith(dir.path, "two"),
      segments: ["dangling.txt"],
      hardLinks: false,
    });
    assert.equal(fallback.relative, "dangling (2).txt");
    assert.deepEqual(await list(outside.path), ["target.txt"]);

    const stored = await commitFile({
      dir: dir.path,
      tempPath: await tempWith(dir.path, "new"),
      segments: ["x.txt"],
      overwrite: true,
    });
    assert.equal(stored.relative, "x.txt");
    const info = await Deno.lstat(join(dir.path, "x.txt"));
    assert.ok(info.isFile && !info.isSymlink);
    assert.equal(await Deno.readTextFile(join(dir.path, "x.txt")), "new");
    assert.equal(await Deno.readTextFile(target), "secret");
    assert.deepEqual(await list(outside.path), ["target.txt"]);
  },
});

Deno.test({
  name: "a symbolic link as the working folder is refused",
  ignore: windows,
  fn: async () => {
    await using dir = await tempDir();
    await using outside = await tempDir("sockit-outside-");
    await Deno.symlink(outside.path, join(dir.path, ".sockit"));
    await assert.rejects(openTemp(dir.path), assertConflict("symlink"));
    assert.deepEqual(await list(outside.path), []);
  },
});

Deno.test("a missing receiving folder is reported as not found", async () => {
  await using dir = await tempDir();
  const missing = join(dir.path, "missing");
  await assert.rejects(openTemp(missing), (err: unknown) => {
    assert.ok(err instanceof SockitError);
    assert.equal(err.code, "not-found");
    assert.equal(err.details.path, missing);
    return true;
  });
  await Deno.writeTextFile(missing, "");
  await assert.rejects(prepareFolder(missing, ["a"]), assertConflict("not-a-folder"));
});
