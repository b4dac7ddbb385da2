/** The assignments table (migration 6): each agent's primary and ordered failover management servers (as sqlite/assignments.ts). */
import type { AgentAssignment, AssignmentStore, StoredAssignment } from '../../domain/index.js';
import type { PgDb, Row } from './database.js';

const toAssignment = (r: Row): StoredAssignment => ({
  agent: String(r['fqdn']),
  tenant: String(r['tenant']),
  primary: String(r['primary_server']),
  failovers: JSON.parse(String(r['failovers'])) as string[],
  assignedAt: String(r['assigned_at']),
  updatedAt: String(r['updated_at']),
});

const UPSERT = `INSERT INTO assignments (fqdn, tenant, primary_server, failovers, assigned_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
  ON CONFLICT (fqdn) DO UPDATE SET tenant = excluded.tenant, failovers = excluded.failovers, updated_at = excluded.updated_at,
    assigned_at = CASE WHEN assignments.primary_server = excluded.primary_server THEN assignments.assigned_at ELSE excluded.assigned_at END,
    primary_server = excluded.primary_server`;

export class PgAssignments implements AssignmentStore {
  constructor(private readonly db: PgDb) {}

  async get(fqdn: string): Promise<StoredAssignment | null> {
    const r = await this.db.one('SELECT * FROM assignments WHERE fqdn = $1', [fqdn]);
    return r ? toAssignment(r) : null;
  }

  async getMany(fqdns: readonly string[]): Promise<Map<string, StoredAssignment>> {
    const rows = await this.db.query('SELECT * FROM assignments WHERE fqdn = ANY($1::text[])', [[...new Set(fqdns)]]);
    return new Map(rows.map((r) => [String(r['fqdn']), toAssignment(r)]));
  }

  async all(): Promise<StoredAssignment[]> {
    return (await this.db.query('SELECT * FROM assignments ORDER BY fqdn')).map(toAssignment);
  }

  async countsByPrimary(tenants: readonly string[]): Promise<Map<string, number>> {
    if (tenants.length === 0) return new Map();
    const rows = await this.db.query(`SELECT primary_server AS server, COUNT(*) AS n FROM assignments WHERE tenant = ANY($1::text[]) GROUP BY primary_server`, [[...tenants]]);
    return new Map(rows.map((r) => [String(r['server']), Number(r['n'])]));
  }

  async perServer(tenants: readonly string[] | null = null): Promise<{ server: string; agents: number }[]> {
    if (tenants !== null && tenants.length === 0) return [];
    const where = tenants === null ? '' : 'WHERE tenant = ANY($1::text[])';
    const rows = await this.db.query(`SELECT primary_server AS server, COUNT(*) AS agents FROM assignments ${where} GROUP BY primary_server ORDER BY primary_server`, tenants === null ? [] : [[...tenants]]);
    return rows.map((r) => ({ server: String(r['server']), agents: Number(r['agents']) }));
  }

  async save(a: AgentAssignment, at: string): Promise<void> {
    await this.db.query(UPSERT, [a.agent, a.tenant, a.primary, JSON.stringify(a.failovers), at]);
  }

  saveAll(list: readonly AgentAssignment[], remove: readonly string[], at: string): Promise<void> {
    return this.db.transaction(async () => {
      for (const a of list) await this.save(a, at);
      if (remove.length) await this.db.query('DELETE FROM assignments WHERE fqdn = ANY($1::text[])', [[...remove]]);
    });
  }

  async agents(servers: readonly string[]): Promise<{ fqdn: string; tenant: string }[]> {
    // An agent whose certificates were all revoked or expired is no longer one.
    const rows = await this.db.query(
      `SELECT fqdn, tenant FROM (
         SELECT fqdn, tenant, ROW_NUMBER() OVER (PARTITION BY fqdn ORDER BY not_after DESC) AS k FROM certificates WHERE state = 'active'
       ) x WHERE k = 1 AND NOT (fqdn = ANY($1::text[])) ORDER BY fqdn`,
      [[...servers]],
    );
    return rows.map((r) => ({ fqdn: String(r['fqdn']), tenant: String(r['tenant']) }));
  }
}
