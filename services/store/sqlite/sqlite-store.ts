/**
 * The embedded store (the default): one SQLite file implementing the Store port (domain/store-port.ts), one
 * class per aggregate over one connection.
 */
import type { Clock, Store, StoreTx } from '../../domain/index.js';
import { SqliteAssignments } from './assignments.js';
import { SqliteCertificates } from './certificates.js';
import { SqliteDb } from './database.js';
import { SqliteEvents } from './events.js';
import { SqliteRequests } from './requests.js';
import { SqliteState } from './state.js';
import { SqliteViews } from './views.js';

export class SqliteStore implements Store {
  readonly requests: SqliteRequests;
  readonly certificates: SqliteCertificates;
  readonly events: SqliteEvents;
  readonly state: SqliteState;
  readonly views: SqliteViews;
  readonly assignments: SqliteAssignments;
  private readonly s: SqliteDb;

  constructor(readonly location: string, clock: Clock) {
    this.s = new SqliteDb(location);
    this.requests = new SqliteRequests(this.s, clock);
    this.certificates = new SqliteCertificates(this.s);
    this.events = new SqliteEvents(this.s);
    this.state = new SqliteState(this.s);
    this.views = new SqliteViews(this.s);
    this.assignments = new SqliteAssignments(this.s);
  }

  withTransaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.s.transaction(() => fn(this));
  }

  async close(): Promise<void> {
    this.s.close();
  }
}
