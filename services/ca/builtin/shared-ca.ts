/**
 * The built-in CA for several instances sharing one store: the CA files live in the store as well, so every
 * instance signs with the same CA and nobody copies keys by hand. Only encrypted keys are ever stored (PKCS#8
 * PBES2 with `ca.builtin.passphrase`, ca-files.ts): the database and its backups hold no usable key, and each
 * instance needs the passphrase (AGENTCERT_CA_PASSPHRASE) to load it. The first instance to offer its CA wins (an
 * insert-if-absent in the store); the others take that CA into their data folder.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { AgentcertError, type Clock, type LifecycleStateStore, type Logger } from '../../domain/index.js';
import { caDir, initBuiltinCa, type BuiltinCaSettings } from './ca-files.js';

const NAMES = ['root.cer', 'root.key', 'issuing.cer', 'issuing.key'];

function readLocal(dir: string): Record<string, Buffer> {
  return Object.fromEntries(NAMES.filter((n) => existsSync(path.join(dir, n))).map((n) => [n, readFileSync(path.join(dir, n))]));
}

function writeLocal(dir: string, files: Record<string, Buffer>): void {
  if (existsSync(dir)) for (const n of readdirSync(dir)) rmSync(path.join(dir, n), { force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  // root.cer last: its presence marks the CA as complete (ca-files.ts).
  for (const n of Object.keys(files).sort((a, b) => Number(a === 'root.cer') - Number(b === 'root.cer'))) {
    if (!NAMES.includes(n)) continue;
    writeFileSync(path.join(dir, n), files[n]!, { mode: n.endsWith('.key') ? 0o600 : 0o644 });
  }
}

/** Make the data folder's CA the shared one (creating and offering it when the store has none yet). */
export async function syncSharedBuiltinCa(dataDir: string, s: BuiltinCaSettings, state: LifecycleStateStore, o: { clock: Clock; log: Logger; initIfMissing: boolean }): Promise<void> {
  if (!s.passphrase) {
    throw new AgentcertError('AC_CONFIG_INVALID', 'a shared store keeps the built-in CA in the database with its keys encrypted: set ca.builtin.passphrase (AGENTCERT_CA_PASSPHRASE) on every instance');
  }
  const dir = caDir(dataDir);
  let shared = await state.caFiles();
  if (!shared) {
    if (!existsSync(path.join(dir, 'root.cer'))) {
      if (!o.initIfMissing) return;
      initBuiltinCa(dataDir, s, o.clock);
    }
    const local = readLocal(dir);
    for (const n of ['root.key', 'issuing.key']) {
      if (local[n] && !local[n]!.toString('utf8').includes('ENCRYPTED PRIVATE KEY')) {
        throw new AgentcertError('AC_CA_KEY_LOCKED', `${path.join(dir, n)} is not encrypted; a key is never put into a shared store unencrypted (re-create the CA with ca.builtin.passphrase set)`);
      }
    }
    shared = await state.offerCaFiles(local);
  }
  const local = readLocal(dir);
  const same = local['root.cer']?.equals(shared['root.cer'] ?? Buffer.alloc(0)) === true;
  if (!same) {
    if (local['root.cer']) o.log.warn({ event: 'ca_replaced_by_shared', dir }, `the CA in ${dir} is not the one the shared store keeps; using the shared CA`);
    writeLocal(dir, shared);
  }
}
