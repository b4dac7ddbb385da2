/**
 * Distinguished names as text. Order follows RFC 4514 §2.1 (last RDN first), which is also how Windows shows
 * a subject ("CN=testserver.test.com, OU=IT, O=MyCompany, …" for a DER order C, ST, L, O, OU, CN).
 */
import { type Asn1, children, child, oidOf, textOf, seqOf, setOf, oidNode, utf8Node, printableNode } from './asn1-read.js';
import { DN_NAMES } from './oids.js';

export interface NameAttribute { oid: string; short: string; value: string }

/** Every attribute of a Name in DER order (RDN by RDN). */
export function nameAttributes(name: Asn1): NameAttribute[] {
  const out: NameAttribute[] = [];
  for (const rdn of children(name, 'a Name')) {
    for (const atv of children(rdn, 'an RDN')) {
      const oid = oidOf(child(atv, 0));
      out.push({ oid, short: DN_NAMES[oid] ?? oid, value: textOf(child(atv, 1)) });
    }
  }
  return out;
}

function escapeValue(v: string): string {
  let s = v.replace(/([\\,+"<>;=])/g, '\\$1');
  if (s.startsWith('#') || s.startsWith(' ')) s = `\\${s}`;
  if (s.endsWith(' ') && s.length > 0) s = `${s.slice(0, -1)}\\ `;
  return s;
}

/** "CN=web01.contoso.local, O=Contoso"; '' for an empty Name. */
export function formatName(name: Asn1): string {
  const rdns = children(name, 'a Name').map((rdn) =>
    children(rdn, 'an RDN')
      .map((atv) => {
        const oid = oidOf(child(atv, 0));
        return `${DN_NAMES[oid] ?? oid}=${escapeValue(textOf(child(atv, 1)))}`;
      })
      .join(' + '),
  );
  return rdns.reverse().join(', ');
}

export function commonNamesOf(name: Asn1): string[] {
  return nameAttributes(name).filter((a) => a.oid === '2.5.4.3').map((a) => a.value);
}

/** A Name with O (optional) then CN, UTF8String as modern certreq writes it (docs/scom-facts.md §5). */
export function buildName(o: { commonName?: string[]; organization?: string }): Asn1 {
  const rdns: Asn1[] = [];
  const atv = (oid: string, value: Asn1) => setOf([seqOf([oidNode(oid), value])]);
  if (o.organization) rdns.push(atv('2.5.4.10', utf8Node(o.organization)));
  for (const cn of o.commonName ?? []) rdns.push(atv('2.5.4.3', utf8Node(cn)));
  return seqOf(rdns);
}

export function buildCountryName(c: string): Asn1 {
  return setOf([seqOf([oidNode('2.5.4.6'), printableNode(c)])]);
}
