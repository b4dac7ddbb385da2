/**
 * The EKU extension value given to `certutil -setextension … 2.5.29.37 0 @file` (docs/scom-facts.md §8.1) and the
 * CA chain read from `certutil -ca.chain` (PKCS#7) / `-ca.cert` files.
 */
import fc from 'fast-check';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { certificatesFromPkcs7, decodeEkuExtensionValue, encodeEkuExtensionValue, encodeOid, orderChain, readCaFile } from '../../services/ca/adcs/index.js';
import { createIssuingCa, createRootCa, derToPem, describeCertificate } from '../../services/pki/index.js';

describe('encodeEkuExtensionValue', () => {
  it('is SEQUENCE { serverAuth, clientAuth } byte for byte', () => {
    expect(encodeEkuExtensionValue().toString('hex')).toBe('301406082b0601050507030106082b06010505070302');
  });
  it('matches node-forge for any OID and decodes back (property)', () => {
    const arc = fc.integer({ min: 0, max: 2 ** 31 });
    const oid = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(arc, { maxLength: 6 }))
      .map(([a, b, rest]) => [a, b, ...rest].join('.'));
    fc.assert(fc.property(fc.array(oid, { minLength: 1, maxLength: 4 }), (oids) => {
      const der = encodeEkuExtensionValue(oids);
      for (const o of oids) expect(encodeOid(o).subarray(2).toString('binary')).toBe(forge.asn1.oidToDer(o).getBytes());
      expect(decodeEkuExtensionValue(der)).toEqual(oids);
    }));
  });
  it('refuses an empty EKU (RFC 5280 §4.2.1.12 SIZE (1..MAX))', () => {
    expect(() => encodeEkuExtensionValue([])).toThrow(/at least one/);
  });
});

describe('CA chain files', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const later = new Date('2036-01-01T00:00:00Z');
  const root = createRootCa({ commonName: 'Fake Root', keyBits: 2048, notBefore: now, notAfter: later });
  const issuing = createIssuingCa({ commonName: 'Fake Issuing', keyBits: 2048, notBefore: now, notAfter: later, parent: root });

  function pkcs7Of(certs: Buffer[]): Buffer {
    const p7 = forge.pkcs7.createSignedData();
    for (const c of certs) p7.addCertificate(forge.pki.certificateFromAsn1(forge.asn1.fromDer(c.toString('binary'))));
    return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), 'binary');
  }

  it('reads the certificates of a PKCS#7 made by another library, DER or PEM, and orders issuing → root', () => {
    const p7 = pkcs7Of([root.certDer, issuing.certDer]);
    expect(certificatesFromPkcs7(p7)).toHaveLength(2);
    for (const file of [p7, Buffer.from(derToPem(p7, 'PKCS7'))]) {
      const chain = orderChain(readCaFile(file));
      expect(chain.map((c) => describeCertificate(c).subject)).toEqual([describeCertificate(issuing.certDer).subject, describeCertificate(root.certDer).subject]);
    }
  });

  it('reads a single certificate (-ca.cert) as DER, PEM or bare Base64', () => {
    for (const file of [root.certDer, Buffer.from(derToPem(root.certDer, 'CERTIFICATE')), Buffer.from(root.certDer.toString('base64'))]) {
      expect(readCaFile(file)).toEqual([root.certDer]);
    }
  });
});
