/**
 * Free-text search of the lists (`q`) from the trigram indexes of migration 4 (services/store/sqlite/listing.ts): on a
 * real store, every answer — items, order and total — must equal the plain LIKE scan it replaced (kept below,
 * verbatim, as the reference), whether the index answers or the scan does (a text under three characters, or
 * one most rows contain); the index must follow inserts, updates and deletes, and be built for the rows of a
 * store that existed before the migration.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificatePageFilter, RequestPageFilter } from '../../services/domain/index.js';
import { SqliteStore } from '../../services/store/index.js';
import { trigramMatch } from '../../services/store/sqlite/listing.js';
import { MIGRATIONS } from '../../services/store/sqlite/migrations.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';
import { seedCertificates, seedRow } from '../bench/seed.js';

// ---- The reference: the list queries as they were before migration 4 (a LIKE over every row) ----

function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function referenceRequests(db: Database.Database, f: RequestPageFilter) {
  const where: string[] = [];
  const args: unknown[] = [];
  if (f.state) (where.push('r.state = ?'), args.push(f.state));
  if (f.tenant) (where.push('r.tenant = ?'), args.push(f.tenant));
  if (f.fqdn) (where.push('r.fqdn = ?'), args.push(f.fqdn.toLowerCase()));
  if (f.q) (where.push(`(r.fqdn LIKE ? ESCAPE '\\' OR r.id LIKE ? ESCAPE '\\')`), args.push(likePattern(f.q.toLowerCase()), likePattern(f.q.toLowerCase())));
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM requests r ${w}`).get(...args) as { n: number }).n;
  const items = db
    .prepare(
      `SELECT r.id, r.fingerprint, r.fqdn, r.tenant, r.role, r.state, r.source_name AS sourceName, r.attempts,
              r.next_attempt_at AS nextAttemptAt, r.created_at AS createdAt, r.updated_at AS updatedAt,
              c.serial AS serialNumber, c.state AS certificateState, c.not_after AS notAfter
       FROM requests r LEFT JOIN certificates c ON c.request_id = r.id
       WHERE r.rowid IN (SELECT r.rowid FROM requests r ${w} ORDER BY r.created_at DESC, r.rowid DESC LIMIT ? OFFSET ?)
       ORDER BY r.created_at DESC, r.rowid DESC`,
    )
    .all(...args, f.limit, f.offset);
  return { items, total, limit: f.limit, offset: f.offset };
}

const CERT_COLUMNS = `serial AS serialNumber, request_id AS requestId, fqdn, tenant, thumbprint, not_before AS notBefore,
  not_after AS notAfter, subject, issuer, state, revoked_at AS revokedAt, revocation_reason AS revocationReason, created_at AS createdAt`;

function referenceCertificates(db: Database.Database, f: CertificatePageFilter) {
  const where: string[] = [];
  const args: unknown[] = [];
  if (f.state) (where.push('state = ?'), args.push(f.state));
  if (f.tenant) (where.push('tenant = ?'), args.push(f.tenant));
  if (f.fqdn) (where.push('fqdn = ?'), args.push(f.fqdn.toLowerCase()));
  if (f.expiringBefore) {
    where.push('not_after <= ?', 'not_after > ?');
    args.push(f.expiringBefore, f.now ?? '');
  }
  if (f.q) {
    const p = likePattern(f.q);
    where.push(`(fqdn LIKE ? ESCAPE '\\' OR serial LIKE ? ESCAPE '\\' OR thumbprint LIKE ? ESCAPE '\\')`);
    args.push(likePattern(f.q.toLowerCase()), p.toUpperCase(), p.toUpperCase());
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM certificates ${w}`).get(...args) as { n: number }).n;
  const items = db
    .prepare(`SELECT ${CERT_COLUMNS} FROM certificates WHERE rowid IN (SELECT rowid FROM certificates ${w} ORDER BY not_after, rowid LIMIT ? OFFSET ?) ORDER BY not_after, rowid`)
    .all(...args, f.limit, f.offset);
  return { items, total, limit: f.limit, offset: f.offset };
}

// ---- The store: 2,000 seeded certificates and requests, plus rows with the awkward characters ----

const N = 2000;
const now = new Date('2026-11-23T10:00:00Z');
let env: TempEnv;
let store: SqliteStore;
/** A second connection to the same file: the reference SQL and the hand-made rows (the store shows no SQL). */
let db: Database.Database;

