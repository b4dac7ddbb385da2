/**
 * State of the fake stand-alone CA behind the fake certreq/certutil: one directory (AGENTCERT_FAKE_CA_DIR)
 * holding the scenario switches, the request database, the CA key and certificate, and a log with one JSON
 * line per invocation so tests can count submits.
 *
 *   scenario.json   re-read on every call, so tests switch it between calls
 *   requests/<id>.json, next-id, ca/root.key.pem, ca/root.cer, log.jsonl
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import path from 'node:path';
import { createRootCa, type CaMaterial } from '../../services/pki/index.js';

export type FakeVerb = 'submit' | 'retrieve' | 'accept' | 'resubmit' | 'setextension' | 'ping' | 'ca.cert' | 'ca.chain' | 'revoke' | 'crl' | 'deny' | 'view';

export interface FakeScenario {
  /** What the CA's policy module does with a new request; stand-alone CAs keep it pending (docs/scom-facts.md §7). */
  onSubmit?: 'pending' | 'issue' | 'deny';
  /** What `certutil -resubmit` does: issue, leave pending (an officer must approve), or deny. */
  onResubmit?: 'issue' | 'pending' | 'deny';
  /** certreq's localized output (vectors/certreq-submit-pending-localized-german.txt). */
  language?: 'en' | 'de';
  /** The next N invocations (of any verb) fail with RPC_S_SERVER_UNAVAILABLE; decremented by each call. */
  rpcUnavailableCalls?: number;
  /** Each invocation fails with RPC_S_SERVER_UNAVAILABLE with this probability (0..1; the torture harness). */
  rpcUnavailableRate?: number;
  /** Each invocation hangs until killed with this probability (0..1), before touching any state. */
  hangRate?: number;
  /** Verbs that hang until killed (before touching any state). */
  hang?: FakeVerb[];
  /** `certreq -submit` also leaves a second pending request with the same attributes: an earlier, killed submit landing late. */
  duplicateSubmit?: boolean;
  /** Verbs that do their work at the CA and then hang until killed, printing nothing (a submit the CA took). */
  hangAfter?: FakeVerb[];
  /**
   * What the issued certificate's SAN is when no -setextension 2.5.29.17 replaced it: `copy` (default) the
   * request's SAN extension as a stand-alone CA does (no template to replace it), `fqdn` the subject CN alone.
   */
  san?: 'copy' | 'fqdn';
  /** Verbs that print output of no known shape (and change nothing). */
  malformed?: FakeVerb[];
  /** Line ending of the output; the real tools write CRLF to a pipe. */
  lineEnding?: 'crlf' | 'lf';
  /** Validity of issued certificates in days (default 365). */
  validityDays?: number;
}

export type RequestStatus = 'pending' | 'issued' | 'denied' | 'revoked';

export interface FakeRequestRecord {
  id: number;
  status: RequestStatus;
  csrPem: string;
  fqdn: string;
  publicKeyDerB64: string;
  requestedEkus: string[];
  /** Extensions set with -setextension: OID → { critical, value DER base64 }. */
  extensions: Record<string, { critical: boolean; valueB64: string }>;
  serialHex: string | null;
  certB64: string | null;
  dispositionMessage: string;
  revocationReason: number | null;
  /** The request's own SubjectAltName extension value (DER, base64), or null. */
  requestedSanB64?: string | null;
  /** What certreq -attrib gave ("Name:Value" lines), kept with the request like the CA's RequestAttributes. */
  attributes?: string | null;
}

export interface FakeLogEntry { tool: 'certreq' | 'certutil'; argv: string[]; verb: string | null; requestId: string | null; outcome: string }

export function stateDir(): string {
  const dir = process.env.AGENTCERT_FAKE_CA_DIR;
  if (!dir) throw new Error('AGENTCERT_FAKE_CA_DIR is not set');
  mkdirSync(path.join(dir, 'requests'), { recursive: true });
  return dir;
}

