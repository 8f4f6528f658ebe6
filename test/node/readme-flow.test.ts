import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorkerStack, type WorkerStack } from "../support/node/worker-stack";

/**
 * README.md's "Try it" flow, run as a newcomer runs it: its ```sh blocks, taken from the README
 * itself (so the two can't drift), run by bash -euo pipefail from a directory holding a .dev.vars,
 * against the Worker hosted with its real KV and queues (the click consumer writes the deferred
 * record the claim reads). BASE points the block at that Worker; nothing else is changed.
 *
 * The block's documented output is checked too. `# → <output>` (continued on the comment lines
 * right below it) is what the command above printed, one line; in it `<…>` stands for a value
 * that differs on each run (no `"` in it) and `…` for anything left out. Each documented output
 * must match a line the script printed, in order.
 */
const README = resolve(import.meta.dirname, "../../README.md");
// Ends in "=", as `openssl rand -base64 32` tokens do: `cut -d= -f2` would cut it short.
const ADMIN_TOKEN = "readme-flow-admin+token/0123456789AB==";

/** The ```sh blocks of one of README.md's "## <title>" sections, joined. */
function sectionScript(readme: string, title: string): string {
  const section = new RegExp(`^## ${title}\\n([\\s\\S]*?)(?=^## |(?![\\s\\S]))`, "m").exec(readme)?.[1];
  if (section === undefined) throw new Error(`README.md has no "## ${title}" section`);
  const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? "");
  if (blocks.length === 0) throw new Error(`README.md's "## ${title}" section has no \`\`\`sh block`);
  return blocks.join("\n");
}

const tryItScript = (readme: string) => sectionScript(readme, "Try it");

