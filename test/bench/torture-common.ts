/**
 * What the torture scenarios share: the summary shape, dropping requests the way request-certificate.ps1
 * does (temporary name, then rename), reading the store read-only, checking packages independently of the
 * service's own code (node:crypto X509Certificate, SHA-256 of every manifest file), watching issued/ for a
 * half package while the service runs, and ending stray fake-CA processes a SIGKILLed service left behind.
 */
import { createHash, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { makeSampleRequest, parseRequest } from '../../services/pki/index.js';

export type Scale = 'full' | 'short';

export interface ScenarioSummary {
  name: string;
  /** Requests (or inputs, or fuzz runs) the scenario tried. */
  tried: number;
  /** …that ended with the right outcome (packaged and verified, rejected as expected, answered < 500). */
  passed: number;
  /** Dropped requests that never reached their outcome. */
  lost: number;
  /** Requests issued (or submitted to the CA) more than once, or stored twice. */
  duplicated: number;
  seconds: number;
  notes: string[];
  /** One line per thing that went wrong (empty when the scenario passed). */
  failures: string[];
}

export interface ScenarioOptions {
  scale: Scale;
  /** Progress lines (stderr by default). */
  say?: (line: string) => void;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitUntil<T>(fn: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 200): Promise<T | null> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) return null;
    await sleep(everyMs);
  }
}

export interface MadeRequest { fqdn: string; pem: string; fingerprint: string }

/** N requests like certreq makes, one per FQDN; a few keys are enough (key generation is the slow part). */
export function makeRequests(n: number, prefix: string, domain = 'dmz.contoso.local', keyCount = 8): MadeRequest[] {
  const keys: KeyObject[] = Array.from({ length: Math.min(keyCount, n) }, () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
  return Array.from({ length: n }, (_, i) => {
    const fqdn = `${prefix}${String(i).padStart(4, '0')}.${domain}`;
    const { pem } = makeSampleRequest(fqdn, { privateKey: keys[i % keys.length]! });
    return { fqdn, pem, fingerprint: parseRequest(Buffer.from(pem)).fingerprint };
  });
}

/** Drop a file as the request tooling does: write `.<name>.tmp`, then rename, so the service never sees half. */
export function dropFile(dir: string, name: string, content: string | Buffer): void {
  const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
  writeFileSync(tmp, content);
  renameSync(tmp, path.join(dir, name));
}

export interface StoreView {
  rows: { id: string; fqdn: string; fingerprint: string; state: string; ca_request_id: string | null; findings: string; source_name: string }[];
  certs: { request_id: string; fqdn: string; serial: string; der: Buffer }[];
  /** request id → how many times it entered `issued`. */
  issuedEvents: Map<string, number>;
  /** request id → how many times a step failed with this reason (events of the audit trail). */
  reasons: Map<string, number>;
}

/** The store as the service left it (read-only; safe while the service runs: WAL). */
export function readStore(dataDir: string, o: { withDer?: boolean } = {}): StoreView | null {
  const file = path.join(dataDir, 'agentcert.db');
  if (!existsSync(file)) return null;
  for (let attempt = 0; ; attempt++) {
    let db: Database.Database | null = null;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
      const rows = db.prepare('SELECT id, fqdn, fingerprint, state, ca_request_id, findings, source_name FROM requests').all() as StoreView['rows'];
      const certs = db.prepare(`SELECT request_id, fqdn, serial, ${o.withDer ? 'der' : 'NULL AS der'} FROM certificates`).all() as StoreView['certs'];
      const issued = db.prepare(`SELECT request_id, COUNT(*) AS n FROM events WHERE to_state = 'issued' AND (from_state IS NULL OR from_state <> 'issued') GROUP BY request_id`).all() as { request_id: string; n: number }[];
      const reasons = db.prepare('SELECT reason, COUNT(*) AS n FROM events GROUP BY reason').all() as { reason: string; n: number }[];
      return { rows, certs, issuedEvents: new Map(issued.map((e) => [e.request_id, e.n])), reasons: new Map(reasons.map((r) => [r.reason, r.n])) };
    } catch (err) {
      // A store the service has not finished creating (no tables yet, or mid-migration): look again.
      if (attempt > 50) throw err;
    } finally {
      db?.close();
    }
  }
}

export function sha256Hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex').toUpperCase();
}

interface ManifestLike { fqdn: string; certificate: { serialNumber: string; thumbprint: string }; chain: { file: string; store: string }[]; files: { name: string; sha256: string }[] }

