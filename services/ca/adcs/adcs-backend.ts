/**
 * The AD CS backend: a stand-alone CA driven with certreq.exe and certutil.exe, behind the same
 * CaBackend port as the built-in CA (domain/ca-port.ts).
 *
 * Flow: `certreq -submit -attrib agentcertRequest:<fingerprint>` → persist the RequestId at once → (pending) add
 * the SCOM EKUs with `certutil -setextension` when the request lacks them, and set the SAN to the names the policy
 * allowed → `certutil -resubmit` → `certreq -retrieve`. A submit that ended without a RequestId is looked for at
 * the CA by its fingerprint (submitted-lookup.ts) before it is submitted again.
 * `resume` starts at retrieve and never submits again (docs/architecture.md "The flow of one request"). Stand-alone CAs keep
 * requests pending by default (docs/scom-facts.md §7), so pending-after-submit is the normal path.
 */
import path from 'node:path';
import {
  AgentcertError, REVOCATION_REASONS, systemClock, type CaAdminOutcome, type CaBackend, type CaOutcome, type CaPing, type CaRevoker, type Clock, type CrlPublisher,
  type IssuanceInput, type Logger, type PendingAmender, type RevocationReason, type Runner, type SubmitJournal,
} from '../../domain/index.js';
import { createAdcsTools, type AdcsTools, type ToolRun } from './adcs-tools.js';
import { createChainCache } from './chain-cache.js';
import { parseCertreqSubmit, type CertreqResult } from './certreq-output.js';
import { parseCertutilPing, parseCertutilResubmit, parseCertutilStatus } from './certutil-output.js';
import { OID_EXT_KEY_USAGE } from './eku-extension.js';
import { OID_EXT_SUBJECT_ALT_NAME } from './san-extension.js';
import { DISPOSITION, findSubmitted, submitAttribute, viewCommand } from './submitted-lookup.js';
import { formatHresult, HRESULT, isTransportHresult } from './hresult.js';
import { abandonedElsewhere, submitOnce, uploadLocalSubmits } from './shared-submit.js';
import {
  clearCertFile, markSubmittedAfterTimeout, prepareWorkFiles, readIssuedCertificate, removeWorkFiles, wasSubmittedAfterTimeout, writeExtensionFile,
  type RequestWorkFiles,
} from './work-files.js';
import type { AdcsAdminOutcome, AdcsBackend, AdcsBackendOptions } from './backend-options.js';

export type { AdcsAdminOutcome, AdcsBackend, AdcsBackendOptions } from './backend-options.js';

const retry = (caRequestId: string | null, message: string): CaOutcome => ({ kind: 'retry', caRequestId, code: 'AC_CA_UNAVAILABLE', message });
const unknownShape = (caRequestId: string | null, what: string, raw: string): CaOutcome =>
  ({ kind: 'failed', caRequestId, code: 'AC_CA_OUTPUT_UNKNOWN', message: `${what} printed output of no known shape`, raw });

/** Why a CA that copies the request would issue other names or EKUs than planned, or null (rules/request-names.ts). */
export function wouldIssueOtherwise(input: IssuanceInput): string | null {
  const requested = input.requestedSubjectAltNames;
  const same = requested.length === input.dnsNames.length && requested.every((e, i) => e.toLowerCase() === `dns:${input.dnsNames[i]!.toLowerCase()}`);
  if (requested.length > 0 && !same) return `would copy the requested SAN (${requested.join(', ')}) instead of ${input.dnsNames.join(', ')}`;
  if (!input.requestHasScomEkus) return 'would issue the certificate without Server and Client Authentication (the request asks for neither)';
  return null;
}

/** The AD CS backend: one object per configured CA (see the file's header for the flow). */
class AdcsCa implements AdcsBackend {
  private readonly tools: AdcsTools;
  private readonly log: Logger;
  private readonly chainCache: ReturnType<typeof createChainCache>;

  constructor(private readonly o: AdcsBackendOptions) {
    this.tools = createAdcsTools(o);
    this.log = o.log.child({ component: 'adcs', ca: o.config });
    this.chainCache = createChainCache({ tools: this.tools, workDir: o.workDir, clock: o.clock ?? systemClock, ttlMs: o.chainTtlMs ?? 3_600_000, log: this.log });
    if (o.submitJournal) void uploadLocalSubmits(o.submitJournal, o.workDir, this.tools, this.log).catch((err: unknown) => this.log.warn({ err }, 'could not share the local submit journals'));
  }

