/**
 * The CA chain as certutil exports it: `-ca.chain <file>` writes a PKCS#7 (RFC 2315 SignedData with the
 * certificates and no signers), `-ca.cert <file>` one certificate; either may be DER or Base64/PEM
 * (vectors/certutil-ca-cert.txt shows the PEM form on the console).
 */
import { certificatesFromPkcs7, describeCertificate, pemBlocksToDer } from '../../pki/index.js';
import { AgentcertError } from '../../domain/index.js';

export { certificatesFromPkcs7 };

/** DER from a file certutil wrote: raw DER, or Base64 with or without PEM armour. */
export function fileBytesToDer(bytes: Buffer): Buffer[] {
  if (bytes[0] === 0x30) return [bytes];
  const text = bytes.toString('latin1');
  const blocks = pemBlocksToDer(text);
  if (blocks.length > 0) return blocks.map((b) => b.der);
  const b64 = text.replace(/\s+/g, '');
  if (/^[A-Za-z0-9+/]+=*$/.test(b64)) return [Buffer.from(b64, 'base64')];
  throw new AgentcertError('AC_CA_OUTPUT_UNKNOWN', 'neither DER nor Base64');
}

/** Certificates from a -ca.chain or -ca.cert output file, whatever the format. */
export function readCaFile(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (const der of fileBytesToDer(bytes)) {
    // A PKCS#7 ContentInfo (-ca.chain) holds the chain; anything else is one certificate (-ca.cert).
    let certs: Buffer[];
    try {
      certs = certificatesFromPkcs7(der);
    } catch {
      certs = [der];
    }
    out.push(...certs);
  }
  return out;
}

/** Issuing CA first, root last (domain/ports.ts CaBackend.chain); each certificate's issuer is the next's subject. */
export function orderChain(certs: Buffer[]): Buffer[] {
  const infos = certs.map((der) => ({ der, info: describeCertificate(der) }));
  const issuerOfOther = (s: string, self: Buffer) => infos.some((o) => o.der !== self && o.info.issuer === s && o.info.subject !== o.info.issuer);
  let current: (typeof infos)[number] | undefined = infos.find((c) => !issuerOfOther(c.info.subject, c.der)) ?? infos[0];
  const ordered: Buffer[] = [];
  const used = new Set<Buffer>();
  while (current && !used.has(current.der)) {
    ordered.push(current.der);
    used.add(current.der);
    if (current.info.subject === current.info.issuer) break;
    const issuer: string = current.info.issuer;
    current = infos.find((c) => !used.has(c.der) && c.info.subject === issuer);
  }
  for (const c of infos) if (!used.has(c.der)) ordered.push(c.der); // unrelated extras keep their place at the end
  return ordered;
}
