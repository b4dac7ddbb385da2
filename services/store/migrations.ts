/**
 * Schema migrations, applied in order and recorded in SQLite's user_version. Never edit a shipped step: add one.
 */
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE requests (
    id              TEXT PRIMARY KEY,
    fingerprint     TEXT NOT NULL UNIQUE,
    fqdn            TEXT NOT NULL,
    tenant          TEXT NOT NULL,
    role            TEXT NOT NULL DEFAULT 'agent',
    state           TEXT NOT NULL,
    csr_der         BLOB,
    original        BLOB NOT NULL,
    source_name     TEXT NOT NULL,
    ca_request_id   TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    republish       INTEGER NOT NULL DEFAULT 0,
    findings        TEXT NOT NULL DEFAULT '[]',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
  );
  CREATE INDEX requests_state ON requests(state, next_attempt_at);
  CREATE INDEX requests_fqdn ON requests(fqdn);
  CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  TEXT NOT NULL REFERENCES requests(id),
    fqdn        TEXT NOT NULL,
    at          TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    message     TEXT NOT NULL,
    actor       TEXT NOT NULL,
    data        TEXT
  );
  CREATE INDEX events_request ON events(request_id, id);
  CREATE TABLE certificates (
    serial            TEXT PRIMARY KEY,
    request_id        TEXT NOT NULL UNIQUE REFERENCES requests(id),
    fqdn              TEXT NOT NULL,
    tenant            TEXT NOT NULL,
    thumbprint        TEXT NOT NULL UNIQUE,
    sha256            TEXT NOT NULL,
    not_before        TEXT NOT NULL,
    not_after         TEXT NOT NULL,
    subject           TEXT NOT NULL,
    issuer            TEXT NOT NULL,
    der               BLOB NOT NULL,
    state             TEXT NOT NULL,
    revoked_at        TEXT,
    revocation_reason TEXT,
    created_at        TEXT NOT NULL
  );
  CREATE INDEX certificates_fqdn ON certificates(fqdn);
  CREATE INDEX certificates_not_after ON certificates(not_after);
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  // 2: the admin surface's lists (services/store/listing.ts) — filtered pages ordered by the index, and the
  // monitors' "oldest in state" lookups.
  `
  CREATE INDEX requests_created ON requests(created_at, id);
  CREATE INDEX requests_state_created ON requests(state, created_at);
  CREATE INDEX requests_tenant_created ON requests(tenant, created_at);
  CREATE INDEX requests_state_updated ON requests(state, updated_at);
  CREATE INDEX certificates_state_not_after ON certificates(state, not_after);
  CREATE INDEX certificates_tenant_not_after ON certificates(tenant, not_after);
  CREATE INDEX certificates_fqdn_not_after ON certificates(fqdn, not_after);
  CREATE INDEX events_actor ON events(actor, id);
  `,
  // 3: request pages order by (created_at, rowid), which a plain created_at index serves without a sort.
  `
  DROP INDEX requests_created;
  CREATE INDEX requests_created_at ON requests(created_at);
  `,
];