  readonly kind = 'adcs' as const;

  submit(input: IssuanceInput, persistCaRequestId: (id: string) => Promise<void>): Promise<CaOutcome> {
    return this.submitOnce(input, persistCaRequestId);
  }

  resume(input: IssuanceInput, caRequestId: string): Promise<CaOutcome> {
    return this.resumeWith(input, caRequestId);
  }

  chain(): Promise<Buffer[]> {
    return this.chainCache.get();
  }

  ping(): Promise<CaPing> {
    return this.pingCa();
  }

  async revoke(serialHex: string, reason: RevocationReason): Promise<CaAdminOutcome> {
    if (!/^[0-9a-fA-F]{2,40}$/.test(serialHex)) throw new AgentcertError('AC_USAGE', `not a serial number: ${serialHex}`);
    // certutil -revoke takes the CRL reason code (RFC 5280 §5.3.1).
    return this.admin(await this.tools.revoke(serialHex.toLowerCase(), REVOCATION_REASONS[reason]), `certutil -revoke ${serialHex}`);
  }

  manualRevokeCommand(serialHex: string, reason: RevocationReason): string {
    return `certutil -config "${this.o.config}" -revoke ${serialHex.toLowerCase()} ${REVOCATION_REASONS[reason]} && certutil -config "${this.o.config}" -crl`;
  }

  async setPendingExtension(caRequestId: string, oid: string, critical: boolean, valueDer: Buffer): Promise<CaAdminOutcome> {
    const file = await writeExtensionFile(this.o.workDir, caRequestId, oid, valueDer);
    return this.admin(await this.tools.setExtension(caRequestId, oid, critical, file), `certutil -setextension ${caRequestId} ${oid}`);
  }

  async publishCrl(): Promise<CaAdminOutcome> {
    return this.admin(await this.tools.publishCrl(), 'certutil -crl');
  }

  /** What a `certreq -retrieve` (or an immediately issuing `-submit`) run means for the request. */
  private async interpretCertreq(run: ToolRun, parsed: CertreqResult, id: string, files: RequestWorkFiles, what: string): Promise<CaOutcome> {
    if (run.transport) return retry(id, run.transport);
    const cert = await readIssuedCertificate(files);
    // The certificate file is the proof of issuance: certreq writes it only for an issued request.
    if (cert && (parsed.disposition === 'issued' || parsed.disposition === 'unknown')) {
      if (parsed.disposition === 'unknown') this.log.warn({ event: 'ca_issued_unknown_text', caRequestId: id, output: run.text }, `${what}: certificate written, text of unknown shape`);
      this.chainCache.noteIssued(cert);
      if (await wasSubmittedAfterTimeout(files)) await this.sweepLateDuplicates(path.basename(files.dir), id);
      await removeWorkFiles(files);
      return { kind: 'issued', caRequestId: id, certificateDer: cert, message: `issued by ${this.o.config} (RequestId ${id})` };
    }
    switch (parsed.disposition) {
      case 'issued':
        return { kind: 'failed', caRequestId: id, code: 'AC_CA_OUTPUT_UNKNOWN', message: `${what} reported the request issued but wrote no certificate file`, raw: run.text };
      case 'pending':
        return { kind: 'pending', caRequestId: id, message: parsed.message, pollAfterMs: this.o.pendingPollMs ?? 300_000 };
      case 'denied':
        return { kind: 'denied', caRequestId: id, message: parsed.message };
      case 'error':
        return { kind: 'failed', caRequestId: id, code: 'AC_CA_DENIED', message: `${what} failed: ${parsed.message}`, raw: run.text };
      default:
        return unknownShape(id, what, run.text);
    }
  }

  private async retrieve(id: string, files: RequestWorkFiles): Promise<CaOutcome> {
    await clearCertFile(files);
    const run = await this.tools.retrieve(id, files.certFile);
    return this.interpretCertreq(run, parseCertreqSubmit(run.text), id, files, 'certreq -retrieve');
  }

