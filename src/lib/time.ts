/**
 * Postgres's text form of a timestamptz ("2026-01-09 12:00:00.123456+00") as ISO 8601 UTC.
 * The HTTP driver hands timestamps over as text; this is the one place that reads them.
 */
export function pgTimestampToIso(value: string): string {
  const m = value.match(/^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2})(?::?(\d{2}))?$/);
  if (!m) return new Date(value).toISOString();
  const [, date, time, fraction = "", offsetHours, offsetMinutes = "00"] = m;
  const ms = (fraction || ".").slice(0, 4).padEnd(4, "0");
  return new Date(`${date}T${time}${ms}${offsetHours}:${offsetMinutes}`).toISOString();
}
