/**
 * Protection of the built-in CA's keys as the admin sees it, and taking the root key offline. In two-tier mode
 * the root signs only the issuing CA's certificate (at creation); agent certificates and CRLs are signed by the
 * issuing CA, so the root key need not stay beside it on the service host (a compromise of the host then cannot
 * mint a new issuing CA). `agentcert ca root export --out FILE` writes the root key to FILE and removes it from
 * <data>/ca/; the admin keeps FILE offline. `agentcert ca root import FILE` puts it back (checked against
 * root.cer) for whatever needs the root: signing a new issuing CA.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { AgentcertError } from '../../domain/index.js';
import type { CaKeyOperations, CaKeyReport } from '../backend-entry.js';
import { caDir, caExists, exportKey, importKey, writePrivate } from './ca-files.js';
import { describeKeyProtection, PBKDF2_ITERATIONS, type KeyProtection } from './key-encryption.js';

export interface CaKeyStatus {
  twoTier: boolean;
  keys: { role: 'root' | 'issuing'; file: string; present: boolean; protection: KeyProtection | null }[];
  /** Two-tier with root.key absent from <data>/ca/. */
  rootOffline: boolean;
  /** A key the service holds is plain PKCS#8 (only the file mode protects it). */
  unencrypted: boolean;
  /** An encrypted key uses fewer PBKDF2 iterations than agentcert writes today. */
  weak: boolean;
  /** One line for the banner and doctor. */
  summary: string;
}

export function caKeyStatus(dataDir: string): CaKeyStatus {
  const dir = caDir(dataDir);
  const twoTier = existsSync(path.join(dir, 'issuing.cer'));
  const roles = twoTier ? (['issuing', 'root'] as const) : (['root'] as const);
  const keys = roles.map((role) => {
    const file = path.join(dir, `${role}.key`);
    const present = existsSync(file);
    return { role, file, present, protection: present ? describeKeyProtection(readFileSync(file, 'utf8')) : null };
  });
  const held = keys.filter((k) => k.present);
  const rootOffline = twoTier && !keys.find((k) => k.role === 'root')!.present;
  const unencrypted = held.some((k) => !k.protection!.encrypted);
  const weak = held.some((k) => k.protection!.iterations !== null && k.protection!.iterations < PBKDF2_ITERATIONS);
  const describe = (k: (typeof keys)[number]) => (k.present ? `${k.role} key ${k.protection!.encrypted ? `encrypted (${k.protection!.scheme})` : 'NOT ENCRYPTED (plain PKCS#8, protected by file mode 0600 only)'}` : `${k.role} key offline`);
  const advice = unencrypted ? ' — set ca.builtin.passphrase (AGENTCERT_CA_PASSPHRASE) and run `agentcert ca protect`' : weak ? ` — run \`agentcert ca protect\` to re-encrypt at ${PBKDF2_ITERATIONS} iterations` : '';
  const offlineHint = twoTier && !rootOffline ? '; the root key can go offline: `agentcert ca root export --out FILE`' : '';
  return { twoTier, keys, rootOffline, unencrypted, weak, summary: `${keys.map(describe).join('; ')}${advice}${offlineHint}` };
}

function requireTwoTierCa(dataDir: string): { dir: string; rootKey: string } {
  const dir = caDir(dataDir);
  if (!caExists(dataDir)) throw new AgentcertError('AC_CA_NOT_INITIALIZED', `no CA in ${dir}`);
  if (!existsSync(path.join(dir, 'issuing.cer'))) {
    throw new AgentcertError('AC_USAGE', 'this built-in CA is single-tier: its root signs the agent certificates and cannot go offline (create a two-tier CA with ca.builtin.twoTier)');
  }
  return { dir, rootKey: path.join(dir, 'root.key') };
}

/** Write the root key to `out` (never over an existing file), check it reads back, then remove it from <data>/ca/. */
export function exportRootKey(dataDir: string, out: string): { file: string; protection: KeyProtection } {
  const { dir, rootKey } = requireTwoTierCa(dataDir);
  if (!existsSync(rootKey)) throw new AgentcertError('AC_USAGE', `the root key is offline already (not in ${dir})`);
  const target = path.resolve(out);
  if (path.dirname(target) === path.resolve(dir)) throw new AgentcertError('AC_USAGE', `--out must be outside ${dir}: the point is to take the key away from the service`);
  const pem = readFileSync(rootKey);
  let fd: number;
  try {
    fd = openSync(target, 'wx', 0o600);
  } catch (err) {
    throw new AgentcertError('AC_USAGE', `cannot create ${target}: ${(err as NodeJS.ErrnoException).code} (an existing file is never overwritten)`);
  }
  try {
    writeSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (!readFileSync(target).equals(pem)) throw new AgentcertError('AC_INTERNAL', `${target} did not read back as written; the root key stays in ${dir}`);
  unlinkSync(rootKey);
  return { file: target, protection: describeKeyProtection(pem.toString('utf8')) };
}

/** Put an exported root key back into <data>/ca/, after checking it is the key of root.cer. */
export function importRootKey(dataDir: string, file: string, passphrase: string | null): { file: string } {
  const { dir, rootKey } = requireTwoTierCa(dataDir);
  if (existsSync(rootKey)) throw new AgentcertError('AC_STATE_CONFLICT', `the root key is in ${dir} already`);
  if (!existsSync(file)) throw new AgentcertError('AC_USAGE', `no file ${file}`);
  const key = importKey(path.resolve(file), passphrase);
  const certKey = new X509Certificate(readFileSync(path.join(dir, 'root.cer'))).publicKey.export({ type: 'spki', format: 'der' });
  if (!createPublicKey(key).export({ type: 'spki', format: 'der' }).equals(certKey)) {
    throw new AgentcertError('AC_USAGE', `${file} is not the key of this CA's root certificate (${path.join(dir, 'root.cer')})`);
  }
  writePrivate(rootKey, readFileSync(file));
  return { file: rootKey };
}

/** Write every CA key held in <data>/ca/ again, encrypted with `passphrase` at today's PBKDF2 iteration count. */
export function protectCaKeys(dataDir: string, passphrase: string | null, currentPassphrase: string | null = passphrase): CaKeyStatus {
  if (!passphrase) throw new AgentcertError('AC_USAGE', 'no passphrase: set ca.builtin.passphrase (or AGENTCERT_CA_PASSPHRASE) first; the service needs it at every start');
  if (!caExists(dataDir)) throw new AgentcertError('AC_CA_NOT_INITIALIZED', `no CA in ${caDir(dataDir)}`);
  for (const k of caKeyStatus(dataDir).keys.filter((x) => x.present)) {
    const key = importKey(k.file, k.protection!.encrypted ? currentPassphrase : null);
    writePrivate(k.file, exportKey(key, passphrase));
  }
  return caKeyStatus(dataDir);
}

const reportOf = (s: CaKeyStatus): CaKeyReport => ({ summary: s.summary, weak: s.unencrypted || s.weak, rootOffline: s.rootOffline });

export function builtinKeyOperations(dataDir: string, passphrase: string | null): CaKeyOperations {
  return {
    report: () => reportOf(caKeyStatus(dataDir)),
    protect: (current) => reportOf(protectCaKeys(dataDir, passphrase, current ?? passphrase)),
    exportRoot(out) {
      const r = exportRootKey(dataDir, out);
      return { file: r.file, encrypted: r.protection.encrypted, scheme: r.protection.scheme };
    },
    importRoot: (file) => importRootKey(dataDir, file, passphrase),
  };
}
