/**
 * Authenticated renewal: a request wrapped in CMS and signed by the key of a currently valid, non-revoked
 * certificate this service issued for the same FQDN (certreq's `RenewalCert` INF). Such a request proves
 * possession of the current certificate, so it skips manual approval (issue 6).
 */
import type { Finding } from '../domain/index.js';
import { describeCertificate, type ParsedRequest } from '../pki/index.js';
import type { SqliteStore } from '../store/index.js';

export interface RenewalCheck {
  isRenewal: boolean;
  /** Serial of the certificate being renewed. */
  renewalOf: string | null;
  /** The request that got the signing certificate: a renewal is taken in its tenant and role. */
  signerRequestId?: string;
  finding: Finding | null;
}

export function checkRenewal(store: SqliteStore, parsed: ParsedRequest, fqdn: string, now: Date): RenewalCheck {
  const signer = parsed.cmsSigner;
  if (!signer) return { isRenewal: false, renewalOf: null, finding: null };
  const no = (why: string): RenewalCheck => ({
    isRenewal: false,
    renewalOf: null,
    finding: { rule: 'RENEWAL_NOT_AUTHENTICATED', severity: 'info', message: `the request is signed (CMS) but is not treated as a renewal: ${why}`, remediation: 'a renewal must be signed with the current, valid certificate agentcert issued for this FQDN (RenewalCert in the renewal INF)' },
  });
  if (!signer.certificateDer) return no('the signature carries no certificate');
  if (signer.signatureValid !== true) return no('the CMS signature does not verify');
  const info = describeCertificate(signer.certificateDer);
  const ours = store.findCertificate(info.thumbprint);
  // Byte-identical to a certificate in our store: it is ours, with no need to rebuild its chain.
  if (!ours || !ours.der.equals(signer.certificateDer)) return no(`the signer certificate ${info.thumbprint} was not issued by agentcert`);
  if (ours.fqdn !== fqdn) return no(`the signer certificate is for ${ours.fqdn}, not ${fqdn}`);
  if (ours.state === 'revoked') return no(`the signer certificate ${ours.serialNumber} is revoked`);
  // Superseded, revoked and expired certificates never authenticate a renewal: a superseded one is out of use
  // on the agent, and its key may be in an old backup (README "Trust model").
  if (ours.state !== 'active') return no(`the signer certificate ${ours.serialNumber} is ${ours.state}`);
  if (new Date(ours.notAfter) <= now || new Date(ours.notBefore) > now) return no(`the signer certificate ${ours.serialNumber} is not valid now`);
  return {
    isRenewal: true,
    renewalOf: ours.serialNumber,
    signerRequestId: ours.requestId,
    finding: { rule: 'RENEWAL', severity: 'info', message: `authenticated renewal of certificate ${ours.serialNumber} (signed with its key); no approval needed`, remediation: 'nothing to do' },
  };
}

/** When a certificate should be renewed: at `percent` of its lifetime, or `daysBefore` its notAfter. */
export function renewalDueAt(notBefore: Date, notAfter: Date, o: { percent: number; daysBefore: number | null }): Date {
  if (o.daysBefore !== null) return new Date(notAfter.getTime() - o.daysBefore * 86_400_000);
  return new Date(notBefore.getTime() + ((notAfter.getTime() - notBefore.getTime()) * o.percent) / 100);
}
