/**
 * The multipart parser behind `formParts` (`multipart.ts`): `@fastify/busboy`, whose fields
 * and files are queued for the consumer. A module of its own, loaded by the first form.
 *
 * @module
 */

import { Busboy } from "@fastify/busboy";
import type { BusboyFileStream, BusboyInstance } from "@fastify/busboy";
import { Readable } from "node:stream";
import { HttpError } from "./http.ts";
import type { FormLimits, FormPart } from "./multipart.ts";

/**
 * A busboy parser for a body of `contentType`, and the queue its parts come out of in order.
 *
 * @example
 * ```ts
 * import { makeParser } from "./form_parser.ts";
 * const { busboy, queue } = makeParser("multipart/form-data; boundary=b", {});
 * busboy.end(new TextEncoder().encode("--b--\r\n"));
 * await queue.next(); // null: no parts
 * ```
 * @throws {Error} from busboy, for a content type it cannot parse.
 */
export function makeParser(
  contentType: string,
  limits: FormLimits,
): { busboy: BusboyInstance; queue: PartQueue } {
  const busboy = new Busboy({
    headers: { "content-type": contentType },
    preservePath: true,
    limits: {
      fileSize: limits.fileSize ?? Infinity,
      files: limits.files ?? 10_000,
      fields: limits.fields ?? 16,
      fieldSize: limits.fieldSize ?? 4096,
      headerPairs: 16,
      headerSize: 8 * 1024,
    },
  });
  const queue = new PartQueue();
  busboy.on("field", (name: string, value: string, _nameCut: boolean, valueCut: boolean) => {
    if (valueCut) queue.fail(new HttpError(413, `form field ${name} is too long`));
    else queue.push({ kind: "field", name, value });
  });
  let current: BusboyFileStream | undefined;
  busboy.on("file", (field: string, stream: BusboyFileStream, filename: string) => {
    current = stream;
    queue.push({
      kind: "file",
      field,
      filename: filename ?? "",
      stream: Readable.toWeb(stream) as ReadableStream<Uint8Array>,
      discard: () => void stream.resume(),
      truncated: () => stream.truncated,
    });
  });
  const over = (what: string) => () => queue.fail(new HttpError(413, `too many ${what}`));
  busboy.on("filesLimit", over("files"));
  busboy.on("fieldsLimit", over("fields"));
  busboy.on("partsLimit", over("parts"));
  busboy.on("error", (err: Error) => {
    const error = new HttpError(400, `malformed multipart request: ${err.message}`);
    // A file being read would otherwise wait for bytes that never come.
    current?.destroy(error);
    queue.fail(error);
  });
  busboy.on("finish", () => queue.push(null));
  return { busboy, queue };
}

/** Parts waiting for the consumer, or the consumer waiting for a part. */
export class PartQueue {
  #parts: (FormPart | null)[] = [];
  #error: unknown;
  #failed = false;
  #wake?: () => void;

  push(part: FormPart | null): void {
    this.#parts.push(part);
    this.#wake?.();
  }

  fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#error = error;
    this.#wake?.();
  }

  async next(): Promise<FormPart | null> {
    while (this.#parts.length === 0 && !this.#failed) {
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = undefined;
    }
    if (this.#failed) throw this.#error;
    return this.#parts.shift()!;
  }
}
