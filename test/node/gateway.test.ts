import { request } from "node:http";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onFreePort } from "../../bench/support/net";
import { type Gateway, randomGatewayPassword, startGateway } from "../../scripts/gateway";

/**
 * The local database gateway (scripts/gateway.ts) runs any SQL it is sent, so it must answer
 * nothing but the Worker: any web page open in a developer's browser can POST to loopback.
 * Raw HTTP requests (node:http, so Host, Origin and the content type are exactly what we say).
 */
let gateway: Gateway;
const password = randomGatewayPassword();

beforeAll(async () => {
  gateway = await onFreePort(24000, (port) =>
    startGateway({
      port,
      dataDir: "memory://",
      migrationsFolder: resolve(import.meta.dirname, "../../drizzle"),
      password,
    }),
  );
});
afterAll(() => gateway?.close());

function post(headers: Record<string, string>, body = JSON.stringify({ query: "select 1 as one", params: [] })) {
  return new Promise<{ status: number; body: string }>((done, fail) => {
    const req = request({ host: "127.0.0.1", port: gateway.port, path: "/sql", method: "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () => done({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", fail);
    req.end(body);
  });
}

const good = () => ({
  host: `127.0.0.1:${gateway.port}`,
  "content-type": "application/json",
  "neon-connection-string": gateway.connectionString,
});

describe("the local database gateway", () => {
  it("answers the Worker's request: JSON, loopback Host, its password", async () => {
    const res = await post(good());
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).rows).toEqual([["1"]]);
  });

  it("refuses a request without the password, or with another one (401)", async () => {
    const { "neon-connection-string": _, ...without } = good();
    expect((await post(without)).status).toBe(401);
    const wrong = gateway.connectionString.replace(password, randomGatewayPassword());
    expect((await post({ ...good(), "neon-connection-string": wrong })).status).toBe(401);
  });

  it("refuses CORS-simple content types a web page can send blind (415)", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]) {
      expect((await post({ ...good(), "content-type": type })).status, type || "(none)").toBe(415);
    }
  });

  it("refuses anything a browser sent: Origin or Fetch Metadata (403), even with the password", async () => {
    expect((await post({ ...good(), origin: "https://evil.example" })).status).toBe(403);
    expect((await post({ ...good(), origin: "null" })).status).toBe(403);
    expect((await post({ ...good(), "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await post({ ...good(), "sec-fetch-dest": "empty" })).status).toBe(403);
  });

  it("accepts Node's own fetch, which sends `sec-fetch-mode: cors` and nothing else of Fetch Metadata", async () => {
    expect((await post({ ...good(), "sec-fetch-mode": "cors" })).status).toBe(200);
  });

  it("refuses a non-loopback Host (DNS rebinding) (403)", async () => {
    expect((await post({ ...good(), host: `attacker.example:${gateway.port}` })).status).toBe(403);
  });

  it("a refused request runs nothing", async () => {
    await post({ ...good(), "content-type": "text/plain" }, JSON.stringify({ query: "create table pwned (x int)" }));
    const res = await post(good(), JSON.stringify({ query: "select to_regclass('pwned') as t", params: [] }));
    expect(JSON.parse(res.body).rows).toEqual([[null]]);
  });
});