  /** One `certutil -setextension` on a pending request; null when done (or the request is not pending any more). */
  private async amend(id: string, oid: string, file: string): Promise<CaOutcome | null> {
    const run = await this.tools.setExtension(id, oid, false, file);
    if (run.transport) return retry(id, run.transport);
    const status = parseCertutilStatus(run.text);
    // Not pending any more (issued or denied meanwhile): nothing to add; retrieve tells which, the gate checks it.
    if (!status.ok && status.hresult !== HRESULT.badRequestStatus) {
      if (status.verb === null) return unknownShape(id, 'certutil -setextension', run.text);
      return { kind: 'failed', caRequestId: id, code: 'AC_CA_DENIED', message: `certutil -setextension ${oid} failed: ${status.message || formatHresult(status.hresult ?? 0)}`, raw: run.text };
    }
    return null;
  }

  /**
   * A pending request: add the SCOM EKUs if the request lacks them, set the SAN to the names the policy allowed
   * (the CA would copy the request's own), ask the CA to issue, fetch the result.
   */
  private async approveAndRetrieve(input: IssuanceInput, id: string, files: RequestWorkFiles): Promise<CaOutcome> {
    // docs/scom-facts.md §8.1: serverAuth + clientAuth, non-critical, on the pending request before -resubmit.
    const eku = input.requestHasScomEkus ? null : await this.amend(id, OID_EXT_KEY_USAGE, files.ekuFile);
    if (eku) return eku;
    // Always, so both backends issue the same names (README "Names in a certificate"); non-critical as in RFC 5280 §4.2.1.6 when the subject is not empty.
    const san = await this.amend(id, OID_EXT_SUBJECT_ALT_NAME, files.sanFile);
    if (san) return san;
    const run = await this.tools.resubmit(id);
    if (run.transport) return retry(id, run.transport);
    const resubmit = parseCertutilResubmit(run.text);
    if (resubmit.verdict === 'unknown') return unknownShape(id, 'certutil -resubmit', run.text);
    if (resubmit.verdict === 'not-found') return { kind: 'failed', caRequestId: id, code: 'AC_CA_DENIED', message: `the CA does not know RequestId ${id}`, raw: run.text };
    // An officer-only CA refuses the resubmit (access denied): the request stays pending, retrieve says so.
    if (resubmit.verdict === 'error') this.log.warn({ event: 'ca_resubmit_refused', caRequestId: id, message: resubmit.message }, 'certutil -resubmit refused');
    return this.retrieve(id, files);
  }

  /**
   * A submit that ended without a RequestId (killed at the timeout, or the service died while it ran) may still
   * have reached the CA: ask the CA for a request carrying this fingerprint before submitting again.
   */
  private async lookForEarlierSubmit(input: IssuanceInput, earlier: ToolRun | null, abandonedElsewhere: boolean): Promise<{ id: string } | CaOutcome | null> {
    // Also after another instance's submit that never recorded its outcome (it died while certreq ran).
    if (!abandonedElsewhere && (!earlier || !(earlier.result.timedOut || earlier.result.exitCode === null))) return null;
    const disposition = this.o.issuesAtSubmit ? DISPOSITION.issued : DISPOSITION.pending;
    const found = await findSubmitted(this.tools, input.fingerprint, disposition);
    if (found.kind === 'unavailable') {
      return retry(null, `an earlier certreq -submit of this request ended without a RequestId and the CA could not be asked whether it took it (${found.message}); not submitting again until it answers. By hand: ${viewCommand(this.o.config, disposition)}, look for ${submitAttribute(input.fingerprint)}`);
    }
    if (found.kind === 'none') return null;
    const [id, ...extra] = found.requestIds as [string, ...string[]];
    this.log.warn({ event: 'ca_submit_found', caRequestId: id, extra, fingerprint: input.fingerprint }, `found RequestId ${id} at the CA by this request's fingerprint after a submit that timed out; not submitting again`);
    // More than one (a retry raced the CA): the others would wait at the CA forever.
    for (const other of extra) {
      if (!this.o.issuesAtSubmit) await this.tools.deny(other);
      else this.log.error({ event: 'ca_duplicate_issued', caRequestId: other, fingerprint: input.fingerprint }, `RequestId ${other} is a second certificate for this request; revoke it: certutil -config "${this.o.config}" -revoke <serial of RequestId ${other}> 0`);
    }
    return { id };
  }

