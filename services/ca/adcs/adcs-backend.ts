/**
 * The AD CS backend: a stand-alone CA driven with certreq.exe and certutil.exe, behind the same
 * CaBackend port as the built-in CA (domain/ports.ts).
 *
 * Flow: `certreq -submit` → persist the RequestId at once → (pending) add the SCOM EKUs with
 * `certutil -setextension` when the request lacks them → `certutil -resubmit` → `certreq -retrieve`.
 * `resume` starts at retrieve and never submits again (docs/architecture.md "The flow of one request"). Stand-alone CAs keep
 * requests pending by default (docs/scom-facts.md §7), so pending-after-submit is the normal path.
 */
import path from 'node:path';
import {
  AgentcertError, REVOCATION_REASONS, systemClock, type CaAdminOutcome, type CaBackend, type CaOutcome, type CaPing, type CaRevoker, type Clock, type CrlPublisher,
  type IssuanceInput, type Logger, type PendingAmender, type Runner,
} from '../../domain/index.js';
import { createAdcsTools, type AdcsTools, type ToolRun } from './adcs-tools.js';
import { createChainCache } from './chain-cache.js';
import { parseCertreqSubmit, type CertreqResult } from './certreq-output.js';
import { parseCertutilPing, parseCertutilResubmit, parseCertutilStatus } from './certutil-output.js';
import { OID_EXT_KEY_USAGE } from './eku-extension.js';
import { formatHresult, HRESULT, isTransportHresult } from './hresult.js';
import { clearCertFile, prepareWorkFiles, readIssuedCertificate, removeWorkFiles, writeExtensionFile, type RequestWorkFiles } from './work-files.js';

export interface AdcsBackendOptions {
  /** `HOST\CA Name`, as certreq/certutil -config take it. */
  config: string;
  certreqPath: string;
  certutilPath: string;
  /** Per tool call; a call still running then is killed and counts as a transport failure (retry). */
  timeoutMs: number;
  workDir: string;
  runner: Runner;
  log: Logger;
  clock?: Clock;
  /** How long the exported CA chain is trusted before it is asked for again (default 1 hour). */
  chainTtlMs?: number;
  /** How often a request the CA keeps pending is asked about again (default 5 minutes). */
  pendingPollMs?: number;
}

/** Result of an administrative CA call (revoke, CRL publication, amending a pending request). */
export type AdcsAdminOutcome = CaAdminOutcome;

/** The AD CS backend revokes at the CA, asks it to publish its CRL, and can amend a pending request. */
export interface AdcsBackend extends CaBackend, CaRevoker, CrlPublisher, PendingAmender {
  readonly kind: 'adcs';
}

const retry = (caRequestId: string | null, message: string): CaOutcome => ({ kind: 'retry', caRequestId, code: 'AC_CA_UNAVAILABLE', message });
const unknownShape = (caRequestId: string | null, what: string, raw: string): CaOutcome =>
  ({ kind: 'failed', caRequestId, code: 'AC_CA_OUTPUT_UNKNOWN', message: `${what} printed output of no known shape`, raw });