interface Odd {
  id: string;
  fqdn: string;
  serial: string;
  thumbprint: string;
}

/** A request and its certificate with the given texts, written with SQL so that nothing normalises them. */
function insertOdd(o: Odd, k: number): void {
  const created = new Date(now.getTime() + k * 1000).toISOString();
  const notAfter = new Date(now.getTime() + (k + 1) * 86_400_000).toISOString();
  db
    .prepare(`INSERT INTO requests (id, fingerprint, fqdn, tenant, role, state, csr_der, original, source_name, created_at, updated_at) VALUES (?, ?, ?, 'contoso', 'agent', 'packaged', NULL, ?, ?, ?, ?)`)
    .run(o.id, `odd-${o.id}`, o.fqdn, Buffer.from('x'), `${o.fqdn}.req`, created, created);
  db
    .prepare(
      `INSERT INTO certificates (serial, request_id, fqdn, tenant, thumbprint, sha256, not_before, not_after, subject, issuer, der, state, created_at)
       VALUES (?, ?, ?, 'contoso', ?, ?, ?, ?, ?, 'CN=test', ?, 'active', ?)`,
    )
    .run(o.serial, o.id, o.fqdn, o.thumbprint, `sha-${o.id}`, created, notAfter, `CN=${o.fqdn}`, Buffer.from('x'), created);
}

const ODD: Odd[] = [
  { id: 'odd-percent', fqdn: '100%host.contoso.example', serial: 'AB%CD00000001', thumbprint: 'T'.repeat(39) + '1' },
  { id: 'odd-under', fqdn: 'a_b_c.contoso.example', serial: 'AB_CD00000002', thumbprint: 'T'.repeat(39) + '2' },
  { id: 'odd-undx', fqdn: 'axbxc.contoso.example', serial: 'ABXCD00000003', thumbprint: 'T'.repeat(39) + '3' },
  { id: 'odd-bslash', fqdn: 'back\\slash\\host.example', serial: 'BS\\00000004', thumbprint: 'T'.repeat(39) + '4' },
  { id: 'odd-quote', fqdn: 'quo"te"host.example', serial: 'QU"OTE0005', thumbprint: 'T'.repeat(39) + '5' },
  { id: 'odd-mixed', fqdn: 'MiXeD.Case.Example', serial: 'mixedserial0006', thumbprint: 'abcdef'.repeat(6) + '0006' },
  { id: 'odd-umlaut', fqdn: 'müller.contoso.example', serial: 'MÜLLER0007', thumbprint: 'T'.repeat(39) + '7' },
  { id: 'odd-kelvin', fqdn: '\u212Aelvin.contoso.example', serial: '\u212AELVIN0008', thumbprint: 'T'.repeat(39) + '8' },
  { id: 'odd-sharp-s', fqdn: 'straße.contoso.example', serial: 'STRASSE0009', thumbprint: 'T'.repeat(39) + '9' },
  { id: 'odd-emoji', fqdn: 'x😀y.contoso.example', serial: 'EMOJI0010', thumbprint: 'T'.repeat(38) + '10' },
  { id: 'odd-star', fqdn: 'star*and:colon^host.example', serial: 'STAR0011', thumbprint: 'T'.repeat(38) + '11' },
  // Found through the upper-case text only: "große" upper-cases to "GROSSE", which the FQDN does not hold.
  { id: 'odd-grosse', fqdn: 'plain0012.contoso.example', serial: 'GROSSE0012', thumbprint: 'T'.repeat(38) + '12' },
];

