/**
 * The work a request needs besides its signature and its package files, each part measured alone: one thread,
 * warmed up, no hand-offs, no logs, the service's own functions on the bench's requests. A part here is a
 * function of the product (the intake's read and archive move, parsing and verifying the request, the policy
 * checks, building the certificate, the verify gate on the issued certificate, rendering the package, the five
 * audited state changes in the store), so what the service spends above the floor splits into this work and the
 * cost of running it as a service (threads, messages, garbage collection of a long-lived heap, logs, the watcher).
 *
 *   node dist/test/bench/work-alone.js [requests]     prints the parts as JSON (default 1,000 requests)
 */
import { createHash, sign } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { caIssuesAsRequested } from '../../services/ca/index.js';
import { loadConfig } from '../../services/config/index.js';
import type { Store, TransitionRecord } from '../../services/domain/index.js';
import { safeReadRequest } from '../../services/files/index.js';
import { effectiveProtectedNames } from '../../services/lifecycle/steps/trust.js';
import { renderPackage } from '../../services/packaging/stage.js';
import { createIssuingCa, createRootCa, describeCertificate, newSerialHex, parseRequest, signLeafCertificate, verifyChain, type ParsedRequest } from '../../services/pki/index.js';
import { assess, checkCertificate } from '../../services/rules/index.js';
import { SqliteStore } from '../../services/store/index.js';

export interface WorkPart {
  part: string;
  /** CPU a request (user + system of the process), ms. */
  ms: number;
}

export interface WorkAlone {
  requests: number;
  parts: WorkPart[];
  /** Everything but the RSA signature: the work a request needs above the floor, measured alone. */
  aboveFloorMs: number;
  /** The RSA signature inside the certificate part, measured the same way (node:crypto, the CA's key). */
  signatureMs: number;
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** CPU a call of `f` over every item, after a warm-up pass over the first 200 (the JIT's work is a start-up cost). */
async function perItem<T>(items: T[], f: (item: T, i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(200, items.length); i++) await f(items[i]!, i);
  const c0 = cpuMs();
  for (let i = 0; i < items.length; i++) await f(items[i]!, i);
  return (cpuMs() - c0) / items.length;
}

const step = (from: TransitionRecord['from'], to: TransitionRecord['to'], reason: TransitionRecord['reason'], extra: Partial<TransitionRecord> = {}): TransitionRecord => ({
  from, to, reason, message: `${from.join('|')} -> ${to}`, actor: 'service', data: null, ...extra,
});

/**
 * The five units of work of one request as the pipeline writes them (the checks' reads, insert + checked in one transaction,
 * submitted, issued with its certificate row, verified, packaged), 16 requests at a time as the service's
 * group commit sees them.
 */
async function storeWork(dir: string, reqs: { fqdn: string; bytes: Buffer; parsed: ParsedRequest; der: Buffer }[]): Promise<number> {
  const store: Store = new SqliteStore(path.join(dir, 'agentcert.db'), { now: () => new Date() });
  // The certificates' fields are read before the clock starts: describing them is the gate's work, not the store's.
  const infos = reqs.map((r) => describeCertificate(r.der));
  const one = async (r: (typeof reqs)[number], i: number, round: number): Promise<void> => {
    const fqdn = round === 0 ? r.fqdn : `r${round}-${r.fqdn}`;
    const fingerprint = createHash('sha256').update(`${round}:${r.parsed.fingerprint}`).digest('hex');
    const { id } = await store.withTransaction(async (tx) => {
      // What the checks read (lifecycle/steps/check.ts requestFacts): the name's active certificates and requests.
      await tx.certificates.findMany({ fqdn, state: 'active' });
      await tx.requests.find({ fqdn });
      const { request } = await tx.requests.insert({ fingerprint, fqdn, tenant: 'default', csrDer: r.parsed.csrDer, originalBytes: r.bytes, sourceName: `${fqdn}.req` }, `${fqdn}.req received (${r.bytes.length} bytes)`);
      return tx.requests.transition(request.id, step(['received'], 'checked', 'CHECKS_PASSED'));
    });
    await store.requests.transition(id, step(['checked'], 'submitted', 'SUBMITTED', { caRequestId: String(i) }));
    const info = infos[i]!;
    const certificate = { serialNumber: `${round}${info.serialNumber}`, requestId: id, fqdn, tenant: 'default', thumbprint: `${round}${info.thumbprint}`, sha256: `${round}${info.sha256}`, notBefore: info.notBefore.toISOString(), notAfter: info.notAfter.toISOString(), subject: info.subject, issuer: info.issuer, der: r.der };
    await store.requests.transition(id, step(['submitted'], 'issued', 'ISSUED', { certificate }));
    await store.requests.transition(id, step(['issued'], 'verified', 'VERIFIED'));
    await store.requests.transition(id, step(['verified'], 'packaged', 'PACKAGED'));
  };
  const run = async (round: number, list: typeof reqs): Promise<void> => {
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < list.length) {
        const i = next++;
        await one(list[i]!, i, round);
      }
    }));
  };
  await run(1, reqs.slice(0, 200)); // warm-up, other names
  const c0 = cpuMs();
  await run(0, reqs);
  const ms = (cpuMs() - c0) / reqs.length;
  await store.close();
  return ms;
}

