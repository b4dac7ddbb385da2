/** Table and CSV output for the CLI. */

/** RFC 4180: quote fields holding a comma, a quote or a line break; double the quotes inside. */
export function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: Record<string, unknown>[], columns: string[]): string {
  return [columns.join(','), ...rows.map((r) => columns.map((c) => csvField(r[c])).join(','))].join('\r\n') + '\r\n';
}

export function printTable(out: (s: string) => void, rows: Record<string, unknown>[], columns: string[]): void {
  if (rows.length === 0) return out('(nothing)');
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '-' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  out(columns.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  for (const row of cells) out(row.map((v, i) => v.padEnd(widths[i]!)).join('  '));
}
