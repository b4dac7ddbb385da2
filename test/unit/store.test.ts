import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore, acquireDataLock } from '../../services/store/index.js';
import { AgentcertError, StateConflictError, type TransitionRecord } from '../../services/domain/index.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';

let env: TempEnv;
let store: SqliteStore;
let now = new Date('2026-11-23T10:00:00Z');
const clock = { now: () => now };

beforeEach(() => {
  env = makeTempEnv();
  store = new SqliteStore(path.join(env.data, 'agentcert.db'), clock);
});
afterEach(async () => {
  await store.close();
  env.cleanup();
});

/** A transition as the store records it (the lifecycle's `transition` fills in the defaults). */
const t = (x: Partial<TransitionRecord> & Pick<TransitionRecord, 'to' | 'reason' | 'message'> & { from: TransitionRecord['from'][number] }): TransitionRecord => ({ actor: 'service', data: null, ...x, from: [x.from] });

const req = (fp: string) => ({ fingerprint: fp, fqdn: 'web01.contoso.local', tenant: 'default', csrDer: Buffer.from('csr'), originalBytes: Buffer.from('orig'), sourceName: 'web01.contoso.local.req' });

describe('store', () => {
  it('keys requests by fingerprint: the same request twice is one row', async () => {
    const a = await store.requests.insert(req('ab'.repeat(32)), 'received');
    const b = await store.requests.insert(req('ab'.repeat(32)), 'received again');
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.request.id).toBe(a.request.id);
    expect(await store.requests.find()).toHaveLength(1);
    expect(await store.events.forRequest(a.request.id)).toHaveLength(1);
  });

  it('records every transition as an event with reason, message and actor', async () => {
    const { request } = await store.requests.insert(req('cd'.repeat(32)), 'received');
    now = new Date('2026-11-23T10:00:05Z');
    await store.requests.transition(request.id, t({ from: 'received', to: 'checked', reason: 'CHECKS_PASSED', message: 'ok' }));
    await store.requests.transition(request.id, t({ from: 'checked', to: 'awaiting_approval', reason: 'ID_PROTECTED_NAME', message: 'needs approval', actor: 'alice' }));
    const ev = await store.events.forRequest(request.id);
    expect(ev.map((e) => [e.from, e.to, e.reason, e.actor])).toEqual([
      [null, 'received', 'RECEIVED', 'share'],
      ['received', 'checked', 'CHECKS_PASSED', 'service'],
      ['checked', 'awaiting_approval', 'ID_PROTECTED_NAME', 'alice'],
    ]);
    expect(ev[1]!.at).toBe('2026-11-23T10:00:05.000Z');
  });

  it('refuses a transition from the wrong state and changes nothing', async () => {
    const { request } = await store.requests.insert(req('ef'.repeat(32)), 'received');
    await expect(store.requests.transition(request.id, t({ from: 'issued', to: 'verified', reason: 'VERIFIED', message: 'x' }))).rejects.toThrow(StateConflictError);
    expect((await store.requests.get(request.id))!.state).toBe('received');
    expect(await store.events.forRequest(request.id)).toHaveLength(1);
  });

  it('stores one certificate per request at most, in the same transaction as the issued event', async () => {
    const { request } = await store.requests.insert(req('12'.repeat(32)), 'received');
    await store.requests.transition(request.id, t({ from: 'received', to: 'checked', reason: 'CHECKS_PASSED', message: 'ok' }));
    const cert = { serialNumber: '1A2B', requestId: request.id, fqdn: 'web01.contoso.local', tenant: 'default', thumbprint: 'AA', sha256: 'bb', notBefore: '2026-01-01T00:00:00Z', notAfter: '2028-01-01T00:00:00Z', subject: 'CN=web01', issuer: 'CN=ca', der: Buffer.from('der') };
    await store.requests.transition(request.id, t({ from: 'checked', to: 'issued', reason: 'ISSUED', message: 'ok', certificate: cert }));
    // A second certificate for the same request fails and leaves the state and history untouched.
    await expect(store.requests.transition(request.id, t({ from: 'issued', to: 'issued', reason: 'ISSUED', message: 'again', certificate: { ...cert, serialNumber: '3C4D', thumbprint: 'CC' } }))).rejects.toThrow();
    expect((await store.events.forRequest(request.id)).filter((e) => e.reason === 'ISSUED')).toHaveLength(1);
    expect((await store.certificates.find('1a:2b'))!.requestId).toBe(request.id);
    expect((await store.certificates.find('aa'))!.serialNumber).toBe('1A2B');
  });

  it('lists only due work, in order, and honours the retry schedule', async () => {
    const { request } = await store.requests.insert(req('34'.repeat(32)), 'received');
    await store.requests.note(request.id, { reason: 'AC_CA_UNAVAILABLE', message: 'later', attempts: 1, nextAttemptAt: '2026-11-23T10:05:00.000Z' });
    expect(await store.requests.due(now, 10)).toHaveLength(0);
    expect(await store.requests.nextScheduledAt()).toBe('2026-11-23T10:05:00.000Z');
    expect(await store.requests.due(new Date('2026-11-23T10:05:00Z'), 10)).toHaveLength(1);
  });

  it('survives reopening: state and events are durable', async () => {
    const { request } = await store.requests.insert(req('56'.repeat(32)), 'received');
    await store.close();
    store = new SqliteStore(path.join(env.data, 'agentcert.db'), clock);
    expect((await store.requests.get(request.id))!.originalBytes.toString()).toBe('orig');
  });
});

describe('store transactions', () => {
  it('commits a transaction body together, rolls it back whole on an error, and keeps other work out of it', async () => {
    const { request } = await store.requests.insert(req('78'.repeat(32)), 'received');
    await expect(
      store.withTransaction(async (tx) => {
        await tx.requests.transition(request.id, t({ from: 'received', to: 'checked', reason: 'CHECKS_PASSED', message: 'ok' }));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await store.requests.get(request.id))!.state).toBe('received');
    // While one transaction's body waits, a write from outside it waits for the commit instead of joining it.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tx = store.withTransaction(async (t2) => {
      await t2.requests.transition(request.id, t({ from: 'received', to: 'checked', reason: 'CHECKS_PASSED', message: 'ok' }));
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
});

describe('data directory lock', () => {
  it('lets one service hold a data directory and takes over a lock left by a dead process', () => {
    mkdirSync(env.data, { recursive: true });
    const release = acquireDataLock(env.data);
    writeFileSync(path.join(env.data, 'agentcert.lock'), '1'); // pid 1 is alive: another service
    expect(() => acquireDataLock(env.data)).toThrow(AgentcertError);
    writeFileSync(path.join(env.data, 'agentcert.lock'), '999999999'); // no such process
    const again = acquireDataLock(env.data);
    again();
    release();
  });
});
