/**
 * `agentcert verify`: an issued certificate found on an agent, checked offline against the SCOM rules (the
 * checks of the community checkers, docs/scom-facts.md §4.1) and chained to the given or configured root.
 */
import { humanDate, humanDateAndRelative } from '../domain/index.js';
import { describeCertificate, readCertificateFile, reverseSerialHex, verifyChain, type ChainCheck } from '../pki/index.js';
import { checkCertificate } from '../rules/index.js';

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
  checks: ChainCheck[];
}

export interface VerifyInput {
  file: { name: string; bytes: Buffer };
  chainFiles: { name: string; bytes: Buffer }[];
  fqdn: string | null;
  /** The configured root (the built-in CA's), used when no self-signed certificate is given. */
  configuredRoots: Buffer[];
  minKeyBits: number;
  at: Date;
}

const selfSigned = (der: Buffer): boolean => {
  const c = describeCertificate(der);
  return c.subject === c.issuer && c.isCA === true;
};

export function verifyCertificateFile(o: VerifyInput): VerifyDocument {
  const inFile = readCertificateFile(o.file.bytes, o.file.name);
  // The leaf is the first end-entity certificate; the rest of the file (a .p7b with its chain) helps build the path.
  const leaf = inFile.find((d) => describeCertificate(d).isCA !== true) ?? inFile[0]!;
  const others = [...inFile.filter((d) => d !== leaf), ...o.chainFiles.flatMap((f) => readCertificateFile(f.bytes, f.name))];
  const givenRoots = others.filter(selfSigned);
  const roots = givenRoots.length ? givenRoots : o.configuredRoots;
  const info = describeCertificate(leaf);
  const report = roots.length
    ? verifyChain({ leafDer: leaf, intermediatesDer: others.filter((d) => !selfSigned(d)), trustedRootsDer: roots, at: o.at })
    : { ok: false, checks: [{ rule: 'root-trusted', passed: false, message: 'no root to chain to: pass the CA certificates with --chain (or run where the built-in CA lives)' }], chain: [info] };
  const checks = [...checkCertificate({ info, fqdn: o.fqdn?.toLowerCase() ?? null, at: o.at, minKeyBits: o.minKeyBits }), ...report.checks];
  return {
    fqdn: (o.fqdn ?? info.commonNames[0] ?? info.dnsNames[0] ?? '').toLowerCase(),
    serialNumber: info.serialNumber,
    serialNumberReversed: reverseSerialHex(info.serialNumber),
    thumbprint: info.thumbprint,
    subject: info.subject,
    issuer: info.issuer,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    chain: report.chain.map((c) => ({ subject: c.subject, thumbprint: c.thumbprint })),
    passed: checks.every((c) => c.passed),
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
    d.passed ? '*** This certificate meets the SCOM requirements ***' : '*** This certificate does NOT meet the SCOM requirements ***',
  ].join('\n');
}
