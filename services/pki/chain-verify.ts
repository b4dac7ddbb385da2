/**
 * Path validation for the verify gate (RFC 5280 §6.1, reduced to what SCOM needs: docs/scom-facts.md §1.1 "Chain",
 * §4.1 check 12). Each signature is checked with node:crypto; revocation is not checked here (the checkers run
 * X509Chain with RevocationMode=0 too).
 */
import { type Asn1, parseDer, child } from './asn1-read.js';
import { readTlv, tlvChildren, tlvBytes } from './der-slice.js';
import { describeCertificate, type CertificateInfo } from './certificate-info.js';
import { publicKeyObject } from './public-key.js';
import { verifySignature } from './signature.js';

export interface ChainCheck { rule: string; passed: boolean; message: string }
export interface ChainReport { ok: boolean; checks: ChainCheck[]; chain: CertificateInfo[] }

interface Cert {
  der: Buffer; info: CertificateInfo; tbs: Buffer; algId: Asn1; sig: Asn1; issuerDer: Buffer; subjectDer: Buffer;
  /** Imported when the certificate first verifies another (null: node:crypto cannot read the key). */
  key?: ReturnType<typeof publicKeyObject>;
}

function load(der: Buffer): Cert {
  const info = describeCertificate(der);
  const top = tlvChildren(der, readTlv(der, 0));
  const tbs = tlvChildren(der, top[0]!);
  const off = tbs[0]!.tag === 0xa0 ? 1 : 0;
  const cert = parseDer(der);
  return {
    der, info, tbs: Buffer.from(tlvBytes(der, top[0]!)), algId: child(cert, 1), sig: child(cert, 2),
    issuerDer: Buffer.from(tlvBytes(der, tbs[off + 2]!)), subjectDer: Buffer.from(tlvBytes(der, tbs[off + 4]!)),
  };
}

/**
 * CA certificates are the same few for every certificate checked: parse each once, keyed by content (a caller's
 * buffer may be reused for other bytes). Bulk bench: parsing the CA certificate again was a third of a verify.
 */
const caCerts = new Map<string, Cert>();
function loadCa(der: Buffer): Cert {
  const k = der.toString('base64');
  let c = caCerts.get(k);
  if (!c) {
    c = load(Buffer.from(der));
    if (caCerts.size >= 64) caCerts.delete(caCerts.keys().next().value as string);
    caCerts.set(k, c);
  }
  return c;
}

/** The issuer of `c` among candidates: same name (RFC 5280 §7.1, binary compare) and, when both exist, AKI = SKI. */
function findIssuer(c: Cert, candidates: Cert[]): Cert | undefined {
  const named = candidates.filter((k) => k.subjectDer.equals(c.issuerDer) && k !== c);
  return named.find((k) => !c.info.authorityKeyId || !k.info.subjectKeyId || k.info.subjectKeyId === c.info.authorityKeyId) ?? named[0];
}

function buildPath(leaf: Cert, pool: Cert[], roots: Cert[]): { path: Cert[]; trusted: boolean } {
  const path = [leaf];
  for (let cur = leaf; path.length < 10; ) {
    if (roots.some((r) => r.der.equals(cur.der))) return { path, trusted: true };
    const next = findIssuer(cur, roots) ?? findIssuer(cur, pool.filter((p) => !path.includes(p)));
    if (!next) return { path, trusted: false };
    path.push(next);
    cur = next;
  }
  return { path, trusted: false };
}

function checkCa(c: Cert, below: number, checks: ChainCheck[]): void {
  const s = c.info.subject;
  checks.push({ rule: 'ca-basic-constraints', passed: c.info.isCA === true,
    message: c.info.isCA === true ? `${s} is a CA (basicConstraints cA=TRUE)` : `${s} signs certificates but is not a CA (basicConstraints ${c.info.isCA === null ? 'missing' : 'cA=FALSE'})` });
  const canSign = c.info.keyUsage.includes('keyCertSign');
  checks.push({ rule: 'ca-key-cert-sign', passed: canSign,
    message: canSign ? `${s} has keyUsage keyCertSign` : `${s} lacks keyUsage keyCertSign (RFC 5280 §4.2.1.3)` });
  if (c.info.pathLength !== null && below > c.info.pathLength) {
    checks.push({ rule: 'ca-path-length', passed: false, message: `${s} allows ${c.info.pathLength} CA(s) below it, found ${below}` });
  }
}

/** The issuer's public key, imported once per parsed certificate (CA certificates are parsed once: loadCa). */
function issuerKey(issuer: Cert): ReturnType<typeof publicKeyObject> {
  if (issuer.key === undefined) issuer.key = publicKeyObject(issuer.info.publicKeyDer);
  return issuer.key;
}

function checkPair(c: Cert, issuer: Cert, checks: ChainCheck[]): void {
  const namesChain = c.issuerDer.equals(issuer.subjectDer);
  checks.push({ rule: 'name-chaining', passed: namesChain,
    message: namesChain ? `issuer of ${c.info.subject || '(empty subject)'} is ${issuer.info.subject}` : `issuer name ${c.info.issuer} does not match ${issuer.info.subject}` });
  const ok = verifySignature(c.algId, c.tbs, c.sig, issuerKey(issuer));
  checks.push({ rule: 'signature', passed: ok,
    message: ok ? `signature of ${c.info.subject} verifies with the key of ${issuer.info.subject}` : `signature of ${c.info.subject} does not verify with the key of ${issuer.info.subject}` });
}

export function verifyChain(o: { leafDer: Buffer; intermediatesDer: Buffer[]; trustedRootsDer: Buffer[]; at: Date }): ChainReport {
  const checks: ChainCheck[] = [];
  let leaf: Cert;
  try { leaf = load(o.leafDer); } catch (err) {
    return { ok: false, checks: [{ rule: 'parse', passed: false, message: `leaf: ${(err as Error).message}` }], chain: [] };
  }
  const pool: Cert[] = [];
  const roots: Cert[] = [];
  for (const [list, into] of [[o.intermediatesDer, pool], [o.trustedRootsDer, roots]] as const) {
    for (const d of list) {
      try { into.push(loadCa(d)); } catch (err) { checks.push({ rule: 'parse', passed: false, message: (err as Error).message }); }
    }
  }
  const { path, trusted } = buildPath(leaf, pool, roots);
  const top = path[path.length - 1]!;
  checks.push({ rule: 'root-trusted', passed: trusted,
    message: trusted ? `chain ends at the trusted root ${top.info.subject}` : `chain ends at ${top.info.subject}, whose issuer ${top.info.issuer} is not a trusted root and not among the intermediates` });
  path.forEach((c, i) => {
    const inWindow = c.info.notBefore <= o.at && o.at <= c.info.notAfter;
    checks.push({ rule: 'validity', passed: inWindow,
      message: `${c.info.subject || '(empty subject)'} is valid ${c.info.notBefore.toISOString()} – ${c.info.notAfter.toISOString()}${inWindow ? '' : `, not at ${o.at.toISOString()}`}` });
    const issuer = path[i + 1];
    if (issuer) checkPair(c, issuer, checks);
    if (i > 0) checkCa(c, Math.max(0, i - 1), checks);
  });
  return { ok: checks.every((c) => c.passed), checks, chain: path.map((c) => c.info) };
}
