/**
 * publishPackage: render the delivery package into issued/.tmp-<random>/ and move it into issued/<fqdn>/ by
 * rename, so the folder appears complete or not at all (docs/contract.md "Share layout").
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger, Runner } from '../domain/index.js';
import { AgentcertError } from '../domain/index.js';
import { fsyncPath, SharedDirSync, writeFileSynced } from '../files/index.js';
import type { Manifest, ManifestInput } from './manifest.js';
import { buildInstallerExe, findMakensis, type SigningConfig } from './nsis.js';
import { sha256Hex, stagePayloadInput } from './stage.js';
import { stageInProcess, type Stager } from './stage-pool.js';

/** What the manifest needs (manifest.ts), plus where to publish and how to build the .exe. */
export interface DeliveryInput extends Omit<ManifestInput, 'files'> {
  shareRoot: string;
  makensisPath?: string | null;
  /** false: never build the .exe (packaging.buildExe); the .zip and the scripts are always there. */
  buildExe?: boolean;
  signing?: SigningConfig | null;
}

/** What publishing uses besides the input: the process runner, the log, and the share's long-lived helpers. */
export interface PublishDeps {
  runner: Runner;
  log: Logger;
  /** Where the payload is rendered and written (the application's staging thread); in this thread by default. */
  staging?: Stager;
  /** The group fsync of issued/ shared by concurrent publishes; each publish syncs on its own by default. */
  issuedSync?: SharedDirSync;
}

export interface DeliveryPackage {
  dir: string;
  files: { name: string; sha256: string }[];
  manifest: Manifest;
}

/** The package folder and the file names are built from the FQDN: only a DNS name may get there. */
function isPackageFqdn(fqdn: string): boolean {
  return fqdn.length > 0 && fqdn.length <= 253 && fqdn === fqdn.toLowerCase() &&
    fqdn.split('.').every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l));
}

function assertFqdn(fqdn: string): void {
  if (!isPackageFqdn(fqdn)) throw new AgentcertError('AC_PUBLISH_FAILED', `not a lower-case DNS name, refusing to publish: ${JSON.stringify(fqdn)}`);
}

/** Write every file of the package into the staging folder; returns each published file with its SHA-256. */
async function stage(input: DeliveryInput, tmp: string, deps: PublishDeps): Promise<{ manifest: Manifest; published: { name: string; sha256: string }[] }> {
  // Rendering, the zip and the writes run in the staging thread (stage-pool.ts): they were a third of the main
  // thread's time per request in the bulk bench.
  const { manifest, published, payloadNames: all } = await (deps.staging ?? stageInProcess).stage(stagePayloadInput(input), tmp);
  const makensis = input.buildExe === false ? null : await findMakensis(deps.runner, deps.log, input.makensisPath);
  if (makensis) {
    const exeName = `${input.fqdn}-install.exe`;
    const exe = await buildInstallerExe({
      runner: deps.runner,
      log: deps.log,
      makensis,
      packageDir: tmp,
      files: all,
      outName: exeName,
      displayName: `agentcert certificate for ${input.fqdn}`,
      signing: input.signing ?? null,
    });
    await writeFileSynced(path.join(tmp, exeName), exe);
    await fsyncPath(tmp); // the staging thread synced the folder before the .exe was added
    published.push({ name: exeName, sha256: sha256Hex(exe) });
  } else if (input.buildExe !== false) {
    deps.log.info({ fqdn: input.fqdn }, 'makensis not found: package published without the .exe');
  }
  return { manifest, published: published.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

export async function publishPackage(input: DeliveryInput, deps: PublishDeps): Promise<DeliveryPackage> {
  assertFqdn(input.fqdn);
  const issued = path.join(path.resolve(input.shareRoot), 'issued');
  const final = path.join(issued, input.fqdn);
  const tmp = path.join(issued, `.tmp-${randomBytes(8).toString('hex')}`);
  let manifest: Manifest;
  let files: { name: string; sha256: string }[];
  try {
    // issued/ normally exists: one mkdir a package, and the parents only when it does not.
    await mkdir(tmp).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await mkdir(issued, { recursive: true });
      await mkdir(tmp);
    });
    ({ manifest, published: files } = await stage(input, tmp, deps));
    await swapIn(tmp, final, issued, deps.issuedSync ?? new SharedDirSync(issued));
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (err instanceof AgentcertError) throw err;
    throw new AgentcertError('AC_PUBLISH_FAILED', `publishing ${input.fqdn} failed: ${(err as Error).message}`, [], { cause: err });
  }
  deps.log.debug({ fqdn: input.fqdn, dir: final, files: files.length }, 'delivery package published'); // the PACKAGED transition says it at info
  return { dir: final, files, manifest };
}

/** Old package aside, new one in, old one deleted; if the second rename fails, the old one goes back. */
async function swapIn(tmp: string, final: string, issued: string, issuedSync: SharedDirSync): Promise<void> {
  // Usually there is no package yet: rename straight away (a non-empty folder or a file in the way refuses it).
  const renamed = await rename(tmp, final).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOTEMPTY' || err.code === 'EEXIST' || err.code === 'ENOTDIR' || err.code === 'EISDIR') return false;
      throw err;
    },
  );
  if (renamed) {
    await issuedSync.sync();
    return;
  }
  // `.old-<hex>`: with the FQDN in it (up to 253 bytes) the name could pass the 255 bytes a file name may have,
  // and the package could never be replaced. cleanStaleStaging finds the FQDN in the folder's manifest.json.
  const old = path.join(issued, `.old-${randomBytes(6).toString('hex')}`);
  await rename(final, old);
  try {
    await rename(tmp, final);
  } catch (err) {
    await rename(old, final).catch(() => undefined);
    throw err;
  }
  await fsyncPath(issued);
  await rm(old, { recursive: true, force: true });
}

/** The FQDN of a package set aside as `.old-<hex>` (its manifest), or of an older `.old-<fqdn>-<hex>` name. */
async function oldPackageFqdn(dir: string, name: string): Promise<string | null> {
  const legacy = /^\.old-(.+)-[0-9a-f]+$/.exec(name)?.[1];
  const fromManifest = await readFile(path.join(dir, 'manifest.json'), 'utf8').then(
    (t) => (JSON.parse(t) as { fqdn?: unknown }).fqdn,
    () => null,
  );
  const fqdn = typeof fromManifest === 'string' ? fromManifest : legacy;
  return fqdn && isPackageFqdn(fqdn) ? fqdn : null;
}

/**
 * Clean what a crash left in issued/: `.tmp-*` staging folders are deleted; an `.old-<hex>` folder (or
 * `.old-<fqdn>-<hex>`, the older form) is deleted, or moved back to issued/<fqdn>/ when the crash came between
 * the two renames and no package is there.
 * Call it at start-up, before publishing (a concurrent publish's staging folder would be removed too).
 */
export async function cleanStaleStaging(shareRoot: string): Promise<void> {
  const issued = path.join(path.resolve(shareRoot), 'issued');
  let names: string[];
  try {
    names = await readdir(issued);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const name of names) {
    const p = path.join(issued, name);
    if (name.startsWith('.tmp-')) {
      await rm(p, { recursive: true, force: true });
    } else if (name.startsWith('.old-')) {
      const fqdn = await oldPackageFqdn(p, name);
      const final = fqdn ? path.join(issued, fqdn) : null;
      if (final && !(await exists(final))) await rename(p, final);
      else await rm(p, { recursive: true, force: true });
    }
  }
  await fsyncPath(issued);
}