/** Texts searched in every case: index-backed and not, selective and not, with every awkward character. */
const QUERIES = [
  // seeded rows: FQDN fragments, serial and thumbprint fragments in either case, request id fragments
  'host12', 'HoSt12', 'host1', 'host', 'st1', '.contoso.', 'contoso', 'host1997.fabrikam.example', 'host123.', 'fabrikam.example',
  '0000010', '00000010000001F', '1f4', '1F4', 'ABC', 'abc', '3e7', 'b8', '0', 'e', '7',
  '00000000000000000000000000000000000001F4', '0000000000000000000000000000000000000bb7', '000000000bb7', '000000000BB7',
  // wildcards and escapes taken literally
  '%', '%h', '0%h', '100%host', '_', 'a_b', 'a_b_c', 'B_C', 'ab_cd', 'AB%CD', '\\', 'k\\s', 'back\\slash', 'BS\\0', '\\%_', '%%%', '___',
  // FTS5 syntax characters and quotes
  '"', 'quo"te', '"te"', 'QU"OTE', 'star*and', '*and:co', 'n:c', '^ho', 'AND', 'OR "x"', 'NEAR(a b)', '(((', '-- ',
  // case and Unicode
  'mixed', 'MIXED.case', 'e.ex', 'Müller', 'MÜLLER', 'müller0007', 'kelvin', 'KELVIN', '\u212Aelvin', 'straße', 'STRASSE', 'strasse0009', 'große', 'GROSSE', 'ß', 'x😀y', '😀y.', '😀',
  // nothing matches; control characters
  'zzz', 'zz', 'nothing-here-at-all', 'host\u0000', 'a\u0000b',
];

function pagesOf<T extends { limit: number; offset: number }>(f: T): T[] {
  return [f, { ...f, limit: 7, offset: 5 }, { ...f, limit: 1000, offset: 1 }];
}

beforeAll(() => {
  env = makeTempEnv();
  store = new SqliteStore(path.join(env.data, 'agentcert.db'), { now: () => now });
  seedCertificates(store, N, now);
  db = new Database(store.location);
  ODD.forEach((o, k) => insertOdd(o, k));
});
afterAll(async () => {
  db.close();
  await store.close();
  env.cleanup();
});

describe('trigramMatch', () => {
  it('quotes every trigram, folds ASCII case, needs three characters and keeps long texts to twelve trigrams', () => {
    expect(trigramMatch(['host12'])).toBe('"hos" AND "ost" AND "st1" AND "t12"');
    expect(trigramMatch(['host12', 'HOST12'])).toBe('"hos" AND "ost" AND "st1" AND "t12"');
    expect(trigramMatch(['a"b'])).toBe('"a""b"');
    expect(trigramMatch(['straße', 'STRASSE'])).toBe('("str" AND "tra" AND "raß" AND "aße") OR ("str" AND "tra" AND "ras" AND "ass" AND "sse")');
    expect(trigramMatch(['x😀y'])).toBe('"x😀y"');
    expect(trigramMatch(['ab'])).toBeNull();
    expect(trigramMatch(['abc', 'ab'])).toBeNull();
    expect(trigramMatch(['a\u0000bc'])).toBeNull();
    expect(trigramMatch(['aaaaaa'])).toBe('"aaa"');
    const long = trigramMatch(['host1997.fabrikam.example'])!;
    expect(long.split(' AND ')).toHaveLength(12);
    expect(long.startsWith('"hos" AND ')).toBe(true);
    expect(long.endsWith(' AND "ple"')).toBe(true);
  });
});

