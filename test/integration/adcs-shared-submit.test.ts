/**
 * Instances sharing a store and one AD CS CA (README "Several instances on PostgreSQL"): a submit that another
 * instance made is read back from the store, never made again; one still running elsewhere is waited for. Real
 * fake certreq/certutil processes (test/fakes) and a real store.
 */
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SubmitJournal } from '../../services/domain/index.js';
import { SqliteStore } from '../../services/store/index.js';
import { assertFakesBuilt, issuanceInput, makeFakeCa, recorder, type FakeCaEnv } from '../fakes/fake-ca-harness.js';

let env: FakeCaEnv;
let store: SqliteStore;
const clock = { now: () => new Date() };
const journal = (owner: string): SubmitJournal => ({ owner, read: (fp) => store.state.caSubmit(fp), write: (fp, r) => store.state.setCaSubmit(fp, r) });

beforeAll(assertFakesBuilt);
beforeEach(() => {
  env = makeFakeCa();
  store = new SqliteStore(path.join(env.stateDir, '..', 'shared.db'), clock);
});
afterEach(async () => {
  await store.close();
  env.cleanup();
});

describe('AD CS submit across instances', () => {
  it('retrieves with the RequestId another instance got when that instance died before storing it', async () => {
    const input = issuanceInput('agent11.dmz.example');
    const a = env.backend(10_000, { submitJournal: journal('a'), workDir: path.join(env.workDir, 'a') });
    // Instance a: the CA takes the request, then a dies before the id reaches the request's row.
    await expect(a.submit(input, () => Promise.reject(new Error('killed')))).rejects.toThrow('killed');
    expect(env.submits()).toHaveLength(1);
    // Instance b resumes the request from `checked` (no id stored): it must not submit a second time.
    const b = env.backend(10_000, { submitJournal: journal('b'), workDir: path.join(env.workDir, 'b') });
    const rec = recorder(env);
    const outcome = await b.submit(input, rec.persist);
    expect(outcome).toMatchObject({ kind: 'issued', caRequestId: '1' });
    expect(rec.ids).toEqual(['1']);
    expect(env.submits()).toHaveLength(1);
  });

  it('asks the CA by the fingerprint before submitting again after another instance died while certreq ran', async () => {
    const input = issuanceInput('agent13.dmz.example');
    // Instance a's certreq reached the CA, but a died before it could record what certreq printed.
    const a = env.backend(10_000, { workDir: path.join(env.workDir, 'a') });
    await expect(a.submit(input, () => Promise.reject(new Error('killed')))).rejects.toThrow('killed');
    await store.state.setCaSubmit(input.fingerprint, { owner: 'a', startedAt: new Date(Date.now() - 120_000).toISOString(), deadline: new Date(Date.now() - 1).toISOString(), output: null });
    const b = env.backend(10_000, { submitJournal: journal('b'), workDir: path.join(env.workDir, 'b') });
    const rec = recorder(env);
    expect(await b.submit(input, rec.persist)).toMatchObject({ kind: 'issued', caRequestId: '1' });
    expect(env.submits()).toHaveLength(1);
  });

  it('waits while another live instance submits the request, and submits once that record is abandoned', async () => {
    const input = issuanceInput('agent12.dmz.example');
    await store.state.setCaSubmit(input.fingerprint, { owner: 'a', startedAt: new Date().toISOString(), deadline: new Date(Date.now() + 60_000).toISOString(), output: null });
    const b = env.backend(10_000, { submitJournal: journal('b'), workDir: path.join(env.workDir, 'b') });
    const waiting = await b.submit(input, () => undefined);
    expect(waiting.kind).toBe('retry');
    expect(waiting.kind === 'retry' && waiting.message).toContain('instance a submitted it');
    expect(env.submits()).toHaveLength(0);
    await store.state.setCaSubmit(input.fingerprint, { owner: 'a', startedAt: new Date(Date.now() - 120_000).toISOString(), deadline: new Date(Date.now() - 1).toISOString(), output: null });
    expect((await b.submit(input, () => undefined)).kind).toBe('issued');
    expect(env.submits()).toHaveLength(1);
    expect((await store.state.caSubmit(input.fingerprint))!.owner).toBe('b');
  });
});