function writeAtomic(file: string, content: string | Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

/** A mkdir lock: the fake is called concurrently; a lock left by a process killed at a timeout goes stale. */
export function withLock<T>(dir: string, fn: () => T): T {
  const lock = path.join(dir, '.lock');
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      try { if (Date.now() - statSync(lock).mtimeMs > 5_000) rmSync(lock, { recursive: true, force: true }); } catch { /* raced */ }
      if (Date.now() > deadline) throw new Error('fake CA: state lock timeout');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export function readScenario(dir: string): FakeScenario {
  const file = path.join(dir, 'scenario.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as FakeScenario) : {};
}

export function writeScenario(dir: string, scenario: FakeScenario): void {
  mkdirSync(dir, { recursive: true });
  writeAtomic(path.join(dir, 'scenario.json'), JSON.stringify(scenario, null, 2));
}

/** Consume one "RPC unavailable" call if the scenario has any left. Call under the lock. */
export function takeRpcFailure(dir: string): boolean {
  const s = readScenario(dir);
  if (!s.rpcUnavailableCalls || s.rpcUnavailableCalls <= 0) return false;
  writeScenario(dir, { ...s, rpcUnavailableCalls: s.rpcUnavailableCalls - 1 });
  return true;
}

export function appendLog(dir: string, entry: FakeLogEntry): void {
  appendFileSync(path.join(dir, 'log.jsonl'), `${JSON.stringify(entry)}\n`);
}

export function readLog(dir: string): FakeLogEntry[] {
  const file = path.join(dir, 'log.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as FakeLogEntry);
}

export function nextRequestId(dir: string): number {
  const file = path.join(dir, 'next-id');
  const id = existsSync(file) ? Number(readFileSync(file, 'utf8')) : 1;
  writeAtomic(file, String(id + 1));
  return id;
}

export function readRequest(dir: string, id: number): FakeRequestRecord | null {
  const file = path.join(dir, 'requests', `${id}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as FakeRequestRecord) : null;
}

export function writeRequest(dir: string, record: FakeRequestRecord): void {
  writeAtomic(path.join(dir, 'requests', `${record.id}.json`), JSON.stringify(record, null, 2));
}

/** Every request in the database, in RequestId order. */
export function allRequests(dir: string): FakeRequestRecord[] {
  const out: FakeRequestRecord[] = [];
  for (let id = 1; ; id++) {
    const r = readRequest(dir, id);
    if (!r) return out;
    out.push(r);
  }
}

export function findRequestBySerial(dir: string, serialHex: string): FakeRequestRecord | null {
  const want = serialHex.replace(/\s/g, '').toUpperCase().replace(/^0+/, '');
  for (let id = 1; ; id++) {
    const r = readRequest(dir, id);
    if (!r) return null;
    if (r.serialHex && r.serialHex.toUpperCase().replace(/^0+/, '') === want) return r;
  }
}

/** The fake CA's root, made with the built-in CA's code on first use; its CN is the CA name from -config. */
export function loadCa(dir: string, caName: string): CaMaterial {
  const caDir = path.join(dir, 'ca');
  const keyFile = path.join(caDir, 'root.key.pem');
  const certFile = path.join(caDir, 'root.cer');
  if (existsSync(keyFile) && existsSync(certFile)) {
    return { certDer: readFileSync(certFile), key: createPrivateKey(readFileSync(keyFile, 'utf8')) };
  }
  mkdirSync(caDir, { recursive: true });
  const notBefore = new Date(Date.now() - 3_600_000);
  const ca = createRootCa({ commonName: caName, keyBits: 2048, notBefore, notAfter: new Date(notBefore.getTime() + 10 * 365 * 86_400_000) });
  writeAtomic(keyFile, ca.key.export({ type: 'pkcs8', format: 'pem' }) as string);
  writeAtomic(certFile, ca.certDer);
  return ca;
}
