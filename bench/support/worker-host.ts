/**
 * Hosting Workers for benches the way `wrangler deploy` builds them and workerd runs them, without
 * `wrangler dev` (whose local proxy caps out near 1.2k req/s on a small machine): esbuild bundles
 * the entry (ESM, workerd conditions, minified as wrangler.toml deploys it) and Miniflare's API
 * runs it in workerd on its own loopback port.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { build, type Plugin } from "esbuild";
import { Log, LogLevel, Miniflare, type MiniflareOptions } from "miniflare";
import { isAddressInUse, randomPort } from "./net";

/** wrangler.toml's compatibility settings. */
export const COMPATIBILITY = {
  compatibilityDate: "2026-04-20",
  compatibilityFlags: ["nodejs_compat"],
} as const;

export interface Bundle {
  path: string;
  remove(): void;
}

/**
 * Optional dependencies an SDK imports lazily inside a try/catch (Resend's `@react-email/render`,
 * for React emails, which this Worker never sends). Not installed, esbuild leaves the import in the
 * bundle — wrangler too, and workerd just rejects it at run time, as the SDK expects — but
 * Miniflare's module collection refuses a bundle with an import it can't find. Here such an
 * import is a module that throws when loaded: the same failure, at the same moment.
 */
export const MISSING_OPTIONAL_IMPORTS: Plugin = {
  name: "missing-optional-imports",
  setup(b) {
    b.onResolve({ filter: /^@react-email\/render$/ }, (args) => ({ path: args.path, namespace: "missing-optional" }));
    b.onLoad({ filter: /.*/, namespace: "missing-optional" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`Cannot find module '${args.path}'`)});`,
    }));
  },
};

/** Bundles `entry` (a path relative to the cwd) into a temp dir, as wrangler would (`plugins`: diagnostics' source patches). */
export async function bundleWorker(
  entry: string,
  { minify = true, plugins = [] }: { minify?: boolean; plugins?: Plugin[] } = {},
): Promise<Bundle> {
  const dir = mkdtempSync(join(tmpdir(), "edgeref-bench-redirect-"));
  const path = join(dir, "index.js");
  await build({
    entryPoints: [resolve(entry)],
    outfile: path,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["workerd", "worker", "browser", "module", "main"],
    external: ["node:*", "cloudflare:*"],
    plugins: [...plugins, MISSING_OPTIONAL_IMPORTS],
    minify,
    logLevel: "warning",
  });
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface HostedWorker {
  mf: Miniflare;
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** Worker console lines at level error/warn (the Worker's own failure reports). */
  errors: string[];
  dispose(): Promise<void>;
}

export type WorkerSource = { scriptPath: string } | { script: string };

/**
 * Starts one Miniflare (one workerd process) serving `source` on a random loopback port in
 * [basePort, basePort + 4000), retried on a clash. Miniflare's own log is kept at WARN (no
 * per-request log lines) and request logging is off, so nothing but the Worker runs per request.
 */
export async function hostWorker(
  source: WorkerSource,
  options: Omit<MiniflareOptions, "port" | "host" | "script" | "scriptPath" | "modules">,
  { basePort, onError }: { basePort: number; onError?: (line: string) => void },
): Promise<HostedWorker> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 8; attempt++) {
    const port = randomPort(basePort);
    const errors: string[] = [];
    const mf = new Miniflare({
      ...COMPATIBILITY,
      ...options,
      ...("scriptPath" in source
        ? { scriptPath: source.scriptPath, modulesRoot: dirname(source.scriptPath) }
        : { script: source.script }),
      modules: true,
      host: "127.0.0.1",
      port,
      cf: false,
      log: new Log(LogLevel.WARN),
      logRequests: false,
      handleStructuredLogs: ({ level, message }: { level: string; message: string }) => {
        if (level !== "error" && level !== "warn") return;
        errors.push(message);
        onError?.(message);
      },
    } as MiniflareOptions);
    try {
      await mf.ready;
    } catch (error) {
      await mf.dispose().catch(() => {});
      lastError = error;
      if (isAddressInUse(error)) continue;
      throw error;
    }
    let disposed = false;
    return {
      mf,
      port,
      origin: `http://127.0.0.1:${port}`,
      errors,
      dispose: async () => {
        if (disposed) return;
        disposed = true;
        await mf.dispose();
      },
    };
  }
  throw lastError;
}
