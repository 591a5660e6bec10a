/**
 * sockit: a TCP toolkit for the classroom. Echo server and client, and (in `transfer`) a
 * verified file sender and receiver that also speaks the lesson's classic protocol.
 *
 * `sockit spy`'s relay is a separate entry point, `./spy/relay.ts` (it loads `node:net`, which
 * nothing else needs); its annotator is exported here.
 *
 * @example
 * ```ts
 * import { runEcho, startEchoServer } from "./mod.ts";
 * const server = startEchoServer({ host: "127.0.0.1", port: 0 });
 * await runEcho({ port: server.addr.port, messages: ["안녕"] });
 * await server.close();
 * ```
 *
 * @module
 */

export * from "./net/address.ts";
export * from "./core/delay.ts";
export * from "./discovery/announcer.ts";
export * from "./discovery/beacon.ts";
export * from "./discovery/listener.ts";
export * from "./echo/client.ts";
export * from "./echo/server.ts";
export * from "./core/errors.ts";
export * from "./crypto/code.ts";
export * from "./crypto/handshake.ts";
export * from "./crypto/records.ts";
export * from "./crypto/session_keys.ts";
export * from "./core/format.ts";
export * from "./transfer/names.ts";
export * from "./transfer/partials.ts";
export * from "./net/socket.ts";
export * from "./spy/annotate.ts";
export * from "./transfer/protocol.ts";
export * from "./transfer/receiver.ts";
export * from "./transfer/sender.ts";
export * from "./net/server.ts";
export * from "./transfer/sniff.ts";
export * from "./transfer/storage.ts";
export * from "./core/streams.ts";
export * from "./net/trace.ts";
export * from "./core/version.ts";
export * from "./net/wire.ts";
