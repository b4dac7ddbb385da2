/** Table output for the CLI (CSV: services/app/inventory.ts, shared with the API). */

export function printTable(out: (s: string) => void, rows: Record<string, unknown>[], columns: string[]): void {
  if (rows.length === 0) return out('(nothing)');
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '-' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  out(columns.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  for (const row of cells) out(row.map((v, i) => v.padEnd(widths[i]!)).join('  '));
}
