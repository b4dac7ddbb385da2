/**
 * decodeRequestBytes: every way a request file reaches the share (docs/scom-facts.md §5: certreq PEM with CRLF,
 * `certreq -binary` DER, Notepad "Unicode" re-saves), and the two ways it is not (yet) a request.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AgentcertError } from '../../services/domain/index.js';
import { decodeRequestBytes, pemBlocksToDer, derToPem, parseRequest, createRootCa } from '../../services/pki/index.js';

const vectors = new URL('../../../shared/vectors/', import.meta.url);
const pem = readFileSync(new URL('certreq-win11-25h2-rsa2048-schannel-ku-a0-inner-pkcs10.req', vectors), 'latin1');
const der = pemBlocksToDer(pem)[0]!.der;

function codeOf(fn: () => unknown): { code: string; message: string } {
  try { fn(); } catch (err) {
    expect(err).toBeInstanceOf(AgentcertError);
    return { code: (err as AgentcertError).code, message: (err as AgentcertError).message };
  }
  throw new Error('expected an AgentcertError');
}

describe('decodeRequestBytes', () => {
  const lf = pem.replace(/\r\n/g, '\n');
  const crlf = lf.replace(/\n/g, '\r\n');
  const body = lf.split('\n').filter((l) => l && !l.startsWith('-----'));

  it.each([
    ['PEM with LF', Buffer.from(lf)],
    ['PEM with CRLF', Buffer.from(crlf)],
    ['PEM with mixed CRLF/LF and indentation', Buffer.from(lf.split('\n').map((l, i) => (i % 2 ? `  ${l}\r` : l)).join('\n'))],
    ['PEM with header CERTIFICATE REQUEST', Buffer.from(lf.replace(/NEW CERTIFICATE REQUEST/g, 'CERTIFICATE REQUEST'))],
    ['UTF-16LE with BOM (Notepad "Unicode")', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(crlf, 'utf16le')])],
    ['UTF-16LE without BOM', Buffer.from(crlf, 'utf16le')],
    ['UTF-16BE with BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(crlf, 'utf16le').swap16()])],
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(crlf)])],
    ['DER', der],
    ['DER with trailing zero bytes', Buffer.concat([der, Buffer.alloc(3)])],
    ['base64 without header', Buffer.from(body.join('\r\n'))],
    ['PEM with junk lines and a preamble', Buffer.from(`Request for web01, made ${new Date(0).toISOString()}\n${lf.replace(/(-----\n)/, '$1Proc-Type: 4,ENCRYPTED\n\n(pasted from mail)\n')}`)],
  ])('reads %s to the same DER', (_, bytes) => {
    expect(decodeRequestBytes(bytes).equals(der)).toBe(true);
  });

  it('says a PEM with no END line is incomplete (the file is still being written)', () => {
    const half = lf.slice(0, lf.length / 2);
    expect(codeOf(() => decodeRequestBytes(Buffer.from(half))).code).toBe('AC_REQUEST_INCOMPLETE');
    expect(codeOf(() => decodeRequestBytes(Buffer.from('-----BEGIN NEW CERT'))).code).toBe('AC_REQUEST_INCOMPLETE');
  });

  it('says DER shorter than its outer length is incomplete', () => {
    const r = codeOf(() => decodeRequestBytes(der.subarray(0, der.length - 100)));
    expect(r.code).toBe('AC_REQUEST_INCOMPLETE');
  });

  it.each([
    ['an empty file', Buffer.alloc(0), /empty/],
    ['binary junk', Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0xff, 0x10]), /binary data starting 0x4d5a/],
    ['a text note', Buffer.from('please issue a cert for web01\r\n'), /text starting "please issue/],
    ['whitespace', Buffer.from('  \r\n\t'), /not a PEM or DER/],
  ])('says %s is not a request, naming what it found', (_, bytes, message) => {
    const r = codeOf(() => decodeRequestBytes(bytes));
    expect(r.code).toBe('AC_NOT_A_REQUEST');
    expect(r.message).toMatch(message);
  });

  it('says a certificate dropped instead of a request is not a request (PEM and DER)', () => {
    const ca = createRootCa({ commonName: 'Test Root', keyBits: 1024, notBefore: new Date('2025-01-01Z'), notAfter: new Date('2030-01-01Z') });
    const fromPem = codeOf(() => parseRequest(Buffer.from(derToPem(ca.certDer, 'CERTIFICATE'))));
    expect(fromPem).toMatchObject({ code: 'AC_NOT_A_REQUEST', message: expect.stringMatching(/certificate/) });
    const fromDer = codeOf(() => parseRequest(ca.certDer));
    expect(fromDer).toMatchObject({ code: 'AC_NOT_A_REQUEST', message: expect.stringMatching(/X\.509 certificate/) });
  });
});

describe('pemBlocksToDer and derToPem', () => {
  it('finds every complete block in a text, with its label', () => {
    const text = `${derToPem(Buffer.from('3003020101', 'hex'), 'CERTIFICATE')}junk\r\n${derToPem(der, 'NEW CERTIFICATE REQUEST')}-----BEGIN X-----\nAAAA\n`;
    const blocks = pemBlocksToDer(text);
    expect(blocks.map((b) => b.label)).toEqual(['CERTIFICATE', 'NEW CERTIFICATE REQUEST']);
    expect(blocks[1]!.der.equals(der)).toBe(true);
  });

  it('writes 64-character lines with LF', () => {
    const out = derToPem(der, 'CERTIFICATE REQUEST');
    const lines = out.split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE REQUEST-----');
    expect(lines.slice(1, -3).every((l) => l.length === 64)).toBe(true);
    expect(out.endsWith('-----END CERTIFICATE REQUEST-----\n')).toBe(true);
    expect(out).not.toContain('\r');
  });
});
