/**
 * X.509 v3 extensions (RFC 5280 §4.2) read from a certificate's extensions or a request's extensionRequest.
 * Unknown extensions are listed, never fatal.
 */
import { type Asn1, parseDer, children, child, oidOf, bytesOf, bitStringBytes, textOf, Type, CONTEXT } from './asn1-read.js';
import { formatName } from './names.js';
import { OID, KEY_USAGE_NAMES } from './oids.js';
import { AgentcertError } from '../domain/index.js';

export interface ExtensionEntry { oid: string; critical: boolean; value: Buffer }

export interface ExtensionSummary {
  keyUsage: string[];
  keyUsageBits: number | null;
  keyUsageCritical: boolean | null;
  extendedKeyUsage: string[];
  subjectAltName: string[];
  dnsNames: string[];
  basicConstraintsCA: boolean | null;
  pathLength: number | null;
  subjectKeyId: string | null;
  authorityKeyId: string | null;
  templateName: string | null;
  crlDistributionPoints: string[];
  oids: string[];
}

/** SEQUENCE OF Extension → entries (critical defaults to FALSE). */
export function readExtensions(list: Asn1): ExtensionEntry[] {
  return children(list, 'Extensions').map((ext) => {
    const parts = children(ext, 'an Extension');
    const oid = oidOf(parts[0]);
    const hasCritical = parts.length === 3 && parts[1]!.type === Type.BOOLEAN;
    const critical = hasCritical ? bytesOf(parts[1]).some((b) => b !== 0) : false;
    const valueNode = parts[hasCritical ? 2 : 1];
    if (!valueNode || valueNode.type !== Type.OCTETSTRING) throw new AgentcertError('AC_DER_MALFORMED', `extension ${oid}: no extnValue`);
    return { oid, critical, value: bytesOf(valueNode) };
  });
}

/** KeyUsage BIT STRING (RFC 5280 §4.2.1.3): bit 0 is the top bit of the first octet. */
function keyUsageOf(value: Buffer): { names: string[]; bits: number } {
  const { bytes } = bitStringBytes(parseDer(value));
  const names = KEY_USAGE_NAMES.filter((_, i) => ((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1);
  return { names: [...names], bits: bytes[0] ?? 0 };
}

/** GeneralName (RFC 5280 §4.2.1.6) as "DNS:x", "IP:1.2.3.4", "email:x", "URI:x", "UPN:x", "DirName:…". */
export function formatGeneralName(gn: Asn1): string {
  if (gn.tagClass !== CONTEXT) return `unknown:${gn.type}`;
  switch (gn.type) {
    case 1: return `email:${bytesOf(gn).toString('latin1')}`;
    case 2: return `DNS:${bytesOf(gn).toString('latin1')}`;
    case 6: return `URI:${bytesOf(gn).toString('latin1')}`;
    case 7: return `IP:${formatIp(bytesOf(gn))}`;
    case 4: return `DirName:${formatName(child(gn, 0))}`;
    case 8: return `RID:${oidOf({ ...gn, tagClass: 0, type: Type.OID } as Asn1)}`;
    case 0: {
      const oid = oidOf(child(gn, 0));
      const explicit = children(gn)[1];
      const inner = explicit && Array.isArray(explicit.value) ? explicit.value[0] : undefined;
      // Microsoft UPN otherName 1.3.6.1.4.1.311.20.2.3 (UTF8String)
      if (oid === '1.3.6.1.4.1.311.20.2.3' && inner) return `UPN:${textOf(inner)}`;
      return `othername:${oid}`;
    }
    default: return `unknown:${gn.type}`;
  }
}

function formatIp(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length === 16) return (b.toString('hex').match(/..../g) ?? []).map((g) => g.replace(/^0+(?=.)/, '')).join(':');
  return b.toString('hex');
}

function keyIdOf(value: Buffer, authority: boolean): string | null {
  const node = parseDer(value);
  if (!authority) return bytesOf(node).toString('hex');
  const id = children(node).find((c) => c.tagClass === CONTEXT && c.type === 0);
  return id ? bytesOf(id).toString('hex') : null;
}

/** CRLDistributionPoints (RFC 5280 §4.2.1.13): the fullName URIs. */
function crlDpUris(value: Buffer): string[] {
  const uris: string[] = [];
  for (const dp of children(parseDer(value))) {
    const dpName = children(dp).find((c) => c.tagClass === CONTEXT && c.type === 0);
    const full = dpName ? children(dpName).find((c) => c.type === 0) : undefined;
    for (const gn of full ? children(full) : []) uris.push(formatGeneralName(gn).replace(/^URI:/, ''));
  }
  return uris;
}

export function emptySummary(): ExtensionSummary {
  return {
    keyUsage: [], keyUsageBits: null, keyUsageCritical: null, extendedKeyUsage: [], subjectAltName: [], dnsNames: [],
    basicConstraintsCA: null, pathLength: null, subjectKeyId: null, authorityKeyId: null, templateName: null,
    crlDistributionPoints: [], oids: [],
  };
}

/** Read the extensions SCOM rules care about; a malformed value of a known extension throws. */
export function summarizeExtensions(entries: ExtensionEntry[], into = emptySummary()): ExtensionSummary {
  const s = into;
  for (const e of entries) {
    s.oids.push(e.oid);
    if (e.oid === OID.keyUsage) {
      const ku = keyUsageOf(e.value);
      Object.assign(s, { keyUsage: ku.names, keyUsageBits: ku.bits, keyUsageCritical: e.critical });
    } else if (e.oid === OID.extKeyUsage) {
      s.extendedKeyUsage = children(parseDer(e.value)).map((n) => oidOf(n));
    } else if (e.oid === OID.subjectAltName) {
      s.subjectAltName = children(parseDer(e.value)).map(formatGeneralName);
      s.dnsNames = s.subjectAltName.filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4));
    } else if (e.oid === OID.basicConstraints) {
      const bc = children(parseDer(e.value));
      const caNode = bc.find((c) => c.type === Type.BOOLEAN);
      s.basicConstraintsCA = caNode ? bytesOf(caNode).some((b) => b !== 0) : false;
      const pl = bc.find((c) => c.type === Type.INTEGER);
      s.pathLength = pl ? bytesOf(pl).readUIntBE(0, Math.min(bytesOf(pl).length, 4)) : null;
    } else if (e.oid === OID.subjectKeyId) {
      s.subjectKeyId = keyIdOf(e.value, false);
    } else if (e.oid === OID.authorityKeyId) {
      s.authorityKeyId = keyIdOf(e.value, true);
    } else if (e.oid === OID.msTemplateName) {
      s.templateName = textOf(parseDer(e.value)); // BMPString, docs/scom-facts.md §5
    } else if (e.oid === OID.crlDistributionPoints) {
      s.crlDistributionPoints = crlDpUris(e.value);
    }
  }
  return s;
}
