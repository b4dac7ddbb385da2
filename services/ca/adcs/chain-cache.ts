/**
 * The CA chain, asked of the CA once and cached (every issuance's verify gate needs it). Refreshed when the
 * cache is older than its TTL, or at once when an issued certificate names an issuer other than the cached
 * issuing CA — the CA certificate was renewed (docs/scom-facts.md §7: validity never extends past the CA's NotAfter, so
 * CAs are renewed).
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { AgentcertError, type Clock, type Logger } from '../../domain/index.js';
import { describeCertificate } from '../../pki/index.js';
import type { AdcsTools, ToolRun } from './adcs-tools.js';
import { orderChain, readCaFile } from './ca-chain.js';
import { parseCertutilCaCert } from './certutil-output.js';

export interface ChainCache {
  get(): Promise<Buffer[]>;
  /** Drop the cache when `certDer` was not issued by the cached issuing CA. */
  noteIssued(certDer: Buffer): void;
}

export function createChainCache(o: { tools: AdcsTools; workDir: string; clock: Clock; ttlMs: number; log: Logger }): ChainCache {
  let cached: { chain: Buffer[]; at: number; issuingSubject: string } | null = null;
  let inflight: Promise<Buffer[]> | null = null;

  async function export1(what: 'ca.chain' | 'ca.cert'): Promise<Buffer[] | null> {
    const dir = path.join(o.workDir, 'ca');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, what === 'ca.chain' ? 'ca-chain.p7b' : 'ca-cert.cer');
    await rm(file, { force: true });
    const run: ToolRun = what === 'ca.chain' ? await o.tools.caChain(file) : await o.tools.caCert(file);
    if (run.transport) throw new AgentcertError('AC_CA_UNAVAILABLE', run.transport);
    const parsed = parseCertutilCaCert(run.text);
    const bytes = await readFile(file).catch(() => null);
    if (!parsed.ok || !bytes) {
      o.log.warn({ event: 'ca_chain_export_failed', verb: what, output: run.text.slice(0, 2000) }, `certutil -${what} gave no file`);
      return parsed.pemCertificates.length > 0 ? parsed.pemCertificates : null;
    }
    return readCaFile(bytes);
  }

  async function load(): Promise<Buffer[]> {
    // -ca.chain gives the whole path (PKCS#7); -ca.cert only the CA's own certificate (a root CA's whole chain).
    const certs = (await export1('ca.chain')) ?? (await export1('ca.cert'));
    if (!certs || certs.length === 0) throw new AgentcertError('AC_CA_OUTPUT_UNKNOWN', 'certutil exported no CA certificate (-ca.chain and -ca.cert)');
    const chain = orderChain(certs);
    cached = { chain, at: o.clock.now().getTime(), issuingSubject: describeCertificate(chain[0]!).subject };
    o.log.info({ event: 'ca_chain_loaded', certificates: chain.length, issuing: cached.issuingSubject }, 'CA chain loaded');
    return chain;
  }

  return {
    async get() {
      if (cached && o.clock.now().getTime() - cached.at < o.ttlMs) return cached.chain;
      inflight ??= load().finally(() => { inflight = null; });
      return inflight;
    },
    noteIssued(certDer) {
      if (!cached) return;
      const issuer = describeCertificate(certDer).issuer;
      if (issuer !== cached.issuingSubject) {
        o.log.info({ event: 'ca_chain_stale', issuer, cached: cached.issuingSubject }, 'issued by another CA certificate: chain refreshed at next use');
        cached = null;
      }
    },
  };
}
