/**
 * The one store test suite: what every implementation of the Store port (domain/store-port.ts) must do, run
 * against the SQLite store (test/unit/store-sqlite.test.ts) and the PostgreSQL store
 * (test/integration/store-postgres.test.ts) alike.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { certificatePages } from '../../services/lifecycle/schedule/certificate-pages.js';
import { StateConflictError, type Clock, type NewRequest, type Store, type TransitionRecord } from '../../services/domain/index.js';

export interface StoreFactory {
  /** A new, empty store. */
  create(clock: Clock): Promise<Store>;
  /** The same store opened again (after close). */
  reopen(clock: Clock): Promise<Store>;
  cleanup(): Promise<void>;
}

export const req = (fp: string, fqdn = 'web01.contoso.local', tenant = 'default'): NewRequest => ({
  fingerprint: fp, fqdn, tenant, csrDer: Buffer.from('csr'), originalBytes: Buffer.from('orig'), sourceName: `${fqdn}.req`,
});

export const step = (from: TransitionRecord['from'], to: TransitionRecord['to'], reason: TransitionRecord['reason'], extra: Partial<TransitionRecord> = {}): TransitionRecord => ({
  from, to, reason, message: `${from.join('|')} → ${to}`, actor: 'service', data: null, ...extra,
});

export const certFor = (requestId: string, serial: string, thumbprint: string, notAfter: string, fqdn = 'web01.contoso.local'): NonNullable<TransitionRecord['certificate']> => ({
  serialNumber: serial, requestId, fqdn, tenant: 'default', thumbprint, sha256: 'bb', notBefore: '2026-01-01T00:00:00.000Z', notAfter, subject: `CN=${fqdn}`, issuer: 'CN=ca', der: Buffer.from('der'),
});

/** A request taken to `issued` with a certificate. */
export async function issue(store: Store, fp: string, serial: string, notAfter: string, fqdn = 'web01.contoso.local'): Promise<string> {
  const { request } = await store.requests.insert(req(fp, fqdn), 'received');
  await store.requests.transition(request.id, step(['received'], 'checked', 'CHECKS_PASSED'));
  await store.requests.transition(request.id, step(['checked'], 'issued', 'ISSUED', { certificate: certFor(request.id, serial, `T${serial}`, notAfter, fqdn) }));
  return request.id;
}

