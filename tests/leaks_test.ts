/**
 * Nothing outlives a send or a receiver: each test runs with Deno's op and resource
 * sanitizers on, so a timer still pending or a file or socket still open when it ends fails
 * it. Covers an in-process classic send, a send that fails mid-file, a send that is retried,
 * a send stopped as its file starts, and a receiver closed in the middle of a transfer.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { encodeFrame, readFrame } from "../lib/transfer/protocol.ts";
import { startReceiver } from "../lib/transfer/receiver.ts";
import { sendFiles } from "../lib/transfer/sender.ts";
import type { SendEvent } from "../lib/transfer/sender.ts";
import { Wire } from "../lib/net/wire.ts";
import { randomBytes, tempDir } from "./util.ts";
import { RawPeer } from "./raw_peer.ts";

const sanitized = { sanitizeOps: true, sanitizeResources: true } as const;

/** A file of `size` random bytes in `dir`. */
async function fileOf(dir: string, name: string, size: number): Promise<string> {
  const path = join(dir, name);
  await Deno.writeFile(path, randomBytes(size));
  return path;
}

Deno.test({
  name: "leaks: an in-process classic send leaves no timer or handle behind",
  ...sanitized,
  fn: async () => {
    await using files = await tempDir();
    await using inbox = await tempDir();
    const receiver = await startReceiver({ dir: inbox.path, host: "127.0.0.1", port: 0 });
    try {
      const path = await fileOf(files.path, "lesson.bin", 100_000);
      const result = await sendFiles({ paths: [path], port: receiver.addr.port, classic: true });
      assert.equal(result.files, 1);
    } finally {
      await receiver.close();
    }
  },
});

Deno.test({
  name: "leaks: a send that fails mid-file leaves no timer or handle behind",
  ...sanitized,
  fn: async () => {
    await using files = await tempDir();
    const path = await fileOf(files.path, "big.bin", 16 * 1024 * 1024);
    // A receiver that accepts the file, then hangs up with the data unread (a reset).
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const fake = (async () => {
      using wire = new Wire(await listener.accept());
      await wire.readExact(5);
      await wire.write(
        encodeFrame({ type: "H", version: 2, auth: "none", maxSize: null, window: 64 }),
      );
      await readFrame(wire, "sender");
      await wire.write(encodeFrame({ type: "A", id: 1, offset: 0 }));
      await wire.readExact(64 * 1024);
    })();
    await assert.rejects(
      sendFiles({ paths: [path], port: (listener.addr as Deno.NetAddr).port, retries: 0 }),
      (err: Error & { code?: string }) =>
        ["closed-early", "connection-reset"].includes(err.code ?? ""),
    );
    await fake;
  },
});

Deno.test({
  name: "leaks: a retried send removes every abort listener it added and leaves no timer",
  ...sanitized,
  fn: async () => {
    await using files = await tempDir();
    await using inbox = await tempDir();
    const receiver = await startReceiver({
      dir: inbox.path,
      host: "127.0.0.1",
      port: 0,
      maxConnections: 1,
    });
    try {
      // One idle session fills the only slot: the sender is told `busy` and retries.
      const holder = await RawPeer.open(receiver.addr.port);
      const controller = new AbortController();
      const signal = controller.signal;
      let listeners = 0;
      const add = signal.addEventListener.bind(signal);
      const remove = signal.removeEventListener.bind(signal);
      signal.addEventListener = (...args: Parameters<typeof add>) => {
        listeners++;
        add(...args);
      };
      signal.removeEventListener = (...args: Parameters<typeof remove>) => {
        listeners--;
        remove(...args);
      };
      const events: SendEvent[] = [];
      const result = await sendFiles({
        paths: [await fileOf(files.path, "homework.bin", 200_000)],
        port: receiver.addr.port,
        retries: 20,
        retryDelayMs: 20,
        signal,
        onEvent: (event) => {
          events.push(event);
          if (event.type === "retry") holder.close();
        },
      });
      assert.equal(result.files, 1);
      assert.ok(events.some((e) => e.type === "retry" && e.reason.length > 0));
      assert.equal(listeners, 0, "abort listeners left on the caller's signal");
    } finally {
      await receiver.close();
    }
  },
});

Deno.test({
  name: "leaks: a send stopped as its file starts closes the file",
  ...sanitized,
  fn: async () => {
    await using files = await tempDir();
    await using inbox = await tempDir();
    const receiver = await startReceiver({ dir: inbox.path, host: "127.0.0.1", port: 0 });
    try {
      const controller = new AbortController();
      const result = await sendFiles({
        paths: [await fileOf(files.path, "stopped.bin", 100_000)],
        port: receiver.addr.port,
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === "file-start") controller.abort();
        },
      });
      assert.equal(result.files, 0);
    } finally {
      await receiver.close();
    }
  },
});

Deno.test({
  name: "leaks: a receiver closed in the middle of a transfer leaves nothing open",
  ...sanitized,
  fn: async () => {
    await using files = await tempDir();
    await using inbox = await tempDir();
    let closing: Promise<unknown> | undefined;
    const receiver = await startReceiver({
      dir: inbox.path,
      host: "127.0.0.1",
      port: 0,
      onEvent: (event) => {
        if (event.type === "file-progress") closing ??= receiver.close();
      },
    });
    try {
      const path = await fileOf(files.path, "cut.bin", 16 * 1024 * 1024);
      await assert.rejects(sendFiles({ paths: [path], port: receiver.addr.port, retries: 0 }));
      assert.ok(closing, "the transfer never started");
      await closing;
    } finally {
      await receiver.close();
    }
  },
});