  /**
   * A request submitted again after a timed-out submit the CA did not show: that first submit may have landed
   * late. Any other request at the CA carrying this fingerprint is denied (pending), or logged with what to do.
   */
  private async sweepLateDuplicates(fingerprint: string, keepId: string): Promise<void> {
    const disposition = this.o.issuesAtSubmit ? DISPOSITION.issued : DISPOSITION.pending;
    const found = await findSubmitted(this.tools, fingerprint, disposition);
    if (found.kind === 'unavailable') {
      this.log.error({ event: 'ca_duplicate_unchecked', fingerprint, caRequestId: keepId }, `could not ask the CA for a late duplicate of RequestId ${keepId} (${found.message}); check by hand: ${viewCommand(this.o.config, disposition)}, look for ${submitAttribute(fingerprint)}`);
      return;
    }
    for (const other of found.kind === 'found' ? found.requestIds.filter((x) => x !== keepId) : []) {
      if (!this.o.issuesAtSubmit) {
        await this.tools.deny(other);
        this.log.warn({ event: 'ca_duplicate_denied', fingerprint, caRequestId: other, kept: keepId }, `denied RequestId ${other}, a late duplicate of RequestId ${keepId} at the CA`);
      } else this.log.error({ event: 'ca_duplicate_issued', fingerprint, caRequestId: other, kept: keepId }, `RequestId ${other} is a second certificate for this request; revoke it: certutil -config "${this.o.config}" -revoke <serial of RequestId ${other}> 0`);
    }
  }

  private async submitOnce(input: IssuanceInput, persistCaRequestId: (id: string) => Promise<void>): Promise<CaOutcome> {
    if (this.o.issuesAtSubmit) {
      const wrong = wouldIssueOtherwise(input);
      if (wrong) return { kind: 'failed', caRequestId: null, code: 'AC_REQUEST_REJECTED', message: `not submitted: the CA issues at submit and ${wrong}` };
    }
    const files = await prepareWorkFiles(this.o.workDir, input.fingerprint, input.csrPem, input.dnsNames);
    const journal = path.join(files.dir, 'submit');
    // A submit journaled before a crash (the service died while certreq ran): the CA may have taken the request.
    // Its output names the RequestId; submitting again would leave a second request at the CA.
    const earlier = await this.tools.recoverSubmit(journal);
    const recovered = earlier ? parseCertreqSubmit(earlier.text) : null;
    let run: ToolRun;
    if (earlier && recovered?.requestId) {
      this.log.warn({ event: 'ca_submit_recovered', caRequestId: recovered.requestId, fingerprint: input.fingerprint }, `recovered RequestId ${recovered.requestId} from a submit interrupted by a restart; not submitting again`);
      run = earlier;
    } else {
      const abandoned = await abandonedElsewhere(this.o.submitJournal, input.fingerprint, this.o.clock ?? systemClock);
      const found = await this.lookForEarlierSubmit(input, earlier, abandoned);
      if (found && 'kind' in found) return found;
      if (found) {
        await persistCaRequestId(found.id);
        return this.resumeWith(input, found.id);
      }
      // Submitting again after a submit that ended without a RequestId: remember to look for a late duplicate.
      if (abandoned || (earlier && (earlier.result.timedOut || earlier.result.exitCode === null))) await markSubmittedAfterTimeout(files);
      await clearCertFile(files);
      const shared = await submitOnce(this.o.submitJournal, input.fingerprint, { timeoutMs: this.o.timeoutMs, clock: this.o.clock ?? systemClock }, () =>
        this.tools.submit(files.requestFile, files.certFile, journal, submitAttribute(input.fingerprint)),
      );
      if ('busy' in shared) return retry(null, shared.busy);
      if (shared.recovered) this.log.warn({ event: 'ca_submit_recovered', fingerprint: input.fingerprint }, 'recovered the RequestId of a submit another instance made; not submitting again');
      run = shared.run;
    }
    const parsed = parseCertreqSubmit(run.text);
    if (parsed.requestId !== null) {
      // domain/ports.ts: persisted before any further CA call, so a crash from here on resumes, never resubmits.
      await persistCaRequestId(parsed.requestId);
      this.log.info({ event: 'ca_submitted', caRequestId: parsed.requestId, disposition: parsed.disposition, fingerprint: input.fingerprint }, 'submitted to the CA');
    }
    // A timeout may come after the CA took the request: the next attempt asks the CA by the fingerprint attribute
    // (lookForEarlierSubmit) before submitting again, so no orphan is left waiting at the CA.
    if (run.transport) {
      const disposition = this.o.issuesAtSubmit ? DISPOSITION.issued : DISPOSITION.pending;
      return retry(parsed.requestId, parsed.requestId ? run.transport : `${run.transport}; the CA may have taken it: the next attempt looks for ${submitAttribute(input.fingerprint)} (${viewCommand(this.o.config, disposition)}) before submitting again`);
    }
    if (parsed.requestId === null) {
      if (parsed.disposition === 'error') {
        if (isTransportHresult(parsed.hresult)) return retry(null, parsed.message);
        return { kind: 'failed', caRequestId: null, code: 'AC_CA_DENIED', message: `certreq -submit failed: ${parsed.message}`, raw: run.text };
      }
      return unknownShape(null, 'certreq -submit', run.text);
    }
    if (parsed.disposition === 'pending') return this.approveAndRetrieve(input, parsed.requestId, files);
    return this.interpretCertreq(run, parsed, parsed.requestId, files, 'certreq -submit');
  }

