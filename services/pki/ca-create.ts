/** Create the built-in CA's root and issuing certificates (RFC 5280 §4.2.1.9, §4.2.1.3 for CA certificates). */
import { generateKeyPairSync } from 'node:crypto';
import { buildCertificate, issuerParts, spkiOfKey, type CaMaterial } from './certificate-build.js';
import { buildName } from './names.js';
import { keyIdentifier } from './public-key.js';
import { newSerialHex } from './serial.js';
import {
  keyUsageExtension, basicConstraintsExtension, subjectKeyIdExtension, authorityKeyIdExtension,
} from './x509-extensions.js';

export type { CaMaterial } from './certificate-build.js';

interface CaOptions { commonName: string; organization?: string; keyBits: number; notBefore: Date; notAfter: Date }

function newRsaKey(bits: number) {
  return generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 }).privateKey;
}

export function createRootCa(o: CaOptions): CaMaterial {
  const key = newRsaKey(o.keyBits);
  const spkiDer = spkiOfKey(key);
  const name = buildName({ commonName: [o.commonName], organization: o.organization });
  const certDer = buildCertificate({
    issuerKey: key, issuerName: name, subjectName: name, spkiDer, serialHex: newSerialHex(),
    notBefore: o.notBefore, notAfter: o.notAfter,
    extensions: [
      basicConstraintsExtension(true),
      keyUsageExtension(['keyCertSign', 'cRLSign']),
      subjectKeyIdExtension(keyIdentifier(spkiDer)),
    ],
  });
  return { certDer, key };
}

/** pathLen 0: the issuing CA signs agent certificates only, never another CA. */
export function createIssuingCa(o: CaOptions & { parent: CaMaterial }): CaMaterial {
  const key = newRsaKey(o.keyBits);
  const spkiDer = spkiOfKey(key);
  const parent = issuerParts(o.parent.certDer);
  const certDer = buildCertificate({
    issuerKey: o.parent.key, issuerName: parent.subject,
    subjectName: buildName({ commonName: [o.commonName], organization: o.organization }),
    spkiDer, serialHex: newSerialHex(), notBefore: o.notBefore, notAfter: o.notAfter,
    extensions: [
      basicConstraintsExtension(true, 0),
      keyUsageExtension(['keyCertSign', 'cRLSign']),
      subjectKeyIdExtension(keyIdentifier(spkiDer)),
      authorityKeyIdExtension(parent.keyId),
    ],
  });
  return { certDer, key };
}
