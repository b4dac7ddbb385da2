/**
 * Renders the per-package installer. The script reads everything from manifest.json; the only rendered part is
 * one block of single-quoted literals (through quotePowerShell, nothing else) that pins the values the script
 * cross-checks the manifest against, so a manifest edited after publishing is refused, and the name and arguments
 * of the renewal task it registers (renewal.ts).
 */
import type { Manifest } from './manifest.js';
import { agentMsiPropertyString } from './agent-install.js';
import { quotePowerShell } from './powershell-quote.js';
import { RENEWAL_TASK_ARGUMENTS, renewalTaskName } from './renewal.js';
import { AgentcertError } from '../domain/index.js';

const BEGIN = '#region rendered';
const END = '#endregion rendered';

function q(value: string | null): string {
  return value === null ? '$null' : quotePowerShell(value);
}

/**
 * The management group values the installer acts on (README "Management group"): the group, the assigned
 * primary and its port, whether to install the agent, where the MSI is. `$null` when the manifest has none.
 */
function managementGroupLines(m: Manifest): string[] {
  const mg = m.managementGroup;
  if (!mg) return ['    ManagementGroup = $null'];
  return [
    '    ManagementGroup = @{',
    `        Name = ${q(mg.name)}`,
    `        PrimaryServer = ${q(mg.primary?.fqdn ?? null)}`,
    `        PrimaryPort = ${q(mg.primary ? String(mg.primary.port) : null)}`,
    `        FailoverServers = ${q(mg.failovers.map((f) => f.fqdn).join(','))}`,
    `        InstallAgent = ${q(mg.installAgent ? 'true' : 'false')}`,
    `        AgentMsiPath = ${q(mg.agentMsi.path)}`,
    `        AgentMsiSharePath = ${q(mg.agentMsi.sharePath)}`,
    `        MsiProperties = ${q(mg.primary ? agentMsiPropertyString(mg) : null)}`,
    '    }',
  ];
}

export function renderPackageBlock(m: Manifest): string {
  const chain = m.chain.map(
    (c) => `        @{ File = ${q(c.file)}; Store = ${q(c.store)}; Thumbprint = ${q(c.thumbprint)}; Subject = ${q(c.subject)} }`,
  );
  return [
    `${BEGIN} by agentcert: the values of this package (manifest.json must agree with them)`,
    '$Package = @{',
    `    Fqdn = ${q(m.fqdn)}`,
    `    Role = ${q(m.role)}`,
    `    CertificateFile = ${q(m.certificate.file)}`,
    `    Subject = ${q(m.certificate.subject)}`,
    `    Thumbprint = ${q(m.certificate.thumbprint)}`,
    `    SerialNumber = ${q(m.certificate.serialNumber)}`,
    `    SerialNumberReversed = ${q(m.certificate.serialNumberReversed)}`,
    `    ResultsPath = ${q(m.resultsPath)}`,
    `    RenewalTaskName = ${q(renewalTaskName(m.fqdn))}`,
    `    RenewalTaskArguments = ${q(RENEWAL_TASK_ARGUMENTS)}`,
    '    Chain = @(',
    ...chain,
    '    )',
    ...managementGroupLines(m),
    '}',
    END,
  ].join('\r\n');
}

/** Replace the `#region rendered` … `#endregion rendered` block of the installer template. */
export function renderInstallScript(template: string, m: Manifest): string {
  const { head, tail } = templateParts(template);
  return head + toCrlf(renderPackageBlock(m)) + tail;
}

/**
 * The installer script as written (UTF-8 with BOM, CRLF) in three pieces: the template before the rendered
 * block, the block, the template after it. The first and last are the same Buffers for every package, so the zip
 * deflates them once (zip.ts); joined they are withUtf8Bom(renderInstallScript(template, m)).
 */
export function renderInstallScriptParts(template: string, m: Manifest): Buffer[] {
  const parts = templateParts(template);
  parts.bytes ??= { head: withUtf8Bom(parts.head), tail: Buffer.from(parts.tail, 'utf8') };
  return [parts.bytes.head, Buffer.from(toCrlf(renderPackageBlock(m)), 'utf8'), parts.bytes.tail];
}

/**
 * The template around the rendered block, converted to CRLF once per template text: converting the whole 42 KB
 * script again for every package was a visible share of a package's CPU (bulk bench).
 */
interface TemplateParts {
  head: string;
  tail: string;
  bytes?: { head: Buffer; tail: Buffer };
}
const partsCache = new Map<string, TemplateParts>();
function templateParts(template: string): TemplateParts {
  let parts = partsCache.get(template);
  if (!parts) {
    const start = template.indexOf(BEGIN);
    const end = template.indexOf(END, start);
    if (start < 0 || end < 0) throw new AgentcertError('AC_INTERNAL', 'install-certificate.ps1 has no "#region rendered" block');
    parts = { head: toCrlf(template.slice(0, start)), tail: toCrlf(template.slice(end + END.length)) };
    if (partsCache.size >= 8) partsCache.clear();
    partsCache.set(template, parts);
  }
  return parts;
}

/** Windows PowerShell 5.1 and cmd.exe read CRLF files best; a UTF-8 BOM makes 5.1 read non-ASCII literals right. */
export function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

export function withUtf8Bom(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text.replace(/^\uFEFF/, ''), 'utf8')]);
}
