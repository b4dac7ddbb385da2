/**
 * The built-in CA as a CaBackend. Exactly-once without a CA database: before signing, the backend persists an
 * issuance intent (serial and validity window) through `persistCaRequestId`. Signing is deterministic
 * (RSA PKCS#1 v1.5 over the same TBSCertificate gives the same bytes), so `resume` after a crash re-derives
 * the byte-identical certificate instead of issuing a second one.
 */
import type { CaBackend, CaOutcome, Clock, CrlSigner, IssuanceInput } from '../../domain/index.js';
import { describeCertificate, newSerialHex } from '../../pki/index.js';
import { createSignPool } from './sign-pool.js';
import type { BuiltinCa } from './ca-files.js';
import { signBuiltinCrl } from './crl.js';

export interface BuiltinBackendOptions {
  ca: BuiltinCa;
  leafValidityDays: number;
  crlDistributionPoint: string | null;
  clock: Clock;
  /** Signing threads (default: one per core, at most 4; 0 signs in the main thread). */
  signWorkers?: number;
}

interface Intent {
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
}

const PREFIX = 'builtin:v1:';
/** Backdate notBefore a little: agents whose clocks run slightly behind must accept a fresh certificate. */
const BACKDATE_MS = 5 * 60 * 1000;

function encodeIntent(i: Intent): string {
  return `${PREFIX}${i.serialHex}:${i.notBefore.getTime()}:${i.notAfter.getTime()}`;
}

function decodeIntent(id: string): Intent | null {
  if (!id.startsWith(PREFIX)) return null;
  const [serialHex, nb, na] = id.slice(PREFIX.length).split(':');
  if (!serialHex || !/^[0-9A-F]+$/.test(serialHex) || !nb || !na) return null;
  return { serialHex, notBefore: new Date(Number(nb)), notAfter: new Date(Number(na)) };
}

export function createBuiltinBackend(o: BuiltinBackendOptions): CaBackend & CrlSigner {
  const issuerNotAfter = describeCertificate(o.ca.signer.certDer).notAfter;

  const pool = createSignPool(o.ca.signer, o.signWorkers);
  const sign = async (input: IssuanceInput, intent: Intent, caRequestId: string): Promise<CaOutcome> => {
    const der = await pool.sign({
      publicKeyDer: input.publicKeyDer,
      fqdn: input.fqdn,
      // The names the policy allowed (rules/request-names.ts); the request's own SAN is never copied.
      dnsNames: input.dnsNames,
      serialHex: intent.serialHex,
      notBefore: intent.notBefore,
      notAfter: intent.notAfter,
      crlDistributionPoint: o.crlDistributionPoint,
    });
    return { kind: 'issued', caRequestId, certificateDer: der, message: `issued by the built-in CA with SAN ${input.dnsNames.join(', ')}` };
  };

  return {
    kind: 'builtin',
    async submit(input, persistCaRequestId) {
      const now = o.clock.now();
      const notBefore = new Date(Math.floor((now.getTime() - BACKDATE_MS) / 1000) * 1000);
      const wanted = new Date(notBefore.getTime() + o.leafValidityDays * 86_400_000);
      // Never past the issuing CA's notAfter (docs/scom-facts.md §7: an issued certificate never outlives its CA).
      const notAfter = wanted > issuerNotAfter ? issuerNotAfter : wanted;
      if (notAfter <= now) {
        return { kind: 'failed', caRequestId: null, code: 'AC_CA_EXPIRED', message: 'the issuing CA certificate has expired; renew the CA before issuing' };
      }
      const intent: Intent = { serialHex: newSerialHex(), notBefore, notAfter };
      const id = encodeIntent(intent);
      await persistCaRequestId(id);
      return sign(input, intent, id);
    },
    async resume(input, caRequestId) {
      const intent = decodeIntent(caRequestId);
      if (!intent) return { kind: 'failed', caRequestId, code: 'AC_CA_OUTPUT_UNKNOWN', message: `not a built-in CA issuance id: ${caRequestId}` };
      return sign(input, intent, caRequestId);
    },
    async chain() {
      return o.ca.chain;
    },
    async ping() {
      return { ok: true, message: `built-in CA ${describeCertificate(o.ca.signer.certDer).subject}, valid until ${issuerNotAfter.toISOString()}` };
    },
    async signCrl(input) {
      return signBuiltinCrl(o.ca.signer, input);
    },
  };
}

