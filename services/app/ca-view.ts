/** The CA's certificates as the API and `agentcert ca show` present them, and the CRL operations they offer. */
import { caKeys, initializeCa, localCaChain, type CaKeyOperations } from '../ca/index.js';
import type { Config } from '../config/index.js';
import { AgentcertError, isCrlSigner, type CaBackend, type Clock } from '../domain/index.js';
import { currentCrl, publishCrl, type CrlPublication, type PipelineContext } from '../lifecycle/index.js';
import { derToPem, describeCertificate } from '../pki/index.js';

export interface CaCertificateView {
  role: 'root' | 'issuing';
  subject: string;
  serialNumber: string;
  thumbprint: string;
  notBefore: string;
  notAfter: string;
  key: string;
  pem: string;
}

/** Issuing CA first, root last. */
export function caChainView(chain: Buffer[]): CaCertificateView[] {
  return chain.map((der, i) => {
    const c = describeCertificate(der);
    return { role: i === chain.length - 1 ? 'root' : 'issuing', subject: c.subject, serialNumber: c.serialNumber, thumbprint: c.thumbprint, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(), key: `${c.key.algorithm}-${c.key.bits}`, pem: derToPem(der, 'CERTIFICATE') };
  });
}

export async function caCertificates(backend: CaBackend): Promise<{ backend: string; chain: CaCertificateView[] }> {
  return { backend: backend.kind, chain: caChainView(await backend.chain()) };
}

/** Whether agentcert signs this backend's CRL (otherwise the CA publishes its own). */
export function signsCrl(backend: CaBackend): boolean {
  return isCrlSigner(backend);
}

export function signCrlNow(ctx: PipelineContext): Promise<CrlPublication> {
  if (!signsCrl(ctx.backend)) throw new AgentcertError('AC_CA_NO_CRL', `the ${ctx.backend.kind} CA publishes its own CRL; agentcert signs CRLs only for a CA whose records it keeps (certutil -crl publishes the AD CS CA's)`);
  return publishCrl(ctx);
}

export function latestCrl(ctx: PipelineContext): Promise<CrlPublication> {
  return currentCrl(ctx);
}

/** The configured CA's certificates readable without keys or network (offline verify, `ca show`), or null. */
export function localChain(config: Readonly<Config>): Buffer[] | null {
  return localCaChain(config.ca, config.data.dir);
}

/** Create the configured CA when agentcert keeps it itself (`ca init`); null when its CA lives elsewhere. */
export function initializeLocalCa(config: Readonly<Config>, clock: Clock): { created: boolean } | null {
  return initializeCa(config.ca, config.data.dir, clock);
}

/** The configured CA's key operations (`ca show`, `ca protect`, `ca root export|import`, doctor, the banner). */
export function localCaKeys(config: Readonly<Config>): CaKeyOperations | null {
  return caKeys(config.ca, config.data.dir);
}

export function requireLocalCaKeys(config: Readonly<Config>): CaKeyOperations {
  const k = localCaKeys(config);
  if (!k) throw new AgentcertError('AC_USAGE', `agentcert holds no CA keys here: ca.backend "${config.ca.backend}" keeps its keys elsewhere, or the CA is not created yet (agentcert ca init)`);
  return k;
}
