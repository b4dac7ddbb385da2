/**
 * The built-in CA's material on disk, under <data>/ca/: certificates as DER, private keys as PKCS#8 PEM with
 * owner-only permissions always, encrypted (PBES2: PBKDF2-HMAC-SHA256 at 600,000 iterations, AES-256-CBC;
 * key-encryption.ts) when a passphrase is configured. In two-tier mode the root key may be offline (root-offline.ts):
 * the service signs with the issuing key only.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AgentcertError, type Clock } from '../../domain/index.js';
import { createIssuingCa, createRootCa, type CaMaterial } from '../../pki/index.js';
import { decryptPrivateKey, encryptPrivateKey } from './key-encryption.js';

export interface BuiltinCaSettings {
  twoTier: boolean;
  keyBits: number;
  rootCommonName: string;
  issuingCommonName: string;
  organization: string;
  rootValidityYears: number;
  issuingValidityYears: number;
  passphrase: string | null;
}

/** The loaded hierarchy: `signer` issues agent certificates; `chain` is issuing CA first, root last. */
export interface BuiltinCa {
  signer: CaMaterial;
  chain: Buffer[];
  root: Buffer;
  twoTier: boolean;
}

export function caDir(dataDir: string): string {
  return path.join(dataDir, 'ca');
}

export function caExists(dataDir: string): boolean {
  return existsSync(path.join(caDir(dataDir), 'root.cer'));
}

export function writePrivate(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function exportKey(key: KeyObject, passphrase: string | null): string {
  return passphrase ? encryptPrivateKey(key, passphrase) : (key.export({ type: 'pkcs8', format: 'pem' }) as string);
}

/**
 * Opened keys by file, size, mtime and passphrase: 600,000 PBKDF2 iterations cost about 0.1 s, and the CRL is
 * signed again on every revocation and every 15 minutes.
 */
const opened = new Map<string, KeyObject>();

export function importKey(file: string, passphrase: string | null): KeyObject {
  const pem = readFileSync(file, 'utf8');
  chmodSync(file, 0o600); // keep it owner-only even if someone loosened it
  if (pem.includes('ENCRYPTED PRIVATE KEY') && !passphrase) {
    throw new AgentcertError('AC_CA_KEY_LOCKED', `${file} is encrypted and no passphrase was given`);
  }
  const st = statSync(file);
  const memo = createHash('sha256').update(`${file}\0${st.size}\0${st.mtimeMs}\0${passphrase ?? ''}\0`).update(pem).digest('hex');
  const known = opened.get(memo);
  if (known) return known;
  try {
    const key = decryptPrivateKey(pem, passphrase);
    if (opened.size > 16) opened.clear();
    opened.set(memo, key);
    return key;
  } catch (err) {
    throw new AgentcertError('AC_CA_KEY_LOCKED', `${file} could not be decrypted: wrong passphrase?`, [], { cause: err });
  }
}

function addYears(d: Date, years: number): Date {
  const out = new Date(d);
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}

/** Create the CA if it does not exist yet; return whether it was created. Never overwrites an existing CA. */
export function initBuiltinCa(dataDir: string, s: BuiltinCaSettings, clock: Clock): { created: boolean } {
  const dir = caDir(dataDir);
  if (caExists(dataDir)) return { created: false };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const now = clock.now();
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  const root = createRootCa({ commonName: s.rootCommonName, organization: s.organization, keyBits: s.keyBits, notBefore, notAfter: addYears(now, s.rootValidityYears) });
  if (s.twoTier) {
    const issuing = createIssuingCa({
      parent: root,
      commonName: s.issuingCommonName,
      organization: s.organization,
      keyBits: s.keyBits,
      notBefore,
      notAfter: addYears(now, Math.min(s.issuingValidityYears, s.rootValidityYears)),
    });
    writePrivate(path.join(dir, 'issuing.key'), exportKey(issuing.key, s.passphrase));
    writeFileSync(path.join(dir, 'issuing.cer'), issuing.certDer);
  }
  writePrivate(path.join(dir, 'root.key'), exportKey(root.key, s.passphrase));
  // root.cer last: its presence is what marks the CA as complete.
  writeFileSync(path.join(dir, 'root.cer'), root.certDer);
  return { created: true };
}

export function loadBuiltinCa(dataDir: string, passphrase: string | null): BuiltinCa {
  const dir = caDir(dataDir);
  if (!caExists(dataDir)) throw new AgentcertError('AC_CA_NOT_INITIALIZED', `no CA in ${dir}`);
  const rootDer = readFileSync(path.join(dir, 'root.cer'));
  if (existsSync(path.join(dir, 'issuing.cer'))) {
    const issuingDer = readFileSync(path.join(dir, 'issuing.cer'));
    return { signer: { certDer: issuingDer, key: importKey(path.join(dir, 'issuing.key'), passphrase) }, chain: [issuingDer, rootDer], root: rootDer, twoTier: true };
  }
  return { signer: { certDer: rootDer, key: importKey(path.join(dir, 'root.key'), passphrase) }, chain: [rootDer], root: rootDer, twoTier: false };
}

/** The CA certificates without touching the keys (for `ca show`, tools/ and the verify gate). */
export function loadBuiltinChain(dataDir: string): Buffer[] {
  const dir = caDir(dataDir);
  if (!caExists(dataDir)) throw new AgentcertError('AC_CA_NOT_INITIALIZED', `no CA in ${dir}`);
  const root = readFileSync(path.join(dir, 'root.cer'));
  const issuing = path.join(dir, 'issuing.cer');
  return existsSync(issuing) ? [readFileSync(issuing), root] : [root];
}
