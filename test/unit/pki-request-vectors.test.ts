/**
 * Every real request in shared/vectors parses to what its .source.txt says (decoded independently of this code).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRequest, decodeRequestBytes, type ParsedRequest } from '../../services/pki/index.js';

const vectors = new URL('../../../shared/vectors/', import.meta.url);
const reqFiles = readdirSync(vectors).filter((f) => f.endsWith('.req')).sort();

interface Source {
  subject: string; key: string; sigalg: string; sigValid: boolean; os: string;
  clientinfo: [number, string, string, string]; csp: [number, string, string]; namevalue?: [string, string][];
  attrOrder: string[]; exts: [string, string, boolean][];
}

/** The summaries are Python reprs; turn the few shapes used there into JSON. */
function pyToJson(repr: string): unknown {
  const json = repr.replace(/\(/g, '[').replace(/\)/g, ']').replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false')
    .replace(/'((?:[^'\\]|\\.)*)'/g, (_, s: string) => JSON.stringify(s.replace(/\\\\/g, '\\')));
  return JSON.parse(json);
}

function readSource(file: string): Source {
  const text = readFileSync(new URL(file.replace(/\.req$/, '.source.txt'), vectors), 'utf8');
  const field = (name: string) => new RegExp(`^\\s*${name}: ?(.*)$`, 'm').exec(text)?.[1]?.trim();
  return {
    subject: field('subject') ?? '', key: field('key')!, sigalg: field('sigalg')!, sigValid: field('sig_valid_openssl') === 'True',
    os: field('os')!, clientinfo: pyToJson(field('clientinfo')!) as Source['clientinfo'], csp: pyToJson(field('csp')!) as Source['csp'],
    namevalue: field('namevalue') ? (pyToJson(field('namevalue')!) as [string, string][]) : undefined,
    attrOrder: pyToJson(field('attr_order')!) as string[], exts: pyToJson(field('exts')!) as Source['exts'],
  };
}

function expectedKey(key: string): { algorithm: string; bits: number | null } {
  if (key.startsWith('RSA-')) return { algorithm: 'RSA', bits: Number(key.slice(4)) };
  if (key === 'ECPublicKey-secp256r1') return { algorithm: 'EC', bits: 256 };
  if (key === 'DSAPublicKey') return { algorithm: 'DSA', bits: 1024 };
  throw new Error(`unknown key summary ${key}`);
}

const parsed = new Map<string, ParsedRequest>(reqFiles.map((f) => [f, parseRequest(readFileSync(new URL(f, vectors)))]));
const get = (prefix: string) => [...parsed.entries()].find(([f]) => f.startsWith(prefix))![1];

