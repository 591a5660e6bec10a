/**
 * Parsing and formatting of hosts and ports, and the "classmates can reach you at" list.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  DEFAULT_PORTS,
  formatAddr,
  formatHostPort,
  isLoopback,
  isWildcard,
  parseHostPort,
  parsePort,
  reachableAddresses,
} from "../lib/net/address.ts";
import { SockitError } from "../lib/core/errors.ts";
import type { ErrorCode } from "../lib/core/errors.ts";

/** Asserts that `fn` throws a SockitError with `code`. */
function assertCode(fn: () => unknown, code: ErrorCode, input: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SockitError, `${input}: ${err}`);
    assert.equal(err.code, code, `${input}: code`);
    return true;
  });
}

Deno.test("parsePort accepts 0 to 65535 with surrounding spaces", () => {
  assert.equal(parsePort("0"), 0);
  assert.equal(parsePort("1"), 1);
  assert.equal(parsePort("6000"), 6000);
  assert.equal(parsePort(" 9999 "), 9999);
  assert.equal(parsePort("65535"), 65535);
  assert.equal(parsePort("00080"), 80);
});

Deno.test("parsePort rejects anything else with bad-port and the value", () => {
  for (
    const bad of ["", " ", "65536", "99999", "123456", "-1", "+80", "1e3", "0x50", "80.0", "abc"]
  ) {
    assertCode(() => parsePort(bad), "bad-port", bad);
  }
  try {
    parsePort("70000");
    assert.fail("no error");
  } catch (err) {
    assert.ok(err instanceof SockitError);
    assert.equal(err.details.value, "70000");
  }
});

Deno.test("parseHostPort: IPv4, names, with and without a port", () => {
  assert.deepEqual(parseHostPort("192.168.0.12:7000", 6000), { host: "192.168.0.12", port: 7000 });
  assert.deepEqual(parseHostPort("192.168.0.12", 6000), { host: "192.168.0.12", port: 6000 });
  assert.deepEqual(parseHostPort("localhost", 9999), { host: "localhost", port: 9999 });
  assert.deepEqual(parseHostPort("my-laptop.local:80", 9999), {
    host: "my-laptop.local",
    port: 80,
  });
  assert.deepEqual(parseHostPort("  127.0.0.1:0  ", 9999), { host: "127.0.0.1", port: 0 });
});

Deno.test("parseHostPort: IPv6 in brackets or bare", () => {
  assert.deepEqual(parseHostPort("[::1]:9", 6000), { host: "::1", port: 9 });
  assert.deepEqual(parseHostPort("[::1]", 6000), { host: "::1", port: 6000 });
  assert.deepEqual(parseHostPort("::1", 6000), { host: "::1", port: 6000 });
  assert.deepEqual(parseHostPort("fe80::1%eth0", 6000), { host: "fe80::1%eth0", port: 6000 });
  assert.deepEqual(parseHostPort("[fe80::1%eth0]:7", 6000), { host: "fe80::1%eth0", port: 7 });
  assert.deepEqual(parseHostPort("2001:db8::42", 1), { host: "2001:db8::42", port: 1 });
});

Deno.test("parseHostPort: malformed addresses throw bad-address", () => {
  for (const bad of ["", "   ", ":6000", "two words", "a/b:80", "user@host", "back\\slash"]) {
    assertCode(() => parseHostPort(bad, 6000), "bad-address", bad);
  }
});

Deno.test("parseHostPort: a malformed port throws bad-port", () => {
  for (const bad of ["host:", "host:abc", "host:65536", "127.0.0.1:-1", "[::1]:99999", "[::1]:x"]) {
    assertCode(() => parseHostPort(bad, 6000), "bad-port", bad);
  }
});

Deno.test("formatHostPort brackets IPv6 only, and round-trips through parseHostPort", () => {
  assert.equal(formatHostPort({ host: "127.0.0.1", port: 9999 }), "127.0.0.1:9999");
  assert.equal(formatHostPort({ host: "::1", port: 9999 }), "[::1]:9999");
  assert.equal(formatHostPort({ host: "localhost", port: 0 }), "localhost:0");
  for (const hp of [{ host: "::1", port: 1 }, { host: "10.1.2.3", port: 65535 }]) {
    assert.deepEqual(parseHostPort(formatHostPort(hp), 6000), hp);
  }
});

Deno.test("formatAddr formats a real listener's address", () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const addr = listener.addr as Deno.NetAddr;
    assert.equal(formatAddr(addr), `127.0.0.1:${addr.port}`);
    assert.equal(formatAddr({ transport: "tcp", hostname: "::1", port: 5 }), "[::1]:5");
  } finally {
    listener.close();
  }
});

Deno.test("reachableAddresses: loopback hosts are not reachable from other machines", () => {
  assert.deepEqual(reachableAddresses("127.0.0.1", 6000), []);
  assert.deepEqual(reachableAddresses("127.1.2.3", 6000), []);
  assert.deepEqual(reachableAddresses("::1", 6000), []);
  assert.deepEqual(reachableAddresses("localhost", 6000), []);
});

Deno.test("reachableAddresses: a specific host is listed as itself", () => {
  assert.deepEqual(reachableAddresses("192.168.0.12", 6000), ["192.168.0.12:6000"]);
  assert.deepEqual(reachableAddresses("fd00::5", 7), ["[fd00::5]:7"]);
});

Deno.test("reachableAddresses: a wildcard lists this machine's IPv4 addresses except loopback", () => {
  const expected = Deno.networkInterfaces()
    .filter((i) => i.family === "IPv4" && !i.address.startsWith("127."))
    .map((i) => `${i.address}:6000`);
  for (const wildcard of ["0.0.0.0", "::"]) {
    const got = reachableAddresses(wildcard, 6000);
    assert.deepEqual(got, expected, wildcard);
    for (const address of got) {
      assert.doesNotMatch(address, /^127\.|^\[::1\]/);
      assert.match(address, /^\d+\.\d+\.\d+\.\d+:6000$/);
    }
  }
});

Deno.test("isWildcard and isLoopback", () => {
  assert.ok(isWildcard("0.0.0.0") && isWildcard("::") && isWildcard("[::]"));
  assert.ok(!isWildcard("127.0.0.1") && !isWildcard("::1"));
  assert.ok(isLoopback("127.0.0.1") && isLoopback("::1") && isLoopback("localhost"));
  assert.ok(!isLoopback("192.168.0.1") && !isLoopback("0.0.0.0"));
});

Deno.test("the default ports are the lesson's", () => {
  assert.deepEqual(DEFAULT_PORTS, { echo: 9999, transfer: 6000 });
});

Deno.test("parseHostPort: what users mistype is refused, never passed on to connect", () => {
  for (const bad of ["127.0.0.1;6003", "127,0,0,1", "127.0.0.1:6003:", "256.1.1.1", "[12345::]"]) {
    assertCode(() => parseHostPort(bad, 6000), "bad-address", bad);
  }
});
