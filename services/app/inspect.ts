/**
 * `agentcert inspect`: everything in one request file plus the policy verdict (docs/contract.md's inspect --json
 * document). The verdict is the pipeline's (rules/assess.ts): with the store at hand, with the same facts about
 * other keys and renewal signers; without one, as for a name that holds nothing yet.
 */
import path from 'node:path';
import type { Config } from '../config/index.js';
import type { PolicyVerdict, Store } from '../domain/index.js';
import { fqdnFromFileName } from '../intake/index.js';
import { effectiveProtectedNames, requestFacts } from '../lifecycle/index.js';
import { parseRequest, type ParsedRequest } from '../pki/index.js';
import { caIssuesAsRequested } from '../ca/index.js';
import { assess, planNames, REQUEST_RULES, type NamePlan } from '../rules/index.js';

export interface InspectDocument {
  file: string;
  format: ParsedRequest['format'];
  subject: string;
  commonNames: string[];
  dnsNames: string[];
  fqdn: string | null;
  key: ParsedRequest['key'];
  signatureAlgorithm: string;
  signatureValid: boolean;
  microsoft: ParsedRequest['microsoft'];
  requestedExtensions: ParsedRequest['requestedExtensions'];
  attributes: ParsedRequest['attributes'];
  unknownAttributes: string[];
  fingerprint: string;
  /** The names the certificate would carry (both backends), and the requested SAN entries it would not. */
  names: NamePlan;
  verdict: PolicyVerdict;
}

export async function inspectRequest(bytes: Buffer, o: { fileName: string; fqdn?: string; config: Readonly<Config>; store: Store | null; now: Date }): Promise<InspectDocument> {
  const parsed = parseRequest(bytes);
  const fqdn = (o.fqdn ?? fqdnFromFileName(path.basename(o.fileName)) ?? parsed.fqdn ?? '').toLowerCase();
  const facts = o.store
    ? await requestFacts(o.store, (r) => parseRequest(r.originalBytes), parsed, fqdn, o.now, null)
    : { hasActiveCertificateWithOtherKey: false, renewal: { isRenewal: false, renewalOf: null, finding: null } };
  const caCopies = caIssuesAsRequested(o.config.ca);
  const { outcome, findings } = assess({ parsed, fqdn, minKeyBits: o.config.policy.minKeyBits, tenant: o.config.policy.defaultTenant, protectedNames: effectiveProtectedNames(o.config), caIssuesAsRequested: caCopies, ...facts });
  return {
    file: o.fileName,
    format: parsed.format,
    subject: parsed.subject,
    commonNames: parsed.commonNames,
    dnsNames: parsed.dnsNames,
    fqdn: fqdn || null,
    key: parsed.key,
    signatureAlgorithm: parsed.signatureAlgorithm,
    signatureValid: parsed.signatureValid,
    microsoft: parsed.microsoft,
    requestedExtensions: parsed.requestedExtensions,
    attributes: parsed.attributes,
    unknownAttributes: parsed.unknownAttributes,
    fingerprint: parsed.fingerprint,
    names: planNames({ parsed, fqdn, tenant: o.config.policy.defaultTenant, protectedNames: effectiveProtectedNames(o.config), caIssuesAsRequested: caCopies }),
    verdict: { outcome, findings },
  };
}

const MARK = { error: 'FAIL', warning: 'WARN', info: 'INFO' } as const;

export function renderInspect(d: InspectDocument): string {
  const m = d.microsoft;
  const lines = [
    `Request       : ${d.file} (${d.format})`,
    `Subject       : ${d.subject || '(empty)'}`,
    `DNS names     : ${d.dnsNames.join(', ') || '(none)'}`,
    `SAN requested : ${d.requestedExtensions.subjectAltName.join(', ') || '(none)'}`,
    `Would issue   : ${d.verdict.outcome === 'reject' ? '(nothing: rejected)' : `CN=${d.names.commonName}, SAN ${d.names.dnsNames.map((n) => `DNS:${n}`).join(', ')}${d.names.dropped.length ? ` (dropped: ${d.names.dropped.map((x) => x.entry).join(', ')})` : ''}`}`,
    `For FQDN      : ${d.fqdn ?? '(none)'}`,
    `Key           : ${d.key.algorithm}${d.key.bits ? `-${d.key.bits}` : ''}${d.key.curve ? ` ${d.key.curve}` : ''}`,
    `Signature     : ${d.signatureAlgorithm}, ${d.signatureValid ? 'valid' : 'INVALID'}`,
    `Provider      : ${m.csp ? `${m.csp.provider} (KeySpec ${m.csp.keySpec})` : '(no CSP attribute)'}`,
    `OS version    : ${m.osVersion ?? '(none)'}`,
    `Made by       : ${m.client ? `${m.client.process} as ${m.client.user} on ${m.client.machine} (client id ${m.client.id})` : '(no client info)'}`,
    `Key usage     : ${d.requestedExtensions.keyUsage.join(', ') || '(none requested)'}`,
    `EKU           : ${d.requestedExtensions.extendedKeyUsage.join(', ') || '(none requested)'}`,
    `Fingerprint   : ${d.fingerprint}`,
    '',
    'Checks:',
    // A checklist in the manner of the community checkers: every rule, passed or not (docs/scom-facts.md §4).
    ...REQUEST_RULES.filter((r) => !d.verdict.findings.some((f) => f.rule === r.id)).map((r) => `  [PASS] ${r.id}: ${r.fact}`),
    ...d.verdict.findings.map((f) => `  [${f.holds ? 'HOLD' : MARK[f.severity]}] ${f.rule}: ${f.message}\n         fix: ${f.remediation}`),
    '',
    `Verdict: ${d.verdict.outcome.toUpperCase()}`,
  ];
  return lines.join('\n');
}
