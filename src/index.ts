import { createApp } from "./app";
import { handleQueue, handleScheduled } from "./background";
import { describeError, log } from "./lib/log";
import { refCodeOf, serveRef } from "./routes/links/ref";
import type { Bindings } from "./types";

const app = createApp();

/**
 * Errors that leave a queue or cron handler are logged by the runtime with their message, and a
 * database error's message is the statement with its parameters. They are logged here through
 * `log` (code and statement fingerprint only) and replaced by an error that carries nothing more;
 * rethrown, so the queue still redelivers the batch.
 */
async function sanitized(what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    log.error(`${what} failed`, { error });
    // describeError keeps a message only where it carries no statement or parameters.
    const { name, code, message } = describeError(error);
    const detail = [name, code, message].filter((part) => typeof part === "string" && part).join(": ");
    throw new Error(`${what} failed: ${detail}`);
  }
}

export default {
  // GET/HEAD /ref/:code, the click, skips the app's router and middleware (src/routes/links/ref.ts).
  fetch: (request, env, ctx) => {
    const code = refCodeOf(request);
    return code === null ? app.fetch(request, env, ctx) : serveRef(request, env, ctx, code);
  },
  queue: (batch, env) => sanitized(`queue ${batch.queue}`, () => handleQueue(batch, env)),
  scheduled: (_controller, env, ctx) => ctx.waitUntil(sanitized("cron", () => handleScheduled(env))),
} satisfies ExportedHandler<Bindings>;
