/**
 * sockit's echo against the lesson's Python programs (`tests/peers/`), both ways, plus a
 * sanity check of the lesson-style file peers that the transfer tests rely on.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  randomBytes,
  resetClient,
  runCli,
  runPython,
  spawnCli,
  startPeer,
  tempDir,
  within,
} from "./util.ts";

/** For runs to completion: generous, as a busy machine can stall `deno run` for a while. */
const OPTIONS = { timeoutMs: 60_000 };

Deno.test("interop: the lesson's Python client against sockit echo-server", async () => {
  const server = spawnCli(["echo-server", "--host", "127.0.0.1", "--port", "0"]);
  await using _server = server;
  const [, port] = await server.stdout.waitFor(/listening on 127\.0\.0\.1:(\d+)\./, 15_000);

  const korean = await runPython("lesson_echo_client.py", ["--port", port]);
  assert.equal(korean.code, 0, korean.stderr);
  assert.equal(korean.stdout, "Received 안녕\n");
  await server.stdout.waitFor(/^Received from 127\.0\.0\.1:\d+: 안녕$/);
  await server.stdout.waitFor(/^Disconnected by 127\.0\.0\.1:\d+ \(closed normally, 6 B echoed\)$/);

  const other = await runPython("lesson_echo_client.py", [
    "--host",
    "127.0.0.1",
    "--port",
    port,
    "--message",
    "hello, 세계",
  ]);
  assert.equal(other.code, 0, other.stderr);
  assert.equal(other.stdout, "Received hello, 세계\n");

  const status = await server.stop("SIGINT");
  assert.equal(status.code, 0);
  assert.ok(
    server.stdout.lines.includes("Echo server stopped: 2 connections served, 19 B echoed."),
    server.stdout.text,
  );
});

Deno.test("interop: sockit echo against the lesson's single-client echo server", async () => {
  const { peer, port } = await startPeer("lesson_echo_server.py", ["--max-seconds", "60"]);
  await using _peer = peer;
  // One connection, several messages: lines from standard input.
  const result = await runCli(["echo", "--to", `127.0.0.1:${port}`], {
    ...OPTIONS,
    stdin: "안녕\nhello lesson\n",
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "Received: 안녕\nReceived: hello lesson\n");
  // The lesson's server serves one client and then ends by itself.
  const status = await within(5000, peer.child.status, "the peer to exit by itself");
  assert.equal(status.code, 0, peer.stderr.text);
  await peer.stdout.done;
  const lines = peer.stdout.lines;
  assert.match(lines[1], /^Connected by 127\.0\.0\.1:\d+$/);
  assert.match(lines[2], /^Received from 127\.0\.0\.1:\d+ 안녕$/);
  assert.match(lines[3], /^Received from 127\.0\.0\.1:\d+ hello lesson$/);
  assert.match(lines.at(-1)!, /^Disconnected by 127\.0\.0\.1:\d+$/);
});

Deno.test("interop: sockit echo against the lesson's threaded echo server", async () => {
  const { peer, port } = await startPeer("lesson_threaded_echo_server.py", [
    "--max-seconds",
    "60",
  ]);
  await using _peer = peer;
  const to = `127.0.0.1:${port}`;

  // Several clients in a row.
  for (const message of ["안녕", "두 번째", "third"]) {
    const result = await runCli(["echo", "--to", to, message], OPTIONS);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `Received: ${message}\n`);
  }
  // A message longer than the server's 1 KiB reads comes back whole.
  const long = "가나다라마바사아자차카타파하".repeat(100); // 4200 bytes
  const longResult = await runCli(["echo", "--to", to, long], OPTIONS);
  assert.equal(longResult.code, 0, longResult.stderr);
  assert.equal(longResult.stdout, `Received: ${long}\n`);
  // Ping-style round trips over one connection.
  const ping = await runCli(["echo", "--to", to, "-c", "3", "-i", "0", "ping"], OPTIONS);
  assert.equal(ping.code, 0, ping.stderr);
  assert.match(ping.stdout, /^3 sent, 3 echoed intact, /m);

  // A client that resets is told apart from one that closes.
  await resetClient(Number(port));

  await peer.stdout.waitFor(/\(reset\)$/, 5000);
  await peer.stdout.waitForLines(/^Disconnected by .* \(closed\)$/, 5, 5000);
  assert.equal(
    peer.stdout.lines.filter((l) => /^Disconnected by .* \(closed\)$/.test(l)).length,
    5,
    peer.stdout.text,
  );
  assert.equal(peer.stdout.lines.filter((l) => l.endsWith("(reset)")).length, 1);
  assert.ok(peer.stdout.lines.some((l) => /^Received from 127\.0\.0\.1:\d+ 두 번째$/.test(l)));
  const status = await peer.stop("SIGTERM");
  assert.equal(status.code, 0, peer.stderr.text);
});

Deno.test("interop: the lesson-style file peers agree with each other", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/data.bin`;
  const data = randomBytes(100_000 + 123);
  await Deno.writeFile(file, data);
  const { peer, port } = await startPeer("lesson_file_receiver.py", [
    "--out",
    `${dir.path}/in`,
    "--once",
    "--max-seconds",
    "60",
  ]);
  await using _peer = peer;
  const sent = await runPython("lesson_file_sender.py", ["--port", String(port), "--file", file]);
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stdout, new RegExp(`^sent ${data.length} bytes$`, "m"));
  const status = await within(5000, peer.child.status, "the peer to exit by itself");
  assert.equal(status.code, 0, peer.stderr.text);
  await peer.stdout.done;
  assert.ok(peer.stdout.lines.includes(`received 1 ${data.length}`), peer.stdout.text);
  assert.deepEqual(await Deno.readFile(`${dir.path}/in/received-1`), data);
});

Deno.test("interop: the lesson-style sender gives up unless the answer is 'ready'", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/small.txt`;
  await Deno.writeTextFile(file, "hello");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const answering = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    await conn.write(new TextEncoder().encode("nope"));
    // Wait for the sender to close, so nothing is cut short.
    while (await conn.read(buf) !== null) { /* drain */ }
    conn.close();
    return new TextDecoder().decode(buf.subarray(0, n ?? 0));
  })();
  try {
    const result = await runPython("lesson_file_sender.py", [
      "--port",
      String((listener.addr as Deno.NetAddr).port),
      "--file",
      file,
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /did not answer 'ready' but b'nope'/);
    assert.equal(await answering, "5", "the size goes first, as ASCII digits");
  } finally {
    listener.close();
  }
});