export function storeSuite(name: string, factory: () => StoreFactory): void {
  describe(`store (${name})`, () => {
    let f: StoreFactory;
    let store: Store;
    let now = new Date('2026-11-23T10:00:00Z');
    const clock = { now: () => now };

    beforeEach(async () => {
      now = new Date('2026-11-23T10:00:00Z');
      f = factory();
      store = await f.create(clock);
    });
    afterEach(async () => {
      await store.close();
      await f.cleanup();
    });

    it('keys requests by fingerprint: the same request twice is one row, also when both arrive at once', async () => {
      const [a, b] = await Promise.all([store.requests.insert(req('ab'.repeat(32)), 'received'), store.requests.insert(req('ab'.repeat(32)), 'received again')]);
      expect([a.created, b.created].sort()).toEqual([false, true]);
      expect(b.request.id).toBe(a.request.id);
      expect(await store.requests.find()).toHaveLength(1);
      expect(await store.events.forRequest(a.request.id)).toHaveLength(1);
      expect((await store.requests.byFingerprint('ab'.repeat(32)))!.originalBytes.toString()).toBe('orig');
    });

    it('gives a request whose id prefix is taken a longer id', async () => {
      const a = await store.requests.insert(req(`${'c'.repeat(12)}${'0'.repeat(52)}`), 'received');
      const b = await store.requests.insert(req(`${'c'.repeat(12)}${'1'.repeat(52)}`), 'received');
      expect(a.request.id).toHaveLength(12);
      expect(b.request.id).toBe(`${'c'.repeat(12)}${'1'.repeat(8)}`);
    });

    it('records every transition as an event with reason, message, actor and data', async () => {
      const { request } = await store.requests.insert(req('cd'.repeat(32)), 'received');
      now = new Date('2026-11-23T10:00:05Z');
      await store.requests.transition(request.id, step(['received'], 'checked', 'CHECKS_PASSED'));
      await store.requests.transition(request.id, step(['checked'], 'awaiting_approval', 'ID_PROTECTED_NAME', { actor: 'alice', data: { why: 'protected' } }));
      const ev = await store.events.forRequest(request.id);
      expect(ev.map((e) => [e.from, e.to, e.reason, e.actor])).toEqual([
        [null, 'received', 'RECEIVED', 'share'],
        ['received', 'checked', 'CHECKS_PASSED', 'service'],
        ['checked', 'awaiting_approval', 'ID_PROTECTED_NAME', 'alice'],
      ]);
      expect(ev[1]!.at).toBe('2026-11-23T10:00:05.000Z');
      expect(ev[2]!.data).toEqual({ why: 'protected' });
      expect((await store.requests.get(request.id))!.state).toBe('awaiting_approval');
    });

    it('refuses a transition from the wrong state and changes nothing; of two racing transitions one wins', async () => {
      const { request } = await store.requests.insert(req('ef'.repeat(32)), 'received');
      await expect(store.requests.transition(request.id, step(['issued'], 'verified', 'VERIFIED'))).rejects.toThrow(StateConflictError);
      expect((await store.requests.get(request.id))!.state).toBe('received');
      const race = await Promise.allSettled([
        store.requests.transition(request.id, step(['received'], 'checked', 'CHECKS_PASSED')),
        store.requests.transition(request.id, step(['received'], 'rejected', 'FILE_NOT_A_REQUEST')),
      ]);
      expect(race.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(race.find((r) => r.status === 'rejected')!.reason).toBeInstanceOf(StateConflictError);
      expect(await store.events.forRequest(request.id)).toHaveLength(2);
    });

    it('stores one certificate per request at most, in the same transaction as the issued event', async () => {
      const id = await issue(store, '12'.repeat(32), '1A2B', '2028-01-01T00:00:00.000Z');
      const again = certFor(id, '3C4D', 'CC', '2028-01-01T00:00:00.000Z');
      await expect(store.requests.transition(id, step(['issued'], 'issued', 'ISSUED', { certificate: again }))).rejects.toThrow();
      expect((await store.events.forRequest(id)).filter((e) => e.reason === 'ISSUED')).toHaveLength(1);
      expect((await store.certificates.find('1a:2b'))!.requestId).toBe(id);
      expect((await store.certificates.find('t1a2b'))!.serialNumber).toBe('1A2B');
      expect((await store.certificates.forRequest(id))!.der.toString()).toBe('der');
      expect(await store.certificates.find('3C4D')).toBeNull();
    });

    it('moves certificates between states and lists the revoked ones for the CRL', async () => {
      await issue(store, '21'.repeat(32), '0A', '2027-01-01T00:00:00.000Z', 'a.contoso.local');
      await issue(store, '22'.repeat(32), '0B', '2027-06-01T00:00:00.000Z', 'b.contoso.local');
      expect(await store.certificates.setState('0A', 'superseded', ['active'])).toBe(true);
      expect(await store.certificates.setState('0A', 'superseded', ['active'])).toBe(false);
      await store.certificates.markRevoked('0A', '2026-11-23T11:00:00.000Z', 'superseded');
      expect(await store.certificates.revoked()).toEqual([{ serialNumber: '0A', revokedAt: '2026-11-23T11:00:00.000Z', reason: 'superseded' }]);
      expect((await store.certificates.findMany({ state: 'active' })).map((c) => c.serialNumber)).toEqual(['0B']);
      expect((await store.certificates.findMany({ fqdn: 'A.contoso.local' })).map((c) => c.state)).toEqual(['revoked']);
      expect((await store.certificates.findMany({ expiringBefore: '2027-03-01T00:00:00.000Z' })).map((c) => c.serialNumber)).toEqual(['0A']);
    });

    it('pages certificates after a (notAfter, serial) cursor, ties on notAfter included, and the watches read every one once', async () => {
      const ends = ['2027-05-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z', '2027-05-01T00:00:00.000Z', '2027-05-01T00:00:00.000Z', '2027-09-01T00:00:00.000Z'];
      for (const [i, end] of ends.entries()) await issue(store, `4${i}`.repeat(32), `0${i + 1}`, end, `h${i}.contoso.local`);
      const all = (await store.certificates.findMany({ state: 'active' })).map((c) => c.serialNumber);
      expect(all).toEqual(['02', '01', '03', '04', '05']);
      expect((await store.certificates.findMany({ state: 'active', after: { notAfter: '2027-05-01T00:00:00.000Z', serialNumber: '01' }, limit: 2 })).map((c) => c.serialNumber)).toEqual(['03', '04']);
      const seen: string[] = [];
      for await (const c of certificatePages(store.certificates, { state: 'active' }, 2)) {
        seen.push(c.serialNumber);
        if (c.serialNumber === '01') await store.certificates.setState('04', 'expired', ['active']); // changed while paging
      }
      expect(seen).toEqual(['02', '01', '03', '05']);
    });

    it('lists only due work, in order, and honours the retry schedule and the republish flag', async () => {
      const { request } = await store.requests.insert(req('34'.repeat(32)), 'received');
      await store.requests.note(request.id, { reason: 'AC_CA_UNAVAILABLE', message: 'later', attempts: 1, nextAttemptAt: '2026-11-23T10:05:00.000Z' });
      expect(await store.requests.due(now, 10)).toHaveLength(0);
      expect(await store.views.countDue(now)).toBe(0);
      expect(await store.requests.nextScheduledAt()).toBe('2026-11-23T10:05:00.000Z');
      expect((await store.requests.due(new Date('2026-11-23T10:05:00Z'), 10)).map((r) => r.attempts)).toEqual([1]);
      now = new Date('2026-11-23T10:01:00Z');
      const b = await store.requests.insert(req('35'.repeat(32), 'b.contoso.local'), 'received');
      await store.requests.transition(b.request.id, step(['received'], 'rejected', 'FILE_NOT_A_REQUEST'));
      expect(await store.requests.due(new Date('2026-11-23T10:06:00Z'), 10)).toHaveLength(1);
      await store.requests.note(b.request.id, { reason: 'REDROPPED', message: 'again', republish: true });
      expect((await store.requests.due(new Date('2026-11-23T10:06:00Z'), 10)).map((r) => r.id)).toEqual([request.id, b.request.id]);
      expect(await store.views.countDue(new Date('2026-11-23T10:06:00Z'))).toBe(2); // the republish-flagged one counts too
    });

    it('survives reopening: state, bytes and events are durable', async () => {
      const { request } = await store.requests.insert(req('56'.repeat(32)), 'received');
      await store.close();
      store = await f.reopen(clock);
      expect((await store.requests.get(request.id))!.originalBytes.toString()).toBe('orig');
      expect(await store.events.forRequest(request.id)).toHaveLength(1);
    });

    it('commits a transaction body whole or not at all; a nested call joins it', async () => {
      const { request } = await store.requests.insert(req('78'.repeat(32)), 'received');
      await expect(
        store.withTransaction(async (tx) => {
          await tx.requests.transition(request.id, step(['received'], 'checked', 'CHECKS_PASSED'));
          await store.withTransaction((inner) => inner.state.setLastDigestDay('2026-11-23'));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect((await store.requests.get(request.id))!.state).toBe('received');
      expect(await store.state.lastDigestDay()).toBeNull();
      await store.withTransaction(async (tx) => {
        await tx.requests.transition(request.id, step(['received'], 'checked', 'CHECKS_PASSED'));
        await tx.state.setLastDigestDay('2026-11-23');
      });
      expect((await store.requests.get(request.id))!.state).toBe('checked');
      expect(await store.state.lastDigestDay()).toBe('2026-11-23');
    });

    it('keeps work from outside a transaction out of it while its body waits', async () => {
      const { request } = await store.requests.insert(req('79'.repeat(32)), 'received');
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const tx = store.withTransaction(async (t2) => {
        await t2.requests.transition(request.id, step(['received'], 'checked', 'CHECKS_PASSED'));
        await gate;
        throw new Error('rolled back');
      });
      const outside = store.requests.insert(req('9a'.repeat(32)), 'received');
      release();
      await expect(tx).rejects.toThrow('rolled back');
      expect((await outside).created).toBe(true);
      expect((await store.requests.get(request.id))!.state).toBe('received');
      expect(await store.requests.find()).toHaveLength(2);
    });

    it('keeps typed lifecycle state; CRL numbers only grow, also when taken at once', async () => {
      const numbers = await Promise.all(Array.from({ length: 8 }, () => store.state.nextCrlNumber()));
      expect(new Set(numbers.map(String)).size).toBe(8);
      expect(await store.state.nextCrlNumber()).toBe(9n);
      await store.state.setExpiryNotifiedWindow('0A', 14);
      await store.state.setExpiryNotifiedWindow('0A', 7);
      expect(await store.state.expiryNotifiedWindow('0A')).toBe(7);
      expect(await store.state.expiryNotifiedWindow('0B')).toBeNull();
      await store.state.setAppliedResultHash('web01.contoso.local', 'h1');
      expect(await store.state.appliedResultHash('web01.contoso.local')).toBe('h1');
      await store.state.heartbeat(now.toISOString(), 'doctor');
    });

    it('keeps each agent\'s management servers; the primary\'s time moves only when the primary changes', async () => {
      await store.assignments.save({ agent: 'b.contoso.local', tenant: 'default', primary: 'ms01', failovers: ['ms02'] }, '2026-11-23T10:00:00.000Z');
      await store.assignments.save({ agent: 'b.contoso.local', tenant: 'default', primary: 'ms01', failovers: ['ms03'] }, '2026-11-23T11:00:00.000Z');
      await store.assignments.saveAll([{ agent: 'a.fabrikam.local', tenant: 'fabrikam', primary: 'ms02', failovers: [] }, { agent: 'c.contoso.local', tenant: 'default', primary: 'ms01', failovers: [] }], [], '2026-11-23T12:00:00.000Z');
      const b = (await store.assignments.get('b.contoso.local'))!;
      expect([b.assignedAt, b.updatedAt, b.failovers]).toEqual(['2026-11-23T10:00:00.000Z', '2026-11-23T11:00:00.000Z', ['ms03']]);
      expect((await store.assignments.all()).map((a) => a.agent)).toEqual(['a.fabrikam.local', 'b.contoso.local', 'c.contoso.local']);
      expect([...(await store.assignments.getMany(['c.contoso.local', 'x', 'c.contoso.local'])).keys()]).toEqual(['c.contoso.local']);
      expect(Object.fromEntries(await store.assignments.countsByPrimary(['default']))).toEqual({ ms01: 2 });
      expect(await store.assignments.perServer()).toEqual([{ server: 'ms01', agents: 2 }, { server: 'ms02', agents: 1 }]);
      expect(await store.assignments.perServer(['fabrikam'])).toEqual([{ server: 'ms02', agents: 1 }]);
      await store.assignments.saveAll([], ['c.contoso.local'], '2026-11-23T13:00:00.000Z');
      expect(await store.assignments.get('c.contoso.local')).toBeNull();
      await issue(store, 'e1'.repeat(32), '0E1', '2027-01-01T00:00:00.000Z', 'b.contoso.local');
      await issue(store, 'e2'.repeat(32), '0E2', '2027-01-01T00:00:00.000Z', 'ms01.contoso.local');
      expect(await store.assignments.agents(['ms01.contoso.local'])).toEqual([{ fqdn: 'b.contoso.local', tenant: 'default' }]);
    });

    it('limits the counts and pages to some tenants', async () => {
      await store.requests.insert(req('f1'.repeat(32), 'a.contoso.local', 'contoso'), 'received');
      await store.requests.insert(req('f2'.repeat(32), 'b.fabrikam.local', 'fabrikam'), 'received');
      expect(await store.views.requestsByState(['contoso'])).toEqual({ received: 1 });
      expect((await store.views.pageRequests({ tenants: ['fabrikam'], limit: 10, offset: 0 })).items.map((r) => r.fqdn)).toEqual(['b.fabrikam.local']);
      expect((await store.views.pageEvents({ tenants: ['fabrikam'], limit: 10, offset: 0 })).total).toBe(1);
      expect((await store.views.countsByTenant()).requests.sort((x, y) => x.tenant.localeCompare(y.tenant))).toEqual([{ tenant: 'contoso', state: 'received', n: 1 }, { tenant: 'fabrikam', state: 'received', n: 1 }]);
      expect(await store.views.lastRequestAt()).toBe(now.toISOString());
    });

    it('answers the lists, counts and monitor figures', async () => {
      const a = await issue(store, 'a1'.repeat(32), '0A11', '2027-01-15T00:00:00.000Z', 'web01.contoso.local');
      now = new Date('2026-11-23T10:00:10Z');
      await issue(store, 'b2'.repeat(32), '0B22', '2027-02-15T00:00:00.000Z', 'sql_01.fabrikam.local');
      now = new Date('2026-11-23T10:00:20Z');
      const c = await store.requests.insert(req('c3'.repeat(32), 'web02.contoso.local'), 'received');
      await store.requests.transition(a, step(['issued'], 'verified', 'VERIFIED'));
      now = new Date('2026-11-23T10:01:00Z');
      await store.requests.transition(a, step(['verified'], 'packaged', 'PACKAGED'));
      await store.requests.note(c.request.id, { reason: 'AC_CA_UNAVAILABLE', message: 'ca down', attempts: 1, nextAttemptAt: null });

      const all = await store.views.pageRequests({ limit: 10, offset: 0 });
      expect(all.total).toBe(3);
      expect(all.items.map((r) => r.fqdn)).toEqual(['web02.contoso.local', 'sql_01.fabrikam.local', 'web01.contoso.local']);
      expect(all.items[2]).toMatchObject({ state: 'packaged', serialNumber: '0A11', certificateState: 'active', notAfter: '2027-01-15T00:00:00.000Z' });
      expect((await store.views.pageRequests({ q: 'WEB0', limit: 1, offset: 1 })).items.map((r) => r.fqdn)).toEqual(['web01.contoso.local']);
      expect((await store.views.pageRequests({ q: 'l_0', limit: 10, offset: 0 })).total).toBe(1); // `_` is literal
      expect((await store.views.pageRequests({ q: '%', limit: 10, offset: 0 })).total).toBe(0);
      expect((await store.views.pageRequests({ q: 'c3c3', limit: 10, offset: 0 })).items.map((r) => r.id)).toEqual([c.request.id]);
      expect((await store.views.pageRequests({ state: 'issued', limit: 10, offset: 0 })).items.map((r) => r.serialNumber)).toEqual(['0B22']);
      const certs = await store.views.pageCertificates({ q: '0b2', limit: 10, offset: 0 });
      expect(certs.items.map((x) => x.serialNumber)).toEqual(['0B22']);
      expect((await store.views.pageCertificates({ expiringBefore: '2027-02-01T00:00:00.000Z', now: now.toISOString(), limit: 10, offset: 0 })).total).toBe(1);
      expect((await store.views.pageEvents({ requestId: a, limit: 2, offset: 0 })).items.map((e) => e.reason)).toEqual(['PACKAGED', 'VERIFIED']);
      expect((await store.views.pageEvents({ actor: 'share', limit: 10, offset: 0 })).total).toBe(3);
      expect(await store.views.requestsByState()).toEqual({ packaged: 1, issued: 1, received: 1 });
      expect(await store.views.certificatesByState()).toEqual({ active: 2 });
      expect(await store.views.countActiveExpiring(now, new Date('2027-02-01T00:00:00Z'))).toBe(1);
      expect(await store.views.expiryByMonth(now, new Date('2027-12-31T00:00:00Z'))).toEqual([{ month: '2027-01', count: 1 }, { month: '2027-02', count: 1 }]);
      expect(await store.views.oldestIn('pipeline')).toMatchObject({ fqdn: 'sql_01.fabrikam.local', state: 'issued' });
      expect(await store.views.countDue(now)).toBe(2);
      const last = await store.views.lastEvent();
      expect(last!.at).toBe('2026-11-23T10:01:00.000Z');
      const packaged = await store.views.packagedSince(0);
      expect(packaged).toHaveLength(1);
      expect(packaged[0]!.seconds).toBeCloseTo(60, 3);
      expect(await store.views.packagedSince(packaged[0]!.eventId)).toEqual([]);
      expect((await store.views.caErrorsSince(0)).map((e) => e.reason)).toEqual(['AC_CA_UNAVAILABLE']);
    });
  });
}
