/**
 * Copies the pinned Swagger UI files /docs uses out of node_modules/swagger-ui-dist into
 * public/docs/, the Workers static-assets directory ([assets] in wrangler.toml), so the API
 * reference is served by this Worker and never from a CDN. Runs as `postinstall` (so `npm ci` /
 * `npm install` on a fresh clone produce them before dev, test or deploy); public/ is generated,
 * never committed. Plain Node (no tsx): it runs while dependencies are being installed.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const source = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const target = join(root, "public", "docs");
// The bundle's licence notice points at its LICENSE.txt; Apache-2.0 asks for NOTICE alongside.
// The list is the Worker's own (src/docs/assets.json): what is copied is what /docs/* serves.
const FILES = JSON.parse(readFileSync(join(root, "src", "docs", "assets.json"), "utf8"));

rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
for (const file of FILES) copyFileSync(join(source, file), join(target, file));
const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
console.log(`docs: copied swagger-ui-dist ${version} into public/docs/`);
