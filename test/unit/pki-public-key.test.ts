/**
 * publicKeyObject: an RSA key is imported from its modulus and exponent only when its SPKI is exactly their DER
 * encoding; every other SPKI is read by OpenSSL as before. Either way the key verifies what the DER reader's key
 * verifies, and a key OpenSSL cannot read is null.
 */
import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { publicKeyObject } from '../../services/pki/public-key.js';
import { makeSampleRequest, parseRequest } from '../../services/pki/index.js';

const spkiOf = (k: KeyObject): Buffer => k.export({ type: 'spki', format: 'der' });
const opensslRead = (spki: Buffer): KeyObject | null => {
  try {
    return createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    return null;
  }
};

/** DER with a length written in more bytes than it needs: BER that OpenSSL may take, never our canonical form. */
function longFormOuterLength(spki: Buffer): Buffer {
  const headerLen = spki[1]! & 0x80 ? 2 + (spki[1]! & 0x7f) : 2;
  const len = spki.length - headerLen;
  return Buffer.concat([Buffer.from([0x30, 0x84, (len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff]), spki.subarray(headerLen)]);
}

describe('publicKeyObject', () => {
  const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsa3072 = generateKeyPairSync('rsa', { modulusLength: 3072, publicExponent: 3 });
  const data = Buffer.from('certificationRequestInfo bytes');

  it('imports RSA keys that are the same key OpenSSL reads: same SPKI, same verification', () => {
    for (const { privateKey, publicKey } of [rsa2048, rsa3072]) {
      const spki = spkiOf(publicKey);
      const k = publicKeyObject(spki)!;
      expect(k).not.toBeNull();
      expect(spkiOf(k).equals(spki)).toBe(true);
      const sig = sign('sha256', data, privateKey);
      expect(verify('sha256', data, k, sig)).toBe(true);
      expect(verify('sha256', Buffer.from('other bytes'), k, sig)).toBe(false);
    }
  });

  it('verifies the signature of a request made like certreq', () => {
    expect(parseRequest(makeSampleRequest('web01.dmz.contoso.local').der).signatureValid).toBe(true);
  });

  it('leaves EC keys and non-canonical encodings to OpenSSL, with its verdict', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecKey = publicKeyObject(spkiOf(ec.publicKey))!;
    expect(ecKey.asymmetricKeyType).toBe('ec');
    expect(verify('sha256', data, ecKey, sign('sha256', data, ec.privateKey))).toBe(true);

    const longForm = longFormOuterLength(spkiOf(rsa2048.publicKey));
    const theirs = opensslRead(longForm);
    const ours = publicKeyObject(longForm);
    expect(ours === null).toBe(theirs === null);
    if (ours && theirs) expect(spkiOf(ours).equals(spkiOf(theirs))).toBe(true);
  });

  it('returns null for bytes that are no key, and for a key with bytes after it', () => {
    expect(publicKeyObject(Buffer.from('30 03 02 01 00'.replace(/ /g, ''), 'hex'))).toBeNull();
    expect(publicKeyObject(Buffer.alloc(0))).toBeNull();
    const trailing = Buffer.concat([spkiOf(rsa2048.publicKey), Buffer.from([0, 0])]);
    expect(publicKeyObject(trailing) === null).toBe(opensslRead(trailing) === null);
    // A modulus written as a negative INTEGER (its leading 00 dropped) is not the canonical form.
    const spki = spkiOf(rsa2048.publicKey);
    const at = spki.indexOf(Buffer.from([0x02, 0x82, 0x01, 0x01, 0x00]));
    expect(at).toBeGreaterThan(0);
    const negative = Buffer.concat([spki.subarray(0, at), Buffer.from([0x02, 0x82, 0x01, 0x00]), spki.subarray(at + 5)]);
    // Every enclosing length shrinks by one: rebuild them so only the INTEGER is odd.
    negative.writeUInt16BE(spki.readUInt16BE(2) - 1, 2);
    const bitAt = spki.indexOf(Buffer.from([0x03, 0x82]));
    negative.writeUInt16BE(spki.readUInt16BE(bitAt + 2) - 1, bitAt + 2);
    negative.writeUInt16BE(spki.readUInt16BE(bitAt + 7) - 1, bitAt + 7);
    const theirs = opensslRead(negative);
    const ours = publicKeyObject(negative);
    expect(ours === null).toBe(theirs === null);
    if (ours && theirs) expect(spkiOf(ours).equals(spkiOf(theirs))).toBe(true);
  });
});
