/**
 * The fake certreq/certutil print what the transcripts in shared/vectors show, byte for byte apart from the
 * request id, CA name and file names (and CRLF, which the real tools write to a pipe), and refuse the argument
 * forms the real tools refuse.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeSampleRequest } from '../../services/pki/index.js';
import { createExecaRunner } from '../../services/process/index.js';
import { assertFakesBuilt, CA_CONFIG, makeFakeCa, type FakeCaEnv } from '../fakes/fake-ca-harness.js';
import { repoRoot, vector } from '../helpers/paths.js';

const runner = createExecaRunner();
const bin = (tool: string) => path.join(repoRoot, 'test/fakes/bin', tool);
const run = (tool: string, args: string[]) => runner.run(bin(tool), args, { timeoutMs: 10_000 });
/** Transcript lines (no comments), as CRLF text. */
const transcript = (name: string, pick: (lines: string[]) => string[]) =>
  pick(readFileSync(vector(name), 'utf8').split('\n').filter((l) => !l.startsWith('#'))).map((l) => `${l}\r\n`).join('');
/** `count` transcript lines from the first that starts with `start`. */
const from = (start: string, count: number) => (lines: string[]) => {
  const i = lines.findIndex((l) => l.startsWith(start));
  if (i < 0) throw new Error(`no line starts with ${start}`);
  return lines.slice(i, i + count);
};

let env: FakeCaEnv;
let req: string;
beforeAll(assertFakesBuilt);
beforeEach(() => {
  env = makeFakeCa();
  req = path.join(env.stateDir, 'agent.req');
  writeFileSync(req, makeSampleRequest('agent.dmz.example').pem);
});
afterEach(() => env.cleanup());