describe('free-text search equals the LIKE scan', () => {
  it('certificates: every text, with and without filters, on several pages', async () => {
    const filters: Omit<CertificatePageFilter, 'q'>[] = [
      { limit: 100, offset: 0 },
      { state: 'active', limit: 100, offset: 0 },
      { tenant: 'contoso', limit: 100, offset: 0 },
      { state: 'revoked', tenant: 'fabrikam', limit: 100, offset: 0 },
      { expiringBefore: new Date(now.getTime() + 90 * 86_400_000).toISOString(), now: now.toISOString(), state: 'active', limit: 100, offset: 0 },
      { fqdn: 'HOST1234.contoso.example', limit: 100, offset: 0 },
    ];
    let compared = 0;
    let matched = 0;
    for (const q of QUERIES)
      for (const base of filters)
        for (const f of pagesOf({ ...base, q })) {
          const got = await store.views.pageCertificates(f);
          expect(got, JSON.stringify(f)).toEqual(referenceCertificates(db, f));
          compared++;
          if (got.total > 0) matched++;
        }
    expect(compared).toBe(QUERIES.length * filters.length * 3);
    expect(matched).toBeGreaterThan(compared / 3);
  });

  it('requests: every text (FQDN or id fragment), with and without filters, on several pages', async () => {
    const filters: Omit<RequestPageFilter, 'q'>[] = [
      { limit: 100, offset: 0 },
      { state: 'packaged', limit: 100, offset: 0 },
      { tenant: 'default', limit: 100, offset: 0 },
      { state: 'revoked', tenant: 'contoso', limit: 100, offset: 0 },
      { fqdn: 'host12.default.example', limit: 100, offset: 0 },
    ];
    for (const q of [...QUERIES, 'odd-', 'ODD-UNDER', 'd-un', '0000000004d2', '4D2', '4d2', 'odd-percent'])
      for (const base of filters)
        for (const f of pagesOf({ ...base, q })) expect(await store.views.pageRequests(f), JSON.stringify(f)).toEqual(referenceRequests(db, f));
  });

  it('finds what it must, by hand: literal wildcards, case, Unicode, serials, thumbprints, ids', async () => {
    const certs = async (q: string) => (await store.views.pageCertificates({ q, limit: 1000, offset: 0 })).items.map((c) => c.serialNumber).sort();
    const reqs = async (q: string) => (await store.views.pageRequests({ q, limit: 1000, offset: 0 })).items.map((r) => r.id).sort();
    expect(await certs('a_b')).toEqual(['AB_CD00000002']); // not axbxc: `_` is no wildcard
    expect(await certs('100%host')).toEqual(['AB%CD00000001']);
    expect(await certs('back\\slash')).toEqual(['BS\\00000004']);
    expect(await certs('quo"te')).toEqual(['QU"OTE0005']);
    expect(await certs('mixed.CASE')).toEqual(['mixedserial0006']); // the FQDN as stored, matched case-insensitively
    expect(await certs('MÜLLER')).toEqual(['MÜLLER0007']); // lower-cased for the FQDN, upper-case serial
    expect(await certs('kelvin')).toEqual([]); // LIKE folds ASCII only: the Kelvin sign is no "k" (the index thinks it is)
    expect(await certs('\u212Aelvin')).toEqual(['\u212AELVIN0008']);
    expect(await certs('strasse0009')).toEqual(['STRASSE0009']);
    expect(await certs('straße')).toEqual(['STRASSE0009']);
    expect(await certs('x😀y')).toEqual(['EMOJI0010']);
    expect(await certs('große')).toEqual(['GROSSE0012']);
    expect(await certs('00000000000000000000000000000000000001f4')).toEqual([seedRow(500, now).serial]); // a whole thumbprint
    expect(await certs('00000010000001F4')).toEqual([seedRow(500, now).serial]); // a whole serial
    expect(await reqs('ODD-UNDER')).toEqual(['odd-under']);
    expect(await reqs('0000000001F4')).toEqual(['0000000001f4']); // a request by its id
    const total = await store.views.pageCertificates({ q: 'host12', limit: 5, offset: 0 });
    expect(total.items).toHaveLength(5);
    expect(total.total).toBe(1 + 10 + 100); // host12, host120–129, host1200–1299 among 2,000
  });

  it('answers from the index when the text has three characters and few rows hold it, from the scan otherwise', async () => {
    // Take host1234's certificate and request out of the index (as a stale index would): the index-backed
    // search no longer sees them, the scan still does.
    const cert = db.prepare(`SELECT rowid, fqdn, serial, thumbprint FROM certificates WHERE fqdn = 'host1234.contoso.example'`).get() as { rowid: number; fqdn: string; serial: string; thumbprint: string };
    const req = db.prepare(`SELECT rowid, fqdn, id FROM requests WHERE fqdn = 'host1234.contoso.example'`).get() as { rowid: number; fqdn: string; id: string };
    const unindex = () => {
      db.prepare(`INSERT INTO certificates_search(certificates_search, rowid, fqdn, serial, thumbprint) VALUES ('delete', ?, ?, ?, ?)`).run(cert.rowid, cert.fqdn, cert.serial, cert.thumbprint);
      db.prepare(`INSERT INTO requests_search(requests_search, rowid, fqdn, id) VALUES ('delete', ?, ?, ?)`).run(req.rowid, req.fqdn, req.id);
    };
    const reindex = () => {
      db.prepare(`INSERT INTO certificates_search(rowid, fqdn, serial, thumbprint) VALUES (?, ?, ?, ?)`).run(cert.rowid, cert.fqdn, cert.serial, cert.thumbprint);
      db.prepare(`INSERT INTO requests_search(rowid, fqdn, id) VALUES (?, ?, ?)`).run(req.rowid, req.fqdn, req.id);
    };
    const certTotal = async (q: string) => (await store.views.pageCertificates({ q, limit: 10, offset: 0 })).total;
    const reqTotal = async (q: string) => (await store.views.pageRequests({ q, limit: 10, offset: 0 })).total;
    const ref = (q: string) => referenceCertificates(db, { q, limit: 10, offset: 0 }).total;
    expect([await certTotal('host1234'), await reqTotal('host1234'), await certTotal('.example')]).toEqual([1, 1, N + ODD.length]);
    unindex();
    try {
      expect(await certTotal('host1234')).toBe(0); // index-backed
      expect(await reqTotal('host1234')).toBe(0);
      expect(await certTotal('34')).toBe(ref('34')); // two characters: the scan
      expect((await store.views.pageCertificates({ q: '34', limit: 1000, offset: 0 })).items.map((c) => c.serialNumber)).toContain(cert.serial);
      expect(await reqTotal('34')).toBe(referenceRequests(db, { q: '34', limit: 10, offset: 0 }).total);
      expect(await certTotal('.example')).toBe(N + ODD.length); // every row holds it: the scan
    } finally {
      reindex();
    }
    expect(await certTotal('host1234')).toBe(1);
    expect(await reqTotal('host1234')).toBe(1);
  });
});

