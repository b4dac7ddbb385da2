/**
 * `certreq -submit` once across the instances sharing a store (README "Several instances on PostgreSQL"). Before
 * the submit, the store records who runs it and until when; after it, what certreq printed. An instance that
 * resumes the request (its lease passed on) finds the RequestId there and retrieves instead of submitting again;
 * while another instance's submit may still run (an unfinished record before its deadline) it waits. The local
 * journal (process/journaled-run.ts) still covers a restart of the same instance; an instance that starts again
 * copies what its journal recovered into the store (uploadLocalSubmits), so a resumed request elsewhere finds it.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Clock, Logger, SubmitJournal } from '../../domain/index.js';
import type { AdcsTools, ToolRun } from './adcs-tools.js';
import { parseCertreqSubmit } from './certreq-output.js';

const recordedRun = (text: string): ToolRun => ({ text, transport: null, result: { exitCode: 0, stdout: text, stderr: '', timedOut: false, spawnError: null, durationMs: 0 } });

/** Grace after the tool's own timeout before an unfinished record counts as abandoned. */
const GRACE_MS = 60_000;

export type SharedSubmit = { run: ToolRun; recovered: boolean } | { busy: string };

export async function submitOnce(j: SubmitJournal | undefined, fingerprint: string, o: { timeoutMs: number; clock: Clock }, submit: () => Promise<ToolRun>): Promise<SharedSubmit> {
  if (!j) return { run: await submit(), recovered: false };
  const rec = await j.read(fingerprint);
  if (rec?.output && parseCertreqSubmit(rec.output).requestId !== null) return { run: recordedRun(rec.output), recovered: true };
  const now = o.clock.now();
  if (rec && rec.output === null && rec.owner !== j.owner && now < new Date(rec.deadline)) {
    return { busy: `instance ${rec.owner} submitted it at ${rec.startedAt}; waiting for its outcome until ${rec.deadline}` };
  }
  const record = { owner: j.owner, startedAt: now.toISOString(), deadline: new Date(now.getTime() + o.timeoutMs + GRACE_MS).toISOString(), output: null };
  await j.write(fingerprint, record);
  const run = await submit();
  await j.write(fingerprint, { ...record, output: run.text });
  return { run, recovered: false };
}

/**
 * Whether another instance's submit of this request never recorded an outcome and is past its deadline (it died
 * while certreq ran): the CA may hold that request, so it is looked for at the CA before submitting again.
 */
export async function abandonedElsewhere(j: SubmitJournal | undefined, fingerprint: string, clock: Clock): Promise<boolean> {
  const rec = j ? await j.read(fingerprint) : null;
  return rec !== null && rec.output === null && rec.owner !== j!.owner && clock.now() >= new Date(rec.deadline);
}

/** At start-up: what this instance's local submit journals recovered (an orphaned certreq's output) goes to the store. */
export async function uploadLocalSubmits(j: SubmitJournal, workDir: string, tools: AdcsTools, log: Logger): Promise<void> {
  const names = await readdir(workDir).catch(() => [] as string[]);
  for (const fp of names.filter((n) => /^[0-9a-f]{16,128}$/.test(n))) {
    const run = await tools.recoverSubmit(path.join(workDir, fp, 'submit'));
    if (!run || parseCertreqSubmit(run.text).requestId === null) continue;
    const rec = await j.read(fp);
    if (rec?.output) continue;
    await j.write(fp, { owner: j.owner, startedAt: rec?.startedAt ?? new Date(0).toISOString(), deadline: rec?.deadline ?? new Date(0).toISOString(), output: run.text });
    log.info({ event: 'ca_submit_shared', fingerprint: fp }, 'a submit recovered from the local journal is now visible to every instance');
  }
}
