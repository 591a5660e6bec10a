/**
 * Streaming `multipart/form-data` (the web page's no-JavaScript form) with `@fastify/busboy`:
 * fields and files come out one part at a time, each file as a stream, in the order they
 * arrived; the request body is read only as fast as the file streams are consumed, so nothing
 * is held whole in memory.
 *
 * @module
 */

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
  // busboy is a CommonJS package: loading it loads Deno's CommonJS loader and Node's stream
  // modules, about 6 MiB that a receiver nobody uploads to through the page does not carry.
  const { makeParser } = await import("./form_parser.ts");
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
