/**
 * Torture: a CA that misbehaves. The fake AD CS CA (test/fakes) fails 30 % of all certreq/certutil
 * calls with RPC_S_SERVER_UNAVAILABLE, or hangs: 10 % of calls hang until the service kills them at its timeout,
 * and for a while every call hangs (a CA that stopped answering). Everything must be issued in the end, each
 * request submitted once, and every package verify.
 */
import path from 'node:path';
import { readLog, writeScenario } from '../fakes/fake-ca-state.js';
import { ADCS_CONFIG } from '../helpers/adcs-config.js';
import { repoRoot } from '../helpers/paths.js';
import { checkOutcome, runToCompletion, setupService } from './torture-kill.js';
import { dropFile, killStrayProcesses, makeRequests, readStore, sleep, summary, type ScenarioOptions, type ScenarioSummary } from './torture-common.js';

export interface CaFaultOptions extends ScenarioOptions {
  fault: 'rpc-unavailable' | 'hang';
  requests?: number;
}

const bin = path.join(repoRoot, 'test/fakes/bin');

export async function runCaFaultScenario(o: CaFaultOptions): Promise<ScenarioSummary> {
  const t0 = Date.now();
  const say = o.say ?? ((l: string) => process.stderr.write(`${l}\n`));
  const n = o.requests ?? (o.scale === 'full' ? 300 : 15);
  const name = o.fault === 'hang' ? 'ca-hang' : 'ca-rpc-unavailable-30%';
  const fakeScenario = o.fault === 'hang' ? { hangRate: 0.1 } : { rpcUnavailableRate: 0.3 };
  // A short tool timeout so hung calls are killed quickly (the real default is 60 s).
  const ca = { backend: 'adcs', adcs: { config: ADCS_CONFIG, certreqPath: path.join(bin, 'certreq'), certutilPath: path.join(bin, 'certutil'), timeoutMs: 1500, pendingPollMs: 1000 } };
  const s = setupService('adcs', `agentcert-torture-${o.fault}-`, { ca }, fakeScenario);
  say(`${name}: ${n} requests through the fake AD CS CA (${JSON.stringify(fakeScenario)})`);
  try {
    const reqs = makeRequests(n, o.fault === 'hang' ? 'h' : 'r');
    const requestsDir = path.join(s.env.share, 'requests');
    for (const r of reqs) dropFile(requestsDir, `${r.fqdn}.req`, r.pem);
    let outage = Promise.resolve();
    if (o.fault === 'hang') {
      // A total outage a few seconds into the run: every verb hangs, then the CA comes back.
      outage = (async () => {
        await sleep(3000);
        writeScenario(s.fakeDir!, { onSubmit: 'pending', onResubmit: 'issue', hangRate: 0.1, hang: ['submit', 'retrieve', 'resubmit', 'setextension', 'ping', 'ca.cert', 'ca.chain'] });
        say('  CA outage: every call hangs');
        await sleep(o.scale === 'full' ? 15_000 : 6000);
        writeScenario(s.fakeDir!, { onSubmit: 'pending', onResubmit: 'issue', hangRate: 0.1 });
        say(`  CA back (${readStore(s.env.data)?.rows.filter((r) => r.state === 'packaged').length ?? 0}/${n} packaged so far)`);
      })();
    }
    const final = await runToCompletion(s, n, o.scale === 'full' ? 20 * 60_000 : 150_000);
    await outage;
    const stray = killStrayProcesses(s.env.dir);
    const out = checkOutcome(s, reqs);
    if (!final.ok) out.failures.unshift(`not everything was issued (${readStore(s.env.data)?.rows.filter((r) => r.state === 'packaged').length}/${n} packaged)`);
    if (final.exit !== 0) out.failures.push(`the service did not stop cleanly on SIGTERM (exit ${final.exit})`);
    const log = readLog(s.fakeDir!);
    const faulted = log.filter((e) => e.outcome === (o.fault === 'hang' ? 'hang' : 'rpc-unavailable')).length;
    const retries = readStore(s.env.data)?.reasons.get('AC_CA_UNAVAILABLE') ?? 0;
    const notes = [
      `${log.length} CA tool calls, ${faulted} ${o.fault === 'hang' ? 'hung (killed at the 1.5 s timeout)' : 'failed with RPC unavailable'} (${Math.round((100 * faulted) / Math.max(1, log.length))} %)`,
      `${retries} retries scheduled (AC_CA_UNAVAILABLE)`,
      ...out.notes,
      ...(stray ? [`${stray} stray process(es) killed at the end`] : []),
    ];
    return summary(name, t0, { tried: n, passed: out.passed, lost: out.lost, duplicated: out.duplicated, notes, failures: out.failures });
  } finally {
    killStrayProcesses(s.env.dir);
    if (!process.env.TORTURE_KEEP) s.env.cleanup();
  }
}
