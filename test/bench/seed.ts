/**
 * Fill a store with N packaged requests and their certificates in one transaction (batched prepared inserts),
 * for the list benchmarks and the API's pagination tests. The rows are synthetic (the DER is a placeholder):
 * lists never read it.
 */
import type { SqliteStore } from '../../services/store/index.js';

export const SEED_TENANTS = ['default', 'contoso', 'fabrikam'] as const;

export interface SeedRow {
  serial: string;
  fqdn: string;
  tenant: string;
  state: 'active' | 'revoked' | 'expired';
  notAfter: string;
}

/** Deterministic shape: every 20th certificate revoked, every 25th expired, notAfter spread over ~2 years. */
export function seedRow(i: number, now: Date): SeedRow {
  const state = i % 20 === 7 ? 'revoked' : i % 25 === 3 ? 'expired' : 'active';
  const days = state === 'expired' ? -((i % 300) + 1) : (i * 7919) % 730;
  const notAfter = new Date(now.getTime() + days * 86_400_000 + (i % 86_400) * 1000).toISOString();
  return { serial: (0x10_0000_0000 + i).toString(16).toUpperCase().padStart(16, '0'), fqdn: `host${i}.${SEED_TENANTS[i % 3]}.example`, tenant: SEED_TENANTS[i % 3]!, state, notAfter };
}

export function seedCertificates(store: SqliteStore, n: number, now: Date, start = 0): SeedRow[] {
  const db = store.db;
  const insReq = db.prepare(
    `INSERT INTO requests (id, fingerprint, fqdn, tenant, role, state, csr_der, original, source_name, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'agent', ?, NULL, ?, ?, ?, ?)`,
  );
  const insCert = db.prepare(
    `INSERT INTO certificates (serial, request_id, fqdn, tenant, thumbprint, sha256, not_before, not_after, subject, issuer, der, state, revoked_at, revocation_reason, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const placeholder = Buffer.from('seed');
  const rows: SeedRow[] = [];
  db.transaction(() => {
    for (let i = start; i < start + n; i++) {
      const r = seedRow(i, now);
      const fp = i.toString(16).padStart(64, '0');
      const id = fp.slice(-12);
      const created = new Date(now.getTime() - (n - i) * 60_000).toISOString();
      const reqState = r.state === 'revoked' ? 'revoked' : r.state === 'expired' ? 'expired' : 'packaged';
      insReq.run(id, fp, r.fqdn, r.tenant, reqState, placeholder, `${r.fqdn}.req`, created, created);
      insCert.run(
        r.serial, id, r.fqdn, r.tenant, i.toString(16).toUpperCase().padStart(40, '0'), fp, created, r.notAfter,
        `CN=${r.fqdn}`, 'CN=agentcert Root CA, O=agentcert', placeholder, r.state,
        r.state === 'revoked' ? created : null, r.state === 'revoked' ? 'keyCompromise' : null, created,
      );
      rows.push(r);
    }
  })();
  return rows;
}