export function createAdcsBackend(o: AdcsBackendOptions): AdcsBackend {
  const tools: AdcsTools = createAdcsTools(o);
  const log = o.log.child({ component: 'adcs', ca: o.config });
  const chainCache = createChainCache({ tools, workDir: o.workDir, clock: o.clock ?? systemClock, ttlMs: o.chainTtlMs ?? 3_600_000, log });

  /** What a `certreq -retrieve` (or an immediately issuing `-submit`) run means for the request. */
  async function interpretCertreq(run: ToolRun, parsed: CertreqResult, id: string, files: RequestWorkFiles, what: string): Promise<CaOutcome> {
    if (run.transport) return retry(id, run.transport);
    const cert = await readIssuedCertificate(files);
    // The certificate file is the proof of issuance: certreq writes it only for an issued request.
    if (cert && (parsed.disposition === 'issued' || parsed.disposition === 'unknown')) {
      if (parsed.disposition === 'unknown') log.warn({ event: 'ca_issued_unknown_text', caRequestId: id, output: run.text }, `${what}: certificate written, text of unknown shape`);
      chainCache.noteIssued(cert);
      await removeWorkFiles(files);
      return { kind: 'issued', caRequestId: id, certificateDer: cert, message: `issued by ${o.config} (RequestId ${id})` };
    }
    switch (parsed.disposition) {
      case 'issued':
        return { kind: 'failed', caRequestId: id, code: 'AC_CA_OUTPUT_UNKNOWN', message: `${what} reported the request issued but wrote no certificate file`, raw: run.text };
      case 'pending':
        return { kind: 'pending', caRequestId: id, message: parsed.message, pollAfterMs: o.pendingPollMs ?? 300_000 };
      case 'denied':
        return { kind: 'denied', caRequestId: id, message: parsed.message };
      case 'error':
        return { kind: 'failed', caRequestId: id, code: 'AC_CA_DENIED', message: `${what} failed: ${parsed.message}`, raw: run.text };
      default:
        return unknownShape(id, what, run.text);
    }
  }

  async function retrieve(id: string, files: RequestWorkFiles): Promise<CaOutcome> {
    await clearCertFile(files);
    const run = await tools.retrieve(id, files.certFile);
    return interpretCertreq(run, parseCertreqSubmit(run.text), id, files, 'certreq -retrieve');
  }

  /** A pending request: add the SCOM EKUs if the request lacks them, ask the CA to issue, fetch the result. */
  async function approveAndRetrieve(input: IssuanceInput, id: string, files: RequestWorkFiles): Promise<CaOutcome> {
    if (!input.requestHasScomEkus) {
      // docs/scom-facts.md §8.1: serverAuth + clientAuth, non-critical, on the pending request before -resubmit.
      const run = await tools.setExtension(id, OID_EXT_KEY_USAGE, false, files.ekuFile);
      if (run.transport) return retry(id, run.transport);
      const status = parseCertutilStatus(run.text);
      // Not pending any more (issued or denied meanwhile): nothing to add; retrieve tells which.
      if (!status.ok && status.hresult !== HRESULT.badRequestStatus) {
        if (status.verb === null) return unknownShape(id, 'certutil -setextension', run.text);
        return { kind: 'failed', caRequestId: id, code: 'AC_CA_DENIED', message: `certutil -setextension failed: ${status.message || formatHresult(status.hresult ?? 0)}`, raw: run.text };
      }
    }
    const run = await tools.resubmit(id);
    if (run.transport) return retry(id, run.transport);
    const resubmit = parseCertutilResubmit(run.text);
    if (resubmit.verdict === 'unknown') return unknownShape(id, 'certutil -resubmit', run.text);
    if (resubmit.verdict === 'not-found') return { kind: 'failed', caRequestId: id, code: 'AC_CA_DENIED', message: `the CA does not know RequestId ${id}`, raw: run.text };
    // An officer-only CA refuses the resubmit (access denied): the request stays pending, retrieve says so.
    if (resubmit.verdict === 'error') log.warn({ event: 'ca_resubmit_refused', caRequestId: id, message: resubmit.message }, 'certutil -resubmit refused');
    return retrieve(id, files);
  }

  async function submit(input: IssuanceInput, persistCaRequestId: (id: string) => Promise<void>): Promise<CaOutcome> {
    const files = await prepareWorkFiles(o.workDir, input.fingerprint, input.csrPem);
    const journal = path.join(files.dir, 'submit');
    // A submit journaled before a crash (the service died while certreq ran): the CA may have taken the request.
    // Its output names the RequestId; submitting again would leave a second request at the CA.
    const earlier = await tools.recoverSubmit(journal);
    const recovered = earlier ? parseCertreqSubmit(earlier.text) : null;
    let run: ToolRun;
    if (earlier && recovered?.requestId) {
      log.warn({ event: 'ca_submit_recovered', caRequestId: recovered.requestId, fingerprint: input.fingerprint }, `recovered RequestId ${recovered.requestId} from a submit interrupted by a restart; not submitting again`);
      run = earlier;
    } else {
      await clearCertFile(files);
      run = await tools.submit(files.requestFile, files.certFile, journal);
    }
    const parsed = parseCertreqSubmit(run.text);
    if (parsed.requestId !== null) {
      // domain/ports.ts: persisted before any further CA call, so a crash from here on resumes, never resubmits.
      await persistCaRequestId(parsed.requestId);
      log.info({ event: 'ca_submitted', caRequestId: parsed.requestId, disposition: parsed.disposition, fingerprint: input.fingerprint }, 'submitted to the CA');
    }
    // A timeout after the CA took the request leaves an orphan request at the CA (no id to resume from);
    // an orphan pending request is harmless, a second certificate is not issued without an officer.
    if (run.transport) return retry(parsed.requestId, run.transport);
    if (parsed.requestId === null) {
      if (parsed.disposition === 'error') {
        if (isTransportHresult(parsed.hresult)) return retry(null, parsed.message);
        return { kind: 'failed', caRequestId: null, code: 'AC_CA_DENIED', message: `certreq -submit failed: ${parsed.message}`, raw: run.text };
      }
      return unknownShape(null, 'certreq -submit', run.text);
    }
    if (parsed.disposition === 'pending') return approveAndRetrieve(input, parsed.requestId, files);
    return interpretCertreq(run, parsed, parsed.requestId, files, 'certreq -submit');
  }

  async function resume(input: IssuanceInput, caRequestId: string): Promise<CaOutcome> {
    if (!/^(\d{1,10}|0x[0-9a-fA-F]{1,8})$/.test(caRequestId)) {
      return { kind: 'failed', caRequestId, code: 'AC_INTERNAL', message: `stored CA request id is not an AD CS RequestId: ${caRequestId}` };
    }
    const files = await prepareWorkFiles(o.workDir, input.fingerprint, input.csrPem);
    // Retrieve first: after a crash the request may already be issued (or denied) and must not be touched.
    const first = await retrieve(caRequestId, files);
    if (first.kind !== 'pending') return first;
    return approveAndRetrieve(input, caRequestId, files);
  }

  async function ping(): Promise<CaPing> {
    const run = await tools.ping();
    // A dead or hung process says nothing about the CA; an RPC failure is printed and parsed below.
    if (run.result.timedOut || run.result.spawnError) return { ok: false, message: run.transport ?? 'certutil -ping failed' };
    const parsed = parseCertutilPing(run.text);
    return { ok: parsed.ok, message: parsed.ok ? `${o.config}: ${parsed.message}` : `${o.config}: ${parsed.message}${parsed.hresult ? ` (${formatHresult(parsed.hresult)})` : ''}` };
  }

  async function admin(run: ToolRun, what: string): Promise<AdcsAdminOutcome> {
    if (run.transport) return { kind: 'retry', code: 'AC_CA_UNAVAILABLE', message: run.transport };
    const status = parseCertutilStatus(run.text);
    if (status.ok) return { kind: 'done', message: `${what} completed` };
    if (status.verb === null) return { kind: 'failed', code: 'AC_CA_OUTPUT_UNKNOWN', message: `${what} printed output of no known shape`, raw: run.text };
    return { kind: 'failed', code: 'AC_CA_DENIED', message: `${what} failed: ${status.message}`, raw: run.text };
  }

  return {
    kind: 'adcs',
    submit,
    resume,
    chain: () => chainCache.get(),
    ping,
    async revoke(serialHex, reason) {
      if (!/^[0-9a-fA-F]{2,40}$/.test(serialHex)) throw new AgentcertError('AC_USAGE', `not a serial number: ${serialHex}`);
      // certutil -revoke takes the CRL reason code (RFC 5280 §5.3.1).
      return admin(await tools.revoke(serialHex.toLowerCase(), REVOCATION_REASONS[reason]), `certutil -revoke ${serialHex}`);
    },
    async setPendingExtension(caRequestId, oid, critical, valueDer) {
      const file = await writeExtensionFile(o.workDir, caRequestId, oid, valueDer);
      return admin(await tools.setExtension(caRequestId, oid, critical, file), `certutil -setextension ${caRequestId} ${oid}`);
    },
    async publishCrl() {
      return admin(await tools.publishCrl(), 'certutil -crl');
    },
  };
}
