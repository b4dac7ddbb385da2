/**
 * The assignments table (migration 5): each agent's primary and ordered failover management servers. Written by
 * the pipeline when it publishes an agent's package and by `agentcert balance`; read by show, list, the API,
 * the dashboard and the balancing script (README "Management group").
 */
import type Database from 'better-sqlite3';
import type { Assignment } from '../rules/assignment.js';

export interface StoredAssignment extends Assignment {
  /** When the agent got its current primary. */
  assignedAt: string;
  updatedAt: string;
}

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

export class AssignmentStore {
  constructor(private readonly db: Database.Database) {}

  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared once (the pipeline places an agent per package). */
  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  get(fqdn: string): StoredAssignment | null {
    const r = this.stmt('SELECT * FROM assignments WHERE fqdn = ?').get(fqdn) as AssignmentRow | undefined;
    return r ? toAssignment(r) : null;
  }

  /** Several at once (a list page's FQDNs), keyed by FQDN. */
  getMany(fqdns: readonly string[]): Map<string, StoredAssignment> {
    const out = new Map<string, StoredAssignment>();
    const unique = [...new Set(fqdns)];
    for (let i = 0; i < unique.length; i += 500) {
      const chunk = unique.slice(i, i + 500);
      const rows = this.db.prepare(`SELECT * FROM assignments WHERE fqdn IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as AssignmentRow[];
      for (const r of rows) out.set(r.fqdn, toAssignment(r));
    }
    return out;
  }

  all(): StoredAssignment[] {
    return (this.db.prepare('SELECT * FROM assignments ORDER BY fqdn').all() as AssignmentRow[]).map(toAssignment);
  }

  /** Agents per primary among the agents of these tenants (one pool), for placing a new agent. */
  countsByPrimary(tenants: readonly string[]): Map<string, number> {
    if (tenants.length === 0) return new Map();
    const rows = this
      .stmt(`SELECT primary_server AS server, COUNT(*) AS n FROM assignments WHERE tenant IN (${tenants.map(() => '?').join(',')}) GROUP BY primary_server`)
      .all(...tenants) as { server: string; n: number }[];
    return new Map(rows.map((r) => [r.server, r.n]));
  }

  /** Agents per primary server, every server that has one. */
  perServer(): { server: string; agents: number }[] {
    return this.db.prepare('SELECT primary_server AS server, COUNT(*) AS agents FROM assignments GROUP BY primary_server ORDER BY primary_server').all() as { server: string; agents: number }[];
  }

  /** Insert or update one agent's assignment; assignedAt moves only when the primary changes. */
  save(a: Assignment, at: string): void {
    this
      .stmt(
        `INSERT INTO assignments (fqdn, tenant, primary_server, failovers, assigned_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(fqdn) DO UPDATE SET tenant = excluded.tenant, failovers = excluded.failovers, updated_at = excluded.updated_at,
           assigned_at = CASE WHEN primary_server = excluded.primary_server THEN assigned_at ELSE excluded.assigned_at END,
           primary_server = excluded.primary_server`,
      )
      .run(a.agent, a.tenant, a.primary, JSON.stringify(a.failovers), at, at);
  }

  /** A whole balancing result in one transaction: every assignment saved, the agents no server can take removed. */
  saveAll(list: readonly Assignment[], remove: readonly string[], at: string): void {
    this.db.transaction(() => {
      for (const a of list) this.save(a, at);
      const del = this.db.prepare('DELETE FROM assignments WHERE fqdn = ?');
      for (const f of remove) del.run(f);
    })();
  }

  /**
   * The agents to balance: every FQDN with an active certificate that is not a management server or gateway
   * (`servers`), with the tenant of its newest certificate. An agent whose certificates were all revoked or
   * expired is no longer one.
   */
  agents(servers: readonly string[]): { fqdn: string; tenant: string }[] {
    const rows = this.db
      .prepare(
        `SELECT fqdn, tenant FROM (
           SELECT fqdn, tenant, ROW_NUMBER() OVER (PARTITION BY fqdn ORDER BY not_after DESC) AS k FROM certificates WHERE state = 'active'
         ) WHERE k = 1`,
      )
      .all() as { fqdn: string; tenant: string }[];
    const skip = new Set(servers);
    return rows.filter((r) => !skip.has(r.fqdn)).sort((a, b) => (a.fqdn < b.fqdn ? -1 : a.fqdn > b.fqdn ? 1 : 0));
  }
}
