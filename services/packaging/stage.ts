/**
 * The payload of a delivery package, rendered and written into its staging folder: certificate, CA certificates,
 * scripts, the renewal files, manifest.json and `<fqdn>.zip`, each written and fsynced. Pure of the service: it
 * runs in the staging thread (stage-worker.ts) or, where that thread is not available, in the caller's thread.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AgentRole } from '../domain/index.js';
import { infTemplatePath, readInstaller } from './assets.js';
import { fsyncPath, writeFilesSynced } from './durable-write.js';
import { buildManifest, certificateFileName, chainFileNames, type Manifest, type ManifestInput } from './manifest.js';
import { renderInstallScript, toCrlf, withUtf8Bom } from './render.js';
import { RENEW_SCRIPT, RENEWAL_INF, renderRenewalInf, renewalKeyLength } from './renewal.js';
import { zipBuffer } from './zip.js';

/** What the payload is rendered from: the manifest's input without the file list (plain data, sent to a thread). */
export type StagePayloadInput = Omit<ManifestInput, 'files'> & { role: AgentRole };

export interface StagedPayload {
  manifest: Manifest;
  /** Every file written, with its SHA-256 (upper-case hex). */
  published: { name: string; sha256: string }[];
  /** The files the installer .exe carries: the payload and manifest.json (not the zip). */
  payloadNames: string[];
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex').toUpperCase();

/** Only the manifest's fields: the delivery input also carries signing settings, which stay in the service. */
export function stagePayloadInput<T extends StagePayloadInput>(i: T): StagePayloadInput {
  return {
    fqdn: i.fqdn,
    role: i.role,
    certificateDer: i.certificateDer,
    chain: i.chain.map((c) => ({ der: c.der, store: c.store })),
    requestFingerprint: i.requestFingerprint,
    requestId: i.requestId,
    issuedAt: i.issuedAt,
    issuer: i.issuer,
    resultsPath: i.resultsPath,
    renewalDueAt: i.renewalDueAt ?? null,
    shareUncPath: i.shareUncPath ?? null,
  };
}

/**
 * The payload the installer verifies, in install order: certificate, CA certificates, scripts, and what the
 * renewal task runs with (renew-certificate.ps1 and this certificate's renewal.inf).
 */
async function renderPayload(input: StagePayloadInput): Promise<{ files: { name: string; data: Buffer }[]; manifest: Manifest }> {
  const chainNames = chainFileNames(input.chain);
  const thumbprint = createHash('sha1').update(input.certificateDer).digest('hex').toUpperCase();
  const renewalInf = renderRenewalInf(await readTemplate(infTemplatePath(RENEWAL_INF)), {
    fqdn: input.fqdn,
    thumbprint,
    keyLength: renewalKeyLength(input.certificateDer),
  });
  const base: { name: string; data: Buffer }[] = [
    { name: certificateFileName(input.fqdn), data: input.certificateDer },
    ...input.chain.map((c, i) => ({ name: chainNames[i]!, data: c.der })),
    { name: 'install.cmd', data: await staticFile('install.cmd', (t) => Buffer.from(toCrlf(t), 'utf8')) },
    { name: RENEW_SCRIPT, data: await staticFile(RENEW_SCRIPT, (t) => withUtf8Bom(toCrlf(t))) },
    { name: RENEWAL_INF, data: Buffer.from(renewalInf, 'ascii') },
  ];
  // The script pins manifest values, and the manifest lists the script's hash: render the manifest without the
  // script first (same values), render the script from it, then list every file.
  const draft = buildManifest({ ...input, files: [] });
  const script = withUtf8Bom(renderInstallScript(await readInstaller('install-certificate.ps1'), draft));
  const files = [...base, { name: 'install-certificate.ps1', data: script }];
  const manifest = buildManifest({ ...input, files: files.map((f) => ({ name: f.name, sha256: sha256(f.data) })) });
  return { files, manifest };
}

/** Installer files that are the same in every package, converted once (CRLF, BOM), not once a package. */
const staticFiles = new Map<string, Promise<Buffer>>();
function staticFile(name: string, convert: (text: string) => Buffer): Promise<Buffer> {
  let f = staticFiles.get(name);
  if (!f) {
    f = readInstaller(name).then(convert);
    staticFiles.set(name, f);
    f.catch(() => staticFiles.delete(name));
  }
  return f;
}

const templateCache = new Map<string, Promise<string>>();
/** INF templates do not change while the service runs: read once. */
function readTemplate(file: string): Promise<string> {
  let t = templateCache.get(file);
  if (!t) {
    t = readFile(file, 'utf8');
    templateCache.set(file, t);
    t.catch(() => templateCache.delete(file));
  }
  return t;
}

/** Render the payload and write it, manifest.json and `<fqdn>.zip` into `dir` (which exists and is empty). */
export async function stagePayload(input: StagePayloadInput, dir: string): Promise<StagedPayload> {
  const { files, manifest } = await renderPayload(input);
  const manifestData = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  const all = [...files, { name: 'manifest.json', data: manifestData }];
  const zip = await zipBuffer(all.map((f) => ({ ...f, store: f.name === 'install-certificate.ps1' })), new Date(input.issuedAt));
  const written = [...all, { name: `${input.fqdn}.zip`, data: zip }];
  // All files at once: their fsyncs overlap instead of queueing one behind the other (bulk bench).
  await writeFilesSynced(dir, written);
  await fsyncPath(dir); // the folder's entries too, here rather than in the service's main thread
  return { manifest, published: written.map((f) => ({ name: f.name, sha256: sha256(f.data) })), payloadNames: all.map((f) => f.name) };
}
