/**
 * Moving a SQLite store to PostgreSQL (`agentcert store migrate --to postgres://…`): every request (with its
 * bytes), event, certificate, agent assignment and lifecycle value (CRL number, digest day, notified windows, applied results,
 * the shared CA files) is copied in one PostgreSQL transaction, keeping ids and the insertion order, then both
 * sides are counted and checksummed table by table. Re-running copies what changed in the source since (rows are
 * upserted by their keys; the CRL number never goes down), so a second run after a last look is safe.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { AgentcertError } from '../../domain/index.js';
import type { PgDb, Row } from './database.js';

const BATCH = 500;

/** What each table's checksum covers: the key first, then every column a later run could change. */
const TABLES = {
  requests: { key: 'id', cols: ['id', 'fingerprint', 'fqdn', 'tenant', 'role', 'state', 'csr_der', 'original', 'source_name', 'ca_request_id', 'attempts', 'next_attempt_at', 'republish', 'findings', 'created_at', 'updated_at'] },
  events: { key: 'id', cols: ['id', 'request_id', 'fqdn', 'at', 'from_state', 'to_state', 'reason', 'message', 'actor', 'data'] },
  certificates: { key: 'serial', cols: ['serial', 'request_id', 'fqdn', 'tenant', 'thumbprint', 'sha256', 'not_before', 'not_after', 'subject', 'issuer', 'der', 'state', 'revoked_at', 'revocation_reason', 'created_at'] },
  assignments: { key: 'fqdn', cols: ['fqdn', 'tenant', 'primary_server', 'failovers', 'assigned_at', 'updated_at'] },
  meta: { key: 'key', cols: ['key', 'value'] },
} as const;
type Table = keyof typeof TABLES;

/** Heartbeats change on every monitor run; they are not copied or compared. */
const VOLATILE_META = ['monitor.heartbeat', 'doctor.checkedAt'];

export interface TableReport {
  table: Table;
  rows: number;
  sha256: string;
}

