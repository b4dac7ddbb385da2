/**
 * `npm run bench`: runs every bench module below in turn, prints each one's detail table, then one summary
 * table with every figure, its same-run baseline, the ratio and the target (met / not met), and the machine;
 * writes everything to bench-results.json.
 *
 *   node dist/test/bench/run.js [name…]   only the named benches (bulk, postgres, adcs, startup, api-list)
 *   BENCH_N=2000                          burst size of the bulk bench (default 10,000)
 *   BENCH_CA_BITS=2048                    the built-in CA's key (default 3072, as `agentcert ca init` makes)
 *   BENCH_LOOP_N=200                      requests in the openssl x509 -req loop baseline
 *   BENCH_SCALE=1000,10000,100000         backlog sizes of serve --once (cost linear in the work)
 *   BENCH_WORK_N=1000                     requests of the work-alone measure (work-alone.ts) in the bulk bench
 *   BENCH_PG_N=2000                       burst size on PostgreSQL and on SQLite (the postgres bench)
 *   BENCH_ADCS_N=100                      requests through the fake AD CS CA (sequential, then a burst)
 *   BENCH_STARTUP_N=100000                stored requests for the start-up bench
 *   BENCH_CPU_PROF=<dir>                  write a V8 CPU profile of the service during the bulk burst
 *
 * To add a bench, add an entry to BENCHES: a name and a function returning detail rows and summary figures.
 */
import { writeFileSync } from 'node:fs';
import { runAdcsBench } from './adcs.js';
import { runApiListBench, type BenchRow } from './api-list.js';
import { runBulkBench } from './bulk.js';
import { runPostgresCpuBench } from './postgres-cpu.js';
import { runStartupBench } from './startup.js';
import { machine, runDeferredCleanups, type BenchOutput, type Figure } from './common.js';

type Row = Record<string, string | number>;

/** api-list's rows → the figure: the worst query's p95 at each size, against the simplest query's. */
function apiListFigures(rows: BenchRow[]): Figure[] {
  const sizes = [...new Set(rows.map((r) => r.certificates))];
  const worstAt = (n: number) => rows.filter((r) => r.certificates === n).reduce((a, b) => (b.p95Ms > a.p95Ms ? b : a));
  const small = sizes.length > 1 ? worstAt(Math.min(...sizes)) : null;
  return sizes.map((n) => {
    const worst = worstAt(n);
    const first = rows.find((r) => r.certificates === n && r.query === '/certificates?limit=100')!;
    const vsSmall = small && n !== small.certificates ? `; ${(worst.p95Ms / small.p95Ms).toFixed(1)}× the ${small.certificates.toLocaleString('en-US')} p95` : '';
    return {
      bench: 'api-list', figure: `list p95 at ${n.toLocaleString('en-US')} certificates (worst of ${rows.filter((r) => r.certificates === n).length} queries: ${worst.query})`,
      value: worst.p95Ms, unit: 'ms', baseline: `first page p95: ${first.p95Ms} ms`, ratio: `${(worst.p95Ms / first.p95Ms).toFixed(1)}× first page${vsSmall}`,
      target: '< 50 ms', met: worst.p95Ms < 50,
    };
  });
}

const BENCHES: { name: string; run: () => Promise<BenchOutput> }[] = [
  { name: 'bulk', run: runBulkBench },
  { name: 'postgres', run: runPostgresCpuBench },
  { name: 'adcs', run: runAdcsBench },
  { name: 'startup', run: runStartupBench },
  {
    name: 'api-list',
    run: async () => {
      const rows = await runApiListBench();
      return { rows: rows as unknown as Row[], figures: apiListFigures(rows) };
    },
  },
];

function table(rows: Row[]): string {
  if (rows.length === 0) return '';
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => String(r[c] ?? ''))))].join('\n') + '\n';
}

function summaryRows(figures: Figure[]): Row[] {
  return figures.map((f) => ({
    bench: f.bench,
    figure: f.figure,
    value: `${f.value} ${f.unit}`.trim(),
    baseline: f.baseline ?? '',
    ratio: f.ratio ?? '',
    target: f.target ?? '',
    met: f.met === undefined ? '' : f.met ? 'met' : 'NOT MET',
  }));
}

const only = process.argv.slice(2);
const unknown = only.filter((n) => !BENCHES.some((b) => b.name === n));
if (unknown.length) {
  process.stderr.write(`unknown bench ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}\n`);
  process.exit(2);
}
const host = machine();
const results: Record<string, Row[]> = {};
const figures: Figure[] = [];
const errors: Record<string, string> = {};
for (const b of BENCHES) {
  if (only.length && !only.includes(b.name)) continue;
  process.stdout.write(`\n== ${b.name}\n`);
  try {
    const out = await b.run();
    results[b.name] = out.rows;
    figures.push(...out.figures);
    process.stdout.write(table(out.rows));
  } catch (err) {
    errors[b.name] = (err as Error).stack ?? String(err);
    process.stdout.write(`FAILED: ${(err as Error).message}\n`);
  }
}
runDeferredCleanups();
const loadAfter = machine().loadavg;
process.stdout.write(`\n== summary\nmachine: nproc ${host.nproc}, ${host.cpu}, ${host.memoryMB} MB, node ${host.node}, ${host.openssl}, ${host.os}; load average ${host.loadavg} before, ${loadAfter} after\n`);
process.stdout.write(table(summaryRows(figures)));
writeFileSync('bench-results.json', JSON.stringify({ at: new Date().toISOString(), machine: { ...host, loadavgAfter: loadAfter }, env: { BENCH_N: process.env.BENCH_N ?? null, BENCH_CA_BITS: process.env.BENCH_CA_BITS ?? null }, figures, results, errors }, null, 2) + '\n');
process.stdout.write('\nwrote bench-results.json\n');
if (Object.keys(errors).length) process.exitCode = 1;
