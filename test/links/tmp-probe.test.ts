import { it } from "vitest";
import * as ns from "ua-parser-js";
import def from "ua-parser-js";
it("probe", () => {
  console.log("NS", Object.keys(ns), typeof (ns as Record<string, unknown>).default, typeof def, typeof (ns as Record<string, unknown>).UAParser);
  console.log("DEF keys", def ? Object.keys(def) : def);
});
