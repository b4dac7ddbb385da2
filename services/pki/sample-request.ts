/**
 * A request shaped like the one certreq.exe writes from the classic SCOM INF (docs/scom-facts.md §1.3, §5; compare
 * vectors/certreq-win11-25h2-rsa2048-schannel-ku-a0-inner-pkcs10.req): attributes OS version, extensionRequest
 * (KU critical + SKI), client info {9, machine, user, "certreq.exe"}, CSP {keySpec, provider, empty BIT STRING}.
 * Used to try the flow without Windows and by tests; options produce the bad variants the policy must reject.
 */
import { generateKeyPairSync, createPublicKey, sign, constants, type KeyObject } from 'node:crypto';
import {
  type Asn1, seqOf, setOf, oidNode, intNode, ia5Node, utf8Node, bmpNode, bitStringNode, nullNode, contextNode, toDer, parseDer,
} from './asn1-read.js';
import { buildName } from './names.js';
import { OID } from './oids.js';
import { derToPem } from './pem.js';
import { keyIdentifier } from './public-key.js';
import {
  extension, extKeyUsageExtension, subjectKeyIdExtension, dnsSanExtension, basicConstraintsExtension,
} from './x509-extensions.js';

export interface SampleRequestOptions {
  keyBits?: number; keyType?: 'rsa' | 'ec'; keySpec?: number | null; provider?: string;
  subject?: { cn?: string[]; o?: string } | null; dnsNames?: string[]; withEku?: boolean; ekus?: string[]; keyUsageBits?: number | null;
  basicConstraintsCA?: boolean; hash?: 'sha256' | 'sha1'; osVersion?: string | null; clientInfo?: boolean; legacyExtensionAttribute?: boolean;
  privateKey?: KeyObject; corruptSignature?: boolean;
}

const attribute = (oid: string, value: Asn1): Asn1 => seqOf([oidNode(oid), setOf([value])]);

/** KeyUsage from the INF's KeyUsage byte, as certreq encodes it: `03 02 05 a0` for 0xa0 (docs/scom-facts.md §5). */
function keyUsageFromBits(bits: number): Asn1 {
  const unused = bits === 0 ? 0 : Math.min(7, 31 - Math.clz32(bits & -bits));
  return extension(OID.keyUsage, true, bitStringNode(Buffer.from([bits & 0xff]), unused));
}

function requestedExtensions(spkiDer: Buffer, o: SampleRequestOptions): Asn1 {
  const exts: Asn1[] = [];
  if (o.keyUsageBits !== null) exts.push(keyUsageFromBits(o.keyUsageBits ?? 0xa0));
  if (o.withEku) exts.push(extKeyUsageExtension(o.ekus ?? [OID.serverAuth, OID.clientAuth]));
  if (o.dnsNames?.length) exts.push(dnsSanExtension(o.dnsNames));
  if (o.basicConstraintsCA !== undefined) exts.push(basicConstraintsExtension(o.basicConstraintsCA));
  exts.push(subjectKeyIdExtension(keyIdentifier(spkiDer)));
  return seqOf(exts);
}

function attributes(fqdn: string, spkiDer: Buffer, o: SampleRequestOptions): Asn1[] {
  const attrs: Asn1[] = [];
  if (o.osVersion !== null) attrs.push(attribute(OID.msOsVersion, ia5Node(o.osVersion ?? '10.0.26100.2')));
  attrs.push(attribute(o.legacyExtensionAttribute ? OID.msCertExtensions : OID.extensionRequest, requestedExtensions(spkiDer, o)));
  if (o.clientInfo !== false) {
    const domain = (fqdn.split('.')[1] ?? 'WORKGROUP').toUpperCase();
    attrs.push(attribute(OID.msClientInfo, seqOf([intNode(9), utf8Node(fqdn), utf8Node(`${domain}\\Administrator`), utf8Node('certreq.exe')])));
  }
  if (o.keySpec !== null) {
    const provider = o.provider ?? 'Microsoft RSA SChannel Cryptographic Provider';
    attrs.push(attribute(OID.msEnrollmentCsp, seqOf([intNode(o.keySpec ?? 1), bmpNode(provider), bitStringNode(Buffer.alloc(0))])));
  }
  return attrs;
}

function newKey(o: SampleRequestOptions): KeyObject {
  if (o.privateKey) return o.privateKey;
  if (o.keyType === 'ec') return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  return generateKeyPairSync('rsa', { modulusLength: o.keyBits ?? 2048 }).privateKey;
}

function signatureAlgorithm(key: KeyObject, hash: 'sha256' | 'sha1'): Asn1 {
  if (key.asymmetricKeyType === 'ec') return seqOf([oidNode(hash === 'sha1' ? '1.2.840.10045.4.1' : '1.2.840.10045.4.3.2')]);
  return seqOf([oidNode(hash === 'sha1' ? '1.2.840.113549.1.1.5' : OID.sha256WithRSA), nullNode()]);
}

export function makeSampleRequest(fqdn: string, o: SampleRequestOptions = {}): { pem: string; der: Buffer; privateKey: KeyObject } {
  const privateKey = newKey(o);
  const spkiDer = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const subject = o.subject === null ? seqOf([]) : buildName({ commonName: o.subject?.cn ?? [fqdn], organization: o.subject?.o });
  const cri = seqOf([intNode(0), subject, parseDer(spkiDer), contextNode(0, true, attributes(fqdn, spkiDer, o))]);
  const criDer = toDer(cri);
  const hash = o.hash ?? 'sha256';
  const signOptions = privateKey.asymmetricKeyType === 'rsa' ? { key: privateKey, padding: constants.RSA_PKCS1_PADDING } : privateKey;
  const signature = sign(hash, criDer, signOptions);
  if (o.corruptSignature) signature[signature.length >> 1]! ^= 0x01;
  const der = toDer(seqOf([cri, signatureAlgorithm(privateKey, hash), bitStringNode(signature)]));
  // certreq writes CRLF line ends (a Windows text file).
  const pem = derToPem(der, 'NEW CERTIFICATE REQUEST').replace(/\n/g, '\r\n');
  return { pem, der, privateKey };
}
