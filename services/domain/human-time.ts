/**
 * Dates as people read them, for the CLI's human output and the dashboard: `2028-11-30 22:56 UTC` and
 * "in 729 days". Always UTC, so what an operator reads matches the share's files, the logs and the API, which
 * keep ISO 8601 (`--json`, /api/v1) for machines.
 */

type When = string | Date | null | undefined;

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

function toDate(v: When): Date | null {
  if (v === null || v === undefined || v === '') return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** `2028-11-30 22:56 UTC`; `-` for no date. */
export function humanDate(v: When): string {
  const d = toDate(v);
  if (!d) return '-';
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** "in 729 days", "3 hours ago", "now": whole units, rounded towards now (a certificate valid 730 days from this second shows 729). */
export function humanRelative(v: When, now: Date = new Date()): string {
  const d = toDate(v);
  if (!d) return '-';
  const diff = d.getTime() - now.getTime();
  const abs = Math.abs(diff);
  const span = abs >= 2 * DAY ? plural(Math.floor(abs / DAY), 'day') : abs >= 2 * HOUR ? plural(Math.floor(abs / HOUR), 'hour') : abs >= MINUTE ? plural(Math.floor(abs / MINUTE), 'minute') : null;
  if (!span) return 'now';
  return diff > 0 ? `in ${span}` : `${span} ago`;
}

/** `2028-11-30 22:56 UTC (in 729 days)`. */
export function humanDateAndRelative(v: When, now: Date = new Date()): string {
  return toDate(v) ? `${humanDate(v)} (${humanRelative(v, now)})` : '-';
}
