/**
 * The names in a request — the subject CN and every subjectAltName entry — are policy input, and this file
 * decides which of them an agent certificate may carry (README "Names in a certificate").
 *
 * What an agent certificate carries: subject CN = the FQDN, and SAN = DNS names only, the FQDN first
 * (docs/scom-facts.md §1.1: SCOM and its community checkers compare the CN, and the first DNS SAN when there is
 * one, with the FQDN). A short-name alias (the FQDN's first label) may follow the FQDN only when the tenant sets
 * `allowShortNameAlias`. Never a wildcard, another host's name, an IP address, a UPN or other name, a URI or an
 * e-mail address: the certificate carries Client Authentication, and a UPN in a client certificate is what
 * Active Directory maps to a user account (https://learn.microsoft.com/en-us/troubleshoot/windows-server/windows-security/certificate-based-authentication-changes-windows-domain-controllers,
 * RFC 5280 §4.2.1.6: a SAN entry is an identity the certificate binds to the key).
 *
 * A name the policy does not allow is a finding: another host's name, a wildcard and non-DNS entries reject the
 * request; a short name the tenant does not allow is only dropped (the host's own name, harmless). With a CA
 * that issues at submit (`ca.adcs.issuesAtSubmit`) agentcert cannot change what the CA copies from the
 * request, so any requested SAN that differs from the plan rejects the request before it is submitted.
 */
import type { Finding } from '../domain/index.js';
import { hasScomEkus, SCOM_EKUS, type ParsedRequest } from '../pki/index.js';
import { nameMatches } from './identity.js';

export interface NameTenant {
  name: string;
  allowedNames: readonly string[];
  /** The FQDN's first label may follow it in the SAN (off unless the tenant sets it). */
  allowShortNameAlias?: boolean;
}

export interface NamePolicyInput {
  parsed: ParsedRequest;
  /** The FQDN the request is for (the file name, lower case). */
  fqdn: string;
  tenant: NameTenant;
  protectedNames: readonly string[];
  /** True when the CA copies the request's extensions unchanged (an AD CS CA that issues at submit). */
  caIssuesAsRequested: boolean;
}

/** The names the certificate will carry, and what happened to each requested SAN entry. */
export interface NamePlan {
  commonName: string;
  /** DNS SAN entries to issue, in order: the FQDN first. */
  dnsNames: string[];
  /** The request's SAN entries as parsed ("DNS:x", "IP:…", "UPN:…", …), in request order. */
  requested: string[];
  /** Requested entries the certificate will not carry, each with why. */
  dropped: { entry: string; why: string }[];
}

export const shortNameOf = (fqdn: string): string => fqdn.split('.')[0] ?? fqdn;

/** The INF lines that produce the names agentcert issues (certreq [Extensions] syntax, docs/scom-facts.md §5). */
export function sanInfFix(fqdn: string): string {
  return `remove the 2.5.29.17 line (and its _continue_ lines) from [Extensions] in the INF — agentcert writes SAN = ${fqdn} itself — or make it exactly: 2.5.29.17 = "{text}" and _continue_ = "dns=${fqdn}"; then run request-certificate.ps1 again`;
}

type Verdict = { kind: 'keep' } | { kind: 'drop'; why: string } | { kind: 'refuse'; rule: string; message: string };

function judgeEntry(entry: string, o: NamePolicyInput): Verdict {
  const colon = entry.indexOf(':');
  const type = entry.slice(0, colon);
  const value = entry.slice(colon + 1);
  if (type !== 'DNS') {
    return { kind: 'refuse', rule: 'REQ_SAN_TYPE', message: `the request asks for the ${type} name "${value}"; an agent certificate carries DNS names only (an ${type} entry names something agentcert cannot check belongs to ${o.fqdn})` };
  }
  const name = value.toLowerCase();
  if (name.includes('*')) return { kind: 'refuse', rule: 'REQ_SAN_WILDCARD', message: `the request asks for the wildcard "${value}"; each SCOM agent needs a certificate for its own FQDN only` };
  if (name === o.fqdn) return { kind: 'keep' };
  const isProtected = o.protectedNames.some((p) => nameMatches(p, name));
  if (name === shortNameOf(o.fqdn)) {
    if (isProtected) return { kind: 'refuse', rule: 'REQ_SAN_PROTECTED_NAME', message: `the short name "${value}" is a protected name (a management server or gateway)` };
    if (o.tenant.allowShortNameAlias) return { kind: 'keep' };
    return { kind: 'drop', why: `"${value}" is ${o.fqdn}'s short name, and tenant "${o.tenant.name}" does not allow short-name aliases (allowShortNameAlias)` };
  }
  if (isProtected) return { kind: 'refuse', rule: 'REQ_SAN_PROTECTED_NAME', message: `the request also names ${value}, a protected name (a management server or gateway); a certificate for ${o.fqdn} must not carry it` };
  if (!o.tenant.allowedNames.some((p) => nameMatches(p, name))) {
    return { kind: 'refuse', rule: 'REQ_SAN_TENANT_NAME', message: `the request also names ${value}, which tenant "${o.tenant.name}" may not request (allowed: ${o.tenant.allowedNames.join(', ')})` };
  }
  return { kind: 'refuse', rule: 'REQ_SAN_OTHER_HOST', message: `the request also names ${value}, another host; a certificate for ${o.fqdn} carries ${o.fqdn} only` };
}

