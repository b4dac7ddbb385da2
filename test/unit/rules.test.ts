/**
 * Every request rule both ways, with requests built in the test (node-forge structures, Microsoft attributes)
 * and with the real vectors.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/config/index.js';
import { AgentcertError } from '../../services/domain/index.js';
import { inspectRequest } from '../../services/app/index.js';
import { makeSampleRequest, parseRequest, type SampleRequestOptions } from '../../services/pki/index.js';
import { checkIdentity, checkRequest, decideVerdict, renderRejection, REQUEST_RULES } from '../../services/rules/index.js';
import { vector } from '../helpers/paths.js';

let key: KeyObject;
beforeAll(() => {
  key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
});

function rulesFor(o: SampleRequestOptions, fileFqdn = 'web01.contoso.local', cn = 'web01.contoso.local'): string[] {
  const { pem } = makeSampleRequest(cn, { privateKey: key, ...o });
  return checkRequest({ parsed: parseRequest(Buffer.from(pem)), fileFqdn, minKeyBits: 2048 }).map((f) => f.rule);
}

describe('request rules, built requests', () => {
  it('a request like the classic SCOM INF makes passes every error rule', () => {
    const rules = rulesFor({});
    expect(rules).toEqual(['REQ_EKU_MISSING']); // info only: the issued certificate adds both EKUs
  });
  it('REQ_SIGNATURE', () => expect(rulesFor({ corruptSignature: true })).toContain('REQ_SIGNATURE'));
  it('REQ_KEY_ALGORITHM', () => expect(rulesFor({ keyType: 'ec', privateKey: undefined })).toContain('REQ_KEY_ALGORITHM'));
  it('REQ_KEY_SIZE', () => {
    expect(rulesFor({ keyBits: 1024, privateKey: undefined })).toContain('REQ_KEY_SIZE');
    expect(rulesFor({})).not.toContain('REQ_KEY_SIZE');
  });
  it('REQ_KEY_PROVIDER: KSP (keySpec 0) and AT_SIGNATURE (2) reject, keySpec 1 passes', () => {
    expect(rulesFor({ keySpec: 0, provider: 'Microsoft Software Key Storage Provider' })).toContain('REQ_KEY_PROVIDER');
    expect(rulesFor({ keySpec: 2, provider: 'Microsoft Strong Cryptographic Provider' })).toContain('REQ_KEY_PROVIDER');
    expect(rulesFor({ keySpec: 1 })).not.toContain('REQ_KEY_PROVIDER');
  });
  it('REQ_KEY_PROVIDER_UNKNOWN warns when the CSP attribute is absent', () => {
    expect(rulesFor({ keySpec: null })).toContain('REQ_KEY_PROVIDER_UNKNOWN');
    expect(rulesFor({})).not.toContain('REQ_KEY_PROVIDER_UNKNOWN');
  });
  it('REQ_SUBJECT_SINGLE_CN', () => {
    expect(rulesFor({ subject: { cn: ['web01.contoso.local', 'WEB01'] } })).toContain('REQ_SUBJECT_SINGLE_CN');
  });
  it('REQ_SUBJECT_FQDN: CN vs file name, case-insensitive; first DNS SAN when there is no CN; no wildcard', () => {
    expect(rulesFor({}, 'WEB01.CONTOSO.LOCAL'.toLowerCase(), 'Web01.Contoso.Local')).not.toContain('REQ_SUBJECT_FQDN');
    expect(rulesFor({}, 'web02.contoso.local')).toContain('REQ_SUBJECT_FQDN');
    expect(rulesFor({ subject: null, dnsNames: ['web01.contoso.local', 'web01'] })).not.toContain('REQ_SUBJECT_FQDN'); // REQ_SUBJECT_CN (request-names.ts) rejects it
    expect(rulesFor({ subject: null, dnsNames: ['*.contoso.local'] })).toContain('REQ_SUBJECT_FQDN');
    expect(rulesFor({ subject: null })).toContain('REQ_SUBJECT_FQDN');
  });
  it('REQ_NOT_CA', () => {
    expect(rulesFor({ basicConstraintsCA: true })).toContain('REQ_NOT_CA');
    expect(rulesFor({ basicConstraintsCA: false })).not.toContain('REQ_NOT_CA');
  });
  it('REQ_EKU_MISSING / REQ_EKU_INCOMPLETE', () => {
    expect(rulesFor({ withEku: true })).not.toContain('REQ_EKU_MISSING');
    expect(rulesFor({ withEku: true })).not.toContain('REQ_EKU_INCOMPLETE');
    expect(rulesFor({ withEku: true, ekus: ['1.3.6.1.5.5.7.3.1'] })).toContain('REQ_EKU_INCOMPLETE');
  });
  it('REQ_WEAK_HASH', () => {
    expect(rulesFor({ hash: 'sha1' })).toContain('REQ_WEAK_HASH');
    expect(rulesFor({})).not.toContain('REQ_WEAK_HASH');
  });
  it('reads the Windows 2000 legacy extension attribute like extensionRequest', () => {
    const { pem } = makeSampleRequest('web01.contoso.local', { privateKey: key, legacyExtensionAttribute: true, withEku: true });
    expect(parseRequest(Buffer.from(pem)).requestedExtensions.extendedKeyUsage).toContain('1.3.6.1.5.5.7.3.2');
  });
  it('every rule in the catalog names the fact it enforces', () => {
    for (const r of REQUEST_RULES) expect(r.fact.length, r.id).toBeGreaterThan(10);
  });
});

describe('request rules, real vectors (../shared/vectors/README.md)', () => {
  const verdict = (file: string, fqdn: string) => {
    const parsed = parseRequest(readFileSync(vector(file)));
    return decideVerdict(checkRequest({ parsed, fileFqdn: fqdn, minKeyBits: 2048 }));
  };
  const errors = (v: ReturnType<typeof verdict>) => v.findings.filter((f) => f.severity === 'error').map((f) => f.rule);
  it('accepts the two certreq SChannel requests', () => {
    expect(verdict('certreq-win11-25h2-rsa2048-schannel-ku-a0-inner-pkcs10.req', 'pop-diag-test.hagland.domain').outcome).toBe('accept');
    expect(verdict('certreq-win2019-1809-rsa2048-schannel-keyexchange-san.req', 'testserver.test.com').outcome).toBe('accept');
  });
  it('rejects the KSP requests for the provider', () => {
    expect(errors(verdict('certenroll-win10-21h2-rsa2048-ksp-powershell.req', 'intranet.adcslabor.de'))).toEqual(['REQ_KEY_PROVIDER']);
    expect(errors(verdict('certenroll-win10-21h2-rsa2048-ksp-san-csp-before-extreq.req', 'x'))).toContain('REQ_KEY_PROVIDER');
    const dup = verdict('certenroll-win11-24h2-rsa3072-ksp-duplicate-cn.req', 'x');
    expect(errors(dup)).toContain('REQ_KEY_PROVIDER');
    expect(errors(dup)).toContain('REQ_SUBJECT_SINGLE_CN');
  });
  it('rejects ECDSA and DSA cleanly, naming the algorithm', () => {
    const ec = verdict('certenroll-win10-21h2-ecdsa-p256-ksp.req', 'x');
    expect(errors(ec)).toContain('REQ_KEY_ALGORITHM');
    expect(ec.findings.find((f) => f.rule === 'REQ_KEY_ALGORITHM')!.message).toMatch(/EC/);
    const dsa = verdict('certreq-win11-22h2-dsa-basedss-legacycsp.req', 'x');
    expect(errors(dsa)).toEqual(expect.arrayContaining(['REQ_KEY_ALGORITHM', 'REQ_KEY_PROVIDER']));
  });
  it('rejects the Windows 7 request for AT_SIGNATURE and RSA-1024', () => {
    expect(errors(verdict('certreq-win7-rsa1024-strongcsp-usertemplate.req', 'x'))).toEqual(expect.arrayContaining(['REQ_KEY_PROVIDER', 'REQ_KEY_SIZE']));
  });
  it('rejects the MMC request: empty subject and a wildcard first SAN', () => {
    const v = verdict('mmc-win10-22h2-rsa2048-strongcsp-keyexchange-nosubject.req', 'x');
    expect(v.findings.find((f) => f.rule === 'REQ_SUBJECT_FQDN')!.message).toContain('wildcard');
  });
  it('rejection text names the provider and gives the exact INF lines', () => {
    const v = verdict('certenroll-win10-21h2-rsa2048-ksp-powershell.req', 'intranet.adcslabor.de');
    const text = renderRejection({ fqdn: 'intranet.adcslabor.de', sourceName: 'intranet.adcslabor.de.req', requestId: 'abc', findings: v.findings, at: '2026-11-23T00:00:00Z' });
    expect(text).toContain('Microsoft Software Key Storage Provider');
    expect(text).toContain('ProviderName = "Microsoft RSA SChannel Cryptographic Provider", ProviderType = 12 and KeySpec = 1');
    expect(text).toContain('\r\n');
  });
});

describe('inspect reaches the README conclusions for every vector', () => {
  const config = loadConfig({ env: {} });
  const cases: [string, string, string][] = [
    ['certreq-win11-25h2-rsa2048-schannel-ku-a0-inner-pkcs10.req', 'pop-diag-test.hagland.domain', 'accept'],
    ['certreq-win2019-1809-rsa2048-schannel-keyexchange-san.req', 'testserver.test.com', 'accept'],
    ['certenroll-win10-21h2-rsa2048-ksp-powershell.req', 'intranet.adcslabor.de', 'reject'],
    ['certenroll-win10-21h2-ecdsa-p256-ksp.req', '', 'reject'],
    ['certreq-win7-rsa1024-strongcsp-usertemplate.req', '', 'reject'],
    ['certenroll-win10-21h2-rsa2048-ksp-san-csp-before-extreq.req', '', 'reject'],
    ['certenroll-win11-24h2-rsa3072-ksp-duplicate-cn.req', '', 'reject'],
    ['certreq-win11-22h2-dsa-basedss-legacycsp.req', '', 'reject'],
    ['mmc-win10-22h2-rsa2048-strongcsp-keyexchange-nosubject.req', '', 'reject'],
  ];
  for (const [file, fqdn, outcome] of cases) {
    it(`${file} → ${outcome}`, async () => {
      const d = await inspectRequest(readFileSync(vector(file)), { fileName: file, ...(fqdn ? { fqdn } : {}), config, store: null, now: new Date() });
      expect(d.verdict.outcome).toBe(outcome);
    });
  }
});

describe('identity rules', () => {
  const contoso = { name: 'contoso', allowedNames: ['*.contoso.local'], approval: 'auto' as const };
  it('rejects a name outside the tenant, holds protected names, key changes and manual tenants', () => {
    expect(decideVerdict(checkIdentity({ fqdn: 'web01.fabrikam.local', tenant: contoso, protectedNames: [], hasActiveCertificateWithOtherKey: false })).outcome).toBe('reject');
    expect(decideVerdict(checkIdentity({ fqdn: 'ms01.contoso.local', tenant: contoso, protectedNames: ['ms*.contoso.local', 'ms01.contoso.local'], hasActiveCertificateWithOtherKey: false })).outcome).toBe('hold');
    expect(decideVerdict(checkIdentity({ fqdn: 'web01.contoso.local', tenant: contoso, protectedNames: [], hasActiveCertificateWithOtherKey: true })).outcome).toBe('hold');
    expect(decideVerdict(checkIdentity({ fqdn: 'web01.contoso.local', tenant: contoso, protectedNames: [], hasActiveCertificateWithOtherKey: true, isAuthenticatedRenewal: true })).outcome).toBe('accept');
    expect(decideVerdict(checkIdentity({ fqdn: 'web01.contoso.local', tenant: { ...contoso, approval: 'manual' }, protectedNames: [], hasActiveCertificateWithOtherKey: false })).outcome).toBe('hold');
    expect(decideVerdict(checkIdentity({ fqdn: 'web01.contoso.local', tenant: contoso, protectedNames: [], hasActiveCertificateWithOtherKey: false })).outcome).toBe('accept');
  });
});

describe('inspect never crashes (property)', () => {
  const config = loadConfig({ env: {} });
  const vectors = ['certreq-win11-25h2-rsa2048-schannel-ku-a0-inner-pkcs10.req', 'certenroll-win10-21h2-ecdsa-p256-ksp.req', 'certreq-win11-22h2-dsa-basedss-legacycsp.req'].map((f) => readFileSync(vector(f)));
  const verdictOrNotARequest = async (bytes: Uint8Array) => {
    try {
      const d = await inspectRequest(Buffer.from(bytes), { fileName: 'x.contoso.local.req', config, store: null, now: new Date() });
      expect(['accept', 'hold', 'reject']).toContain(d.verdict.outcome);
    } catch (err) {
      expect(err).toBeInstanceOf(AgentcertError);
      expect(['AC_NOT_A_REQUEST', 'AC_REQUEST_INCOMPLETE']).toContain((err as AgentcertError).code);
    }
  };
  it('random bytes end in a verdict or a not-a-request error', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), verdictOrNotARequest), { numRuns: 300 });
  });
  it('mutated vectors end in a verdict or a not-a-request error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...vectors), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(), async (v, flips, cut) => {
        const b = Buffer.from(v);
        for (const [i, x] of flips) b[i % b.length] = x;
        await verdictOrNotARequest(b.subarray(0, b.length - (cut % 50)));
      }),
      { numRuns: 300 },
    );
  });
});
