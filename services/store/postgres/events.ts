/** The audit trail: append-only event rows, one per state change or note (written by requests.ts). */
import type { AuditEvent, EventStore } from '../../domain/index.js';
import type { EventInput } from '../sqlite/events.js';
import type { PgDb } from './database.js';
import { pgToEvent } from './rows.js';

export async function appendEvent(db: PgDb, e: EventInput): Promise<void> {
  await db.query(`INSERT INTO events (request_id, fqdn, at, from_state, to_state, reason, message, actor, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
    e.requestId, e.fqdn, e.at, e.from, e.to, e.reason, e.message, e.actor, e.data ? JSON.stringify(e.data) : null,
  ]);
}

export class PgEvents implements EventStore {
  constructor(private readonly db: PgDb) {}

  async forRequest(requestId: string): Promise<AuditEvent[]> {
    return (await this.db.query(`SELECT * FROM events WHERE request_id = $1 ORDER BY id`, [requestId])).map(pgToEvent);
  }
}
