/**
 * `npm run bench`: runs every bench module below in turn, prints each one's table and writes all rows to
 * bench-results.json. To add a bench, add an entry to BENCHES: a name and a function returning rows.
 */
import { writeFileSync } from 'node:fs';
import { runApiListBench } from './api-list.js';

type Row = Record<string, string | number>;

const BENCHES: { name: string; run: () => Promise<Row[]> }[] = [
  { name: 'api-list', run: async () => (await runApiListBench()) as unknown as Row[] },
];

function printTable(rows: Row[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => cells.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`${line(cols)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(`${line(cols.map((c) => String(r[c])))}\n`);
}

const only = process.argv.slice(2);
const results: Record<string, Row[]> = {};
for (const b of BENCHES) {
  if (only.length && !only.includes(b.name)) continue;
  process.stdout.write(`\n== ${b.name}\n`);
  results[b.name] = await b.run();
  printTable(results[b.name]!);
}
writeFileSync('bench-results.json', JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2) + '\n');
process.stdout.write('\nwrote bench-results.json\n');
