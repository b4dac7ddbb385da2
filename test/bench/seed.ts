/**
 * Fill a store with N packaged requests and their certificates in one transaction (inserts of 1,000 rows each),
 * for the list benchmarks and the API's pagination tests. The rows are synthetic (the DER is a placeholder):
 * lists never read it.
 */
import Database from 'better-sqlite3';

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

export function seedCertificates(store: { location: string }, n: number, now: Date, start = 0): SeedRow[] {
  // Seeding writes the tables directly on a second connection to the same file (the Store port has no bulk insert).
  const db = new Database(store.location);
  // Rows go in a thousand at a time (one INSERT … SELECT over a JSON array each), not one statement a row: each
  // statement firing the search index's triggers (migration 4) has a fixed FTS5 cost, and row by row 100,000
  // took 15–18 s instead of 6 s (4 s before the index).
  const insReq = db.prepare(
    `INSERT INTO requests (id, fingerprint, fqdn, tenant, role, state, csr_der, original, source_name, created_at, updated_at)
     SELECT r ->> 0, r ->> 1, r ->> 2, r ->> 3, 'agent', r ->> 4, NULL, ?, r ->> 5, r ->> 6, r ->> 6 FROM (SELECT value AS r FROM json_each(?))`,
  );
  const insCert = db.prepare(
    `INSERT INTO certificates (serial, request_id, fqdn, tenant, thumbprint, sha256, not_before, not_after, subject, issuer, der, state, revoked_at, revocation_reason, created_at)
     SELECT c ->> 0, c ->> 1, c ->> 2, c ->> 3, c ->> 4, c ->> 5, c ->> 6, c ->> 7, c ->> 8, 'CN=agentcert Root CA, O=agentcert', ?, c ->> 9, c ->> 10, c ->> 11, c ->> 6
     FROM (SELECT value AS c FROM json_each(?))`,
  );
  const placeholder = Buffer.from('seed');
  const rows: SeedRow[] = [];
  const batch = 1000;
  db.transaction(() => {
    for (let from = start; from < start + n; from += batch) {
      const reqs: unknown[][] = [];
      const certs: unknown[][] = [];
      for (let i = from; i < Math.min(start + n, from + batch); i++) {
        const r = seedRow(i, now);
        const fp = i.toString(16).padStart(64, '0');
        const id = fp.slice(-12);
        const created = new Date(now.getTime() - (n - i) * 60_000).toISOString();
        const reqState = r.state === 'revoked' ? 'revoked' : r.state === 'expired' ? 'expired' : 'packaged';
        reqs.push([id, fp, r.fqdn, r.tenant, reqState, `${r.fqdn}.req`, created]);
        certs.push([
          r.serial, id, r.fqdn, r.tenant, i.toString(16).toUpperCase().padStart(40, '0'), fp, created, r.notAfter, `CN=${r.fqdn}`, r.state,
          r.state === 'revoked' ? created : null, r.state === 'revoked' ? 'keyCompromise' : null,
        ]);
        rows.push(r);
      }
      insReq.run(placeholder, JSON.stringify(reqs));
      insCert.run(placeholder, JSON.stringify(certs));
    }
  })();
  db.close();
  return rows;
}
