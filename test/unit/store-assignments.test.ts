/** The assignments aggregate of the Store port on a real SQLite file (store/sqlite/assignments.ts). */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TransitionRecord } from '../../services/domain/index.js';
import { SqliteStore } from '../../services/store/index.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';

let env: TempEnv;
let store: SqliteStore;
const clock = { now: () => new Date('2026-12-02T10:00:00Z') };

beforeEach(() => {
  env = makeTempEnv();
  store = new SqliteStore(path.join(env.data, 'agentcert.db'), clock);
});
afterEach(async () => {
  await store.close();
  env.cleanup();
});

const a = (agent: string, primary: string, failovers: string[], tenant = 'default') => ({ agent, tenant, primary, failovers });

/** A request for `fqdn` with an issued (active) certificate. */
async function certificate(fqdn: string, tenant: string, serial: string, notAfter: string): Promise<void> {
  const t = (x: Pick<TransitionRecord, 'to' | 'reason' | 'message'> & { from: TransitionRecord['from'][number]; certificate?: TransitionRecord['certificate'] }): TransitionRecord => ({ actor: 'service', data: null, ...x, from: [x.from] });
  const { request } = await store.requests.insert({ fingerprint: serial.padEnd(64, '0'), fqdn, tenant, csrDer: null, originalBytes: Buffer.from('x'), sourceName: `${fqdn}.req` }, 'received');
  await store.requests.transition(request.id, t({ from: 'received', to: 'checked', reason: 'CHECKS_PASSED', message: 'ok' }));
  await store.requests.transition(request.id, t({ from: 'checked', to: 'issued', reason: 'ISSUED', message: 'ok', certificate: { serialNumber: serial, requestId: request.id, fqdn, tenant, thumbprint: `T${serial}`, sha256: 's', notBefore: '2026-01-01T00:00:00Z', notAfter, subject: `CN=${fqdn}`, issuer: 'CN=ca', der: Buffer.from(serial) } }));
}

describe('assignments store', () => {
  it('keeps the time an agent got its primary until the primary changes, and its failovers in order', async () => {
    await store.assignments.save(a('web1.x', 'ms1', ['ms3', 'ms2']), '2026-12-01T00:00:00.000Z');
    await store.assignments.save(a('web1.x', 'ms1', ['ms2', 'ms3']), '2026-12-02T00:00:00.000Z');
    let got = (await store.assignments.get('web1.x'))!;
    expect(got).toMatchObject({ primary: 'ms1', failovers: ['ms2', 'ms3'], assignedAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-02T00:00:00.000Z' });
    await store.assignments.save(a('web1.x', 'ms2', ['ms1', 'ms3']), '2026-12-03T00:00:00.000Z');
    got = (await store.assignments.get('web1.x'))!;
    expect(got.assignedAt).toBe('2026-12-03T00:00:00.000Z');
    expect(await store.assignments.get('nobody.x')).toBeNull();
  });

  it('counts a pool\'s agents per primary by tenant, and every agent per server', async () => {
    await store.assignments.saveAll([a('a.x', 'ms1', []), a('b.x', 'ms1', []), a('c.x', 'ms2', []), a('d.x', 'ms2', [], 'red')], [], 'now');
    expect(Object.fromEntries(await store.assignments.countsByPrimary(['default']))).toEqual({ ms1: 2, ms2: 1 });
    expect(Object.fromEntries(await store.assignments.countsByPrimary(['default', 'red']))).toEqual({ ms1: 2, ms2: 2 });
    expect(await store.assignments.perServer()).toEqual([{ server: 'ms1', agents: 2 }, { server: 'ms2', agents: 2 }]);
    expect([...(await store.assignments.getMany(['a.x', 'd.x', 'zz.x', 'a.x'])).keys()].sort()).toEqual(['a.x', 'd.x']);
    await store.assignments.saveAll([], ['a.x', 'b.x'], 'later');
    expect((await store.assignments.all()).map((x) => x.agent)).toEqual(['c.x', 'd.x']);
  });

  it('the agents to balance: FQDNs with an active certificate (newest tenant), never the listed servers', async () => {
    await certificate('web1.x', 'default', '01', '2027-01-01T00:00:00Z');
    await certificate('web1.x', 'red', '02', '2028-01-01T00:00:00Z');
    await certificate('ms1.x', 'default', '03', '2028-01-01T00:00:00Z');
    await certificate('gone.x', 'default', '04', '2028-01-01T00:00:00Z');
    await store.certificates.markRevoked('04', '2026-12-01T00:00:00Z', 'cessationOfOperation');
    expect(await store.assignments.agents(['ms1.x'])).toEqual([{ fqdn: 'web1.x', tenant: 'red' }]);
  });
});
