/**
 * A certificate the CA signed and the verify gate refused: the findings (each failed check with the fix on the CA
 * and in the INF) and the text the server owner finds in rejected/<FQDN>.txt — what the CA issued, why it was
 * refused, whether it was revoked, and what to do. Plain text with CRLF line ends (read in Notepad).
 */
import type { Finding } from '../domain/index.js';
import type { ChainCheck } from '../pki/index.js';
import { sanInfFix } from './request-names.js';

const PENDING_CA_FIX = 'on the CA (PKI admins): keep the stand-alone policy module pending (certutil -setreg policy\\RequestDisposition 0x100, then net stop certsvc && net start certsvc), so agentcert sets the names and EKUs before issuing; or set ca.adcs.issuesAtSubmit: true, so agentcert refuses such requests before submitting them';

function remediationFor(rule: string, fqdn: string): string {
  switch (rule) {
    case 'CERT_SAN_FIRST_DNS':
    case 'CERT_SAN_NAMES':
      return `${PENDING_CA_FIX}. In the INF: ${sanInfFix(fqdn)}`;
    case 'CERT_SUBJECT_CN':
      return `in the INF: set Subject = "CN=${fqdn}" (one CN) and run request-certificate.ps1 again`;
    case 'CERT_EKU':
      return `${PENDING_CA_FIX}. In the INF: add [EnhancedKeyUsageExtension] with OID=1.3.6.1.5.5.7.3.1 and OID=1.3.6.1.5.5.7.3.2 (the templates in tools/ have it)`;
    case 'CERT_KEY_USAGE':
      return 'in the INF: KeyUsage = 0xa0; on the CA: do not strip the requested key usage';
    case 'CERT_KEY_MATCHES_REQUEST':
      return 'the CA returned a certificate for another key: check the CA request id in the event history with the PKI admins';
    default:
      return 'check the CA (its certificate, chain, clock and policy module) with the PKI admins, then drop the request again';
  }
}

/** One error finding per failed check of the verify gate. */
export function gateFindings(checks: readonly ChainCheck[], fqdn: string): Finding[] {
  return checks.filter((c) => !c.passed).map((c) => ({
    rule: c.rule,
    severity: 'error' as const,
    message: `the certificate the CA issued fails ${c.rule}: ${c.message}`,
    remediation: remediationFor(c.rule, fqdn),
  }));
}

export interface RefusalText {
  fqdn: string;
  sourceName: string;
  requestId: string;
  at: string;
  certificate: { serialNumber: string; subject: string; subjectAltName: string[]; issuer: string; notAfter: string };
  findings: Finding[];
  /** Revoked at the CA, or the command an administrator must run. */
  revocation: { revoked: true; message: string } | { revoked: false; command: string; message: string };
}

export function renderRefusal(o: RefusalText): string {
  const c = o.certificate;
  const lines = [
    `agentcert refused the certificate the CA issued for ${o.fqdn}`,
    '',
    `Request file : ${o.sourceName}`,
    `Request id   : ${o.requestId}`,
    `Refused at   : ${o.at}`,
    '',
    'What the CA issued:',
    `   Serial   : ${c.serialNumber}`,
    `   Subject  : ${c.subject || '(empty)'}`,
    `   SAN      : ${c.subjectAltName.join(', ') || '(none)'}`,
    `   Issuer   : ${c.issuer}`,
    `   Valid to : ${c.notAfter}`,
    '',
    `Why it was refused (${o.findings.length} check(s) failed):`,
    '',
  ];
  o.findings.forEach((f, i) => lines.push(`${i + 1}. [${f.rule}] ${f.message}`, `   Fix      : ${f.remediation}`, ''));
  if (o.revocation.revoked) {
    lines.push(`Revocation: the certificate was revoked (${o.revocation.message}). It was never packaged; do not use it.`);
  } else {
    lines.push(`Revocation: the certificate is NOT revoked yet (${o.revocation.message}).`, `An administrator must run: ${o.revocation.command}`);
  }
  lines.push('', 'What to do: once the fixes above are made, create a new request and drop it on the share again.');
  return lines.join('\r\n') + '\r\n';
}
