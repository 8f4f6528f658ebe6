import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../types";

/**
 * How much of an oversized chunked body is still read (and thrown away) so the connection ends
 * cleanly; past this the stream is cancelled and the connection may be dropped.
 */
const DRAIN_LIMIT = 8 * 1024 * 1024;

/**
 * Caps request bodies at `maxSize` bytes, declared or not.
 *
 * Why not `hono/body-limit`: for a body without Content-Length (`Transfer-Encoding: chunked`) it
 * stops reading at the limit and answers 413 with the stream half read. workerd cannot reuse
 * that connection; under `wrangler dev` the next request on it failed with "Your worker
 * restarted mid-request" (503), so 413s and restarts alternated. Cancelling the stream does not
 * help (measured: same 503). What does is reading the body to its end, keeping none of the
 * excess, as workerd itself does for a body nobody touched. A declared Content-Length over the
 * limit is answered at once, without touching the body (that path was never affected).
 */
export function bodyLimit(options: { maxSize: number; onError: (c: Context<AppEnv>) => Response }) {
  const { maxSize, onError } = options;
  return createMiddleware<AppEnv>(async function bodyLimit(c, next) {
    const body = c.req.raw.body;
    if (!body) return next();
    const declared = c.req.raw.headers.has("transfer-encoding") ? null : c.req.header("content-length");
    if (declared != null && /^\d+$/.test(declared)) {
      // workerd holds the body to its Content-Length, so the header is the size.
      return Number(declared) <= maxSize ? next() : onError(c);
    }
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxSize) {
        await drain(reader, size);
        return onError(c);
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    // A buffered copy for the validators downstream (the original stream is consumed).
    c.req.raw = new Request(c.req.raw, { body: bytes });
    await next();
  });
}

/** Reads the rest of an oversized body, keeping nothing, up to DRAIN_LIMIT in all. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, alreadyRead: number): Promise<void> {
  let size = alreadyRead;
  try {
    while (size <= DRAIN_LIMIT) {
      const { done, value } = await reader.read();
      if (done) return;
      size += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The client went away mid-body: nothing left to protect.
  }
}
