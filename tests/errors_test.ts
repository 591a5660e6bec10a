/**
 * Error mapping with real OS errors (refused connections, ports in use, unknown hosts), and
 * the number formatting and parsing of `format.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { SockitError, toSockitError } from "../lib/core/errors.ts";
import { formatBytes, formatDuration, formatRate, parseSize } from "../lib/core/format.ts";
import { connect, listen } from "../lib/net/socket.ts";
import { closedPort } from "./util.ts";

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail("expected a rejection");
}

Deno.test("toSockitError: connecting to a closed port is connection-refused", async () => {
  const port = closedPort();
  const raw = await rejection(Deno.connect({ hostname: "127.0.0.1", port }));
  const error = toSockitError(raw, "connect", { host: "127.0.0.1", port });
  assert.equal(error.code, "connection-refused");
  assert.equal(error.details.host, "127.0.0.1");
  assert.equal(error.details.port, port);
  assert.equal(error.cause, raw);
});

Deno.test("net.connect: a closed port rejects with connection-refused", async () => {
  const port = closedPort();
  const err = await rejection(connect({ host: "127.0.0.1", port, timeoutMs: 5000 }));
  assert.ok(err instanceof SockitError);
  assert.equal(err.code, "connection-refused");
  assert.deepEqual([err.details.host, err.details.port], ["127.0.0.1", port]);
});

Deno.test("net.listen: a port already in use is address-in-use", () => {
  const first = listen("127.0.0.1", 0);
  const { port } = first.addr as Deno.NetAddr;
  try {
    assert.throws(() => listen("127.0.0.1", port).close(), (err: unknown) => {
      assert.ok(err instanceof SockitError, String(err));
      assert.equal(err.code, "address-in-use");
      assert.equal(err.details.port, port);
      assert.equal(err.details.host, "127.0.0.1");
      return true;
    });
  } finally {
    first.close();
  }
});

Deno.test("net.listen: an address of another machine is address-unavailable", () => {
  // 192.0.2.0/24 is TEST-NET-1: never assigned to a real interface.
  assert.throws(() => listen("192.0.2.1", 0).close(), (err: unknown) => {
    assert.ok(err instanceof SockitError, String(err));
    assert.equal(err.code, "address-unavailable");
    return true;
  });
});

Deno.test("net.connect: an unknown host is host-not-found (or unreachable without DNS)", async () => {
  const err = await rejection(connect({ host: "no.such.host.invalid", port: 9, timeoutMs: 8000 }));
  assert.ok(err instanceof SockitError, String(err));
  assert.ok(["host-not-found", "unreachable"].includes(err.code), err.code);
  assert.equal(err.details.host, "no.such.host.invalid");
});

Deno.test("toSockitError: Deno error classes map to stable codes", () => {
  const e = Deno.errors;
  const cases: [Error, string][] = [
    [new e.ConnectionRefused("x"), "connection-refused"],
    [new e.AddrInUse("x"), "address-in-use"],
    [new e.AddrNotAvailable("x"), "address-unavailable"],
    [new e.ConnectionReset("x"), "connection-reset"],
    [new e.ConnectionAborted("x"), "connection-reset"],
    [new e.BrokenPipe("x"), "closed-early"],
    [new e.UnexpectedEof("x"), "closed-early"],
    [new e.NotConnected("x"), "closed-early"],
    [new e.TimedOut("x"), "timeout"],
    [new e.NetworkUnreachable("x"), "unreachable"],
    [new Error("No route to host (os error 113)"), "unreachable"],
    [
      new Error("failed to lookup address information: Name or service not known"),
      "host-not-found",
    ],
    [new Error("No space left on device (os error 28)"), "disk-full"],
    [new e.NotFound("x"), "not-found"],
    [new Error("something else"), "internal"],
  ];
  for (const [err, code] of cases) {
    assert.equal(toSockitError(err, "io").code, code, `${err.name}: ${err.message}`);
  }
  assert.equal(toSockitError(new e.PermissionDenied("x"), "listen").code, "bind-permission");
  assert.equal(toSockitError(new e.PermissionDenied("x"), "file").code, "write-failed");
  assert.equal(toSockitError("a string", "io").code, "internal");
  assert.equal(toSockitError(null, "io").code, "internal");
});

Deno.test("toSockitError keeps a SockitError as it is and records the reason", () => {
  const original = new SockitError("bad-port", { value: "x" });
  assert.equal(toSockitError(original), original);
  const mapped = toSockitError(new Error("boom"), "io", { host: "h", port: 1 });
  assert.deepEqual(mapped.details, { host: "h", port: 1, reason: "boom" });
  assert.equal(mapped.name, "SockitError");
});

Deno.test("parseSize: plain numbers and binary multiples", () => {
  assert.equal(parseSize("1"), 1);
  assert.equal(parseSize("1024"), 1024);
  assert.equal(parseSize("1k"), 1024);
  assert.equal(parseSize("1K"), 1024);
  assert.equal(parseSize("4m"), 4 * 1024 * 1024);
  assert.equal(parseSize("4MiB"), 4 * 1024 * 1024);
  assert.equal(parseSize("64KiB"), 64 * 1024);
  assert.equal(parseSize("64kb"), 64 * 1024);
  assert.equal(parseSize("1.5g"), 1.5 * 1024 ** 3);
  assert.equal(parseSize(" 2 t "), 2 * 1024 ** 4);
  assert.equal(parseSize("10B"), 10);
});

Deno.test("parseSize: zero, negatives and junk are bad-size", () => {
  for (const bad of ["", "0", "0k", "-1", "k", "1x", "1kk", "1e3", "abc", "0.1", "1.5.2"]) {
    assert.throws(() => parseSize(bad), (err: unknown) => {
      assert.ok(err instanceof SockitError, bad);
      assert.equal(err.code, "bad-size", bad);
      assert.equal(err.details.value, bad);
      return true;
    });
  }
});

Deno.test("formatBytes uses binary units with sensible precision", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(12), "12 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1024), "1.00 KiB");
  assert.equal(formatBytes(1536), "1.50 KiB");
  assert.equal(formatBytes(20 * 1024), "20.0 KiB");
  assert.equal(formatBytes(500 * 1024), "500 KiB");
  assert.equal(formatBytes(1024 ** 2), "1.00 MiB");
  assert.equal(formatBytes(3 * 1024 ** 3), "3.00 GiB");
  assert.equal(formatBytes(2 * 1024 ** 4), "2.00 TiB");
  assert.equal(formatBytes(2048 * 1024 ** 4), "2048 TiB");
});

Deno.test("formatRate reports MB/s (10^6 bytes per second)", () => {
  assert.equal(formatRate(50_000_000, 500), "100.0 MB/s");
  assert.equal(formatRate(1_000_000, 1000), "1.00 MB/s");
  assert.equal(formatRate(123_456, 1000), "0.12 MB/s");
  assert.equal(formatRate(1000, 0), "0.00 MB/s");
});

Deno.test("formatDuration: ms, seconds, minutes", () => {
  assert.equal(formatDuration(0), "0 ms");
  assert.equal(formatDuration(850), "850 ms");
  assert.equal(formatDuration(999.4), "999 ms");
  assert.equal(formatDuration(1000), "1.0 s");
  assert.equal(formatDuration(12_345), "12.3 s");
  assert.equal(formatDuration(59_900), "59.9 s");
  assert.equal(formatDuration(60_000), "1m00s");
  assert.equal(formatDuration(245_000), "4m05s");
  assert.equal(formatDuration(3_600_000), "60m00s");
});