/** Every file the manifest lists exists with its SHA-256: what the installer checks first. Null when complete. */
export function packageIncompleteness(dir: string): string | null {
  let manifest: ManifestLike;
  try {
    manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ManifestLike;
  } catch (err) {
    return `manifest.json unreadable: ${(err as Error).message}`;
  }
  for (const f of manifest.files) {
    let data: Buffer;
    try {
      data = readFileSync(path.join(dir, f.name));
    } catch {
      return `${f.name} listed in manifest.json is missing`;
    }
    if (sha256Hex(data) !== f.sha256.toUpperCase()) return `${f.name} does not match its SHA-256 in manifest.json`;
  }
  return null;
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * The package verifies: complete per its manifest, the certificate is the one the store issued, it chains to the
 * trusted root (signatures and issuer names, checked with node:crypto, not with the service's pki code), it is
 * valid now, names the FQDN and carries both SCOM EKUs.
 */
export function verifyPackage(shareRoot: string, fqdn: string, trustedRootDer: Buffer, storeCertDer?: Buffer | null): string | null {
  const dir = path.join(shareRoot, 'issued', fqdn);
  if (!existsSync(dir)) return 'no package folder';
  const incomplete = packageIncompleteness(dir);
  if (incomplete) return incomplete;
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ManifestLike;
  if (manifest.fqdn !== fqdn) return `manifest is for ${manifest.fqdn}`;
  const leafDer = readFileSync(path.join(dir, `${fqdn}.cer`));
  if (storeCertDer && !leafDer.equals(storeCertDer)) return 'the package certificate is not the one the store issued';
  const leaf = new X509Certificate(leafDer);
  const cas = manifest.chain.map((c) => new X509Certificate(readFileSync(path.join(dir, c.file))));
  const root = new X509Certificate(trustedRootDer);
  if (!cas.some((c) => c.raw.equals(root.raw))) return 'the package does not carry the trusted root';
  let cert = leaf;
  for (let depth = 0; depth < 5; depth++) {
    const issuer = cas.find((c) => cert.checkIssued(c) && cert.verify(c.publicKey));
    if (!issuer) return `no CA certificate in the package signed ${cert.subject}`;
    if (issuer.raw.equals(root.raw)) break;
    cert = issuer;
  }
  const now = Date.now();
  if (new Date(leaf.validFrom).getTime() > now + 60_000 || new Date(leaf.validTo).getTime() < now) return 'the certificate is not valid now';
  if (!leaf.checkHost(fqdn, { subject: 'always' })) return `the certificate does not name ${fqdn}`;
  const eku = leaf.keyUsage ?? [];
  if (!eku.includes(SERVER_AUTH) || !eku.includes(CLIENT_AUTH)) return `EKU lacks serverAuth/clientAuth (${eku.join(', ')})`;
  if (manifest.certificate.thumbprint.toUpperCase() !== createHash('sha1').update(leafDer).digest('hex').toUpperCase()) return 'manifest thumbprint does not match the certificate';
  return null;
}

/**
 * Watches issued/ while the service runs: every package folder that becomes visible must be complete at once
 * (docs/contract.md "Share layout"). A folder swapped (republished) while being read is read again.
 */
export class HalfPackageWatch {
  readonly halfSeen: string[] = [];
  private readonly checked = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  polls = 0;

  constructor(private readonly issuedDir: string, private readonly everyMs = 100) {}

  start(): void {
    this.timer = setInterval(() => this.poll(), this.everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.poll();
  }

  /** Folders seen complete so far. */
  get seen(): number {
    return this.checked.size;
  }

  private poll(): void {
    if (this.busy) return;
    this.busy = true;
    try {
      this.polls++;
      let names: string[];
      try {
        names = readdirSync(this.issuedDir);
      } catch {
        return;
      }
      for (const name of names) {
        if (name.startsWith('.')) continue;
        const dir = path.join(this.issuedDir, name);
        const before = inode(dir);
        if (before === null || this.checked.get(name) === before) continue;
        const problem = packageIncompleteness(dir);
        if (problem && inode(dir) === before) this.halfSeen.push(`${name}: ${problem}`);
        else if (!problem) this.checked.set(name, before);
      }
    } finally {
      this.busy = false;
    }
  }
}

function inode(p: string): number | null {
  try {
    return statSync(p).ino;
  } catch {
    return null;
  }
}

/**
 * Processes a SIGKILLed service left behind (a fake certreq hanging until killed, an orphaned tool) are found by
 * a marker in their environment (the scenario's own temporary directory) and killed by pid.
 */
export function killStrayProcesses(marker: string): number {
  let killed = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    if (Number(pid) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`).includes(marker)) {
        process.kill(Number(pid), 'SIGKILL');
        killed++;
      }
    } catch {
      /* gone, or not ours to read */
    }
  }
  return killed;
}

/** The API address the service printed on start-up. */
export function apiAddress(stdout: string): string | null {
  return /API: (http:\/\/\S+)/.exec(stdout)?.[1] ?? null;
}

export async function healthz(base: string): Promise<number> {
  try {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

export function summary(name: string, startedAt: number, s: Omit<ScenarioSummary, 'name' | 'seconds'>): ScenarioSummary {
  return { name, seconds: Math.round((Date.now() - startedAt) / 100) / 10, ...s };
}

export function formatTable(rows: ScenarioSummary[]): string {
  const cols = ['scenario', 'tried', 'passed', 'lost', 'duplicated', 'seconds', 'result'] as const;
  const cells = rows.map((r) => [r.name, String(r.tried), String(r.passed), String(r.lost), String(r.duplicated), String(r.seconds), r.failures.length === 0 ? 'ok' : `FAIL (${r.failures.length})`]);
  const total = ['total', ...[1, 2, 3, 4].map((i) => String(cells.reduce((a, c) => a + Number(c[i]), 0))), String(Math.round(rows.reduce((a, r) => a + r.seconds, 0))), rows.every((r) => r.failures.length === 0) ? 'ok' : 'FAIL'];
  const all = [[...cols], ...cells, total];
  const widths = cols.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [line(all[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line), widths.map((w) => '-'.repeat(w)).join('  '), line(total)].join('\n');
}
