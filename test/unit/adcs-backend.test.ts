/**
 * AdcsBackend with a scripted Runner (no processes): the order of CA calls, the RequestId persisted before any
 * further call, and the race where an officer issues the request between our calls.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdcsBackend } from '../../services/ca/adcs/index.js';
import type { RunResult, Runner } from '../../services/domain/index.js';
import { createRootCa, derToPem, makeSampleRequest, parseRequest } from '../../services/pki/index.js';
import { recordingLogger } from '../helpers/recording-logger.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

const ok = (stdout: string): RunResult => ({ exitCode: 0, stdout, stderr: '', timedOut: false, spawnError: null, durationMs: 1 });
const someCert = createRootCa({ commonName: 'any', keyBits: 2048, notBefore: new Date('2026-01-01'), notAfter: new Date('2027-01-01') }).certDer;

function scripted(steps: ((args: readonly string[]) => RunResult)[]): Runner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    async run(_file, args) {
      calls.push([...args]);
      const step = steps.shift();
      if (!step) throw new Error(`unexpected call ${args.join(' ')}`);
      return step(args);
    },
  };
}

function setup(runner: Runner) {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'agentcert-adcs-unit-'));
  dirs.push(workDir);
  const req = makeSampleRequest('agent.dmz.example');
  const p = parseRequest(req.der);
  const input = { fingerprint: p.fingerprint, fqdn: 'agent.dmz.example', csrDer: p.csrDer, publicKeyDer: p.publicKeyDer, csrPem: req.pem, requestHasScomEkus: false, dnsNames: ['agent.dmz.example'], requestedSubjectAltNames: [] as string[] };
  const backend = createAdcsBackend({ config: 'ca\\CA', certreqPath: 'certreq.exe', certutilPath: 'certutil.exe', timeoutMs: 1000, workDir, runner, log: recordingLogger() });
  return { backend, input };
}

const BAD_STATUS = 'CertUtil: -x command FAILED: 0x80094003 (-2146877437 CERTSRV_E_BAD_REQUESTSTATUS)\r\nCertUtil: The request\'s current status does not allow this operation.\r\n';

describe('AdcsBackend call order', () => {
  it('an officer issued the request between our calls: -setextension and -resubmit refused as "not pending", retrieve gets it', async () => {
    const persisted: { id: string; callsSoFar: number }[] = [];
    const runner = scripted([
      () => ok('RequestId: 41\r\nRequestId: "41"\r\nCertificate request is pending: Taken Under Submission (0)\r\n'),
      () => ok(BAD_STATUS.replace('-x', '-setextension')),
      () => ok(BAD_STATUS.replace('-x', '-setextension')),
      () => ok(BAD_STATUS.replace('-x', '-resubmit')),
      (args) => { writeFileSync(args.at(-1)!, derToPem(someCert, 'CERTIFICATE')); return ok('RequestId: 41\r\nRequestId: "41"\r\nCertificate retrieved(Issued) Issued\r\n'); },
    ]);
    const { backend, input } = setup(runner);
    const outcome = await backend.submit(input, (id) => persisted.push({ id, callsSoFar: runner.calls.length }));
    expect(outcome).toMatchObject({ kind: 'issued', caRequestId: '41' });
    expect(outcome.kind === 'issued' && outcome.certificateDer.equals(someCert)).toBe(true);
    expect(persisted).toEqual([{ id: '41', callsSoFar: 1 }]);
    expect(runner.calls.map((c) => c.find((a) => a.startsWith('-') && a !== '-q' && a !== '-config'))).toEqual(['-submit', '-setextension', '-setextension', '-resubmit', '-retrieve']);
    expect(runner.calls[1]!.slice(0, 6)).toEqual(['-config', 'ca\\CA', '-setextension', '41', '2.5.29.37', '0']);
    expect(runner.calls[1]![6]).toMatch(/^@.*eku\.der$/);
    expect(runner.calls[2]!.slice(0, 6)).toEqual(['-config', 'ca\\CA', '-setextension', '41', '2.5.29.17', '0']);
    expect(runner.calls[2]![6]).toMatch(/^@.*san\.der$/);
  });

  it('resume retrieves first and stops there when the CA already decided (denied)', async () => {
    const runner = scripted([() => ok('RequestId: 7\r\nCertificate not issued (Denied) Denied by an administrator. 0x80094014 (-2146877420 CERTSRV_E_ADMIN_DENIED_REQUEST)\r\n')]);
    const { backend, input } = setup(runner);
    expect(await backend.resume(input, '7')).toMatchObject({ kind: 'denied', caRequestId: '7' });
    expect(runner.calls).toHaveLength(1);
  });

  it('certreq says issued but wrote no file → failed with the raw text, never a silent success', async () => {
    const text = 'RequestId: 8\r\nRequestId: "8"\r\nCertificate retrieved(Issued) Issued\r\n';
    const { backend, input } = setup(scripted([() => ok(text)]));
    expect(await backend.resume(input, '8')).toMatchObject({ kind: 'failed', code: 'AC_CA_OUTPUT_UNKNOWN', raw: text });
  });

  it('a stored id that is not an AD CS RequestId is refused without calling the CA', async () => {
    const runner = scripted([]);
    const { backend, input } = setup(runner);
    expect(await backend.resume(input, 'builtin:abc')).toMatchObject({ kind: 'failed' });
    expect(runner.calls).toEqual([]);
  });
});
