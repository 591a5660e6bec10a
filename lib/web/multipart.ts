/**
 * Streaming `multipart/form-data` (the web page's no-JavaScript form) with `@fastify/busboy`:
 * fields and files come out one part at a time, each file as a stream, in the order they
 * arrived; the request body is read only as fast as the file streams are consumed, so nothing
 * is held whole in memory.
 *
 * @module
 */

import { Busboy } from "@fastify/busboy";
import type { BusboyFileStream } from "@fastify/busboy";
import { Readable } from "node:stream";
import { recycle } from "../core/streams.ts";
import { HttpError } from "./http.ts";

/** One part of a form: a field, or a file whose bytes follow as a stream. */
export type FormPart =
  | { kind: "field"; name: string; value: string }
  | {
    kind: "file";
    /** The form field's name. */
    field: string;
    /** The file name as the browser gave it (hostile; may hold a path). */
    filename: string;
    /** The bytes; read to the end or call `discard`. */
    stream: ReadableStream<Uint8Array>;
    /** Skips the rest of this file's bytes. */
    discard(): void;
    /** True once the file was cut at the size limit. */
    truncated(): boolean;
  };

/** Limits of {@linkcode formParts}. */
export interface FormLimits {
  /** Most bytes of one file. Default: no limit. */
  fileSize?: number;
  /** Most files. Default 10 000. */
  files?: number;
  /** Most fields (besides files). Default 16. */
  fields?: number;
  /** Most bytes of one field's value. Default 4 KiB. */
  fieldSize?: number;
}

/**
 * The parts of a `multipart/form-data` body. Consume (or discard) each file's stream before
 * asking for the next part.
 *
 * @example
 * ```ts
 * import { formParts } from "./multipart.ts";
 * const body = "--b\r\nContent-Disposition: form-data; name=\"who\"\r\n\r\n민지\r\n--b--\r\n";
 * const stream = ReadableStream.from([new TextEncoder().encode(body)]);
 * for await (const part of formParts(stream, "multipart/form-data; boundary=b")) {
 *   if (part.kind === "field") console.log(part.name, part.value); // "who" "민지"
 * }
 * ```
 * @throws {HttpError} 415 for another content type, 400 for a malformed body, 413 past a limit.
 */
export async function* formParts(
  body: ReadableStream<Uint8Array>,
  contentType: string,
  limits: FormLimits = {},
): AsyncGenerator<FormPart> {
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    throw new HttpError(415, "the form must be sent as multipart/form-data");
  }
  let parser: ReturnType<typeof makeParser>;
  try {
    parser = makeParser(contentType, limits);
  } catch (err) {
    throw new HttpError(400, `malformed multipart request: ${(err as Error).message}`);
  }
  const { busboy, queue } = parser;
  const pump = (async () => {
    try {
      for await (const chunk of body) {
        // busboy keeps pieces of what it is given: hand it a copy, never a reusable buffer.
        const copy = chunk.slice();
        recycle(chunk);
        await new Promise<void>((resolve, reject) =>
          busboy.write(copy, (err) => err ? reject(err) : resolve())
        );
      }
      busboy.end();
    } catch (err) {
      queue.fail(err);
    }
  })();
  try {
    while (true) {
      const part = await queue.next();
      if (part === null) break;
      yield part;
    }
  } finally {
    // The pump ends with the body (the handler closes the connection after answering).
    busboy.destroy();
    void pump;
  }
}

function makeParser(contentType: string, limits: FormLimits) {
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
class PartQueue {
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
