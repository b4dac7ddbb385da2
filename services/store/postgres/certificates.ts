/** The certificates aggregate: one row per issued certificate, its state and revocation. */
import type { CertificateFilter, CertificateState, CertificateStore, IssuedCertificate, RevokedEntry, TransitionRecord } from '../../domain/index.js';
import type { PgDb } from './database.js';
import { pgToCertificate } from './rows.js';

/** Written only with the `issued` transition (requests.ts), so a certificate never lacks its event. */
export async function insertCertificate(db: PgDb, c: NonNullable<TransitionRecord['certificate']>, now: string): Promise<void> {
  await db.query(
    `INSERT INTO certificates (serial, request_id, fqdn, tenant, thumbprint, sha256, not_before, not_after, subject, issuer, der, state, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'active', $12)`,
    [c.serialNumber, c.requestId, c.fqdn, c.tenant, c.thumbprint, c.sha256, c.notBefore, c.notAfter, c.subject, c.issuer, c.der, now],
  );
}

export class PgCertificates implements CertificateStore {
  constructor(private readonly db: PgDb) {}

  async forRequest(requestId: string): Promise<IssuedCertificate | null> {
    const row = await this.db.one(`SELECT * FROM certificates WHERE request_id = $1`, [requestId]);
    return row ? pgToCertificate(row) : null;
  }

  async find(key: string): Promise<IssuedCertificate | null> {
    const k = key.replace(/[\s:]/g, '').toUpperCase();
    const row = await this.db.one(`SELECT * FROM certificates WHERE serial = $1 OR thumbprint = $1 ORDER BY seq LIMIT 1`, [k]);
    return row ? pgToCertificate(row) : null;
  }

  async findMany(f: CertificateFilter = {}): Promise<IssuedCertificate[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown): string => (args.push(v), `$${args.length}`);
    if (f.fqdn) where.push(`fqdn = ${arg(f.fqdn.toLowerCase())}`);
    if (f.state) where.push(`state = ${arg(f.state)}`);
    if (f.expiringBefore) where.push(`not_after <= ${arg(f.expiringBefore)}`);
    if (f.after) where.push(`(not_after, serial) > (${arg(f.after.notAfter)}, ${arg(f.after.serialNumber)})`);
    const sql = `SELECT * FROM certificates ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY not_after, serial LIMIT ${arg(f.limit ?? 1000)} OFFSET ${arg(f.offset ?? 0)}`;
    return (await this.db.query(sql, args)).map(pgToCertificate);
  }

  async setState(serial: string, to: Exclude<CertificateState, 'revoked'>, from: readonly CertificateState[]): Promise<boolean> {
    const rows = await this.db.query(`UPDATE certificates SET state = $1 WHERE serial = $2 AND state = ANY($3::text[]) RETURNING serial`, [to, serial, [...from]]);
    return rows.length > 0;
  }

  async markRevoked(serial: string, revokedAt: string, reason: string): Promise<void> {
    await this.db.query(`UPDATE certificates SET state = 'revoked', revoked_at = $1, revocation_reason = $2 WHERE serial = $3`, [revokedAt, reason, serial]);
  }

  async revoked(): Promise<RevokedEntry[]> {
    return this.db.query<RevokedEntry & Record<string, unknown>>(
      `SELECT serial AS "serialNumber", revoked_at AS "revokedAt", revocation_reason AS reason FROM certificates WHERE state = 'revoked' ORDER BY revoked_at, serial`,
    );
  }
}
