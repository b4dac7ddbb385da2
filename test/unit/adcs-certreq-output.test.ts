/**
 * certreq output parsers against the verbatim transcripts in shared/vectors (docs/scom-facts.md §6).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HRESULT, isTransportHresult, parseCertreqAccept, parseCertreqSubmit } from '../../services/ca/adcs/index.js';
import { vector } from '../helpers/paths.js';

const raw = (name: string) => readFileSync(vector(name), 'utf8');
/** The transcript without its `#` comment header/notes. */
const body = (name: string) => raw(name).split('\n').filter((l) => !l.startsWith('#')).join('\n');

describe('parseCertreqSubmit on the transcripts', () => {
  it('certreq-submit-issued-plain.txt: id printed twice, issued', () => {
    expect(parseCertreqSubmit(body('certreq-submit-issued-plain.txt'))).toEqual({
      requestId: '12345', disposition: 'issued', message: 'Certificate retrieved(Issued) Issued', hresult: null,
    });
  });

  it('certreq-submit-pending-subca-certdog.txt: pending, prompt line ignored', () => {
    expect(parseCertreqSubmit(body('certreq-submit-pending-subca-certdog.txt'))).toEqual({
      requestId: '12', disposition: 'pending', message: 'Certificate request is pending: Taken Under Submission (0)', hresult: null,
    });
  });

  it('certreq-submit-pending-localized-german.txt: English and German blocks parse alike', () => {
    const [english, german] = body('certreq-submit-pending-localized-german.txt').split('German server:');
    expect(parseCertreqSubmit(english!)).toMatchObject({ requestId: '5', disposition: 'pending' });
    expect(parseCertreqSubmit(german!)).toEqual({
      requestId: '5', disposition: 'pending', message: 'Ausstehende Zertifikatanforderung: Bei Uebermittlung (0)', hresult: null,
    });
    // The transcript notes the real console text probably has the umlaut.
    expect(parseCertreqSubmit(german!.replace('Uebermittlung', 'Übermittlung')).disposition).toBe('pending');
  });

  it('certreq-submit-denied.txt: one id line, wrapped denial text joined, HRESULT kept', () => {
    const [first, second] = body('certreq-submit-denied.txt').split(/\n(?=RequestId: 5)/);
    const a = parseCertreqSubmit(first!);
    expect(a).toMatchObject({ requestId: '4', disposition: 'denied', hresult: 0x80094812 });
    expect(a.message).toContain('The EMail name is unavailable and cannot be added to the Subject');
    expect(a.message).toContain('CERTSRV_E_SUBJECT_EMAIL_REQUIRED)');
    expect(parseCertreqSubmit(second!)).toMatchObject({ requestId: '5', disposition: 'denied', hresult: 0x80092012 });
    // Both blocks in one text: the first request's block, not a mix of the two.
    expect(parseCertreqSubmit(body('certreq-submit-denied.txt')).requestId).toBe('4');
  });

  it('certutil-rpc-unavailable.txt: the certreq error line has no id and a transport HRESULT', () => {
    const line = body('certutil-rpc-unavailable.txt').split('\n').find((l) => l.startsWith('Certificate Request Processor:'))!;
    const r = parseCertreqSubmit(line);
    expect(r).toMatchObject({ requestId: null, disposition: 'error', hresult: HRESULT.winHttpTimeout });
    expect(isTransportHresult(r.hresult)).toBe(true);
    const expected = raw('certutil-rpc-unavailable.txt').split('\n').find((l) => l.includes('#   Certificate Request Processor: The RPC'))!.replace(/^#\s+/, '');
    expect(parseCertreqSubmit(expected)).toMatchObject({ disposition: 'error', hresult: HRESULT.rpcServerUnavailable });
  });

  it('accepts CRLF (what certreq writes to a pipe) and the message-box form "Request ID = 19"', () => {
    expect(parseCertreqSubmit('RequestId: 7\r\nRequestId: "7"\r\nCertificate request is pending: Taken Under Submission (0)\r\n'))
      .toMatchObject({ requestId: '7', disposition: 'pending', message: 'Certificate request is pending: Taken Under Submission (0)' });
    expect(parseCertreqSubmit('Certificate Request Processor: The request is taken under submission Request ID = 19'))
      .toMatchObject({ requestId: '19', disposition: 'pending' });
  });

  it('text of no known shape is unknown, never a guess', () => {
    for (const text of ['', 'CertReq: Unexpected output\r\n=== %%%% ===\r\n', 'RequestId: abc\nsomething']) {
      expect(parseCertreqSubmit(text)).toMatchObject({ requestId: null, disposition: 'unknown' });
    }
  });

  it('finds the id by shape for any label in any language (property)', () => {
    const label = fc.stringMatching(/^[A-Za-zÄÖÜäöüßéè][A-Za-zÄÖÜäöüßéè -]{0,20}$/).filter((s) => s.trim().length > 0);
    fc.assert(fc.property(label, fc.integer({ min: 1, max: 2_000_000_000 }), fc.constantFrom('\n', '\r\n'), (l, id, eol) => {
      const text = `${l}: ${id}${eol}${l}: "${id}"${eol}Irgendein Text: Warten (0)${eol}`;
      const r = parseCertreqSubmit(text);
      return r.requestId === String(id) && r.disposition === 'pending';
    }));
  });
});

describe('parseCertreqAccept (certreq-accept-orphan-0x80092004.txt)', () => {
  it('recognizes the orphaned .cer (0x80092004): only a new request helps', () => {
    const r = parseCertreqAccept(body('certreq-accept-orphan-0x80092004.txt'), 1);
    expect(r).toMatchObject({ ok: false, orphaned: true, hresult: HRESULT.cryptNotFound, badArgument: null });
  });

  it('recognizes "Unexpected argument: -machine" + 0x80070057 (-submit does not take -machine)', () => {
    const quoted = raw('certreq-accept-orphan-0x80092004.txt').split('\n').find((l) => l.includes('Unexpected argument'))!;
    const text = quoted.replace(/^#\s*/, '').replace(/"/g, '').replace(' + dialog ', '\n');
    const r = parseCertreqAccept(text, 87);
    expect(r).toMatchObject({ ok: false, orphaned: false, badArgument: '-machine', hresult: HRESULT.invalidArgument });
  });

  it('a clean accept is ok', () => {
    expect(parseCertreqAccept('Installed Certificate:\r\n  Serial Number: 1f00\r\n', 0).ok).toBe(true);
  });
});