  private async resumeWith(input: IssuanceInput, caRequestId: string): Promise<CaOutcome> {
    if (!/^(\d{1,10}|0x[0-9a-fA-F]{1,8})$/.test(caRequestId)) {
      return { kind: 'failed', caRequestId, code: 'AC_INTERNAL', message: `stored CA request id is not an AD CS RequestId: ${caRequestId}` };
    }
    const files = await prepareWorkFiles(this.o.workDir, input.fingerprint, input.csrPem, input.dnsNames);
    // Retrieve first: after a crash the request may already be issued (or denied) and must not be touched.
    const first = await this.retrieve(caRequestId, files);
    if (first.kind !== 'pending') return first;
    return this.approveAndRetrieve(input, caRequestId, files);
  }

  private async pingCa(): Promise<CaPing> {
    const run = await this.tools.ping();
    // A dead or hung process says nothing about the CA; an RPC failure is printed and parsed below.
    if (run.result.timedOut || run.result.spawnError) return { ok: false, message: run.transport ?? 'certutil -ping failed' };
    const parsed = parseCertutilPing(run.text);
    return { ok: parsed.ok, message: parsed.ok ? `${this.o.config}: ${parsed.message}` : `${this.o.config}: ${parsed.message}${parsed.hresult ? ` (${formatHresult(parsed.hresult)})` : ''}` };
  }

  private async admin(run: ToolRun, what: string): Promise<AdcsAdminOutcome> {
    if (run.transport) return { kind: 'retry', code: 'AC_CA_UNAVAILABLE', message: run.transport };
    const status = parseCertutilStatus(run.text);
    if (status.ok) return { kind: 'done', message: `${what} completed` };
    if (status.verb === null) return { kind: 'failed', code: 'AC_CA_OUTPUT_UNKNOWN', message: `${what} printed output of no known shape`, raw: run.text };
    return { kind: 'failed', code: 'AC_CA_DENIED', message: `${what} failed: ${status.message}`, raw: run.text };
  }
}

/** The backend as a plain object of its operations (callers may wrap or spread it, as tests of capabilities do). */
export function createAdcsBackend(o: AdcsBackendOptions): AdcsBackend {
  const ca = new AdcsCa(o);
  return {
    kind: 'adcs',
    submit: (input, persist) => ca.submit(input, persist),
    resume: (input, id) => ca.resume(input, id),
    chain: () => ca.chain(),
    ping: () => ca.ping(),
    revoke: (serial, reason) => ca.revoke(serial, reason),
    manualRevokeCommand: (serial, reason) => ca.manualRevokeCommand(serial, reason),
    setPendingExtension: (id, oid, critical, der) => ca.setPendingExtension(id, oid, critical, der),
    publishCrl: () => ca.publishCrl(),
  };
}