/** Each part of a request's work alone, over `files` in `reqDir` (the bench's cached requests). */
export async function measureWorkAlone(reqDir: string, files: string[], caBits: number): Promise<WorkAlone> {
  const config = loadConfig({ env: {} });
  const work = mkdtempSync(path.join(os.tmpdir(), 'agentcert-bench-work-'));
  try {
    const now = new Date();
    const root = createRootCa({ commonName: 'agentcert bench Root CA', keyBits: caBits, notBefore: new Date(now.getTime() - 86_400_000), notAfter: new Date(now.getTime() + 10 * 365 * 86_400_000) });
    const issuing = createIssuingCa({ commonName: 'agentcert bench Issuing CA', keyBits: caBits, parent: root, notBefore: new Date(now.getTime() - 86_400_000), notAfter: new Date(now.getTime() + 5 * 365 * 86_400_000) });
    const chain = [issuing.certDer, root.certDer];
    const tenant = config.policy.defaultTenant;
    const protectedNames = effectiveProtectedNames(config);
    const inbox = path.join(work, 'requests');
    const archive = path.join(work, 'archive');
    mkdirSync(inbox);
    mkdirSync(archive);
    for (const f of files) copyFileSync(path.join(reqDir, f), path.join(inbox, f));
    const fqdnOf = (f: string): string => f.replace(/\.req$/i, '').toLowerCase();
    const bytes: Buffer[] = [];
    const parts: WorkPart[] = [];

    // The intake's file work: lstat, open, fstat, read (files/safe-read.ts), then the move into archive/. The
    // warm-up moves 200 files and puts them back.
    const intake = async (f: string): Promise<Buffer> => {
      const read = await safeReadRequest(path.join(inbox, f), config.share.maxRequestBytes);
      if (read.kind !== 'ok') throw new Error(`${f}: ${read.kind}`);
      await rename(path.join(inbox, f), path.join(archive, f));
      return read.bytes;
    };
    for (const f of files.slice(0, 200)) {
      await intake(f);
      await rename(path.join(archive, f), path.join(inbox, f));
    }
    const c0 = cpuMs();
    for (const f of files) bytes.push(await intake(f));
    parts.push({ part: 'intake: read the file, move it to archive/', ms: (cpuMs() - c0) / files.length });
    const parsed: ParsedRequest[] = [];
    parts.push({ part: 'parse and verify the request (DER, attributes, signature)', ms: await perItem(bytes, (b, i) => {
      const p = parseRequest(b);
      parsed[i] = p;
    }) });
    const renewal = { isRenewal: false, renewalOf: null, finding: null };
    parts.push({ part: 'policy checks (rules/assess.ts)', ms: await perItem(parsed, (p, i) => {
      const a = assess({ parsed: p, fqdn: fqdnOf(files[i]!), minKeyBits: config.policy.minKeyBits, tenant, protectedNames, hasActiveCertificateWithOtherKey: false, renewal, caIssuesAsRequested: caIssuesAsRequested(config.ca), trust: [] });
      if (a.outcome !== 'accept') throw new Error(`${files[i]}: ${a.outcome} ${a.message}`);
    }) });
    const ders: Buffer[] = [];
    const notAfter = new Date(now.getTime() + 365 * 86_400_000);
    const certMs = await perItem(parsed, (p, i) => {
      ders[i] = signLeafCertificate({ issuer: issuing, publicKeyDer: p.publicKeyDer, fqdn: fqdnOf(files[i]!), serialHex: newSerialHex(), notBefore: now, notAfter });
    });
    // A certificate's worth of bytes signed the same way: the RSA part of the certificate's cost.
    const signatureMs = await perItem(ders, (d) => sign('sha256', d, issuing.key));
    parts.push({ part: 'build the certificate (without its RSA signature)', ms: certMs - signatureMs });
    parts.push({ part: 'verify gate (chain, key, EKU, KU, names)', ms: await perItem(ders, (d, i) => {
      const info = describeCertificate(d);
      const report = verifyChain({ leafDer: d, intermediatesDer: chain.slice(0, -1), trustedRootsDer: chain.slice(-1), at: now });
      const checks = [...report.checks, ...checkCertificate({ info, fqdn: fqdnOf(files[i]!), at: now, requestPublicKeyDer: parsed[i]!.publicKeyDer, minKeyBits: config.policy.minKeyBits, allowedDnsNames: [fqdnOf(files[i]!)] })];
      if (!checks.every((c) => c.passed)) throw new Error(`${files[i]}: the verify gate failed: ${checks.filter((c) => !c.passed).map((c) => c.message).join('; ')}`);
    }) });
    const issuer = describeCertificate(issuing.certDer).subject;
    parts.push({ part: 'render the package (script, manifest, hashes, zip)', ms: await perItem(ders, (d, i) => renderPackage({
      fqdn: fqdnOf(files[i]!), role: 'agent', certificateDer: d, chain: [{ der: issuing.certDer, store: 'CA' }, { der: root.certDer, store: 'Root' }],
      requestFingerprint: parsed[i]!.fingerprint, requestId: `bench${i}`, issuedAt: now.toISOString(), issuer, resultsPath: null,
      renewalDueAt: null, shareUncPath: null, managementGroup: null,
    })) });
    parts.push({ part: 'store: the request, its certificate, five audited state changes', ms: await storeWork(work, parsed.map((p, i) => ({ fqdn: fqdnOf(files[i]!), bytes: bytes[i]!, parsed: p, der: ders[i]! }))) });
    return { requests: files.length, parts, aboveFloorMs: parts.reduce((s, p) => s + p.ms, 0), signatureMs };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { cachedRequests } = await import('./common.js');
  const n = Number(process.argv[2] ?? 1000);
  const cache = cachedRequests(n);
  const bits = Number(process.env.BENCH_CA_BITS ?? 3072);
  console.log(JSON.stringify(await measureWorkAlone(cache.dir, cache.files.slice(0, n), bits), null, 2));
}
