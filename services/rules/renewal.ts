/**
 * The renewal rule: a request wrapped in CMS and signed by the key of a currently valid, active certificate
 * agentcert issued for the same FQDN (certreq's `RenewalCert` INF) proves possession of the current certificate,
 * so it skips manual approval. The caller looks the signer certificate up in the store and passes what it found.
 */
import type { Finding, IssuedCertificate } from '../domain/index.js';
import type { ParsedRequest } from '../pki/index.js';

export interface RenewalCheck {
  isRenewal: boolean;
  /** Serial of the certificate being renewed. */
  renewalOf: string | null;
  /** The request that got the signing certificate: a renewal is taken in its tenant and role. */
  signerRequestId?: string;
  finding: Finding | null;
}

export interface RenewalInput {
  parsed: ParsedRequest;
  fqdn: string;
  now: Date;
  /** The certificate of agentcert's records with the signer's thumbprint, or null. */
  known: IssuedCertificate | null;
  /** The signer certificate's thumbprint (for the message when it is unknown). */
  signerThumbprint: string | null;
}

export function checkRenewal(i: RenewalInput): RenewalCheck {
  const signer = i.parsed.cmsSigner;
  if (!signer) return { isRenewal: false, renewalOf: null, finding: null };
  const no = (why: string): RenewalCheck => ({
    isRenewal: false,
    renewalOf: null,
    finding: { rule: 'RENEWAL_NOT_AUTHENTICATED', severity: 'info', message: `the request is signed (CMS) but is not treated as a renewal: ${why}`, remediation: 'a renewal must be signed with the current, valid certificate agentcert issued for this FQDN (RenewalCert in the renewal INF)' },
  });
  if (!signer.certificateDer) return no('the signature carries no certificate');
  if (signer.signatureValid !== true) return no('the CMS signature does not verify');
  const ours = i.known;
  // Byte-identical to a certificate in our store: it is ours, with no need to rebuild its chain.
  if (!ours || !ours.der.equals(signer.certificateDer)) return no(`the signer certificate ${i.signerThumbprint ?? ''} was not issued by agentcert`);
  if (ours.fqdn !== i.fqdn) return no(`the signer certificate is for ${ours.fqdn}, not ${i.fqdn}`);
  if (ours.state === 'revoked') return no(`the signer certificate ${ours.serialNumber} is revoked`);
  // Superseded, revoked and expired certificates never authenticate a renewal: a superseded one is out of use
  // on the agent, and its key may be in an old backup (README "Trust model").
  if (ours.state !== 'active') return no(`the signer certificate ${ours.serialNumber} is ${ours.state}`);
  if (new Date(ours.notAfter) <= i.now || new Date(ours.notBefore) > i.now) return no(`the signer certificate ${ours.serialNumber} is not valid now`);
  return {
    isRenewal: true,
    renewalOf: ours.serialNumber,
    signerRequestId: ours.requestId,
    finding: { rule: 'RENEWAL', severity: 'info', message: `authenticated renewal of certificate ${ours.serialNumber} (signed with its key); no approval needed`, remediation: 'nothing to do' },
  };
}
