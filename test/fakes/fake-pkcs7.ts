/** A degenerate PKCS#7 SignedData (RFC 2315 §9.1, certificates only, no signers) — what `certutil -ca.chain` writes. */

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
};

const OID_SIGNED_DATA = Buffer.from('06092a864886f70d010702', 'hex');
const OID_DATA = Buffer.from('06092a864886f70d010701', 'hex');

export function degeneratePkcs7(certs: Buffer[]): Buffer {
  const signedData = tlv(0x30,
    Buffer.from('020101', 'hex'), // version 1
    tlv(0x31), // digestAlgorithms: none
    tlv(0x30, OID_DATA), // contentInfo: data, no content
    tlv(0xa0, ...certs), // [0] IMPLICIT certificates
    tlv(0x31)); // signerInfos: none
  return tlv(0x30, OID_SIGNED_DATA, tlv(0xa0, signedData));
}
