/**
 * The payload of a delivery package, rendered and written into its staging folder: certificate, CA certificates,
 * scripts, the renewal files, manifest.json and `<fqdn>.zip`, each written and fsynced. Pure of the service: it
 * runs in the staging thread (stage-worker.ts) or, where that thread is not available, in the caller's thread.
 */
import { createHash } from 'node:crypto';
import { packagedInstaller, readInfTemplate, readInstaller } from './assets.js';
import { describeForPackage } from './certificate-facts.js';
import { fsyncPath, writeFilesSynced } from '../files/index.js';
import { buildManifest, certificateFileName, chainFileNames, type Manifest, type ManifestInput } from './manifest.js';
import { renderInstallScriptParts } from './render.js';
import { RENEW_SCRIPT, RENEWAL_INF, renderRenewalInf, renewalKeyLength } from './renewal.js';
import { zipBuffer } from './zip.js';

/** What the payload is rendered from: the manifest's input without the file list (plain data, sent to a thread). */
export type StagePayloadInput = Omit<ManifestInput, 'files'>;

export interface StagedPayload {
  manifest: Manifest;
  /** Every file written, with its SHA-256 (upper-case hex). */
  published: { name: string; sha256: string }[];
  /** The files the installer .exe carries: the payload and manifest.json (not the zip). */
  payloadNames: string[];
}

/** SHA-256 as the manifest lists it: upper-case hex. */
export const sha256Hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex').toUpperCase();

/** What stays in the service: where to publish, and how to build and sign the .exe. */
interface ServiceOnly {
  shareRoot?: unknown;
  makensisPath?: unknown;
  buildExe?: unknown;
  signing?: unknown;
}

/** The delivery input without what stays in the service (the signing settings never reach the thread). */
export function stagePayloadInput({ shareRoot, makensisPath, buildExe, signing, ...payload }: StagePayloadInput & ServiceOnly): StagePayloadInput {
  return payload;
}

/**
 * The payload the installer verifies, in install order: certificate, CA certificates, scripts, and what the
 * renewal task runs with (renew-certificate.ps1 and this certificate's renewal.inf).
 */
export interface PayloadFile {
  name: string;
  data: Buffer;
  /** The same bytes in pieces the zip deflates one by one (the installer script). */
  parts?: Buffer[];
  sha256?: string;
}

async function renderPayload(input: StagePayloadInput): Promise<{ files: PayloadFile[]; manifest: Manifest }> {
  const chainNames = chainFileNames(input.chain);
  const renewalInf = renderRenewalInf(await readInfTemplate(RENEWAL_INF), {
    fqdn: input.fqdn,
    thumbprint: describeForPackage(input.certificateDer).thumbprint,
    keyLength: renewalKeyLength(input.certificateDer),
  });
  const base: PayloadFile[] = [
    { name: certificateFileName(input.fqdn), data: input.certificateDer },
    ...input.chain.map((c, i) => ({ name: chainNames[i]!, data: c.der })),
    { name: 'install.cmd', data: await packagedInstaller('install.cmd') },
    { name: RENEW_SCRIPT, data: await packagedInstaller(RENEW_SCRIPT) },
    { name: RENEWAL_INF, data: Buffer.from(renewalInf, 'ascii') },
  ];
  // The script pins manifest values, and the manifest lists the script's hash: render the manifest without the
  // script first (same values), render the script from it, then list every file.
  const draft = buildManifest({ ...input, files: [] });
  const parts = renderInstallScriptParts(await readInstaller('install-certificate.ps1'), draft);
  const files: PayloadFile[] = [...base, { name: 'install-certificate.ps1', data: Buffer.concat(parts), parts }];
  for (const f of files) f.sha256 = sha256Hex(f.data);
  const manifest = buildManifest({ ...input, files: files.map((f) => ({ name: f.name, sha256: f.sha256! })) });
  return { files, manifest };
}

/** Every file of the package in memory: the payload, manifest.json and `<fqdn>.zip`, in the order written. */
export async function renderPackage(input: StagePayloadInput): Promise<{ manifest: Manifest; files: PayloadFile[]; payloadNames: string[] }> {
  const { files, manifest } = await renderPayload(input);
  const manifestData = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  const all: PayloadFile[] = [...files, { name: 'manifest.json', data: manifestData }];
  const zip = await zipBuffer(all, new Date(input.issuedAt));
  return { manifest, files: [...all, { name: `${input.fqdn}.zip`, data: zip }], payloadNames: all.map((f) => f.name) };
}

/** Render the payload and write it, manifest.json and `<fqdn>.zip` into `dir` (which exists and is empty). */
export async function stagePayload(input: StagePayloadInput, dir: string): Promise<StagedPayload> {
  const { manifest, files, payloadNames } = await renderPackage(input);
  // All files at once: their fsyncs overlap instead of queueing one behind the other (bulk bench).
  await writeFilesSynced(dir, files);
  await fsyncPath(dir); // the folder's entries too, here rather than in the service's main thread
  return { manifest, published: files.map((f) => ({ name: f.name, sha256: f.sha256 ?? sha256Hex(f.data) })), payloadNames };
}
