/**
 * SCOM rules for an issued certificate: the verify gate before packaging and `agentcert verify` share them.
 * The checks follow the community checkers (docs/scom-facts.md §4.1): subject, SAN, validity, EKU, KU, chain.
 */
import { hasScomEkus, SCOM_EKUS, type CertificateInfo, type ChainCheck } from '../pki/index.js';

const [SERVER_AUTH, CLIENT_AUTH] = SCOM_EKUS;

export interface CertificateRuleInput {
  info: CertificateInfo;
  /** The FQDN the certificate must be for (lower case), or null to take it from the certificate. */
  fqdn: string | null;
  at: Date;
  /** When given, the certificate must hold exactly this key (the request's SubjectPublicKeyInfo). */
  requestPublicKeyDer?: Buffer | null;
  minKeyBits: number;
  /**
   * The DNS names the certificate may carry in its SAN (what the request was approved for, rules/request-names.ts);
   * default: the FQDN alone.
   */
  allowedDnsNames?: readonly string[];
}

export function checkCertificate(o: CertificateRuleInput): ChainCheck[] {
  const { info } = o;
  const fqdn = (o.fqdn ?? info.commonNames[0] ?? info.dnsNames[0] ?? '').toLowerCase();
  const checks: ChainCheck[] = [];
  const add = (rule: string, passed: boolean, message: string): void => void checks.push({ rule, passed, message });
  const cn = info.commonNames;
  add('CERT_SUBJECT_CN', cn.length === 1 && cn[0]!.toLowerCase() === fqdn, cn.length === 0 ? 'Certificate Subject Common Name Missing' : cn.length > 1 ? `Duplicate Common Names: ${cn.join(', ')}` : cn[0]!.toLowerCase() === fqdn ? `Subject CN=${cn[0]} matches` : `Subject CN=${cn[0]} does not match ${fqdn}`);
  const firstDns = info.dnsNames[0];
  add('CERT_SAN_FIRST_DNS', firstDns === undefined || firstDns.toLowerCase() === fqdn, firstDns === undefined ? 'no DNS SAN (allowed)' : firstDns.toLowerCase() === fqdn ? `first DNS SAN ${firstDns} matches` : `first DNS SAN ${firstDns} does not match ${fqdn}`);
  add('CERT_SAN_NAMES', ...sanNamesVerdict(info.subjectAltName, o.allowedDnsNames ?? [fqdn], fqdn));
  const valid = info.notBefore <= o.at && o.at <= info.notAfter;
  add('CERT_VALIDITY', valid, `${valid ? 'valid' : 'NOT valid'} from ${info.notBefore.toISOString()} to ${info.notAfter.toISOString()}`);
  const eku = info.extendedKeyUsage;
  const ekuOk = hasScomEkus(eku);
  add('CERT_EKU', ekuOk, ekuOk ? 'Server Authentication and Client Authentication present' : `EKU ${eku.length ? eku.join(', ') : 'missing'}: both ${SERVER_AUTH} and ${CLIENT_AUTH} are required (event 20050)`);
  const ku = info.keyUsageBits;
  // Checkers require (KU & 0xA0) == 0xA0: digitalSignature + keyEncipherment (docs/scom-facts.md §1.1).
  add('CERT_KEY_USAGE', ku !== null && (ku & 0xa0) === 0xa0, ku === null ? 'Key Usage Extensions Missing' : `key usage 0x${ku.toString(16)} ${(ku & 0xa0) === 0xa0 ? 'includes' : 'lacks'} digitalSignature + keyEncipherment (0xA0)`);
  add('CERT_NOT_CA', info.isCA !== true, info.isCA ? 'the certificate is a CA certificate' : 'end-entity certificate');
  const rsaOk = info.key.algorithm === 'RSA' && (info.key.bits ?? 0) >= o.minKeyBits;
  add('CERT_KEY', rsaOk, `${info.key.algorithm}${info.key.bits ? `-${info.key.bits}` : ''}${rsaOk ? '' : ` (RSA ≥ ${o.minKeyBits} required)`}`);
  if (o.requestPublicKeyDer) {
    const same = info.publicKeyDer.equals(o.requestPublicKeyDer);
    add('CERT_KEY_MATCHES_REQUEST', same, same ? 'the certificate holds the request\'s public key' : 'the certificate holds a different public key than the request');
  }
  return checks;
}

/**
 * Every SAN entry against what the request was approved for (README "Names in a certificate"): DNS names only,
 * no wildcard, no name of another host. SCOM's checkers look at the first DNS name only (docs/scom-facts.md §4.1),
 * but a certificate with Client Authentication for several hosts can impersonate each of them.
 */
function sanNamesVerdict(entries: readonly string[], allowed: readonly string[], fqdn: string): [boolean, string] {
  const ok = new Set(allowed.map((n) => n.toLowerCase()));
  const bad = entries.filter((e) => !e.startsWith('DNS:') || e.includes('*') || !ok.has(e.slice(4).toLowerCase()));
  if (entries.length === 0) return [true, 'no SAN (allowed)'];
  if (bad.length === 0) return [true, `SAN ${entries.join(', ')}: only names approved for ${fqdn}`];
  return [false, `SAN carries ${bad.join(', ')}, not approved for ${fqdn} (approved: ${[...ok].join(', ')}; no wildcard, no other host, DNS names only)`];
}
