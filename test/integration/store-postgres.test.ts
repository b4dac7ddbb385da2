/**
 * The PostgreSQL store against a real server (test/helpers/postgres-server.ts): the shared store suite, the same
 * answers as the SQLite store, and what several instances on one database rely on (one migration, leases,
 * election, an unreachable database).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { PostgresStore, SqliteStore, openStore, postgresSettings, type PostgresSettings } from '../../services/store/index.js';
import { AgentcertError, type Store } from '../../services/domain/index.js';
import { startPostgres, postgresAvailable, type PostgresServer } from '../helpers/postgres-server.js';
import { issue, req, step, storeSuite } from '../helpers/store-suite.js';
import { makeTempEnv } from '../helpers/temp.js';
import { copySqliteToPostgres } from '../../services/store/postgres/copy-from-sqlite.js';

const available = postgresAvailable();
let server: PostgresServer;
const clock = { now: () => new Date('2026-11-23T10:00:00Z') };

const settings = (url: string, o: Partial<PostgresSettings> = {}): PostgresSettings => ({ url, password: server.password, sslMode: null, caFile: null, poolSize: 5, leaseSeconds: 30, ...o });

describe.runIf(available)('PostgreSQL store', () => {
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(() => server?.close());

  storeSuite('PostgreSQL', () => {
    let url: Promise<string> | null = null;
    return {
      create: async (c) => new PostgresStore(settings(await (url = server.database())), c),
      reopen: async (c) => new PostgresStore(settings(await url!), c),
      cleanup: async () => undefined,
    };
  });

  it('is chosen by store.url, reads the password from store.passwordFile, and migrates once when instances start together', async () => {
    const url = await server.database();
    const section = { url, passwordFile: server.passwordFile, password: null, sslMode: null, caFile: null, poolSize: 3, leaseSeconds: 30 };
    const stores = Array.from({ length: 4 }, () => openStore('/nonexistent', section, clock));
    expect(stores[0]).toBeInstanceOf(PostgresStore);
    expect(stores[0]!.location).toBe(url);
    await Promise.all(stores.map((s, i) => s.requests.insert(req(`${i}`.repeat(64)), 'received')));
    expect(await (stores[1] as PostgresStore).db.query('SELECT version FROM agentcert_schema')).toEqual([{ version: 7 }]);
    expect((await stores[0]!.requests.find()).length).toBe(4);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('names an unreachable database without its password (AC_STORE_UNAVAILABLE)', async () => {
    const url = `postgres://agentcert:s3cret-in-url@127.0.0.1:1/none`;
    const s = new PostgresStore(postgresSettings({ url, passwordFile: null, password: null, sslMode: null, caFile: null, poolSize: 1, leaseSeconds: 30 }), clock);
    const err = (await s.requests.get('x').catch((e: unknown) => e)) as AgentcertError;
    expect(err).toBeInstanceOf(AgentcertError);
    expect(err.code).toBe('AC_STORE_UNAVAILABLE');
    expect(err.message).toContain('127.0.0.1:1');
    expect(err.message).not.toContain('s3cret-in-url');
    expect(s.location).not.toContain('s3cret-in-url');
    await s.close();
  });

  it('answers the lists exactly as the SQLite store does', async () => {
    const env = makeTempEnv();
    const sqlite = new SqliteStore(path.join(env.data, 'agentcert.db'), clock);
    const pgStore = new PostgresStore(settings(await server.database()), clock);
    try {
      const fill = async (s: Store): Promise<void> => {
        for (let i = 0; i < 30; i++) {
          const fqdn = `${['web', 'sql', 'WEB_x', 'app%'][i % 4]}${i % 7}.${i % 3 ? 'contoso' : 'fabrikam'}.local`.toLowerCase();
          if (i % 2) await issue(s, (i + 10).toString(16).padStart(2, '0').repeat(32), `0${(i * 37).toString(16).toUpperCase()}`, `2027-0${(i % 9) + 1}-01T00:00:00.000Z`, fqdn);
          else await s.requests.insert(req((i + 10).toString(16).padStart(2, '0').repeat(32), fqdn), 'received');
        }
      };
      await fill(sqlite);
      await fill(pgStore);
      for (const q of [undefined, 'web', 'WEB', 'b_x', '%', 'fab', '1a1a', '0', 'contoso.local', 'ab']) {
        for (const page of [{ limit: 7, offset: 0 }, { limit: 7, offset: 7 }, { limit: 50, offset: 0 }]) {
          const f = { ...(q ? { q } : {}), ...page };
          expect(await pgStore.views.pageRequests(f), `requests q=${q}`).toEqual(await sqlite.views.pageRequests(f));
          expect(await pgStore.views.pageCertificates(f), `certificates q=${q}`).toEqual(await sqlite.views.pageCertificates(f));
        }
      }
      expect(await pgStore.views.pageEvents({ limit: 100, offset: 0 })).toEqual(await sqlite.views.pageEvents({ limit: 100, offset: 0 }));
      expect(await pgStore.requests.find({ fqdn: 'web0.fabrikam.local' })).toEqual(await sqlite.requests.find({ fqdn: 'web0.fabrikam.local' }));
      expect(await pgStore.certificates.findMany()).toEqual(await sqlite.certificates.findMany());
    } finally {
      await pgStore.close();
      await sqlite.close();
      env.cleanup();
    }
  });

  it('copies a SQLite store with its order, ids and CRL number, again without change, and refuses a target that differs', async () => {
    const env = makeTempEnv();
    const file = path.join(env.data, 'agentcert.db');
    const sqlite = new SqliteStore(file, clock);
    const target = new PostgresStore(settings(await server.database()), clock);
    try {
      for (let i = 0; i < 12; i++) await issue(sqlite, (i + 16).toString(16).repeat(32), `0${(i * 91).toString(16).toUpperCase()}`, '2027-05-01T00:00:00.000Z', `h${i}.contoso.local`);
      await sqlite.certificates.markRevoked('00', '2026-11-23T11:00:00.000Z', 'superseded');
      for (let i = 0; i < 5; i++) await sqlite.state.nextCrlNumber();
      await sqlite.state.setExpiryNotifiedWindow('00', 14);
      await sqlite.assignments.save({ agent: 'h1.contoso.local', tenant: 'default', primary: 'ms01.contoso.local', failovers: ['ms02.contoso.local'] }, '2026-11-23T10:00:00.000Z');
      await sqlite.close();
      const first = await copySqliteToPostgres(file, target.db);
      expect(Object.fromEntries(first.map((t) => [t.table, t.rows]))).toEqual({ requests: 12, events: 36, certificates: 12, assignments: 1, meta: 2 });
      expect(await copySqliteToPostgres(file, target.db)).toEqual(first);
      const reopened = new SqliteStore(file, clock);
      expect(await target.views.pageRequests({ limit: 50, offset: 0 })).toEqual(await reopened.views.pageRequests({ limit: 50, offset: 0 }));
      expect(await target.views.pageEvents({ limit: 50, offset: 0 })).toEqual(await reopened.views.pageEvents({ limit: 50, offset: 0 }));
      await reopened.close();
      expect(await target.state.nextCrlNumber()).toBe(6n); // continues after the copied number
      expect(await target.certificates.revoked()).toHaveLength(1);
      expect(await target.assignments.all()).toEqual(await new SqliteStore(file, clock).assignments.all());
      // New rows get ids after the copied ones; a target holding rows the source lacks does not verify.
      const extra = await target.requests.insert(req('f0'.repeat(32)), 'received');
      expect((await target.events.forRequest(extra.request.id))[0]!.id).toBe(37);
      await expect(copySqliteToPostgres(file, target.db)).rejects.toMatchObject({ code: 'AC_STORE_COPY_MISMATCH' });
    } finally {
      await target.close();
      env.cleanup();
    }
  });

  describe('several instances', () => {
    it('leases each due request to one instance; a lease that is not renewed passes to another', async () => {
      const url = await server.database();
      const a = new PostgresStore(settings(url, { leaseSeconds: 5 }), clock, 'a');
      const b = new PostgresStore(settings(url, { leaseSeconds: 5 }), clock, 'b');
      try {
        for (let i = 0; i < 20; i++) await a.requests.insert(req(i.toString(16).padStart(2, '0').repeat(32)), 'received');
        // intake leased every new request to `a`: hand them back, as a graceful stop does
        for (const r of await a.requests.find()) await a.work.release(r.id);
        const [ca, cb] = await Promise.all([a.work.claimDue(clock.now(), 12), b.work.claimDue(clock.now(), 12)]);
        const ids = [...ca, ...cb].map((r) => r.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.length).toBe(20);
        expect(await b.work.claim(ca[0]!.id)).toBe(false);
        expect(await b.work.heldElsewhere(ca[0]!.id)).toBe(true);
        expect(await a.work.renew(ca.map((r) => r.id))).toEqual([]);
        // `a` stops renewing (killed, cut off): after the lease time `b` takes its requests.
        await new Promise((r) => setTimeout(r, 5_500));
        expect((await b.work.claimDue(clock.now(), 50)).map((r) => r.id)).toEqual(expect.arrayContaining(ca.map((r) => r.id)));
        expect(await a.work.renew([ca[0]!.id])).toEqual([ca[0]!.id]);
        await b.requests.transition(ca[0]!.id, step(['received'], 'checked', 'CHECKS_PASSED'));
        await b.work.release(ca[0]!.id);
        expect(await a.work.claim(ca[0]!.id)).toBe(true);
      } finally {
        await a.close();
        await b.close();
      }
    }, 30_000);

    it('gives a new request to the instance whose insert created it', async () => {
      const url = await server.database();
      const a = new PostgresStore(settings(url), clock, 'a');
      const b = new PostgresStore(settings(url), clock, 'b');
      try {
        const [ra, rb] = await Promise.all([a.requests.insert(req('ee'.repeat(32)), 'received'), b.requests.insert(req('ee'.repeat(32)), 'received')]);
        const [winner, loser] = ra.created ? [a, b] : [b, a];
        expect(ra.created !== rb.created).toBe(true);
        expect(await loser.work.heldElsewhere(ra.request.id)).toBe(true);
        expect(await winner.work.heldElsewhere(ra.request.id)).toBe(false);
        expect(await loser.work.claimDue(clock.now(), 10)).toEqual([]);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('elects one instance for the singletons and moves the election when it stops', async () => {
      const url = await server.database();
      const stores = ['a', 'b', 'c'].map((o) => new PostgresStore(settings(url), clock, o));
      try {
        const first = await Promise.all(stores.map((s) => s.work.leads()));
        expect(first.filter(Boolean)).toHaveLength(1);
        expect(await Promise.all(stores.map((s) => s.work.leads()))).toEqual(first);
        const leader = stores[first.indexOf(true)]!;
        await leader.close();
        const rest = stores.filter((s) => s !== leader);
        const t0 = Date.now();
        let next: boolean[] = [];
        while (Date.now() - t0 < 5_000) {
          next = await Promise.all(rest.map((s) => s.work.leads()));
          if (next.some(Boolean)) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(next.filter(Boolean)).toHaveLength(1);
        stores.splice(stores.indexOf(leader), 1);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('says the database is unreachable while the server is down, and carries on when it is back', async () => {
      const s = new PostgresStore(settings(await server.database()), clock);
      try {
        const { request } = await s.requests.insert(req('dd'.repeat(32)), 'received');
        server.stop();
        const err = (await s.requests.get(request.id).catch((e: unknown) => e)) as AgentcertError;
        expect(err.code).toBe('AC_STORE_UNAVAILABLE');
        server.start();
        expect((await s.requests.get(request.id))!.state).toBe('received');
      } finally {
        await s.close();
      }
    }, 60_000);
  });
});
