/**
 * doctor's trust check (README "Trust model"): everyone who can write the share's requests/ can drop a request
 * for any name the default tenant allows. On a share other machines write to, `approval: auto` there issues a
 * name's first certificate to whoever asks first.
 */
import { statfs } from 'node:fs/promises';
import type { Config } from '../../config/index.js';
import type { DoctorCheck } from './doctor-check.js';
import { effectiveProtectedNames } from '../../lifecycle/steps/trust.js';

/** statfs f_type of network file systems (Linux magic numbers, linux/magic.h): NFS, SMB, CIFS, SMB2, 9P, FUSE. */
const NETWORK_FS_TYPES = new Set([0x6969, 0x517b, 0xff534d42, 0xfe534d42, 0x01021997, 0x65735546]);

/** Why other machines write to the share root, or null when it looks local only. */
export async function remoteShareReason(config: Readonly<Config>): Promise<string | null> {
  const root = config.share.root;
  if (/^(\\\\|\/\/)/.test(root)) return `share.root ${root} is a UNC path`;
  const fs = await statfs(root).catch(() => null);
  if (fs && NETWORK_FS_TYPES.has(Number(fs.type))) return `share.root ${root} is on a network file system (type 0x${Number(fs.type).toString(16)})`;
  if (config.packaging.shareUncPath) return `agents reach the share as ${config.packaging.shareUncPath} (packaging.shareUncPath)`;
  return null;
}

export async function trustCheck(config: Readonly<Config>): Promise<DoctorCheck> {
  const d = config.policy.defaultTenant;
  const protectedNames = effectiveProtectedNames(config);
  const shown = `protected names: ${protectedNames.join(', ') || 'none'}`;
  const remote = await remoteShareReason(config);
  if (d.approval === 'auto' && remote) {
    return {
      name: 'trust',
      status: 'warn',
      message: `the default tenant "${d.name}" issues new names (${d.allowedNames.join(', ')}) without approval, and ${remote}: anyone who can write requests/ gets the first certificate of any such name. Set policy.defaultTenant.approval to "new-names" (or "manual"), or narrow its allowedNames; ${shown}`,
    };
  }
  return { name: 'trust', status: 'ok', message: `default tenant "${d.name}": approval ${d.approval}${remote ? `; ${remote}` : '; the share root is local'}; ${shown}` };
}