describe('real request vectors', () => {
  it('finds the nine request vectors', () => {
    expect(reqFiles.length).toBeGreaterThanOrEqual(9);
  });

  describe.each(reqFiles)('%s', (file) => {
    const src = readSource(file);
    const r = parsed.get(file)!;

    it('has the subject, key and signature algorithm of the summary', () => {
      expect(r.format).toBe('pkcs10');
      expect(r.subject.replace(/, /g, ',')).toBe(src.subject);
      expect(r.key).toMatchObject(expectedKey(src.key));
      expect(r.signatureAlgorithm.toLowerCase().replace(/-/g, '')).toBe(src.sigalg.toLowerCase().replace(/-/g, ''));
      expect(r.signatureValid).toBe(src.sigValid);
    });

    it('has the Microsoft attributes of the summary, in file order', () => {
      expect(r.microsoft.osVersion).toBe(src.os);
      const [id, machine, user, proc] = src.clientinfo;
      expect(r.microsoft.client).toEqual({ id, machine, user, process: proc });
      expect(r.microsoft.csp).toEqual({ keySpec: src.csp[0], provider: src.csp[1] });
      expect(r.attributes.map((a) => a.name)).toEqual(src.attrOrder);
      expect(r.unknownAttributes).toEqual([]);
      if (src.namevalue) expect(r.microsoft.nameValuePairs).toEqual(src.namevalue.map(([name, value]) => ({ name, value })));
    });

    it('has the requested extensions of the summary', () => {
      for (const [oid, , critical] of src.exts) {
        if (oid === '2.5.29.15') expect(r.requestedExtensions.keyUsageCritical).toBe(critical);
        if (oid === '2.5.29.17') expect(r.requestedExtensions.subjectAltName.length).toBeGreaterThan(0);
        if (oid === '1.3.6.1.4.1.311.20.2') expect(r.microsoft.templateName).toBe('User');
      }
      const oids = src.exts.map(([oid]) => oid);
      if (!oids.includes('2.5.29.17')) expect(r.requestedExtensions.subjectAltName).toEqual([]);
      expect(r.requestedExtensions.extendedKeyUsage).toEqual([]); // none of these INFs asked for an EKU (docs/scom-facts.md §8.1)
    });

    it('fingerprints the exact DER', () => {
      const der = decodeRequestBytes(readFileSync(new URL(file, vectors)));
      expect(r.csrDer.equals(der)).toBe(true);
      expect(r.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    });

    it('reports the signature invalid after one byte of it is flipped', () => {
      const der = Buffer.from(r.csrDer);
      der[der.length - 3]! ^= 0x40;
      expect(parseRequest(der).signatureValid).toBe(false);
    });
  });

  it('reads the classic SCOM INF request: KU critical 0xa0, SChannel, keySpec 1', () => {
    const r = get('certreq-win11-25h2');
    expect(r.requestedExtensions).toMatchObject({ keyUsageBits: 0xa0, keyUsage: ['digitalSignature', 'keyEncipherment'], keyUsageCritical: true });
    expect(r.fqdn).toBe('pop-diag-test.hagland.domain');
  });

  it('reads the Server 2019 request: KU 0x20 only, two DNS SANs, CN first in the subject', () => {
    const r = get('certreq-win2019');
    expect(r.requestedExtensions.keyUsageBits).toBe(0x20);
    expect(r.dnsNames).toEqual(['testserver', 'testserver.test.com']);
    expect(r.subject).toBe('CN=testserver.test.com, OU=IT, O=MyCompany, L=Madison, ST=WI, C=US');
  });

  it('identifies the EC P-256 and DSA keys without crashing, and verifies their signatures', () => {
    expect(get('certenroll-win10-21h2-ecdsa')).toMatchObject({ key: { algorithm: 'EC', bits: 256, curve: 'P-256' }, signatureValid: true });
    expect(get('certreq-win11-22h2-dsa')).toMatchObject({ key: { algorithm: 'DSA', bits: 1024 }, signatureAlgorithm: 'dsa-with-sha1', signatureValid: true });
  });

  it('reads the MMC request: empty subject, the wildcard SAN first becomes the fqdn', () => {
    const r = get('mmc-');
    expect(r.subject).toBe('');
    expect(r.commonNames).toEqual([]);
    expect(r.dnsNames).toEqual(['*.example.com', 'test.example.com']);
    expect(r.fqdn).toBe('*.example.com');
  });

  it('keeps both copies of a duplicated CN', () => {
    expect(get('certenroll-win11-24h2').commonNames).toEqual(['intranet.adcslabor.de', 'intranet.adcslabor.de']);
  });

  it('lists every DNS SAN of the CertEnroll request (the file holds web1..web10; README says six)', () => {
    const r = get('certenroll-win10-21h2-rsa2048-ksp-san');
    expect(r.dnsNames).toEqual(Array.from({ length: 10 }, (_, i) => `web${i + 1}.adcslabor.de`));
    expect(r.attributes.map((a) => a.name)).toEqual(['OSVersion', 'ClientInfo', 'EnrollmentCSP', 'ExtensionRequest']);
  });

  it('reads the Windows 7 template name from extension 1.3.6.1.4.1.311.20.2 and the name-value pair', () => {
    const r = get('certreq-win7');
    expect(r.microsoft.templateName).toBe('User');
    expect(r.microsoft.nameValuePairs).toEqual([{ name: 'CertificateTemplate', value: 'User' }]);
  });
});
