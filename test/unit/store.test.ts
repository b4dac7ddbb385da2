import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore, StateConflictError, acquireDataLock } from '../../services/store/index.js';
import { AgentcertError } from '../../services/domain/index.js';
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
afterEach(() => {
  store.close();
  env.cleanup();
});

const req = (fp: string) => ({ fingerprint: fp, fqdn: 'web01.contoso.local', tenant: 'default', csrDer: Buffer.from('csr'), originalBytes: Buffer.from('orig'), sourceName: 'web01.contoso.local.req' });

describe('store', () => {
  it('keys requests by fingerprint: the same request twice is one row', () => {
    const a = store.insertRequest(req('ab'.repeat(32)), 'received');
    const b = store.insertRequest(req('ab'.repeat(32)), 'received again');
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.request.id).toBe(a.request.id);
    expect(store.findRequests()).toHaveLength(1);
    expect(store.events(a.request.id)).toHaveLength(1);
  });

  it('records every transition as an event with reason, message and actor', () => {
    const { request } = store.insertRequest(req('cd'.repeat(32)), 'received');
    now = new Date('2026-11-23T10:00:05Z');
    store.transition(request.id, { from: 'received', to: 'checked', reason: 'CHECKS_PASSED', message: 'ok' });
    store.transition(request.id, { from: 'checked', to: 'awaiting_approval', reason: 'ID_PROTECTED_NAME', message: 'needs approval', actor: 'alice' });
    const ev = store.events(request.id);
    expect(ev.map((e) => [e.from, e.to, e.reason, e.actor])).toEqual([
      [null, 'received', 'RECEIVED', 'share'],
      ['received', 'checked', 'CHECKS_PASSED', 'service'],
      ['checked', 'awaiting_approval', 'ID_PROTECTED_NAME', 'alice'],
    ]);
    expect(ev[1]!.at).toBe('2026-11-23T10:00:05.000Z');
  });

  it('refuses a transition from the wrong state and changes nothing', () => {
    const { request } = store.insertRequest(req('ef'.repeat(32)), 'received');
    expect(() => store.transition(request.id, { from: 'issued', to: 'verified', reason: 'X', message: 'x' })).toThrow(StateConflictError);
    expect(store.getRequest(request.id)!.state).toBe('received');
    expect(store.events(request.id)).toHaveLength(1);
  });

  it('stores one certificate per request at most, in the same transaction as the issued event', () => {
    const { request } = store.insertRequest(req('12'.repeat(32)), 'received');
    store.transition(request.id, { from: 'received', to: 'checked', reason: 'OK', message: 'ok' });
    const cert = { serialNumber: '1A2B', requestId: request.id, fqdn: 'web01.contoso.local', tenant: 'default', thumbprint: 'AA', sha256: 'bb', notBefore: '2026-01-01T00:00:00Z', notAfter: '2028-01-01T00:00:00Z', subject: 'CN=web01', issuer: 'CN=ca', der: Buffer.from('der') };
    store.transition(request.id, { from: 'checked', to: 'issued', reason: 'ISSUED', message: 'ok', certificate: cert });
    // A second certificate for the same request fails and leaves the state and history untouched.
    expect(() => store.transition(request.id, { from: 'issued', to: 'issued', reason: 'ISSUED', message: 'again', certificate: { ...cert, serialNumber: '3C4D', thumbprint: 'CC' } })).toThrow();
    expect(store.events(request.id).filter((e) => e.reason === 'ISSUED')).toHaveLength(1);
    expect(store.findCertificate('1a:2b')!.requestId).toBe(request.id);
    expect(store.findCertificate('aa')!.serialNumber).toBe('1A2B');
  });

  it('lists only due work, in order, and honours the retry schedule', () => {
    const { request } = store.insertRequest(req('34'.repeat(32)), 'received');
    store.note(request.id, { reason: 'RETRY', message: 'later', attempts: 1, nextAttemptAt: '2026-11-23T10:05:00.000Z' });
    expect(store.dueRequests(now, 10)).toHaveLength(0);
    expect(store.nextScheduledAt()).toBe('2026-11-23T10:05:00.000Z');
    expect(store.dueRequests(new Date('2026-11-23T10:05:00Z'), 10)).toHaveLength(1);
  });

  it('survives reopening: state and events are durable', () => {
    const { request } = store.insertRequest(req('56'.repeat(32)), 'received');
    store.close();
    store = new SqliteStore(path.join(env.data, 'agentcert.db'), clock);
    expect(store.getRequest(request.id)!.originalBytes.toString()).toBe('orig');
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
