/**
 * sockit: a TCP toolkit for the classroom. A verified file receiver and sender (which also
 * speak the lesson's classic protocol), and a TCP echo server and client. This module is
 * what a script that embeds sockit needs; nothing here prints or exits: every function
 * reports through events and throws {@linkcode SockitError}s with a stable code.
 *
 * @example Receive files, then send one
 * ```ts
 * import { sendFiles, startReceiver } from "./mod.ts";
 * const receiver = await startReceiver({ dir: await Deno.makeTempDir(), host: "127.0.0.1", port: 0 });
 * const result = await sendFiles({ paths: ["deno.json"], port: receiver.addr.port });
 * console.log(result.files); // 1
 * await receiver.close();
 * ```
 *
 * @example Echo
 * ```ts
 * import { runEcho, startEchoServer } from "./mod.ts";
 * const server = startEchoServer({ host: "127.0.0.1", port: 0 });
 * await runEcho({ port: server.addr.port, messages: ["안녕"] });
 * await server.close();
 * ```
 *
 * @module
 */

export { startReceiver } from "./transfer/receiver.ts";
export type {
  WebDownload,
  WebOptions,
  WebOutcome,
  WebPageRequest,
  WebReceipt,
  WebRefusal,
} from "./transfer/receive_web.ts";
export type {
  Receiver,
  ReceiverEvent,
  ReceiverFileInfo,
  ReceiverOptions,
  ReceiverSummary,
} from "./transfer/receiver.ts";
export { planSend, sendFiles } from "./transfer/sender.ts";
export type { PlanNotes, SendEvent, SendItem, SendOptions, SendResult } from "./transfer/sender.ts";
export { REJECT_CODES } from "./transfer/protocol.ts";
export type { RefusalProblem, RejectCode } from "./transfer/protocol.ts";
export { NAME_PROBLEMS, NameError } from "./transfer/names.ts";
export type { NameProblem } from "./transfer/names.ts";
export { CONFLICT_PROBLEMS } from "./transfer/storage.ts";
export type { ConflictProblem } from "./transfer/storage.ts";
export { Roster } from "./collect/roster.ts";
export type { RosterEntry } from "./collect/roster.ts";
export { ClassTally } from "./collect/tally.ts";
export type { SenderTotals } from "./collect/tally.ts";
export { LOG_COLUMNS, readLog } from "./collect/log.ts";
export type { LogOutcome, LogRow } from "./collect/log.ts";
export {
  foldName,
  LOG_FILE_NAME,
  sanitizeSenderName,
  SENDER_NAME_PROBLEMS,
  SenderNameError,
} from "./collect/identity.ts";
export type { SenderNameProblem } from "./collect/identity.ts";
export { startEchoServer } from "./echo/server.ts";
export type {
  EchoServer,
  EchoServerEvent,
  EchoServerOptions,
  EchoServerSummary,
} from "./echo/server.ts";
export { runEcho, textLines } from "./echo/client.ts";
export type {
  EchoClientEvent,
  EchoClientOptions,
  EchoReply,
  EchoSessionResult,
  RttStats,
  RunEchoOptions,
} from "./echo/client.ts";
export { discoverReceivers } from "./discovery/listener.ts";
export { DISCOVERY_PORT } from "./discovery/beacon.ts";
export type { BeaconPath, BeaconProblem } from "./discovery/beacon.ts";
export type { DiscoverOptions, DiscoveryEvent, FoundReceiver } from "./discovery/listener.ts";
export { startAnnouncer } from "./discovery/announcer.ts";
export type {
  Announcer,
  AnnouncerEvent,
  AnnouncerOptions,
  AnnounceTarget,
} from "./discovery/announcer.ts";
export type { TraceEvent, TraceLayer } from "./net/trace.ts";
export type { GuessLimits } from "./transfer/pairing.ts";
export type { Direction } from "./net/wire.ts";
export { ERROR_CODES, SockitError } from "./core/errors.ts";
export type { ErrorCode, ErrorDetails } from "./core/errors.ts";
export { DEFAULT_PORTS, parseHostPort, parsePort } from "./net/address.ts";
export type { HostPort } from "./net/address.ts";
export { formatBytes, parseSize } from "./core/format.ts";
export { versionLine } from "./core/version.ts";
export { generateCode, parseCode } from "./crypto/code.ts";
export type { PairingCode } from "./crypto/code.ts";
