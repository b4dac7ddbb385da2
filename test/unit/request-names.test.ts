/**
 * The names of an agent certificate (rules/request-names.ts, README "Names in a certificate"): every requested name
 * is policy input, the SAN DER agentcert gives certutil, and the verify gate's check of every SAN entry.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSanExtensionValue, encodeSanExtensionValue } from '../../services/ca/adcs/index.js';
import { wouldIssueOtherwise } from '../../services/ca/adcs/adcs-backend.js';
import { parseViewRows } from '../../services/ca/adcs/submitted-lookup.js';
import { createRootCa, describeCertificate, makeSampleRequest, parseRequest, signLeafCertificate } from '../../services/pki/index.js';
import { checkCertificate, checkRequestNames, decideVerdict, planNames, type NamePolicyInput } from '../../services/rules/index.js';
import { repoRoot } from '../helpers/paths.js';
import { openssl } from '../helpers/openssl.js';

// Copied from shared/vectors/certreq-win2019-1809-rsa2048-schannel-keyexchange-san.req (CN testserver.test.com,
// SAN DNS:testserver, DNS:testserver.test.com — the short name first).
const VECTOR_2019 = path.join(repoRoot, 'test/fixtures/names/testserver.test.com.req');

let key: KeyObject;
let tmp: string;
beforeAll(() => {
  key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'agentcert-names-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tenant = { name: 'contoso', allowedNames: ['*.contoso.local'] };
function policy(fqdn: string, o: { dnsNames?: string[]; cn?: string[] | null; alias?: boolean; atSubmit?: boolean; withEku?: boolean } = {}): NamePolicyInput {
  const req = makeSampleRequest(fqdn, { privateKey: key, ...(o.dnsNames ? { dnsNames: o.dnsNames } : {}), ...(o.cn === null ? { subject: null } : o.cn ? { subject: { cn: o.cn } } : {}), withEku: o.withEku ?? false });
  return { parsed: parseRequest(req.der), fqdn, tenant: { ...tenant, allowShortNameAlias: o.alias ?? false }, protectedNames: ['ms01.contoso.local'], caIssuesAsRequested: o.atSubmit ?? false };
}
const rules = (p: NamePolicyInput) => checkRequestNames(p).map((f) => `${f.rule}:${f.severity}`);

describe('every requested name is policy input', () => {
  it('the multi-SAN request (mine, a protected management server, a wildcard) is rejected, each name its own finding with the INF fix', () => {
    const p = policy('mine.contoso.local', { dnsNames: ['mine', 'ms01.contoso.local', '*.contoso.local'] });
    const findings = checkRequestNames(p);
    expect(findings.map((f) => [f.rule, f.found])).toEqual([
      ['REQ_SAN_PROTECTED_NAME', 'DNS:ms01.contoso.local'],
      ['REQ_SAN_WILDCARD', 'DNS:*.contoso.local'],
    ]);
    expect(decideVerdict(findings).outcome).toBe('reject');
    for (const f of findings) expect(f.remediation).toContain('remove the 2.5.29.17 line');
    // Nothing of it is planned for issue.
    expect(planNames(p).dnsNames).toEqual(['mine.contoso.local']);
  });
  it('another host inside or outside the tenant, an IP, a UPN, a URI and an e-mail name are refused', () => {
    const other = rules(policy('web01.contoso.local', { dnsNames: ['web01.contoso.local', 'web02.contoso.local', 'mail.fabrikam.local'] }));
    expect(other).toEqual(['REQ_SAN_OTHER_HOST:error', 'REQ_SAN_TENANT_NAME:error']);
    // SAN entries of other types, as the parser formats them (services/pki/extensions.ts formatGeneralName).
    const p = policy('web01.contoso.local');
    p.parsed.requestedExtensions.subjectAltName = ['DNS:web01.contoso.local', 'IP:10.0.0.5', 'UPN:administrator@contoso.local', 'URI:https://web01', 'email:a@contoso.local'];
    expect(rules(p)).toEqual(['REQ_SAN_TYPE:error', 'REQ_SAN_TYPE:error', 'REQ_SAN_TYPE:error', 'REQ_SAN_TYPE:error']);
  });
  it('a request with no CN is rejected even when its SAN names the FQDN (an AD CS CA copies the empty subject)', () => {
    expect(rules(policy('web01.contoso.local', { cn: null, dnsNames: ['web01.contoso.local'] }))).toContain('REQ_SUBJECT_CN:error');
  });
  it('the short name is dropped (warning) unless the tenant allows the alias; the FQDN always comes first', () => {
    const off = policy('web01.contoso.local', { dnsNames: ['web01', 'web01.contoso.local'] });
    expect(rules(off)).toEqual(['REQ_SAN_ADJUSTED:warning']);
    expect(planNames(off)).toMatchObject({ dnsNames: ['web01.contoso.local'], dropped: [{ entry: 'DNS:web01' }] });
    const on = policy('web01.contoso.local', { dnsNames: ['web01', 'web01.contoso.local'], alias: true });
    expect(planNames(on).dnsNames).toEqual(['web01.contoso.local', 'web01']);
    expect(checkRequestNames(on).map((f) => f.rule)).toEqual(['REQ_SAN_ADJUSTED']); // reordered: FQDN first
    expect(rules(policy('web01.contoso.local', { dnsNames: ['web01.contoso.local', 'web01'], alias: true }))).toEqual([]);
  });
  it('a protected short name is refused even with the alias allowed', () => {
    const p = policy('ms01.contoso.local', { dnsNames: ['ms01.contoso.local', 'ms01'], alias: true });
    p.protectedNames = ['ms01'];
    expect(rules(p)).toEqual(['REQ_SAN_PROTECTED_NAME:error']);
  });
  it('the 2019 vector: SAN = FQDN when amended (testserver dropped), rejected before submit by a CA that issues at submit', () => {
    const parsed = parseRequest(readFileSync(VECTOR_2019));
    const base = { parsed, fqdn: 'testserver.test.com', tenant: { name: 'default', allowedNames: ['*'] }, protectedNames: [] };
    const pending = checkRequestNames({ ...base, caIssuesAsRequested: false });
    expect(pending.map((f) => f.rule)).toEqual(['REQ_SAN_ADJUSTED']);
    expect(planNames({ ...base, caIssuesAsRequested: false }).dnsNames).toEqual(['testserver.test.com']);
    const atSubmit = checkRequestNames({ ...base, caIssuesAsRequested: true });
    expect(atSubmit.map((f) => f.rule)).toEqual(['REQ_EKU_AT_SUBMIT', 'REQ_SAN_AT_SUBMIT']);
    expect(decideVerdict(atSubmit).outcome).toBe('reject');
    expect(atSubmit[1]!.remediation).toContain('_continue_ = "dns=testserver.test.com"');
    expect(atSubmit[1]!.remediation).toContain('ca.adcs.issuesAtSubmit: false');
  });
  it('a CA that issues at submit takes a request whose SAN is exactly the plan and which asks for both EKUs', () => {
    expect(rules(policy('web01.contoso.local', { dnsNames: ['web01.contoso.local'], atSubmit: true, withEku: true }))).toEqual([]);
    expect(rules(policy('web01.contoso.local', { atSubmit: true, withEku: true }))).toEqual([]);
  });
  it('the AD CS backend refuses to submit to an issue-at-submit CA what the CA would copy wrongly', () => {
    const input = (requested: string[], eku = true) => ({ dnsNames: ['a.contoso.local'], requestedSubjectAltNames: requested, requestHasScomEkus: eku });
    expect(wouldIssueOtherwise(input(['DNS:a', 'DNS:a.contoso.local']) as never)).toMatch(/would copy the requested SAN/);
    expect(wouldIssueOtherwise(input([], false) as never)).toMatch(/without Server and Client Authentication/);
    expect(wouldIssueOtherwise(input(['DNS:A.contoso.local']) as never)).toBeNull();
    expect(wouldIssueOtherwise(input([]) as never)).toBeNull();
  });
});

describe('the SubjectAltName DER for certutil -setextension 2.5.29.17', () => {
  it('is SEQUENCE OF [2] IA5String, as openssl asn1parse and node-forge read it', () => {
    const der = encodeSanExtensionValue(['web01.contoso.local', 'web01']);
    expect(der.toString('hex')).toBe(`30${(der.length - 2).toString(16).padStart(2, '0')}8213${Buffer.from('web01.contoso.local').toString('hex')}8205${Buffer.from('web01').toString('hex')}`);
    const file = path.join(tmp, 'san.der');
    writeFileSync(file, der);
    const parsed = openssl(['asn1parse', '-inform', 'DER', '-in', file]);
    expect(parsed).toMatch(/cons: SEQUENCE/);
    expect(parsed.match(/prim: cont \[ 2 \]/g)).toHaveLength(2);
    const asn1 = forge.asn1.fromDer(der.toString('binary'));
    expect((asn1.value as forge.asn1.Asn1[]).map((n) => [n.tagClass, n.type, n.value])).toEqual([[forge.asn1.Class.CONTEXT_SPECIFIC, 2, 'web01.contoso.local'], [forge.asn1.Class.CONTEXT_SPECIFIC, 2, 'web01']]);
    expect(decodeSanExtensionValue(der)).toEqual(['web01.contoso.local', 'web01']);
  });
  it('uses the long length form once the names pass 127 bytes', () => {
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.contoso.local`;
    const der = encodeSanExtensionValue([long, 'x']);
    expect(der[1]).toBe(0x81); // a long form length
    expect(decodeSanExtensionValue(der)).toEqual([long, 'x']);
  });
  it('refuses what is no DNS name (a wildcard, a space, non-ASCII, empty)', () => {
    for (const bad of ['*.contoso.local', 'web 01', 'wéb01', '', 'a..b']) expect(() => encodeSanExtensionValue([bad])).toThrow();
    expect(() => encodeSanExtensionValue([])).toThrow(/at least one/);
  });
});

describe('certutil -view rows by the fingerprint attribute', () => {
  const fp = 'ab'.repeat(32);
  it('finds the RequestId in decimal or hex, with the attributes spanning lines, and nothing else', () => {
    const text = [
      '"Request ID","Request Attributes"',
      '"5","agentcertRequest:' + 'cd'.repeat(32) + '"',
      '"0x7","CertificateTemplate:x',
      'agentcertRequest:' + fp + '"',
      '"9","agentcertRequest:' + fp + '"',
      'CertUtil: -view command completed successfully.',
    ].join('\r\n');
    expect(parseViewRows(text, fp.toUpperCase())).toEqual(['7', '9']);
    expect(parseViewRows('"Request ID","Request Attributes"\r\n', fp)).toEqual([]);
  });
});

describe('the verify gate checks every SAN entry', () => {
  const now = new Date();
  const ca = createRootCa({ commonName: 'Names Root', keyBits: 2048, notBefore: new Date(now.getTime() - 86_400_000), notAfter: new Date(now.getTime() + 86_400_000 * 30) });
  const leaf = (dnsNames: string[]) => describeCertificate(signLeafCertificate({ issuer: ca, publicKeyDer: parseRequest(makeSampleRequest('mine.contoso.local', { privateKey: key }).der).publicKeyDer, fqdn: 'mine.contoso.local', dnsNames, serialHex: '0A', notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + 86_400_000) }));
  const sanCheck = (dnsNames: string[], allowed?: string[]) => checkCertificate({ info: leaf(dnsNames), fqdn: 'mine.contoso.local', at: now, minKeyBits: 2048, ...(allowed ? { allowedDnsNames: allowed } : {}) }).find((c) => c.rule === 'CERT_SAN_NAMES')!;
  it('passes SAN = FQDN, and no SAN', () => {
    expect(sanCheck(['mine.contoso.local']).passed).toBe(true);
    expect(sanCheck([]).passed).toBe(true);
  });
  it('fails another host, a wildcard, and the short name unless it was approved', () => {
    const bad = sanCheck(['mine.contoso.local', 'ms01.contoso.local', '*.contoso.local']);
    expect(bad.passed).toBe(false);
    expect(bad.message).toContain('DNS:ms01.contoso.local, DNS:*.contoso.local');
    expect(sanCheck(['mine.contoso.local', 'mine']).passed).toBe(false);
    expect(sanCheck(['mine.contoso.local', 'mine'], ['mine.contoso.local', 'mine']).passed).toBe(true);
  });
});
