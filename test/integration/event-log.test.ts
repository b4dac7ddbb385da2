/**
 * The Event Log writer against a fake powershell.exe on PATH (test/fakes/powershell.ts records every start,
 * stdin line and decoded event): one long-lived process, batched lines, every value intact, a restart after the
 * child dies; and the service itself writing its monitors and outcomes through it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENTS } from '../../services/domain/index.js';
import { createEventLogWriter, encodeBatch, EVENT_HOST_SCRIPT, toPayload } from '../../services/notify/event-log.js';
import { monitorChangeEvent, transitionEvent } from '../../services/notify/event-map.js';
import { repoRoot } from '../helpers/paths.js';
import { parsePowerShell } from '../helpers/powershell-parse.js';
import { recordingLogger } from '../helpers/recording-logger.js';
import { cliEnv, runCli, startService, waitFor } from '../helpers/service.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';

const fakeBin = path.join(repoRoot, 'test/fakes/bin');
interface Rec { pid: number; kind: string; argv?: string[]; line?: string; event?: { id: number; level: string; source: string; values: string[] } }
const readLog = (file: string): Rec[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec) : []);

let env: TempEnv;
let logFile: string;
const savedPath = process.env['PATH'];
beforeEach(() => {
  env = makeTempEnv('agentcert-eventlog-');
  logFile = path.join(env.dir, 'powershell.jsonl');
  process.env['PATH'] = `${fakeBin}${path.delimiter}${savedPath}`;
  process.env['AGENTCERT_FAKE_POWERSHELL_LOG'] = logFile;
});
afterEach(() => {
  process.env['PATH'] = savedPath;
  delete process.env['AGENTCERT_FAKE_POWERSHELL_LOG'];
  delete process.env['AGENTCERT_FAKE_POWERSHELL_DIE_AFTER'];
  env.cleanup();
});

const hostile = `O'Brien "quoted" $(Remove-Item C:\\) \`n; & | <x> 'end'\r\nsecond line ü — ‘typographic’ ${'x'.repeat(300)}`;

describe('Event Log writer', () => {
  it('writes 120 events through one powershell process in batched lines, values intact', async () => {
    const log = recordingLogger();
    const w = createEventLogWriter({ powershellPath: 'powershell.exe', batchMs: 20, log });
    for (let i = 0; i < 120; i++) w.emit({ key: 'install.failed', message: `${hostile} #${i}`, values: { fqdn: `web${i}.contoso.local`, requestId: `r${i}`, reason: 'INSTALL_FAILED' } });
    await new Promise((r) => setTimeout(r, 100));
    await w.close();
    const recs = readLog(logFile);
    const starts = recs.filter((r) => r.kind === 'start');
    expect(starts).toHaveLength(1);
    expect(starts[0]!.argv).toEqual(['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', '-']);
    const lines = recs.filter((r) => r.kind === 'line').map((r) => r.line!);
    expect(lines[0]).toBe(EVENT_HOST_SCRIPT);
    expect(lines.slice(1)).toHaveLength(3); // 50 + 50 + 20
    const events = recs.filter((r) => r.kind === 'event').map((r) => r.event!);
    expect(events).toHaveLength(120);
    expect(events[7]).toEqual({ id: 7130, level: 'Error', source: 'agentcert', values: [`${hostile} #7`, 'web7.contoso.local', 'r7', 'INSTALL_FAILED'] });
    expect(w.stats()).toEqual({ written: 120, dropped: 0, starts: 1 });
    expect(log.records.filter((r) => r.event === 'event_log_error')).toEqual([]);
  });

  it('starts PowerShell again after it died, and counts what it could not write meanwhile', async () => {
    process.env['AGENTCERT_FAKE_POWERSHELL_DIE_AFTER'] = '2'; // the host script and one batch
    const log = recordingLogger();
    let clock = 0;
    const w = createEventLogWriter({ powershellPath: 'powershell.exe', batchMs: 10, log, restartDelayMs: 1000, now: () => clock });
    w.emit({ key: 'service.started', message: 'one', values: { version: '1', caBackend: 'builtin', share: 's' } });
    w.flush();
    await waitFor(() => log.records.some((r) => r.event === 'event_log_exited'), 10_000, 'the first host to exit');
    w.emit({ key: 'service.stopped', message: 'lost', values: { version: '1' } });
    w.flush(); // within restartDelayMs: not started again, dropped
    clock = 5000;
    w.emit({ key: 'service.stopped', message: 'two', values: { version: '1' } });
    w.flush();
    await w.close();
    const recs = readLog(logFile);
    expect(recs.filter((r) => r.kind === 'start')).toHaveLength(2);
    expect(recs.filter((r) => r.kind === 'event').map((r) => r.event!.values[0])).toEqual(['one', 'two']);
    expect(w.stats()).toEqual({ written: 2, dropped: 1, starts: 2 });
  });

  it('renders a host script and batch lines that parse as PowerShell, and refuses what is not in the registry', async () => {
    const batch = encodeBatch([toPayload({ key: 'certificate.expiring', level: 'Error', message: hostile, values: { fqdn: 'a', serialNumber: '01', daysLeft: 3, notAfter: 'x' } })]);
    expect((await parsePowerShell(`${EVENT_HOST_SCRIPT}\n${batch}`)).errors).toEqual([]);
    expect(() => toPayload({ key: 'no.such', message: 'm', values: {} })).toThrow(/no event "no.such"/);
    expect(() => toPayload({ key: 'request.issued', level: 'Error', message: 'm', values: {} })).toThrow(/not written with level Error/);
  });
});

describe('event mapping', () => {
  it('is on by default only on Windows', async () => {
    const { loadConfig } = await import('../../services/config/index.js');
    expect(loadConfig().eventLog.enabled).toBe(process.platform === 'win32');
    expect(loadConfig({ env: { AGENTCERT_EVENT_LOG: 'true' } }).eventLog.enabled).toBe(true);
  });

  it('maps committed transitions to their outcome events and leaves the steps in between out', () => {
    const request = { id: 'r1', fqdn: 'web01.contoso.local' };
    const at = (to: string, reason = 'X') => transitionEvent({ request, to, reason, message: 'm' })?.key ?? null;
    expect(['issued', 'rejected', 'awaiting_approval', 'denied', 'install_failed', 'installed', 'checked', 'submitted', 'verified', 'packaged'].map((s) => at(s))).toEqual(['request.issued', 'request.rejected', 'request.held', 'request.denied', 'install.failed', 'install.succeeded', null, null, null, null]);
    expect(at('failed', 'AC_CA_OUTPUT_UNKNOWN')).toBe('ca.failed');
    expect(at('failed', 'AC_VERIFY_FAILED')).toBe('request.failed');
    // A certificate refused after signing: an alert, Error while it is still valid at the CA.
    const refused = (reason: string) => transitionEvent({ request, to: 'refused', reason, message: 'm' });
    expect(refused('AC_VERIFY_FAILED')).toMatchObject({ key: 'certificate.refused', level: 'Warning' });
    expect(refused('AC_CA_CANNOT_REVOKE')).toMatchObject({ key: 'certificate.refused', level: 'Error' });
    expect(toPayload(refused('AC_CA_CANNOT_REVOKE')!, 'agentcert')).toMatchObject({ id: 7122, level: 'Error' });
  });

  it('writes a monitor state as its own ID with the state in the level', () => {
    for (const [state, level] of [['healthy', 'Information'], ['warning', 'Warning'], ['critical', 'Error']] as const) {
      const p = toPayload(monitorChangeEvent({ id: 'request-waiting', name: 'No request waiting too long', state, message: 'm' }, null));
      expect([p.id, p.level, p.values.slice(1)]).toEqual([7004, level, ['request-waiting', state, 'unknown']]);
    }
    expect(EVENTS.filter((e) => e.use.kind === 'monitor').map((e) => e.id)).toEqual([7001, 7002, 7003, 7004, 7005, 7006]);
  });
});

describe('the service writing to the Event Log', () => {
  it('writes its start, every monitor\'s first state, an issued certificate and its stop through one process', async () => {
    const envVars = cliEnv({ AGENTCERT_EVENT_LOG: 'true', PATH: process.env['PATH']!, AGENTCERT_FAKE_POWERSHELL_LOG: logFile });
    const svc = startService(['--share', env.share, '--data', env.data], envVars);
    try {
      await svc.waitForOutput(/agentcert is running/, 60_000);
      const req = path.join(env.dir, 'web01.contoso.local.req');
      expect(runCli(['sample-request', 'web01.contoso.local', '--out', req]).code).toBe(0);
      writeFileSync(path.join(env.share, 'requests', 'web01.contoso.local.req'), readFileSync(req));
      await waitFor(() => readLog(logFile).some((r) => r.event?.id === 7110), 30_000, 'event 7110');
    } finally {
      const code = await svc.stop();
      expect(code, `exit ${code} (${svc.proc.signalCode ?? 'no signal'}):\n${svc.stderr().slice(-3000)}`).toBe(0);
    }
    const recs = readLog(logFile);
    expect(recs.filter((r) => r.kind === 'start')).toHaveLength(1);
    const events = recs.filter((r) => r.kind === 'event').map((r) => r.event!);
    expect(events[0]!.id).toBe(7100);
    expect(events.filter((e) => e.id >= 7001 && e.id <= 7006).map((e) => [e.id, e.level]).slice(0, 6)).toEqual([7001, 7002, 7003, 7004, 7005, 7006].map((id) => [id, 'Information']));
    const issued = events.find((e) => e.id === 7110)!;
    expect(issued.values.slice(1, 2)).toEqual(['web01.contoso.local']);
    expect(issued.values[3]).toMatch(/^[0-9A-F]+$/);
    expect(events.at(-1)!.id).toBe(7101);
  }, 120_000);
});
