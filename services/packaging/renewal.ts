/**
 * The agent side of renewal, as far as it is decided at publish time: the renewal INF of this package
 * (inf-templates/renewal.inf with this certificate's thumbprint as `RenewalCert`), and the name and command line
 * of the scheduled task install-certificate.ps1 registers to run renew-certificate.ps1.
 */
import { describeForPackage } from './certificate-facts.js';
import { AgentcertError } from '../domain/index.js';

/** Files the package carries for the renewal task; the installer copies them to %ProgramData%\agentcert\<FQDN>\. */
export const RENEW_SCRIPT = 'renew-certificate.ps1';
export const RENEWAL_INF = 'renewal.inf';

/** Placeholder in {@link RENEWAL_TASK_ARGUMENTS} for the full path of the installed renew-certificate.ps1. */
export const SCRIPT_PLACEHOLDER = '{{SCRIPT}}';

/**
 * The task's arguments to powershell.exe. The script path is put in double quotes: powershell.exe splits its
 * command line like CommandLineToArgvW, a Windows path cannot contain `"`, and this one ends in `.ps1`, never in a
 * backslash, so the quotes are the only escaping needed (a path with spaces stays one argument).
 */
export const RENEWAL_TASK_ARGUMENTS = `-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "${SCRIPT_PLACEHOLDER}"`;

export function renewalTaskName(fqdn: string): string {
  return `agentcert renewal ${fqdn}`;
}

/** The RSA key length of the certificate being renewed, at least 2048 (docs/scom-facts.md §1.1 "Key length"). */
export function renewalKeyLength(certificateDer: Buffer): number {
  const bits = describeForPackage(certificateDer).keyBits ?? 2048;
  return bits >= 4096 ? 4096 : bits >= 3072 ? 3072 : 2048;
}

/**
 * Fill in inf-templates/renewal.inf for this certificate. The result is ASCII with CRLF line ends: certreq reads an
 * INF as ANSI or UTF-16, so anything else is refused rather than written.
 */
export function renderRenewalInf(template: string, v: { fqdn: string; thumbprint: string; keyLength: number }): string {
  if (!/^[0-9A-F]{40}$/.test(v.thumbprint)) throw new AgentcertError('AC_INTERNAL', `not an upper-case SHA-1 thumbprint: ${JSON.stringify(v.thumbprint)}`);
  if (!/^[a-z0-9.-]+$/.test(v.fqdn)) throw new AgentcertError('AC_INTERNAL', `not a DNS name: ${JSON.stringify(v.fqdn)}`);
  for (const key of ['{{FQDN}}', '{{KEY_LENGTH}}', '{{EXPORTABLE}}', '{{RENEWAL_CERT}}']) {
    if (!template.includes(key)) throw new AgentcertError('AC_INTERNAL', `renewal.inf has no ${key}`);
  }
  const inf = template
    .replaceAll('{{FQDN}}', v.fqdn)
    .replaceAll('{{KEY_LENGTH}}', String(v.keyLength))
    // The new key stays in this machine's key set, as the first one did (the task never moves keys).
    .replaceAll('{{EXPORTABLE}}', 'FALSE')
    .replaceAll('{{RENEWAL_CERT}}', v.thumbprint)
    .replace(/\r?\n/g, '\r\n');
  if (/\{\{[A-Z_]+\}\}/.test(inf)) throw new AgentcertError('AC_INTERNAL', 'renewal.inf has a placeholder that is not filled in');
  if (/[^\x09\x0a\x0d\x20-\x7e]/.test(inf)) throw new AgentcertError('AC_INTERNAL', 'renewal.inf must be ASCII (certreq reads INF files as ANSI)');
  return inf;
}