/** The `# →` outputs of a script, as whole-line patterns. */
function documentedOutputs(script: string): { text: string; pattern: RegExp }[] {
  const outputs: string[] = [];
  let current: string | null = null;
  for (const line of script.split("\n")) {
    const start = /^# → (.*)$/.exec(line);
    const more = current === null || start ? null : /^#\s+(\S.*)$/.exec(line);
    if (current !== null && more) {
      current += more[1] ?? "";
      continue;
    }
    if (current !== null) outputs.push(current);
    current = start ? (start[1] ?? "") : null;
  }
  if (current !== null) outputs.push(current);
  const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return outputs.map((text) => {
    const parts = text.split(/(<[^<>]*>|…)/);
    const source = parts.map((part, i) => (i % 2 === 0 ? escapeRegExp(part) : part === "…" ? ".*" : '[^"]*')).join("");
    return { text, pattern: new RegExp(`^${source}$`) };
  });
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `script` with bash -euo pipefail in `cwd`, with a clean environment plus `env`. */
function runBash(script: string, cwd: string, env: Record<string, string>): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn("bash", ["-euo", "pipefail", "-c", script], {
      cwd,
      // No proxy settings, no ~/.curlrc, no ADMIN_TOKEN from outside; `node` is this Node. (The cast:
      // tsconfig.json's Worker types declare the Worker's bindings as required in ProcessEnv.)
      env: {
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? "/usr/bin:/bin"}`,
        HOME: cwd,
        ...env,
      } as unknown as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on("error", fail);
    child.on("close", (code: number | null) => done({ code, stdout, stderr }));
  });
}

/** Documented outputs a run didn't print (in order), and a failing exit. */
function outputProblems(run: Run, script: string): string[] {
  const found: string[] = [];
  if (run.code !== 0) found.push(`bash exited with ${run.code}`);
  const lines = run.stdout.split("\n");
  let next = 0;
  for (const { text, pattern } of documentedOutputs(script)) {
    const at = lines.findIndex((line, i) => i >= next && pattern.test(line));
    if (at < 0) found.push(`no output line matches the documented "# → ${text}"`);
    else next = at + 1;
  }
  return found;
}

/** What is wrong with a run of the flow: documented outputs it didn't print, broken links between steps. */
function problems(run: Run, script: string): string[] {
  const found = outputProblems(run, script);
  const lines = run.stdout.split("\n");
  // The steps hand each other the same referral: created, clicked, claimed, completed.
  const json = lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  const created = json.find((o) => "referral_url" in o)?.referral_code;
  const claim = json.find((o) => "path" in o && "token" in o);
  const completed = json.find((o) => "referral" in o)?.referral as Record<string, unknown> | undefined;
  const storeUrl = lines.find((line) => line.startsWith("https://play.google.com/"));
  const token = storeUrl && new URLSearchParams(new URL(storeUrl).searchParams.get("referrer") ?? "").get("tolk_token");
  if (typeof created !== "string") found.push("create printed no referral_code");
  else {
    if (claim?.referral_code !== created || claim?.path !== `/ref/${created}`) found.push("the claim is not the link");
    if (claim?.token !== token) found.push("the claim's token is not the install referrer's");
    if (completed?.referral_code !== created || completed?.status !== "completed") found.push("not completed");
  }
  return found;
}

const explain = (run: Run, stack: WorkerStack) =>
  `stdout:\n${run.stdout}\nstderr:\n${run.stderr}\nworker errors:\n${stack.errors.join("\n")}`;

describe('README "Try it"', () => {
  let stack: WorkerStack;
  let dir: string;
  const script = tryItScript(readFileSync(README, "utf8"));
  const run = (text: string) => runBash(text, dir, { BASE: stack.origin });

  beforeAll(async () => {
    stack = await startWorkerStack({ adminToken: ADMIN_TOKEN });
    // The checkout a newcomer runs the block in: what it reads is .dev.vars.
    dir = mkdtempSync(join(tmpdir(), "edgeref-readme-flow-"));
    writeFileSync(join(dir, ".dev.vars"), `# made by npm run dev\nADMIN_TOKEN=${ADMIN_TOKEN}\nIP_HASH_SECRET=x\n`);
  });
  afterAll(async () => {
    await stack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("documents the output of each step", () => {
    // appspace, create, click, claim, complete, and at least one reward claimed
    expect(documentedOutputs(script).length).toBeGreaterThanOrEqual(6);
  });

  it("runs to the end: the claim returns the referral code, complete and the reward claims succeed", async () => {
    const result = await run(script);
    expect(problems(result, script), explain(result, stack)).toEqual([]);
    expect(result.stdout).toMatch(/"status":"completed"/);
    expect(result.stdout).toMatch(/"reward_claimed":true/);
  }, 60_000);

  // The test itself: the README's old mistakes make it fail.
  it("fails when the admin token is read with cut -d= -f2 (a token ending in '=')", async () => {
    const cut = script.replace(/^ADMIN_TOKEN=.*$/m, "ADMIN_TOKEN=$(grep ^ADMIN_TOKEN= .dev.vars | cut -d= -f2)");
    expect(cut).not.toBe(script);
    const result = await run(cut);
    expect(result.code).not.toBe(0);
    expect(problems(result, cut)).not.toEqual([]);
  }, 60_000);

  it("fails when create and complete both carry the caller's IP (409 same_ip)", async () => {
    const sameIp = script.replace(/,"ip":"[^"]*"/g, "");
    expect(sameIp).not.toBe(script);
    const result = await run(sameIp);
    expect(result.stdout).toContain('"reason":"same_ip"');
    expect(problems(result, sameIp)).not.toEqual([]);
  }, 60_000);
});

describe('README "Link API"', () => {
  let stack: WorkerStack;
  let dir: string;
  const script = sectionScript(readFileSync(README, "utf8"), "Link API");

  beforeAll(async () => {
    stack = await startWorkerStack({ adminToken: ADMIN_TOKEN });
    dir = mkdtempSync(join(tmpdir(), "edgeref-readme-link-api-"));
    writeFileSync(join(dir, ".dev.vars"), `ADMIN_TOKEN=${ADMIN_TOKEN}\nIP_HASH_SECRET=x\n`);
  });
  afterAll(async () => {
    await stack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs the whole flow as documented: promotion, link, click with aid, conversion, export, erasure", async () => {
    expect(documentedOutputs(script).length).toBeGreaterThanOrEqual(7);
    const result = await runBash(script, dir, { BASE: stack.origin });
    expect(outputProblems(result, script), explain(result, stack)).toEqual([]);
    // The conversion is the click's: the aid the landing got names the link the conversion completed.
    const lines = result.stdout.split("\n");
    const code = /"code":"([A-Z0-9]{8})"/.exec(result.stdout)?.[1];
    const landing = lines.find((line) => line.startsWith("https://shop.example.com/"));
    expect(new URL(landing ?? "https://x/").searchParams.get("aid")?.startsWith(`${code}.`)).toBe(true);
  }, 60_000);
});