function integrityCheck(db: Database.Database): void {
  // Compares each index with its table, row by row: throws (SQLITE_CORRUPT_VTAB) on any difference.
  db.exec(`INSERT INTO requests_search(requests_search, rank) VALUES ('integrity-check', 1)`);
  db.exec(`INSERT INTO certificates_search(certificates_search, rank) VALUES ('integrity-check', 1)`);
}

describe('the index follows the tables', () => {
  it('after the seeding and the odd rows', async () => {
    expect(() => integrityCheck(db)).not.toThrow();
  });

  it('rows inserted, updated and deleted after the migration', async () => {
    // Through the store, as the pipeline inserts them.
    const { request } = await store.requests.insert(
      { fingerprint: 'fe'.repeat(32), fqdn: 'brand-new-agent.tailspin.example', tenant: 'default', csrDer: Buffer.from('csr'), originalBytes: Buffer.from('orig'), sourceName: 'x.req' },
      'received',
    );
    expect((await store.views.pageRequests({ q: 'BRAND-new', limit: 10, offset: 0 })).items.map((r) => r.id)).toEqual([request.id]);
    expect((await store.views.pageRequests({ q: request.id.slice(3, 9), limit: 10, offset: 0 })).items.map((r) => r.id)).toContain(request.id);
    // The pipeline's state changes do not touch the index (the trigger fires on searched columns only).
    await store.requests.transition(request.id, { from: ['received'], to: 'checked', reason: 'CHECKS_PASSED', message: 'ok', actor: 'service', data: null });
    expect((await store.views.pageRequests({ q: 'brand-new', limit: 10, offset: 0 })).items.map((r) => r.state)).toEqual(['checked']);

    // More seeded rows after the first ones.
    seedCertificates(store, 50, now, 100_000);
    expect((await store.views.pageCertificates({ q: 'host100042', limit: 10, offset: 0 })).items.map((c) => c.fqdn)).toEqual([seedRow(100_042, now).fqdn]);
    expect((await store.views.pageRequests({ q: 'host10004', limit: 100, offset: 0 })).total).toBe(10);

    // A changed FQDN, serial and thumbprint: found by the new text, no longer by the old one.
    const serial = seedRow(100_007, now).serial;
    db.prepare(`UPDATE certificates SET fqdn = 'renamed-host.example', thumbprint = 'DEADBEEF' || thumbprint, serial = 'CAFE' || serial WHERE serial = ?`).run(serial);
    db.prepare(`UPDATE requests SET fqdn = 'renamed-host.example' WHERE fqdn = ?`).run(seedRow(100_007, now).fqdn);
    expect((await store.views.pageCertificates({ q: 'renamed-host', limit: 10, offset: 0 })).items.map((c) => c.serialNumber)).toEqual([`CAFE${serial}`]);
    expect((await store.views.pageCertificates({ q: 'deadbeef', limit: 10, offset: 0 })).total).toBe(1);
    expect((await store.views.pageCertificates({ q: `cafe${serial.slice(0, 4)}`, limit: 10, offset: 0 })).total).toBe(1);
    expect((await store.views.pageCertificates({ q: 'host100007', limit: 10, offset: 0 })).total).toBe(0);
    expect((await store.views.pageRequests({ q: 'renamed-host', limit: 10, offset: 0 })).total).toBe(1);
    expect((await store.views.pageRequests({ q: 'host100007', limit: 10, offset: 0 })).total).toBe(0);

    // Deleted rows leave the index.
    db.prepare(`DELETE FROM certificates WHERE fqdn = ?`).run(seedRow(100_011, now).fqdn);
    db.prepare(`DELETE FROM requests WHERE fqdn = ?`).run(seedRow(100_011, now).fqdn);
    expect((await store.views.pageCertificates({ q: 'host100011', limit: 10, offset: 0 })).total).toBe(0);
    expect((await store.views.pageRequests({ q: 'host100011', limit: 10, offset: 0 })).total).toBe(0);

    expect(() => integrityCheck(db)).not.toThrow();
    for (const q of ['host1000', 'renamed', 'cafe', 'brand', 'DEADBEEF'])
      for (const f of pagesOf({ q, limit: 100, offset: 0 })) {
        expect(await store.views.pageCertificates(f)).toEqual(referenceCertificates(db, f));
        expect(await store.views.pageRequests(f)).toEqual(referenceRequests(db, f));
      }
  });

  it('a store from before the migration: its rows are indexed when it is opened', async () => {
    const file = path.join(env.dir, 'old', 'agentcert.db');
    mkdirSync(path.dirname(file), { recursive: true });
    const old = new Database(file);
    for (const m of MIGRATIONS.slice(0, 3)) old.exec(m);
    old.pragma('user_version = 3');
    old.close();
    // Rows written by the previous version: seeded with migration 4's triggers absent.
    const raw = new Database(file);
    const insReq = raw.prepare(`INSERT INTO requests (id, fingerprint, fqdn, tenant, state, original, source_name, created_at, updated_at) VALUES (?, ?, ?, 'default', 'packaged', x'00', 'x.req', ?, ?)`);
    const insCert = raw.prepare(
      `INSERT INTO certificates (serial, request_id, fqdn, tenant, thumbprint, sha256, not_before, not_after, subject, issuer, der, state, created_at)
       VALUES (?, ?, ?, 'default', ?, ?, ?, ?, 'CN=x', 'CN=ca', x'00', 'active', ?)`,
    );
    raw.transaction(() => {
      for (let i = 0; i < 500; i++) {
        const id = `old${i.toString(16).padStart(9, '0')}`;
        const at = new Date(now.getTime() - i * 60_000).toISOString();
        insReq.run(id, `fp-${i}`, `legacy${i}.example`, at, at);
        insCert.run(`5E${i.toString(16).toUpperCase().padStart(14, '0')}`, id, `legacy${i}.example`, `7B${i.toString(16).toUpperCase().padStart(38, '0')}`, `sha-${i}`, at, at, at);
      }
    })();
    expect(raw.prepare(`SELECT name FROM sqlite_master WHERE name LIKE '%_search%'`).all()).toEqual([]);
    raw.close();

    const migrated = new SqliteStore(file, { now: () => now });
    const mdb = new Database(file);
    try {
      expect(mdb.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(() => integrityCheck(mdb)).not.toThrow();
      expect((mdb.prepare(`SELECT COUNT(*) AS n FROM certificates_search WHERE certificates_search MATCH '"acy"'`).get() as { n: number }).n).toBe(500);
      for (const q of ['legacy42', 'LEGACY4', 'old00000001', '5E0000000000001F', '7b00000', 'acy1', 'legacy499.example', '42.ex'])
        for (const f of pagesOf({ q, limit: 100, offset: 0 })) {
          expect(await migrated.views.pageCertificates(f)).toEqual(referenceCertificates(mdb, f));
          expect(await migrated.views.pageRequests(f)).toEqual(referenceRequests(mdb, f));
        }
      expect((await migrated.views.pageCertificates({ q: 'legacy42', limit: 100, offset: 0 })).total).toBe(11);
    } finally {
      mdb.close();
      await migrated.close();
    }
  });
});
