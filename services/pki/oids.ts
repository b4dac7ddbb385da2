/** OIDs this module names. Sources: RFC 5280 §4.2.1, RFC 2986, RFC 5652, RFC 5272 (CMC), docs/scom-facts.md §5 (Microsoft). */

export const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  dsa: '1.2.840.10040.4.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  extensionRequest: '1.2.840.113549.1.9.14',
  msCertExtensions: '1.3.6.1.4.1.311.2.1.14',   // Windows 2000 XEnroll's extensionRequest
  msOsVersion: '1.3.6.1.4.1.311.13.2.3',
  msClientInfo: '1.3.6.1.4.1.311.21.20',
  msEnrollmentCsp: '1.3.6.1.4.1.311.13.2.2',
  msNameValuePair: '1.3.6.1.4.1.311.13.2.1',
  msTemplateName: '1.3.6.1.4.1.311.20.2',
  msTemplateV2: '1.3.6.1.4.1.311.21.7',
  msCmcAttributes: '1.3.6.1.4.1.311.10.10.1',
  cmsData: '1.2.840.113549.1.7.1',
  cmsSignedData: '1.2.840.113549.1.7.2',
  cmcPkiData: '1.3.6.1.5.5.7.12.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  crlDistributionPoints: '2.5.29.31',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** Signature algorithm OID → display name and the node:crypto digest it uses. */
export const SIGNATURE_ALGORITHMS: Record<string, { name: string; hash: string | null; key: string }> = {
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', hash: 'md5', key: 'RSA' },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', hash: 'sha1', key: 'RSA' },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', hash: 'sha256', key: 'RSA' },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', hash: 'sha384', key: 'RSA' },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', hash: 'sha512', key: 'RSA' },
  '1.2.840.113549.1.1.10': { name: 'rsassaPss', hash: null, key: 'RSA' },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', hash: 'sha1', key: 'EC' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', hash: 'sha256', key: 'EC' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', hash: 'sha384', key: 'EC' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', hash: 'sha512', key: 'EC' },
  '1.2.840.10040.4.3': { name: 'dsa-with-sha1', hash: 'sha1', key: 'DSA' },
  '2.16.840.1.101.3.4.3.2': { name: 'dsa-with-sha256', hash: 'sha256', key: 'DSA' },
  '1.3.101.112': { name: 'Ed25519', hash: null, key: 'Ed25519' },
};

export const HASH_OIDS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

export const CURVES: Record<string, { name: string; bits: number }> = {
  '1.2.840.10045.3.1.7': { name: 'P-256', bits: 256 },
  '1.3.132.0.34': { name: 'P-384', bits: 384 },
  '1.3.132.0.35': { name: 'P-521', bits: 521 },
  '1.3.132.0.10': { name: 'secp256k1', bits: 256 },
};

/** Attribute names as the source summaries and certutil call them (docs/scom-facts.md §5). */
export const ATTRIBUTE_NAMES: Record<string, string> = {
  [OID.msOsVersion]: 'OSVersion',
  [OID.msClientInfo]: 'ClientInfo',
  [OID.msEnrollmentCsp]: 'EnrollmentCSP',
  [OID.msNameValuePair]: 'EnrollmentNameValuePair',
  [OID.extensionRequest]: 'ExtensionRequest',
  [OID.msCertExtensions]: 'ExtensionRequest',
  '1.2.840.113549.1.9.7': 'ChallengePassword',
};

/** RFC 4514 short names, plus the ones Windows shows (E, S for ST is not used: Windows shows S, we show ST). */
export const DN_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU',
  '2.5.4.9': 'STREET', '2.5.4.5': 'SERIALNUMBER', '2.5.4.4': 'SN', '2.5.4.42': 'G', '2.5.4.12': 'T',
  '0.9.2342.19200300.100.1.25': 'DC', '0.9.2342.19200300.100.1.1': 'UID', '1.2.840.113549.1.9.1': 'E',
};

export const KEY_USAGE_NAMES = [
  'digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement',
  'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
] as const;

/** The two EKUs every SCOM certificate needs (docs/scom-facts.md §1.1; event 20050 when one is missing). */
export const SCOM_EKUS = [OID.serverAuth, OID.clientAuth] as const;

export function hasScomEkus(ekus: readonly string[]): boolean {
  return SCOM_EKUS.every((o) => ekus.includes(o));
}
