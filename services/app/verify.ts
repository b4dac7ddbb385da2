/**
 * `agentcert verify`: an issued certificate found on an agent, checked offline against the SCOM rules (the
 * checks of the community checkers, docs/scom-facts.md §4.1) and chained to the given or configured root.
 */
import { humanDate, humanDateAndRelative } from '../domain/index.js';
import { describeCertificate, readCertificateFile, reverseSerialHex, verifyChain, type ChainCheck } from '../pki/index.js';
import { checkCertificate, shortNameOf } from '../rules/index.js';
import { revocationChecks, type RevocationSources } from './verify-revocation.js';

export interface VerifyDocument {
  fqdn: string;
  serialNumber: string;
  serialNumberReversed: string;
  thumbprint: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  chain: { subject: string; thumbprint: string }[];
  passed: boolean;
  /** A store record or a given CRL says the certificate is revoked. */
  revoked: boolean;
  checks: ChainCheck[];
}

export interface VerifyInput {
  file: { name: string; bytes: Buffer };
  chainFiles: { name: string; bytes: Buffer }[];
  fqdn: string | null;
  /** The FQDN's short name may follow it in the SAN (rules/request-names.ts, allowShortNameAlias). */
  allowShortName?: boolean;
  /** The configured root (the built-in CA's), used when no self-signed certificate is given. */
  configuredRoots: Buffer[];
  minKeyBits: number;
  at: Date;
  /** Where to look the certificate up for revocation (absent: not checked). */
  revocation?: (serialNumber: string) => RevocationSources;
}

const selfSigned = (der: Buffer): boolean => {
  const c = describeCertificate(der);
  return c.subject === c.issuer && c.isCA === true;
};

/** The certificate a file is about: its first end-entity certificate (a .p7b also holds its chain). */
export function leafOf(file: { name: string; bytes: Buffer }): { der: Buffer; serialNumber: string; inFile: Buffer[] } {
  const inFile = readCertificateFile(file.bytes, file.name);
  const der = inFile.find((d) => describeCertificate(d).isCA !== true) ?? inFile[0]!;
  return { der, serialNumber: describeCertificate(der).serialNumber, inFile };
}

export function verifyCertificateFile(o: VerifyInput): VerifyDocument {
  // The rest of the file (a .p7b with its chain) helps build the path.
  const { der: leaf, inFile } = leafOf(o.file);
  const others = [...inFile.filter((d) => d !== leaf), ...o.chainFiles.flatMap((f) => readCertificateFile(f.bytes, f.name))];
  const givenRoots = others.filter(selfSigned);
  const roots = givenRoots.length ? givenRoots : o.configuredRoots;
  const info = describeCertificate(leaf);
  const report = roots.length
    ? verifyChain({ leafDer: leaf, intermediatesDer: others.filter((d) => !selfSigned(d)), trustedRootsDer: roots, at: o.at })
    : { ok: false, checks: [{ rule: 'root-trusted', passed: false, message: 'no root to chain to: pass the CA certificates with --chain (or run where the built-in CA lives)' }], chain: [info] };
  const fqdn = (o.fqdn ?? info.commonNames[0] ?? info.dnsNames[0] ?? '').toLowerCase();
  // Every SAN entry must be this host's (no other host's name, no wildcard): the names a request may be approved for.
  const allowedDnsNames = o.allowShortName ? [fqdn, shortNameOf(fqdn)] : [fqdn];
  const revocation = o.revocation ? revocationChecks(leaf, o.revocation(info.serialNumber), o.at) : [];
  const checks = [...checkCertificate({ info, fqdn: o.fqdn?.toLowerCase() ?? null, at: o.at, minKeyBits: o.minKeyBits, allowedDnsNames }), ...report.checks, ...revocation];
  return {
    fqdn,
    serialNumber: info.serialNumber,
    serialNumberReversed: reverseSerialHex(info.serialNumber),
    thumbprint: info.thumbprint,
    subject: info.subject,
    issuer: info.issuer,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    chain: report.chain.map((c) => ({ subject: c.subject, thumbprint: c.thumbprint })),
    passed: checks.every((c) => c.passed),
    revoked: revocation.some((c) => !c.passed && c.message.startsWith('REVOKED')),
    checks,
  };
}

export function renderVerify(d: VerifyDocument): string {
  return [
    `Certificate        : ${d.subject}`,
    `Issued by          : ${d.issuer}`,
    `Serial (Windows)   : ${d.serialNumber}`,
    `Serial (registry)  : ${d.serialNumberReversed}   (ChannelCertificateSerialNumber, byte-reversed)`,
    `Thumbprint         : ${d.thumbprint}`,
    `Valid              : ${humanDate(d.notBefore)} → ${humanDateAndRelative(d.notAfter)}`,
    `Chain              : ${d.chain.map((c) => c.subject).join('  ←  ')}`,
    '',
    ...d.checks.map((c) => `  [${c.passed ? 'PASS' : 'FAIL'}] ${c.rule}: ${c.message}`),
    '',
    d.revoked
      ? '*** This certificate is REVOKED: do not install it; make a new request ***'
      : d.passed ? '*** This certificate meets the SCOM requirements ***' : '*** This certificate does NOT meet the SCOM requirements ***',
  ].join('\n');
}
