/**
 * AdcsBackend under CA faults: RPC unavailable, hung processes killed at the timeout,
 * output of no known shape, and a crash between submit and retrieve — never a second submit.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertFakesBuilt, issuanceInput, makeFakeCa, recorder, type FakeCaEnv } from '../fakes/fake-ca-harness.js';

let env: FakeCaEnv;
const HANG_TIMEOUT_MS = 2_000;

beforeAll(assertFakesBuilt);
beforeEach(() => { env = makeFakeCa(); });
afterEach(() => env.cleanup());

describe('AdcsBackend faults', () => {
  it('RPC unavailable at submit → retry with no id; the next attempt submits once and issues', async () => {
    env.scenario({ rpcUnavailableCalls: 2 });
    const backend = env.backend();
    const input = issuanceInput('rpc01.dmz.example');
    const rec = recorder(env);
    for (let i = 0; i < 2; i++) {
      const o = await backend.submit(input, rec.persist);
      expect(o).toMatchObject({ kind: 'retry', caRequestId: null, code: 'AC_CA_UNAVAILABLE' });
      expect(o.kind === 'retry' && o.message).toContain('0x800706ba');
    }
    expect(rec.ids).toEqual([]);
    expect(await backend.submit(input, rec.persist)).toMatchObject({ kind: 'issued', caRequestId: '1' });
    expect(env.submits()).toHaveLength(1);
  });

  it('RPC unavailable for N calls after submit → retry keeps the id; resume finishes without submitting', async () => {
    env.scenario({ onResubmit: 'pending' });
    const backend = env.backend();
    const input = issuanceInput('rpc02.dmz.example');
    expect(await backend.submit(input, () => undefined)).toMatchObject({ kind: 'pending', caRequestId: '1' });
    env.scenario({ rpcUnavailableCalls: 3 });
    for (let i = 0; i < 3; i++) expect(await backend.resume(input, '1')).toMatchObject({ kind: 'retry', caRequestId: '1', code: 'AC_CA_UNAVAILABLE' });
    expect(await backend.resume(input, '1')).toMatchObject({ kind: 'issued', caRequestId: '1' });
    expect(env.submits()).toHaveLength(1);
  });

  it('ping reports the RPC failure (certutil-rpc-unavailable.txt (a))', async () => {
    env.scenario({ rpcUnavailableCalls: 1 });
    const ping = await env.backend().ping();
    expect(ping.ok).toBe(false);
    expect(ping.message).toMatch(/The RPC server is unavailable\. \(0x800706ba\)/);
  });

  it('a hung certreq -submit is killed at the timeout → retry; then submitted once', async () => {
    env.scenario({ hang: ['submit'] });
    const backend = env.backend(HANG_TIMEOUT_MS);
    const input = issuanceInput('hang01.dmz.example');
    const started = Date.now();
    const o = await backend.submit(input, () => undefined);
    expect(Date.now() - started).toBeLessThan(HANG_TIMEOUT_MS + 3_000);
    expect(o).toMatchObject({ kind: 'retry', caRequestId: null, code: 'AC_CA_UNAVAILABLE' });
    expect(o.kind === 'retry' && o.message).toMatch(/timed out after 2000 ms \(hung process killed\)/);
    env.scenario({});
    expect(await backend.submit(input, () => undefined)).toMatchObject({ kind: 'issued', caRequestId: '1' });
    expect(env.submits()).toHaveLength(1);
  });

  it('a hung certreq -retrieve → retry with the id; resume retrieves the same RequestId', async () => {
    env.scenario({ hang: ['retrieve'] });
    const backend = env.backend(HANG_TIMEOUT_MS);
    const input = issuanceInput('hang02.dmz.example');
    const rec = recorder(env);
    expect(await backend.submit(input, rec.persist)).toMatchObject({ kind: 'retry', caRequestId: '1' });
    expect(rec.ids).toEqual(['1']);
    env.scenario({});
    expect(await backend.resume(input, '1')).toMatchObject({ kind: 'issued', caRequestId: '1' });
    expect(env.log().filter((e) => e.verb === 'resubmit')).toHaveLength(1); // already issued: retrieved, not resubmitted
    expect(env.submits()).toHaveLength(1);
  });

  it('a hung certutil -resubmit → retry; resume continues', async () => {
    env.scenario({ hang: ['resubmit'] });
    const backend = env.backend(HANG_TIMEOUT_MS);
    const input = issuanceInput('hang03.dmz.example');
    expect(await backend.submit(input, () => undefined)).toMatchObject({ kind: 'retry', caRequestId: '1' });
    env.scenario({});
    expect(await backend.resume(input, '1')).toMatchObject({ kind: 'issued', caRequestId: '1' });
    expect(env.submits()).toHaveLength(1);
  });

  it('output of no known shape → failed with the raw text kept', async () => {
    env.scenario({ malformed: ['submit'] });
    const o = await env.backend().submit(issuanceInput('garbled01.dmz.example'), () => undefined);
    expect(o).toMatchObject({ kind: 'failed', caRequestId: null, code: 'AC_CA_OUTPUT_UNKNOWN' });
    expect(o.kind === 'failed' && o.raw).toBe('CertReq: ???\r\n=== %%%% ===\r\n<<truncated>>\r\n');
  });

  it('malformed -resubmit output after the id is known → failed, id kept', async () => {
    env.scenario({ malformed: ['resubmit'] });
    const o = await env.backend().submit(issuanceInput('garbled02.dmz.example'), () => undefined);
    expect(o).toMatchObject({ kind: 'failed', caRequestId: '1', code: 'AC_CA_OUTPUT_UNKNOWN' });
  });

  it('crash right after the id is persisted: a restarted backend resumes the same RequestId, one submit in all', async () => {
    const input = issuanceInput('crash01.dmz.example');
    const persisted: string[] = [];
    const crashing = env.backend();
    // The service dies after writing the id and before any further CA call.
    await expect(crashing.submit(input, (id) => { persisted.push(id); throw new Error('killed'); })).rejects.toThrow('killed');
    expect(env.log().map((e) => e.verb)).toEqual(['submit']);
    const restarted = env.backend();
    expect(await restarted.resume(input, persisted[0]!)).toMatchObject({ kind: 'issued', caRequestId: '1' });
    // Resume again (a second crash after issuing, before the service recorded it): retrieved again, still one submit.
    expect(await env.backend().resume(input, '1')).toMatchObject({ kind: 'issued', caRequestId: '1' });
    expect(env.submits()).toHaveLength(1);
    expect(env.log().filter((e) => e.verb === 'submit')).toHaveLength(1);
  });

  it('a missing executable is a transport failure (retry), not a crash', async () => {
    const { createAdcsBackend } = await import('../../services/ca/adcs/index.js');
    const { createExecaRunner } = await import('../../services/process/index.js');
    const { recordingLogger } = await import('../helpers/recording-logger.js');
    const b = createAdcsBackend({ config: 'h\\CA', certreqPath: '/nonexistent/certreq.exe', certutilPath: '/nonexistent/certutil.exe', timeoutMs: 5_000, workDir: env.workDir, runner: createExecaRunner(), log: recordingLogger() });
    expect(await b.submit(issuanceInput('nobin.dmz.example'), () => undefined)).toMatchObject({ kind: 'retry', code: 'AC_CA_UNAVAILABLE' });
    expect(await b.ping()).toMatchObject({ ok: false });
  });
});
