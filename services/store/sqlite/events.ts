/** The audit trail: append-only event rows, one per state change or note (written by requests.ts). */
import type { AuditEvent, EventStore } from '../../domain/index.js';
import type { SqliteDb } from './database.js';
import { rowToEvent, type EventRow } from './rows.js';

/** An event as written: the audit event without the id the table assigns. */
export type EventInput = Omit<AuditEvent, 'id'>;

export function appendEvent(s: SqliteDb, e: EventInput): void {
  s.stmt(`INSERT INTO events (request_id, fqdn, at, from_state, to_state, reason, message, actor, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(e.requestId, e.fqdn, e.at, e.from, e.to, e.reason, e.message, e.actor, e.data ? JSON.stringify(e.data) : null);
}

export class SqliteEvents implements EventStore {
  constructor(private readonly s: SqliteDb) {}

  forRequest(requestId: string): Promise<AuditEvent[]> {
    return this.s.run(() => (this.s.stmt(`SELECT * FROM events WHERE request_id = ? ORDER BY id`).all(requestId) as EventRow[]).map(rowToEvent));
  }
}
