import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  README_PATH,
  readmeSettingsTable,
  renderSettingsTable,
  settingRows,
  TABLE_END,
  TABLE_START,
  withSettingsTable,
} from "../../scripts/settings-table";
import { DEFAULT_SETTINGS, settingsShape } from "../../src/appspaces/settings";

/**
 * The README's appspace settings table is generated from the settings schema
 * (scripts/settings-table.ts): a setting added, renamed, re-defaulted or re-described in
 * src/appspaces/settings.ts without regenerating the README fails here.
 */
describe("README settings table", () => {
  it("is what the settings schema renders", () => {
    const readme = readFileSync(README_PATH, "utf8");
    expect(
      readmeSettingsTable(readme),
      "README.md's settings table is stale: run `npm run docs:settings` and commit README.md",
    ).toBe(renderSettingsTable());
  });

  it("has one described row per setting, in schema order, with the schema's default", () => {
    const rows = settingRows();
    expect(rows.map((r) => r.name)).toEqual(Object.keys(settingsShape));
    for (const row of rows) {
      expect(row.description.trim(), row.name).not.toBe("");
      expect(row.default, row.name).toEqual(DEFAULT_SETTINGS[row.name]);
    }
    const table = renderSettingsTable().split("\n");
    expect(table[0]).toBe("| setting | default | what |");
    expect(table.slice(2)).toHaveLength(rows.length);
    // The link and deep-link settings the Try-it flow uses are documented too.
    for (const name of [
      "android_package",
      "web_fallback_url",
      "ios_app_store_url",
      "og_title",
      "match_strategy",
      "apple_team_id",
      "ios_bundle_ids",
      "android_sha256_cert_fingerprints",
    ]) {
      expect(
        table.some((line) => line.startsWith(`| \`${name}\` |`)),
        name,
      ).toBe(true);
    }
    // Defaults read as JSON in code spans, as the table always had them.
    for (const start of [
      '| `reward_milestone` | `"completed"` |',
      "| `milestones` | `[]` |",
      "| `match_min_confidence` | `0.85` |",
    ]) {
      expect(
        table.some((line) => line.startsWith(start)),
        start,
      ).toBe(true);
    }
  });

  it("--write replaces only the text between the markers", () => {
    const before = `intro\n${TABLE_START}\n| old |\n${TABLE_END}\nafter\n`;
    const after = withSettingsTable(before, "| new |");
    expect(after).toBe(`intro\n${TABLE_START}\n\n| new |\n\n${TABLE_END}\nafter\n`);
    expect(withSettingsTable(after, "| new |")).toBe(after);
    expect(() => withSettingsTable("no markers", "| new |")).toThrow(/markers/);
  });
});
