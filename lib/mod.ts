/**
 * sockit: a TCP toolkit for the classroom. Echo server and client, and (in `transfer`) a
 * verified file sender and receiver that also speaks the lesson's classic protocol.
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

export * from "./address.ts";
export * from "./delay.ts";
export * from "./echo_client.ts";
export * from "./echo_server.ts";
export * from "./errors.ts";
export * from "./format.ts";
export * from "./messages.ts";
export * from "./names.ts";
export * from "./partials.ts";
export * from "./net.ts";
export * from "./protocol.ts";
export * from "./receiver.ts";
export * from "./render.ts";
export * from "./render_transfer.ts";
export * from "./sender.ts";
export * from "./server.ts";
export * from "./sniff.ts";
export * from "./storage.ts";
export * from "./streams.ts";
export * from "./trace.ts";
export * from "./version.ts";
export * from "./wire.ts";
