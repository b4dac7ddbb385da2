/**
 * The assignments table (migration 6): each agent's primary and ordered failover management servers. Written by
 * the pipeline when it publishes an agent's package and by `agentcert balance`; read by show, list, the API,
 * the dashboard and the balancing script (README "Management group").
 */
import type { AgentAssignment, AssignmentStore, StoredAssignment } from '../../domain/index.js';
import type { SqliteDb } from './database.js';

interface AssignmentRow {
  fqdn: string;
  tenant: string;
  primary_server: string;
  failovers: string;
  assigned_at: string;
  updated_at: string;
}

const toAssignment = (r: AssignmentRow): StoredAssignment => ({
  agent: r.fqdn,
  tenant: r.tenant,
  primary: r.primary_server,
  failovers: JSON.parse(r.failovers) as string[],
  assignedAt: r.assigned_at,
  updatedAt: r.updated_at,
});

const UPSERT = `INSERT INTO assignments (fqdn, tenant, primary_server, failovers, assigned_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT(fqdn) DO UPDATE SET tenant = excluded.tenant, failovers = excluded.failovers, updated_at = excluded.updated_at,
    assigned_at = CASE WHEN primary_server = excluded.primary_server THEN assigned_at ELSE excluded.assigned_at END,
    primary_server = excluded.primary_server`;

export class SqliteAssignments implements AssignmentStore {
  constructor(private readonly s: SqliteDb) {}

  get(fqdn: string): Promise<StoredAssignment | null> {
    return this.s.run(() => {
      const r = this.s.stmt('SELECT * FROM assignments WHERE fqdn = ?').get(fqdn) as AssignmentRow | undefined;
      return r ? toAssignment(r) : null;
    });
  }

  getMany(fqdns: readonly string[]): Promise<Map<string, StoredAssignment>> {
    return this.s.run(() => {
      const out = new Map<string, StoredAssignment>();
      const unique = [...new Set(fqdns)];
      for (let i = 0; i < unique.length; i += 500) {
        const chunk = unique.slice(i, i + 500);
        const rows = this.s.db.prepare(`SELECT * FROM assignments WHERE fqdn IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as AssignmentRow[];
        for (const r of rows) out.set(r.fqdn, toAssignment(r));
      }
      return out;
    });
  }

  all(): Promise<StoredAssignment[]> {
    return this.s.run(() => (this.s.stmt('SELECT * FROM assignments ORDER BY fqdn').all() as AssignmentRow[]).map(toAssignment));
  }

  countsByPrimary(tenants: readonly string[]): Promise<Map<string, number>> {
    return this.s.run(() => {
      if (tenants.length === 0) return new Map<string, number>();
      const rows = this.s
        .stmt(`SELECT primary_server AS server, COUNT(*) AS n FROM assignments WHERE tenant IN (${tenants.map(() => '?').join(',')}) GROUP BY primary_server`)
        .all(...tenants) as { server: string; n: number }[];
      return new Map(rows.map((r) => [r.server, r.n]));
    });
  }

  perServer(tenants: readonly string[] | null = null): Promise<{ server: string; agents: number }[]> {
    return this.s.run(() => {
      if (tenants === null) return this.s.stmt('SELECT primary_server AS server, COUNT(*) AS agents FROM assignments GROUP BY primary_server ORDER BY primary_server').all() as { server: string; agents: number }[];
      if (tenants.length === 0) return [];
      return this.s
        .stmt(`SELECT primary_server AS server, COUNT(*) AS agents FROM assignments WHERE tenant IN (${tenants.map(() => '?').join(',')}) GROUP BY primary_server ORDER BY primary_server`)
        .all(...tenants) as { server: string; agents: number }[];
    });
  }

  save(a: AgentAssignment, at: string): Promise<void> {
    return this.s.run(() => void this.s.stmt(UPSERT).run(a.agent, a.tenant, a.primary, JSON.stringify(a.failovers), at, at));
  }

  saveAll(list: readonly AgentAssignment[], remove: readonly string[], at: string): Promise<void> {
    return this.s.atomic(() => {
      for (const a of list) this.s.stmt(UPSERT).run(a.agent, a.tenant, a.primary, JSON.stringify(a.failovers), at, at);
      for (const f of remove) this.s.stmt('DELETE FROM assignments WHERE fqdn = ?').run(f);
    });
  }

  agents(servers: readonly string[]): Promise<{ fqdn: string; tenant: string }[]> {
    return this.s.run(() => {
      // An agent whose certificates were all revoked or expired is no longer one.
      const rows = this.s
        .stmt(
          `SELECT fqdn, tenant FROM (
             SELECT fqdn, tenant, ROW_NUMBER() OVER (PARTITION BY fqdn ORDER BY not_after DESC) AS k FROM certificates WHERE state = 'active'
           ) WHERE k = 1`,
        )
        .all() as { fqdn: string; tenant: string }[];
      const skip = new Set(servers);
      return rows.filter((r) => !skip.has(r.fqdn)).sort((x, y) => (x.fqdn < y.fqdn ? -1 : x.fqdn > y.fqdn ? 1 : 0));
    });
  }
}
