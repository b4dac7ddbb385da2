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
  // 4: free-text search (`q` of the lists, listing.ts) from a trigram index instead of a LIKE scan of every row.
  // FTS5 external-content tables over the searched columns (the text itself stays in requests/certificates),
  // keyed by the rows' rowid. detail=none keeps only which rows hold a trigram, since the lists re-check every
  // candidate with the original LIKE; columnsize=0 keeps no per-row sizes, since nothing ranks the matches.
  // Triggers keep them in step with every write; UPDATE fires only when a searched column changes (the
  // pipeline's state updates never touch them). The rowid is a safe key: nothing deletes or replaces rows, and
  // SQLite's VACUUM keeps rowids (its documentation does not promise it for tables without an INTEGER PRIMARY
  // KEY). Should an index ever disagree with its table, `INSERT INTO requests_search(requests_search) VALUES
  // ('rebuild')` (or certificates_search) makes it again from the table; ('integrity-check', 1) compares them.
  // The rows already stored are indexed from the covering indexes of their texts (a few MB at 100,000 rows),
  // joined on rowid, rather than with 'rebuild', which reads the tables and with them every CSR, original file
  // and certificate (~700 MB at 100,000 requests). Measured: 0.6 s for the start-up bench's store (page cache
  // warm), 0.8 s (cold); on a similar 650 MB store from a cold cache, 0.9–1.0 s against 1.7 s for 'rebuild'.
  // FTS5 wants rows in rowid order, hence the ORDER BY.
  `
  CREATE VIRTUAL TABLE requests_search USING fts5(fqdn, id, content='requests', tokenize='trigram', detail='none', columnsize=0);
  CREATE TRIGGER requests_search_insert AFTER INSERT ON requests BEGIN
    INSERT INTO requests_search(rowid, fqdn, id) VALUES (new.rowid, new.fqdn, new.id);
  END;
  CREATE TRIGGER requests_search_delete AFTER DELETE ON requests BEGIN
    INSERT INTO requests_search(requests_search, rowid, fqdn, id) VALUES ('delete', old.rowid, old.fqdn, old.id);
  END;
  CREATE TRIGGER requests_search_update AFTER UPDATE OF fqdn, id ON requests BEGIN
    INSERT INTO requests_search(requests_search, rowid, fqdn, id) VALUES ('delete', old.rowid, old.fqdn, old.id);
    INSERT INTO requests_search(rowid, fqdn, id) VALUES (new.rowid, new.fqdn, new.id);
  END;

  CREATE VIRTUAL TABLE certificates_search USING fts5(fqdn, serial, thumbprint, content='certificates', tokenize='trigram', detail='none', columnsize=0);
  CREATE TRIGGER certificates_search_insert AFTER INSERT ON certificates BEGIN
    INSERT INTO certificates_search(rowid, fqdn, serial, thumbprint) VALUES (new.rowid, new.fqdn, new.serial, new.thumbprint);
  END;
  CREATE TRIGGER certificates_search_delete AFTER DELETE ON certificates BEGIN
    INSERT INTO certificates_search(certificates_search, rowid, fqdn, serial, thumbprint) VALUES ('delete', old.rowid, old.fqdn, old.serial, old.thumbprint);
  END;
  CREATE TRIGGER certificates_search_update AFTER UPDATE OF fqdn, serial, thumbprint ON certificates BEGIN
    INSERT INTO certificates_search(certificates_search, rowid, fqdn, serial, thumbprint) VALUES ('delete', old.rowid, old.fqdn, old.serial, old.thumbprint);
    INSERT INTO certificates_search(rowid, fqdn, serial, thumbprint) VALUES (new.rowid, new.fqdn, new.serial, new.thumbprint);
  END;

  CREATE TEMP TABLE search_fill_a (rid INTEGER PRIMARY KEY, v TEXT NOT NULL);
  CREATE TEMP TABLE search_fill_b (rid INTEGER PRIMARY KEY, v TEXT NOT NULL);
  INSERT INTO search_fill_a SELECT rowid, id FROM requests WHERE id IS NOT NULL;
  INSERT INTO requests_search(rowid, fqdn, id)
    SELECT r.rowid, r.fqdn, a.v FROM requests r INDEXED BY requests_fqdn LEFT JOIN search_fill_a a ON a.rid = r.rowid ORDER BY r.rowid;
  DELETE FROM search_fill_a;
  INSERT INTO search_fill_a SELECT rowid, serial FROM certificates WHERE serial IS NOT NULL;
  INSERT INTO search_fill_b SELECT rowid, thumbprint FROM certificates WHERE thumbprint IS NOT NULL;
  INSERT INTO certificates_search(rowid, fqdn, serial, thumbprint)
    SELECT c.rowid, c.fqdn, a.v, b.v FROM certificates c INDEXED BY certificates_fqdn
      LEFT JOIN search_fill_a a ON a.rid = c.rowid LEFT JOIN search_fill_b b ON b.rid = c.rowid ORDER BY c.rowid;
  DROP TABLE search_fill_a;
  DROP TABLE search_fill_b;
  `,
  // 5: counts by tenant and state (a tenant-scoped token's lists and overview, the per-tenant metrics) from the
  // index alone: without it, GROUP BY tenant, state read every row (137 ms at 100,000 certificates).
  `
  CREATE INDEX requests_tenant_state ON requests(tenant, state);
  CREATE INDEX certificates_tenant_state ON certificates(tenant, state);
  `,
  // 6: each agent's management servers (store/sqlite/assignments.ts, README "Management group"): one row per
  // agent FQDN, its primary and ordered failovers (JSON). The pipeline counts a pool's agents per primary through
  // (tenant, primary_server) when it places a new agent.
  `
  CREATE TABLE assignments (
    fqdn           TEXT PRIMARY KEY,
    tenant         TEXT NOT NULL,
    primary_server TEXT NOT NULL,
    failovers      TEXT NOT NULL,
    assigned_at    TEXT NOT NULL,
    updated_at     TEXT NOT NULL
  );
  CREATE INDEX assignments_tenant_primary ON assignments(tenant, primary_server);
  CREATE INDEX assignments_primary ON assignments(primary_server);
  `,
];
