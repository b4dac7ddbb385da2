/**
 * certutil output parsers against the verbatim transcripts in shared/vectors (docs/scom-facts.md §6, §8.4, §8.7).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  HRESULT, findFailureHresult, isTransportHresult, parseCertutilAddstore, parseCertutilCaCert, parseCertutilPing,
  parseCertutilResubmit, parseCertutilStatus, parseCertutilStoreQuery, parseCertutilVerify,
} from '../../services/ca/adcs/index.js';
import { vector } from '../helpers/paths.js';

const raw = (name: string) => readFileSync(vector(name), 'utf8');
const body = (name: string) => raw(name).split('\n').filter((l) => !l.startsWith('#')).join('\n');
/** Sections of a transcript that labels them `(a)`, `(b)` … on their own line or in a `#  (a)` comment. */
function sections(name: string): Record<string, string> {
  const out: Record<string, string> = {};
  let key = '';
  for (const line of raw(name).split('\n')) {
    const m = /^(?:#\s+)?\(([a-d])\)/.exec(line);
    if (m) { key = m[1]!; out[key] = ''; continue; }
    if (key && !line.startsWith('#')) out[key] += `${line}\n`;
  }
  return out;
}

describe('certutil-resubmit-issued.txt', () => {
  it('newer build: disposition 0x14 (20) -- Issued, with the CA message', () => {
    expect(parseCertutilResubmit(body('certutil-resubmit-issued.txt'))).toEqual({
      verdict: 'issued', hresult: null, dispositionCode: 20, message: '"Issued  Resubmitted by DISTRICT\\CA01$"',
    });
  });
  it('older build: only "Certificate issued." and the success line', () => {
    const short = body('certutil-resubmit-issued.txt').split('\n').slice(0, 3).join('\n');
    expect(parseCertutilResubmit(short)).toMatchObject({ verdict: 'issued', dispositionCode: null, message: 'Certificate issued.' });
  });
  it('an already issued request (CERTSRV_E_BAD_REQUESTSTATUS) is recognized, not an error', () => {
    const text = 'CertUtil: -resubmit command FAILED: 0x80094003 (-2146877437 CERTSRV_E_BAD_REQUESTSTATUS)\r\nCertUtil: The request\'s current status does not allow this operation.\r\n';
    expect(parseCertutilResubmit(text)).toMatchObject({ verdict: 'not-resubmittable', hresult: HRESULT.badRequestStatus });
  });
  it('an unknown id (MS-CSRA: disposition 0x80094004 on a successful call) is not-found', () => {
    expect(parseCertutilResubmit('CertUtil: -resubmit command completed successfully.\n  Request Disposition: 0x80094004 (-2146877436)\n').verdict).toBe('not-found');
  });
  it('garbage is unknown', () => {
    expect(parseCertutilResubmit('%%% nothing here').verdict).toBe('unknown');
  });
});

describe('certutil-rpc-unavailable.txt', () => {
  const s = sections('certutil-rpc-unavailable.txt');
  it('(a) -ping: not ok, RPC_S_SERVER_UNAVAILABLE, the missing ")" as in the fixture', () => {
    expect(parseCertutilStatus(s.a!)).toMatchObject({ verb: '-ping', ok: false, hresult: HRESULT.rpcServerUnavailable, message: 'The RPC server is unavailable.' });
    expect(parseCertutilPing(s.a!)).toEqual({ ok: false, hresult: HRESULT.rpcServerUnavailable, message: 'The RPC server is unavailable.' });
  });
  it('(b) -CRL with the "CertUtol" typo still reads as a failure', () => {
    expect(parseCertutilStatus(s.b!)).toMatchObject({ verb: '-crl', ok: false, hresult: HRESULT.rpcServerUnavailable });
  });
  it('(c) certutil -error succeeds but names the transport HRESULT; (d) the COM form is transport too', () => {
    expect(parseCertutilStatus(s.c!)).toMatchObject({ verb: '-error', ok: true });
    expect(isTransportHresult(findFailureHresult(s.c!))).toBe(true);
    expect(isTransportHresult(findFailureHresult(s.d!))).toBe(true);
  });
});

describe('certutil-ca-cert.txt', () => {
  const parts = body('certutil-ca-cert.txt').split(/^PS C:\\programdata> /m).slice(1);
  it('the PowerShell trap: "-ca.cert" parsed as -CA is recognized as the wrong verb', () => {
    expect(parseCertutilCaCert(parts[0]!)).toMatchObject({ ok: false, wrongVerb: true });
    expect(parseCertutilCaCert(parts[1]!)).toMatchObject({ ok: false, wrongVerb: true });
  });
  it('/ca.cert: state 3 -- Valid, one PEM certificate, success', () => {
    const r = parseCertutilCaCert(parts[2]!);
    expect(r).toMatchObject({ ok: true, wrongVerb: false, states: [{ index: 0, state: 3, text: 'Valid' }] });
    expect(r.pemCertificates).toHaveLength(1);
    expect(r.pemCertificates[0]![0]).toBe(0x30); // "MIID…" decodes to a SEQUENCE
  });
});

describe('certutil-delstore-exit-codes.txt', () => {
  const parts = body('certutil-delstore-exit-codes.txt').split(/^> /m).slice(1);
  const exitOf = (t: string) => Number(/exit=(\d+)/.exec(t)![1]);
  it('-delstore exits 0 whether or not it deleted anything: presence unknown', () => {
    expect(parseCertutilStoreQuery(parts[0]!, exitOf(parts[0]!))).toMatchObject({ present: null, storeMissing: false, hresult: null });
  });
  it('-store <thumbprint> exit 17 / NTE_NOT_FOUND: absent; exit 0: present', () => {
    const [store, bisf] = parts[1]!.split(/^Operations Manager$/m);
    expect(parseCertutilStoreQuery(store!, exitOf(store!))).toMatchObject({ present: false, hresult: HRESULT.nteNotFound });
    expect(parseCertutilStoreQuery('Root "Trusted Root Certification Authorities"\nCertUtil: -store command completed successfully.\n', 0).present).toBe(true);
    expect(parseCertutilStoreQuery(`Operations Manager${bisf}`, 2)).toMatchObject({ storeMissing: true, hresult: HRESULT.fileNotFound });
  });
});

describe('certutil-verify-outcomes.txt: the body decides, not the last line', () => {
  const s = sections('certutil-verify-outcomes.txt');
  it('(a) and (d) verify', () => {
    expect(parseCertutilVerify(s.a!).verdict).toBe('valid');
    expect(parseCertutilVerify(s.d!).verdict).toBe('valid');
  });
  it('(b) a revoked leaf is revoked although certutil says "completed successfully"', () => {
    expect(s.b).toContain('command completed successfully');
    expect(parseCertutilVerify(s.b!)).toMatchObject({ verdict: 'revoked', revocationReason: 5, hresult: HRESULT.cryptRevoked });
  });
  it('(c) untrusted root in machine context', () => {
    expect(parseCertutilVerify(s.c!).verdict).toBe('untrusted-root');
  });
  it('the FAILED form quoted in the notes is revoked too', () => {
    const quoted = raw('certutil-verify-outcomes.txt').split('\n').filter((l) => /^#\s+(ERROR|CertUtil)/.test(l)).map((l) => l.replace(/^#\s+/, '')).join('\n');
    expect(parseCertutilVerify(quoted)).toMatchObject({ verdict: 'revoked', hresult: HRESULT.cryptRevoked });
  });
});

describe('certutil-addstore-root.txt', () => {
  const [first, second] = body('certutil-addstore-root.txt').split(/^--- .*$/m);
  it('both sources: store echoed as typed, subject added, success', () => {
    expect(parseCertutilAddstore(first!)).toMatchObject({ ok: true, store: 'ROOT', addedSubject: 'opencola' });
    expect(parseCertutilAddstore(second!)).toMatchObject({ ok: true, store: 'Root', addedSubject: 'host.docker.internal' });
  });
  it('does not rely on "Signature matches Public Key"', () => {
    expect(parseCertutilAddstore(first!.replace('Signature matches Public Key\n', '')).ok).toBe(true);
  });
});