function canonical(v: unknown): string {
  if (v === null || v === undefined) return '\u0000';
  if (Buffer.isBuffer(v)) return `b:${createHash('sha256').update(v).digest('hex')}`;
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

/** Rows of a table in key order, a batch at a time. */
type Reader = (table: Table, after: unknown, limit: number) => Promise<Row[]>;

async function checksum(read: Reader, table: Table): Promise<TableReport> {
  const { key, cols } = TABLES[table];
  const h = createHash('sha256');
  let rows = 0;
  let after: unknown = null;
  for (;;) {
    const batch = await read(table, after, BATCH);
    for (const r of batch) {
      // The crl.number is compared as a number: a re-run keeps the larger one (see copyMeta).
      h.update(cols.map((c) => canonical(c === 'republish' ? Number(r[c]) === 1 || r[c] === true : r[c])).join('\u0001') + '\u0002');
    }
    rows += batch.length;
    if (batch.length < BATCH) break;
    after = batch[batch.length - 1]![key];
  }
  return { table, rows, sha256: h.digest('hex') };
}

function sqliteReader(db: Database.Database): Reader {
  return async (table, after, limit) => {
    const { key } = TABLES[table];
    const skip = table === 'meta' ? ` AND key NOT IN (${VOLATILE_META.map(() => '?').join(',')})` : '';
    const where = after === null ? `WHERE 1=1${skip}` : `WHERE ${key} > ?${skip}`;
    const args = [...(after === null ? [] : [after]), ...(table === 'meta' ? VOLATILE_META : [])];
    // rowid order for the copy keeps SQLite's insertion order in `seq`; key order for the checksum.
    return db.prepare(`SELECT rowid AS _rowid, * FROM ${table} ${where} ORDER BY ${key} LIMIT ?`).all(...args, limit) as Row[];
  };
}

function pgReader(db: PgDb): Reader {
  return async (table, after, limit) => {
    const { key } = TABLES[table];
    const skip = table === 'meta' ? ` AND NOT (key = ANY($${after === null ? 2 : 3}::text[]))` : '';
    const args: unknown[] = after === null ? [limit] : [limit, after];
    if (table === 'meta') args.push(VOLATILE_META);
    const where = after === null ? `WHERE TRUE${skip}` : `WHERE ${key} > $2${skip}`;
    return db.query(`SELECT * FROM ${table} ${where} ORDER BY ${key} LIMIT $1`, args);
  };
}

const UPSERT: Record<Exclude<Table, 'meta'>, string> = {
  requests: `ON CONFLICT (id) DO UPDATE SET state = excluded.state, ca_request_id = excluded.ca_request_id, attempts = excluded.attempts,
             next_attempt_at = excluded.next_attempt_at, republish = excluded.republish, findings = excluded.findings, updated_at = excluded.updated_at`,
  events: `ON CONFLICT (id) DO NOTHING`,
  certificates: `ON CONFLICT (serial) DO UPDATE SET state = excluded.state, revoked_at = excluded.revoked_at, revocation_reason = excluded.revocation_reason`,
  assignments: `ON CONFLICT (fqdn) DO UPDATE SET tenant = excluded.tenant, primary_server = excluded.primary_server, failovers = excluded.failovers,
                assigned_at = excluded.assigned_at, updated_at = excluded.updated_at`,
};

async function copyTable(src: Database.Database, dst: PgDb, table: Exclude<Table, 'meta'>): Promise<void> {
  const { cols } = TABLES[table];
  const withSeq = table === 'requests' || table === 'certificates';
  const names = [...(withSeq ? ['seq'] : []), ...cols];
  let after = 0;
  for (;;) {
    const rows = src.prepare(`SELECT rowid AS _rowid, * FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ?`).all(after, BATCH) as Row[];
    if (rows.length === 0) break;
    const args: unknown[] = [];
    const tuples = rows.map((r) => {
      const values = [...(withSeq ? [r['_rowid']] : []), ...cols.map((c) => (c === 'republish' ? r[c] === 1 : r[c]))];
      return `(${values.map((v) => (args.push(v), `$${args.length}`)).join(', ')})`;
    });
    await dst.query(`INSERT INTO ${table} (${names.join(', ')}) VALUES ${tuples.join(', ')} ${UPSERT[table]}`, args);
    after = Number(rows[rows.length - 1]!['_rowid']);
  }
}

async function copyMeta(src: Database.Database, dst: PgDb): Promise<void> {
  const rows = src.prepare(`SELECT key, value FROM meta`).all() as { key: string; value: string }[];
  for (const r of rows) {
    if (VOLATILE_META.includes(r.key)) continue;
    // RFC 5280 §5.2.3: the cRLNumber only grows, also when the target signed CRLs of its own meanwhile.
    const merge = r.key === 'crl.number' ? `GREATEST(meta.value::numeric, excluded.value::numeric)::text` : 'excluded.value';
    await dst.query(`INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = ${merge}`, [r.key, r.value]);
  }
}

/** Copy `sqliteFile` into the (migrated) PostgreSQL database and compare both sides; throws when they differ. */
export async function copySqliteToPostgres(sqliteFile: string, dst: PgDb): Promise<TableReport[]> {
  const src = new Database(sqliteFile, { readonly: true, fileMustExist: true });
  try {
    await dst.transaction(async () => {
      for (const t of ['requests', 'events', 'certificates', 'assignments'] as const) await copyTable(src, dst, t);
      await copyMeta(src, dst);
      // Identity columns continue after the copied values, so new rows never reuse an id.
      await dst.query(`SELECT setval(pg_get_serial_sequence('events', 'id'), GREATEST((SELECT MAX(id) FROM events), 1))`);
      for (const t of ['requests', 'certificates']) await dst.query(`SELECT setval(pg_get_serial_sequence('${t}', 'seq'), GREATEST((SELECT MAX(seq) FROM ${t}), 1))`);
    });
    const reports: TableReport[] = [];
    for (const table of Object.keys(TABLES) as Table[]) {
      const a = await checksum(sqliteReader(src), table);
      const b = await checksum(pgReader(dst), table);
      if (a.rows !== b.rows || a.sha256 !== b.sha256) {
        throw new AgentcertError('AC_STORE_COPY_MISMATCH', `${table}: the SQLite store has ${a.rows} row(s) (sha256 ${a.sha256.slice(0, 16)}…), the PostgreSQL store ${b.rows} (sha256 ${b.sha256.slice(0, 16)}…)`, [
          'the target held rows the source does not (another store was copied into it, or instances already work on it): copy into an empty database',
        ]);
      }
      reports.push(a);
    }
    return reports;
  } finally {
    src.close();
  }
}
