/**
 * The server store: one PostgreSQL database implementing the Store port (domain/store-port.ts), one class per
 * aggregate over one connection pool, shared by any number of agentcert instances (work.ts).
 */
import type { Clock, Store, StoreTx } from '../../domain/index.js';
import type { PostgresSettings } from './connection.js';
import { PgAssignments } from './assignments.js';
import { PgCertificates } from './certificates.js';
import { PgDb } from './database.js';
import { PgEvents } from './events.js';
import { PgRequests } from './requests.js';
import { PgState } from './state.js';
import { PgViews } from './views.js';
import { newOwner, PgWork } from './work.js';

export class PostgresStore implements Store {
  readonly requests: PgRequests;
  readonly certificates: PgCertificates;
  readonly events: PgEvents;
  readonly state: PgState;
  readonly views: PgViews;
  readonly work: PgWork;
  readonly assignments: PgAssignments;
  readonly location: string;
  readonly db: PgDb;

  constructor(settings: PostgresSettings, clock: Clock, owner: string = newOwner()) {
    this.db = new PgDb(settings);
    this.location = this.db.location;
    this.requests = new PgRequests(this.db, clock, { owner, seconds: settings.leaseSeconds });
    this.certificates = new PgCertificates(this.db);
    this.events = new PgEvents(this.db);
    this.state = new PgState(this.db);
    this.views = new PgViews(this.db);
    this.assignments = new PgAssignments(this.db);
    this.work = new PgWork(this.db, owner, settings.leaseSeconds);
  }

  withTransaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.db.transaction(() => fn(this));
  }

  async close(): Promise<void> {
    await this.work.close();
    await this.db.close();
  }
}
