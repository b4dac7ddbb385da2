/**
 * The text a server owner finds in rejected/<FQDN>.txt and pending/<FQDN>.txt: each finding, what was found,
 * what is required, and the exact fix. Plain text with CRLF line ends, since it is read in Notepad.
 */
import type { Finding } from '../domain/index.js';

export function renderRejection(o: { fqdn: string; sourceName: string; requestId: string; findings: Finding[]; at: string }): string {
  const errors = o.findings.filter((f) => f.severity === 'error');
  const lines = [
    `agentcert could not issue a certificate for ${o.fqdn}`,
    '',
    `Request file : ${o.sourceName}`,
    `Request id   : ${o.requestId}`,
    `Checked at   : ${o.at}`,
    '',
    `The request was rejected for ${errors.length} reason(s). Fix each one, create a new request and drop it on the share again.`,
    '',
  ];
  errors.forEach((f, i) => lines.push(...renderFinding(f, i + 1)));
  const notes = o.findings.filter((f) => f.severity !== 'error');
  if (notes.length) {
    lines.push('Also noted (not a reason for rejection):', '');
    notes.forEach((f, i) => lines.push(...renderFinding(f, i + 1)));
  }
  return lines.join('\r\n') + '\r\n';
}

export function renderPending(o: { fqdn: string; sourceName: string; requestId: string; findings: Finding[]; at: string }): string {
  const holds = o.findings.filter((f) => f.holds);
  const lines = [
    `The request for ${o.fqdn} waits for an administrator's approval`,
    '',
    `Request file : ${o.sourceName}`,
    `Request id   : ${o.requestId}`,
    `Received at  : ${o.at}`,
    '',
    'Why:',
    ...holds.map((f) => `  - ${f.message}`),
    '',
    'What happens next: an administrator approves or denies it (agentcert approve / deny, or the dashboard).',
    `When approved, the package appears in issued\\${o.fqdn}\\ and this file goes away; when denied, the reason appears in rejected\\${o.fqdn}.txt.`,
    'You do not need to drop the request again.',
  ];
  return lines.join('\r\n') + '\r\n';
}

function renderFinding(f: Finding, n: number): string[] {
  const out = [`${n}. [${f.rule}] ${f.message}`];
  if (f.found) out.push(`   Found    : ${f.found}`);
  if (f.required) out.push(`   Required : ${f.required}`);
  out.push(`   Fix      : ${f.remediation}`, '');
  return out;
}
