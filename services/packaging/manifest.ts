/**
 * manifest.json: what the installer checks and installs (docs/contract.md "Delivery package").
 */
import type { AgentRole } from '../domain/index.js';
import { describeForPackage, sanitizeName, type CertificateFacts } from './certificate-facts.js';
import { AgentcertError } from '../domain/index.js';

export const MANIFEST_SCHEMA_VERSION = 1;

export interface ManifestChainEntry {
  file: string;
  store: 'Root' | 'CA';
  thumbprint: string;
  subject: string;
}

export interface Manifest {
  schemaVersion: number;
  fqdn: string;
  role: AgentRole;
  /** The certificate's facts as the installer needs them (certificate-facts.ts), and its file name. */
  certificate: Omit<CertificateFacts, 'commonName' | 'keyBits'> & { file: string };
  chain: ManifestChainEntry[];
  /** Every payload file the installer verifies (not manifest.json itself, nor the .zip/.exe that wrap it). */
  files: { name: string; sha256: string }[];
  requestFingerprint: string;
  requestId: string;
  issuedAt: string;
  issuer: string;
  resultsPath: string | null;
  /** What the renewal task (renew-certificate.ps1) needs; null fields: not configured on the service. */
  renewal: ManifestRenewal;
  /** The management group the agent joins and its assigned servers; null: none configured (README "Management group"). */
  managementGroup: ManifestManagementGroup | null;
}

export interface ManifestServer {
  fqdn: string;
  port: number;
}

export interface ManifestManagementGroup {
  name: string;
  /** The agent's assigned primary management server or gateway; null in a server's own package. */
  primary: ManifestServer | null;
  /** Its failovers in order (set in the management group by the balancing script, not by the agent). */
  failovers: ManifestServer[];
  /** The installer installs the agent when none is there, as with -InstallAgent; always false for servers. */
  installAgent: boolean;
  /** Where the installer looks for MOMAgent.msi: a path as configured, then the share's copy (UNC), or null. */
  agentMsi: { path: string | null; sharePath: string | null };
}

export interface ManifestRenewal {
  /** When the agent should ask for a new certificate (ISO 8601, UTC); null: the task uses 2/3 of the lifetime. */
  dueAt: string | null;
  /** UNC path of the share's requests\ folder (`\\fs01\agentcert\requests`), or null. */
  requestsPath: string | null;
  /** UNC path of this FQDN's package folder (`\\fs01\agentcert\issued\<fqdn>`), or null. */
  issuedPath: string | null;
}

/** What the manifest takes from its input as it is; the certificate, chain and renewal are derived. */
export interface ManifestInput extends Pick<Manifest, 'fqdn' | 'role' | 'files' | 'requestFingerprint' | 'requestId' | 'issuedAt' | 'issuer' | 'resultsPath'> {
  certificateDer: Buffer;
  chain: { der: Buffer; store: 'Root' | 'CA' }[];
  /** When renewal is due (the service computes it from notAfter); omitted or null: not set. */
  renewalDueAt?: string | null;
  /** How agents reach the share root (`\\fs01\agentcert`); omitted or null: renewal paths are null. */
  shareUncPath?: string | null;
  /** The management group block; omitted or null: none. */
  managementGroup?: ManifestManagementGroup | null;
}

export function certificateFileName(fqdn: string): string {
  return `${fqdn}.cer`;
}

/** `root-<name>.cer` / `ca-<name>.cer` per chain entry (name = sanitized CN), unique within the package. */
export function chainFileNames(chain: { der: Buffer; store: 'Root' | 'CA' }[]): string[] {
  const used = new Set<string>();
  return chain.map(({ der, store }) => {
    const facts = describeForPackage(der);
    const base = `${store === 'Root' ? 'root' : 'ca'}-${sanitizeName(facts.commonName ?? facts.subject)}`;
    let name = `${base}.cer`;
    for (let i = 2; used.has(name.toLowerCase()); i += 1) name = `${base}-${i}.cer`;
    used.add(name.toLowerCase());
    return name;
  });
}

export function buildManifest(input: ManifestInput): Manifest {
  const cert = describeForPackage(input.certificateDer);
  const names = chainFileNames(input.chain);
  return {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    fqdn: input.fqdn,
    role: input.role,
    certificate: (({ commonName: _cn, keyBits: _bits, ...facts }) => ({ file: certificateFileName(input.fqdn), ...facts }))(cert),
    chain: input.chain.map(({ der, store }, i) => {
      const f = describeForPackage(der);
      return { file: names[i]!, store, thumbprint: f.thumbprint, subject: f.subject };
    }),
    files: input.files.map((f) => ({ name: f.name, sha256: f.sha256 })),
    requestFingerprint: input.requestFingerprint,
    requestId: input.requestId,
    issuedAt: input.issuedAt,
    issuer: input.issuer,
    resultsPath: input.resultsPath,
    renewal: {
      dueAt: normalizeDueAt(input.renewalDueAt ?? null),
      ...renewalSharePaths(input.shareUncPath ?? null, input.fqdn),
    },
    managementGroup: input.managementGroup ?? null,
  };
}

function normalizeDueAt(dueAt: string | null): string | null {
  if (dueAt === null) return null;
  const t = Date.parse(dueAt);
  if (Number.isNaN(t)) throw new AgentcertError('AC_INTERNAL', `renewalDueAt is not a date: ${JSON.stringify(dueAt)}`);
  return new Date(t).toISOString();
}

/**
 * `\\fs01\agentcert` -> `\\fs01\agentcert\requests` and `\\fs01\agentcert\issued\<fqdn>` (Windows separators, no
 * trailing one); null when the share's UNC path is not configured.
 */
export function renewalSharePaths(shareUncPath: string | null, fqdn: string): { requestsPath: string | null; issuedPath: string | null } {
  const root = (shareUncPath ?? '').trim().replace(/\//g, '\\').replace(/\\+$/, '');
  if (root === '') return { requestsPath: null, issuedPath: null };
  return { requestsPath: `${root}\\requests`, issuedPath: `${root}\\issued\\${fqdn}` };
}
