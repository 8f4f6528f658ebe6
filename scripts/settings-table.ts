/**
 * The README's appspace settings table, rendered from the settings schema (src/appspaces/settings.ts):
 * one row per setting in schema order, its default from DEFAULT_SETTINGS, its text from the schema's
 * description. The schema is the one source; test/node/settings-table.test.ts fails when README.md
 * disagrees with it.
 *
 *   tsx scripts/settings-table.ts            print the table
 *   tsx scripts/settings-table.ts --write    replace the table between the markers in README.md
 *                                            (npm run docs:settings)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { DEFAULT_SETTINGS, settingsShape } from "../src/appspaces/settings";

export const TABLE_START = "<!-- settings-table:start -->";
export const TABLE_END = "<!-- settings-table:end -->";
export const README_PATH = resolve(import.meta.dirname, "../README.md");

type SettingName = keyof typeof settingsShape;

export interface SettingRow {
  name: SettingName;
  default: unknown;
  description: string;
}

/** Every setting, in schema order. A setting without a description is an error, not an empty cell. */
export function settingRows(): SettingRow[] {
  return (Object.keys(settingsShape) as SettingName[]).map((name) => {
    const schema = settingsShape[name];
    // Descriptions sit under the default (so the PATCH schema has them too); accept either place.
    const description = schema.description ?? schema.removeDefault().description;
    if (!description?.trim()) {
      throw new Error(`setting "${name}" has no description: add .describe("…") to it in src/appspaces/settings.ts`);
    }
    return { name, default: DEFAULT_SETTINGS[name], description };
  });
}

/** Text for one table cell: one line, and a `|` must not end the cell (GFM needs `\|`, even in code). */
function cell(text: string): string {
  return text
    .trim()
    .replace(/\s*\n\s*/g, " ")
    .replace(/\|/g, "\\|");
}

/** The markdown table: `| setting | default | what |`, defaults as JSON in code spans (`true`, `"none"`, `[]`). */
export function renderSettingsTable(): string {
  return [
    "| setting | default | what |",
    "|---|---|---|",
    ...settingRows().map(
      (row) => `| \`${row.name}\` | ${cell(`\`${JSON.stringify(row.default)}\``)} | ${cell(row.description)} |`,
    ),
  ].join("\n");
}

/** Where the table sits in `readme`: just after the start marker's line, up to the end marker. */
function tableBounds(readme: string): { from: number; to: number } {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`README.md has no ${TABLE_START} … ${TABLE_END} markers around the settings table`);
  }
  if (readme.indexOf(TABLE_START, start + 1) !== -1 || readme.indexOf(TABLE_END, end + 1) !== -1) {
    throw new Error(`README.md has more than one ${TABLE_START} … ${TABLE_END} pair`);
  }
  return { from: start + TABLE_START.length, to: end };
}

/** The table currently between the markers (trimmed). */
export function readmeSettingsTable(readme: string): string {
  const { from, to } = tableBounds(readme);
  return readme.slice(from, to).trim();
}

/**
 * `readme` with the text between the markers replaced by `table`; the rest is left byte for byte.
 * Blank lines keep the comments out of the table (a line right after a GFM table continues it).
 */
export function withSettingsTable(readme: string, table: string): string {
  const { from, to } = tableBounds(readme);
  return `${readme.slice(0, from)}\n\n${table}\n\n${readme.slice(to)}`;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const table = renderSettingsTable();
  if (process.argv.includes("--write")) {
    const readme = readFileSync(README_PATH, "utf8");
    const updated = withSettingsTable(readme, table);
    if (updated === readme) {
      console.log("README.md: settings table already up to date");
    } else {
      writeFileSync(README_PATH, updated);
      console.log(`README.md: settings table rewritten (${settingRows().length} settings)`);
    }
  } else {
    console.log(table);
  }
}
