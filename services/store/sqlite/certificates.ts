/** The certificates aggregate: one row per issued certificate, its state and revocation. */
import type { CertificateFilter, CertificateState, CertificateStore, IssuedCertificate, RevokedEntry, TransitionRecord } from '../../domain/index.js';
import type { SqliteDb } from './database.js';
import { rowToCertificate, type CertificateRow } from './rows.js';

/** Written only with the `issued` transition (requests.ts), so a certificate never lacks its event. */
export function insertCertificate(s: SqliteDb, c: NonNullable<TransitionRecord['certificate']>, now: string): void {
  s.stmt(
    `INSERT INTO certificates (serial, request_id, fqdn, tenant, thumbprint, sha256, not_before, not_after, subject, issuer, der, state, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?)`,
  ).run(c.serialNumber, c.requestId, c.fqdn, c.tenant, c.thumbprint, c.sha256, c.notBefore, c.notAfter, c.subject, c.issuer, c.der, now);
}

export class SqliteCertificates implements CertificateStore {
  constructor(private readonly s: SqliteDb) {}

  forRequest(requestId: string): Promise<IssuedCertificate | null> {
    return this.s.run(() => {
      const row = this.s.stmt(`SELECT * FROM certificates WHERE request_id = ?`).get(requestId) as CertificateRow | undefined;
      return row ? rowToCertificate(row) : null;
    });
  }

  find(key: string): Promise<IssuedCertificate | null> {
    const k = key.replace(/[\s:]/g, '').toUpperCase();
    return this.s.run(() => {
      const row = this.s.stmt(`SELECT * FROM certificates WHERE serial = ? OR thumbprint = ?`).get(k, k) as CertificateRow | undefined;
      return row ? rowToCertificate(row) : null;
    });
  }

  findMany(f: CertificateFilter = {}): Promise<IssuedCertificate[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.fqdn) (where.push('fqdn = ?'), args.push(f.fqdn.toLowerCase()));
    if (f.state) (where.push('state = ?'), args.push(f.state));
    if (f.expiringBefore) (where.push('not_after <= ?'), args.push(f.expiringBefore));
    if (f.after) (where.push('(not_after, serial) > (?, ?)'), args.push(f.after.notAfter, f.after.serialNumber));
    const sql = `SELECT * FROM certificates ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY not_after, serial LIMIT ? OFFSET ?`;
    return this.s.run(() => (this.s.stmt(sql).all(...args, f.limit ?? 1000, f.offset ?? 0) as CertificateRow[]).map(rowToCertificate));
  }

  setState(serial: string, to: Exclude<CertificateState, 'revoked'>, from: readonly CertificateState[]): Promise<boolean> {
    const marks = from.map(() => '?').join(',');
    return this.s.run(() => this.s.stmt(`UPDATE certificates SET state = ? WHERE serial = ? AND state IN (${marks})`).run(to, serial, ...from).changes > 0);
  }

  markRevoked(serial: string, revokedAt: string, reason: string): Promise<void> {
    return this.s.run(() => void this.s.stmt(`UPDATE certificates SET state = 'revoked', revoked_at = ?, revocation_reason = ? WHERE serial = ?`).run(revokedAt, reason, serial));
  }

  revoked(): Promise<RevokedEntry[]> {
    return this.s.run(
      () => this.s.stmt(`SELECT serial AS serialNumber, revoked_at AS revokedAt, revocation_reason AS reason FROM certificates WHERE state = 'revoked' ORDER BY revoked_at, serial`).all() as RevokedEntry[],
    );
  }
}
