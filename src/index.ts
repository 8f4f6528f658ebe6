import { createApp } from "./app";
import { handleQueue, handleScheduled } from "./background";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch, env) => handleQueue(batch, env),
  scheduled: (_controller, env, ctx) => ctx.waitUntil(handleScheduled(env)),
} satisfies ExportedHandler<CloudflareBindings>;