/** The names to issue: CN = FQDN, SAN = FQDN first, then the short name when requested and allowed. */
export function planNames(o: NamePolicyInput): NamePlan {
  const requested = o.parsed.requestedExtensions.subjectAltName;
  const dnsNames = [o.fqdn];
  const dropped: NamePlan['dropped'] = [];
  for (const entry of requested) {
    const v = judgeEntry(entry, o);
    const name = entry.slice(entry.indexOf(':') + 1).toLowerCase();
    if (v.kind === 'keep') {
      if (!dnsNames.includes(name)) dnsNames.push(name);
    } else {
      dropped.push({ entry, why: v.kind === 'drop' ? v.why : v.message });
    }
  }
  return { commonName: o.fqdn, dnsNames, requested, dropped };
}

const sameNames = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x.toLowerCase() === b[i]!.toLowerCase());

/** Every name rule: the subject CN, each SAN entry, and what a CA that issues at submit would copy. */
export function checkRequestNames(o: NamePolicyInput): Finding[] {
  const out: Finding[] = [];
  const fix = sanInfFix(o.fqdn);
  if (o.parsed.commonNames.length === 0) {
    out.push({ rule: 'REQ_SUBJECT_CN', severity: 'error', message: `the subject has no CN; SCOM reads the agent's name from the subject CN (an AD CS CA copies the subject from the request)`, found: o.parsed.subject || '(empty subject)', required: `CN=${o.fqdn}`, remediation: `set Subject = "CN=${o.fqdn}" in [NewRequest] of the INF` });
  }
  const requested = o.parsed.requestedExtensions.subjectAltName;
  for (const entry of requested) {
    const v = judgeEntry(entry, o);
    if (v.kind === 'refuse') out.push({ rule: v.rule, severity: 'error', message: v.message, found: entry, required: `DNS:${o.fqdn}${o.tenant.allowShortNameAlias ? ` (and DNS:${shortNameOf(o.fqdn)})` : ''}`, remediation: fix });
  }
  if (o.caIssuesAsRequested && !hasScomEkus(o.parsed.requestedExtensions.extendedKeyUsage)) {
    // The same reason for EKUs (docs/scom-facts.md §8.1): a CA that issues at submit copies no EKU it was not asked for.
    out.push({ rule: 'REQ_EKU_AT_SUBMIT', severity: 'error', message: 'the CA issues at submit and adds no EKU the request lacks: the certificate would lack Server and/or Client Authentication (event 20050); the request was not submitted', found: o.parsed.requestedExtensions.extendedKeyUsage.join(', ') || 'no EKU', required: SCOM_EKUS.join(' and '), remediation: 'add [EnhancedKeyUsageExtension] with OID=1.3.6.1.5.5.7.3.1 and OID=1.3.6.1.5.5.7.3.2 to the INF (the templates in tools/ have it) and run request-certificate.ps1 again' });
  }
  if (out.some((f) => f.rule.startsWith('REQ_SAN_'))) return out;
  const plan = planNames(o);
  const requestedDns = requested.map((e) => e.slice(e.indexOf(':') + 1));
  if (requested.length > 0 && !sameNames(requestedDns, plan.dnsNames)) {
    const what = plan.dropped.length ? `drops ${plan.dropped.map((d) => `${d.entry} (${d.why})`).join('; ')}` : `puts ${o.fqdn} first`;
    if (o.caIssuesAsRequested) {
      out.push({ rule: 'REQ_SAN_AT_SUBMIT', severity: 'error', message: `the CA issues at submit and copies the requested SAN (${requested.join(', ')}) unchanged, and agentcert cannot amend it: the certificate would not carry SAN = ${plan.dnsNames.join(', ')}; the request was not submitted`, found: requested.join(', '), required: plan.dnsNames.map((n) => `DNS:${n}`).join(', '), remediation: `${fix}; or (PKI admins) keep the CA's pending disposition and set ca.adcs.issuesAtSubmit: false, so agentcert sets the names before issuing` });
    } else {
      out.push({ rule: 'REQ_SAN_ADJUSTED', severity: 'warning', message: `the certificate will carry SAN = ${plan.dnsNames.join(', ')} instead of the requested ${requestedDns.join(', ')}: agentcert ${what}`, found: requested.join(', '), required: plan.dnsNames.map((n) => `DNS:${n}`).join(', '), remediation: `nothing to do for this request; to ask for what is issued: ${fix}` });
    }
  }
  return out;
}
