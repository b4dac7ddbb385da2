/**
 * The Microsoft attributes certreq and CertEnroll put in a PKCS#10 (docs/scom-facts.md §5, observed on the vectors):
 * OS version 1.3.6.1.4.1.311.13.2.3 (IA5String), client info 1.3.6.1.4.1.311.21.20 (MS-WCCE 2.2.2.7.4:
 * SEQUENCE { clientId INTEGER, MachineName, UserName, ProcessName UTF8String }), enrollment CSP
 * 1.3.6.1.4.1.311.13.2.2 (SEQUENCE { keySpec INTEGER, cspName BMPString, signature BIT STRING }) and
 * name-value pairs 1.3.6.1.4.1.311.13.2.1 (SEQUENCE { name BMPString, value BMPString }).
 * Each reader is tolerant: a malformed Microsoft attribute is reported as unknown, never fatal.
 */
import { type Asn1, children, child, oidOf, textOf, smallIntOf, Type } from './asn1-read.js';
import { OID } from './oids.js';

export interface MicrosoftInfo {
  osVersion: string | null;
  client: { id: number; machine: string; user: string; process: string } | null;
  csp: { keySpec: number; provider: string } | null;
  nameValuePairs: { name: string; value: string }[];
  templateName: string | null;
}

export function emptyMicrosoftInfo(): MicrosoftInfo {
  return { osVersion: null, client: null, csp: null, nameValuePairs: [], templateName: null };
}

export function readClientInfo(value: Asn1): MicrosoftInfo['client'] {
  const [id, machine, user, proc] = children(value, 'ClientInfo');
  return { id: smallIntOf(id), machine: machine ? textOf(machine) : '', user: user ? textOf(user) : '', process: proc ? textOf(proc) : '' };
}

function readCsp(value: Asn1): MicrosoftInfo['csp'] {
  const parts = children(value, 'EnrollmentCSP');
  const keySpec = parts.find((p) => p.type === Type.INTEGER);
  const provider = parts.find((p) => p.type === Type.BMPSTRING || p.type === Type.UTF8);
  return { keySpec: keySpec ? smallIntOf(keySpec) : 0, provider: provider ? textOf(provider) : '' };
}

/**
 * Apply one attribute (its OID and first value) to `info`. Returns false when the OID is not a Microsoft
 * attribute this module knows or its value has an unexpected shape.
 */
export function applyMicrosoftAttribute(info: MicrosoftInfo, oid: string, value: Asn1): boolean {
  try {
    if (oid === OID.msOsVersion) info.osVersion = textOf(value);
    else if (oid === OID.msClientInfo) info.client = readClientInfo(value);
    else if (oid === OID.msEnrollmentCsp) info.csp = readCsp(value);
    else if (oid === OID.msNameValuePair) {
      const pair = { name: textOf(child(value, 0)), value: textOf(child(value, 1)) };
      info.nameValuePairs.push(pair);
      if (pair.name.toLowerCase() === 'certificatetemplate' && !info.templateName) info.templateName = pair.value;
    } else return false;
    return true;
  } catch {
    return false;
  }
}

/**
 * Client info carried in a CMC control (1.3.6.1.4.1.311.10.10.1, CMC "add attributes": SEQUENCE {
 * dataReference, certReferences, attributes SET OF Attribute }) when certreq wraps the request (docs/scom-facts.md §5).
 * Searched by shape, so the exact nesting does not matter.
 */
export function findNestedClientInfo(node: Asn1, depth = 0): MicrosoftInfo['client'] {
  if (depth > 8 || !Array.isArray(node.value)) return null;
  const [first, second] = node.value;
  if (first?.type === Type.OID && first.tagClass === 0 && second && oidOf(first) === OID.msClientInfo) {
    try { return readClientInfo(Array.isArray(second.value) && second.type === Type.SET ? second.value[0]! : second); } catch { return null; }
  }
  for (const c of node.value) {
    const found = findNestedClientInfo(c, depth + 1);
    if (found) return found;
  }
  return null;
}
