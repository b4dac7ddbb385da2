/**
 * manifest.json: what the installer checks and installs (CONTRACT.md "Delivery package").
 */
import type { AgentRole } from '../domain/index.js';
import { describeForPackage, sanitizeName } from './certificate-facts.js';

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
  certificate: {
    file: string;
    serialNumber: string;
    serialNumberReversed: string;
    thumbprint: string;
    sha256: string;
    notBefore: string;
    notAfter: string;
    subject: string;
    issuer: string;
  };
  chain: ManifestChainEntry[];
  /** Every payload file the installer verifies (not manifest.json itself, nor the .zip/.exe that wrap it). */
  files: { name: string; sha256: string }[];
  requestFingerprint: string;
  requestId: string;
  issuedAt: string;
  issuer: string;
  resultsPath: string | null;
}

export interface ManifestInput {
  fqdn: string;
  role: AgentRole;
  certificateDer: Buffer;
  chain: { der: Buffer; store: 'Root' | 'CA' }[];
  files: { name: string; sha256: string }[];
  requestFingerprint: string;
  requestId: string;
  issuedAt: string;
  issuer: string;
  resultsPath: string | null;
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
    certificate: {
      file: certificateFileName(input.fqdn),
      serialNumber: cert.serialNumber,
      serialNumberReversed: cert.serialNumberReversed,
      thumbprint: cert.thumbprint,
      sha256: cert.sha256,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      subject: cert.subject,
      issuer: cert.issuer,
    },
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
  };
}
