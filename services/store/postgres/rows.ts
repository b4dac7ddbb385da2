/** Row ↔ domain mapping for the PostgreSQL store: the SQLite store's mapping (same column names), with PostgreSQL's types. */
import type { AuditEvent, IssuedCertificate, StoredRequest } from '../../domain/index.js';
import { rowToCertificate, rowToEvent, rowToRequest, type CertificateRow, type EventRow, type RequestRow } from '../sqlite/rows.js';
import type { Row } from './database.js';

export function pgToRequest(r: Row): StoredRequest {
  // BOOLEAN here, 0/1 in SQLite.
  return rowToRequest({ ...(r as unknown as RequestRow), republish: r['republish'] ? 1 : 0 });
}

export function pgToEvent(r: Row): AuditEvent {
  // BIGINT identity comes back as a string from node-postgres.
  return rowToEvent({ ...(r as unknown as EventRow), id: Number(r['id']) });
}

export function pgToCertificate(r: Row): IssuedCertificate {
  return rowToCertificate(r as unknown as CertificateRow);
}
