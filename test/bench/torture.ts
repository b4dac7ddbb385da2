/**
 * `npm run torture`: every torture scenario at full scale, a summary table (cases tried, passed, lost,
 * duplicated) and torture-results.json. `-- --short` runs the CI sizes; `-- sigkill-builtin api-fuzz` runs only
 * the named scenarios. The short form also runs in the test suite (test/e2e/torture-short.test.ts).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { runApiFuzzScenario } from './torture-api-fuzz.js';
import { runBadInputScenario } from './torture-bad-input.js';
import { runCaFaultScenario } from './torture-ca-faults.js';
import { formatTable, type Scale, type ScenarioOptions, type ScenarioSummary } from './torture-common.js';
import { runDiskFullScenario } from './torture-disk-full.js';
import { runKillScenario } from './torture-kill.js';

export const SCENARIOS: { name: string; run: (o: ScenarioOptions) => Promise<ScenarioSummary> }[] = [
  { name: 'sigkill-builtin', run: (o) => runKillScenario({ ...o, backend: 'builtin' }) },
  { name: 'sigkill-adcs', run: (o) => runKillScenario({ ...o, backend: 'adcs' }) },
  { name: 'ca-rpc-unavailable', run: (o) => runCaFaultScenario({ ...o, fault: 'rpc-unavailable' }) },
  { name: 'ca-hang', run: (o) => runCaFaultScenario({ ...o, fault: 'hang' }) },
  { name: 'disk-full', run: (o) => runDiskFullScenario(o) },
  { name: 'bad-input', run: (o) => runBadInputScenario(o) },
  { name: 'api-fuzz', run: (o) => runApiFuzzScenario(o) },
];

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const scale: Scale = args.includes('--short') ? 'short' : 'full';
  const only = args.filter((a) => !a.startsWith('--'));
  const results: ScenarioSummary[] = [];
  for (const s of SCENARIOS) {
    if (only.length && !only.includes(s.name)) continue;
    process.stdout.write(`\n== ${s.name} (${scale})\n`);
    let r: ScenarioSummary;
    try {
      r = await s.run({ scale });
    } catch (err) {
      r = { name: s.name, tried: 0, passed: 0, lost: 0, duplicated: 0, seconds: 0, notes: [], failures: [`the scenario crashed: ${(err as Error).stack ?? String(err)}`] };
    }
    results.push(r);
    for (const n of r.notes) process.stdout.write(`  note: ${n}\n`);
    for (const f of r.failures) process.stdout.write(`  FAIL: ${f}\n`);
  }
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GB, ${os.type()} ${os.release()}, Node ${process.version}`;
  process.stdout.write(`\ntorture summary (${scale} scale; ${machine})\n${formatTable(results)}\n`);
  writeFileSync('torture-results.json', `${JSON.stringify({ at: new Date().toISOString(), scale, machine, results }, null, 2)}\n`);
  process.stdout.write('wrote torture-results.json\n');
  return results.every((r) => r.failures.length === 0) ? 0 : 1;
}

process.exitCode = await main();