describe('fake certreq', () => {
  it('pending: certreq-submit-pending-subca-certdog.txt, id substituted', async () => {
    const r = await run('certreq', ['-submit', '-q', '-config', CA_CONFIG, req, path.join(env.stateDir, 'o.cer')]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(transcript('certreq-submit-pending-subca-certdog.txt', from('RequestId', 3)).replaceAll('12', '1'));
  });

  it('German pending: certreq-submit-pending-localized-german.txt', async () => {
    env.scenario({ language: 'de', lineEnding: 'lf' });
    const r = await run('certreq', ['-submit', '-q', '-config', CA_CONFIG, req, path.join(env.stateDir, 'o.cer')]);
    const german = readFileSync(vector('certreq-submit-pending-localized-german.txt'), 'utf8').split('German server:\n')[1]!.split('\n').slice(0, 3).map((l) => l.trim());
    expect(r.stdout).toBe(german.map((l) => `${l.replace('5', '1')}\n`).join(''));
  });

  it('issued: certreq-submit-issued-plain.txt, and the .cer written as CRLF PEM', async () => {
    env.scenario({ onSubmit: 'issue' });
    const out = path.join(env.stateDir, 'o.cer');
    const r = await run('certreq', ['-submit', '-q', '-config', CA_CONFIG, req, out]);
    expect(r.stdout).toBe(transcript('certreq-submit-issued-plain.txt', from('RequestId', 3)).replaceAll('12345', '1'));
    expect(readFileSync(out, 'latin1')).toMatch(/^-----BEGIN CERTIFICATE-----\r\n/);
  });

  it('denied: certreq-submit-denied.txt, the wrapped line as one console line', async () => {
    env.scenario({ onSubmit: 'deny' });
    const r = await run('certreq', ['-submit', '-q', '-config', CA_CONFIG, req, path.join(env.stateDir, 'o.cer')]);
    const block = readFileSync(vector('certreq-submit-denied.txt'), 'utf8').split('\n').filter((l) => !l.startsWith('#')).slice(1, 5);
    expect(r.stdout).toBe(`${block[0]!.replace('4', '1')}\r\n${block.slice(1).join(' ')}\r\n`);
  });

  it('-submit with -machine: "Unexpected argument: -machine" + 0x80070057 (docs/scom-facts.md §6)', async () => {
    const r = await run('certreq', ['-submit', '-q', '-machine', '-config', CA_CONFIG, req, 'o.cer']);
    expect(r.stdout).toMatch(/^Unexpected argument: -machine\r\nCertificate Request Processor: The parameter is incorrect\. 0x80070057/);
    expect(r.exitCode).not.toBe(0);
    expect(env.submits()).toEqual([]);
  });

  it('missing -q or file arguments would open a dialog: the fake refuses and logs it', async () => {
    await run('certreq', ['-submit', '-config', CA_CONFIG, req, 'o.cer']);
    await run('certreq', ['-submit', '-q', '-config', CA_CONFIG, req]);
    await run('certreq', ['-submit', '-q', req, 'o.cer']);
    expect(env.log().map((e) => e.outcome)).toEqual(['dialog', 'dialog', 'dialog']);
  });

  it('-retrieve takes a 0x hex id; an unknown id fails; an existing output file is not overwritten without -f', async () => {
    env.scenario({ onSubmit: 'issue' });
    const out = path.join(env.stateDir, 'o.cer');
    await run('certreq', ['-submit', '-q', '-config', CA_CONFIG, req, out]);
    expect((await run('certreq', ['-retrieve', '-q', '-f', '-config', CA_CONFIG, '0x1', out])).stdout).toContain('Certificate retrieved(Issued) Issued');
    expect((await run('certreq', ['-retrieve', '-q', '-config', CA_CONFIG, '1', out])).stdout).toContain('0x80070050');
    expect((await run('certreq', ['-retrieve', '-q', '-config', CA_CONFIG, '99', out])).stdout).toContain('0x80094004');
  });

  it('-accept: every .cer is an orphan here (certreq-accept-orphan-0x80092004.txt)', async () => {
    expect((await run('certreq', ['-accept', '-machine', 'x.cer'])).stdout).toContain('Cannot find object or property. 0x80092004');
  });
});

describe('fake certutil', () => {
  it('-ping with RPC unavailable: certutil-rpc-unavailable.txt (a), CA substituted', async () => {
    env.scenario({ rpcUnavailableCalls: 1 });
    const r = await run('certutil', ['-config', CA_CONFIG, '-ping']);
    const a = transcript('certutil-rpc-unavailable.txt', from('Connecting to', 4)).replace('SUBCA.contoso.com\\contoso-SUBCA-CA', CA_CONFIG);
    expect(r.stdout).toBe(a);
    expect(r.exitCode).toBe(1722 & 0xff); // 1722 (low word of 0x800706ba); POSIX keeps only the low byte
    expect((await run('certutil', ['-config', CA_CONFIG, '-ping'])).stdout).toContain('-ping command completed successfully.');
  });

  it('-CRL with RPC unavailable: (b) without the source typo', async () => {
    env.scenario({ rpcUnavailableCalls: 1 });
    const r = await run('certutil', ['-config', CA_CONFIG, '-CRL']);
    expect(r.stdout).toBe(transcript('certutil-rpc-unavailable.txt', from('CertUtol', 2)).replace('CertUtol', 'CertUtil'));
  });

  it('-resubmit issued: certutil-resubmit-issued.txt with id and resubmitter substituted; again → not pending', async () => {
    await run('certreq', ['-submit', '-q', '-config', CA_CONFIG, req, path.join(env.stateDir, 'o.cer')]);
    const r = await run('certutil', ['-config', CA_CONFIG, '-resubmit', '1']);
    expect(r.stdout).toBe(transcript('certutil-resubmit-issued.txt', from('Certificate issued.', 7)).replace('0x5', '0x1').replace('DISTRICT\\CA01$', 'FAKE\\CA01$'));
    expect((await run('certutil', ['-config', CA_CONFIG, '-resubmit', '1'])).stdout).toContain('0x80094003');
  });

  it('-ca.cert: certutil-ca-cert.txt shape; too many arguments fail like the PowerShell trap', async () => {
    const r = await run('certutil', ['-config', CA_CONFIG, '-ca.cert', path.join(env.stateDir, 'ca.cer')]);
    expect(r.stdout).toMatch(/^CA cert\[0\]: 3 -- Valid\r\nCA cert\[0\]:\r\n-----BEGIN CERTIFICATE-----\r\n[\s\S]*-----END CERTIFICATE-----\r\n\r\nCertUtil: -ca\.cert command completed successfully\.\r\n$/);
    const many = await run('certutil', ['-config', CA_CONFIG, '-ca.cert', 'a', '0', 'b']);
    expect(many.stdout).toBe('Expected no more than 2 args, received 3\r\nCertUtil: Too many arguments\r\n');
  });

  it('refuses options it does not have (-q) and verbs without -config', async () => {
    expect((await run('certutil', ['-q', '-config', CA_CONFIG, '-ping'])).stdout).toBe('CertUtil: Unknown arg: -q\r\n');
    expect((await run('certutil', ['-resubmit', '1'])).stdout).toContain('No local Certification Authority; use -config option');
  });
});
