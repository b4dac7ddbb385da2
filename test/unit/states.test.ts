/**
 * The state table (services/domain/states.ts) is the one definition of the request state machine: every allowed
 * transition goes through the lifecycle's `transition` into a real store with its event, and one the table does not
 * allow is refused without a trace in the store.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REQUEST_STATES, STATE_GROUPS, TRANSITIONS, canTransition, type CommittedTransition, type RequestState } from '../../services/domain/index.js';
import { transition, type TransitionDeps } from '../../services/lifecycle/index.js';
import { SqliteStore } from '../../services/store/index.js';
import { recordingLogger } from '../helpers/recording-logger.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';

let env: TempEnv;
let store: SqliteStore;
let heard: CommittedTransition[];
let ctx: TransitionDeps;
const clock = { now: () => new Date('2026-11-23T10:00:00Z') };

beforeEach(() => {
  env = makeTempEnv();
  store = new SqliteStore(path.join(env.data, 'agentcert.db'), clock);
  heard = [];
  ctx = { store, log: recordingLogger(), listeners: [{ onTransition: (t) => heard.push(t) }] };
});
afterEach(async () => {
  await store.close();
  env.cleanup();
});

let n = 0;
/** A request placed in `state` directly in the store (the store's compare-and-set does not consult the table). */
async function requestIn(state: RequestState) {
  const fp = createHash('sha256').update(String(++n)).digest('hex');
  const { request } = await store.requests.insert({ fingerprint: fp, fqdn: `h${n}.contoso.local`, tenant: 'default', csrDer: null, originalBytes: Buffer.from('x'), sourceName: 'x.req' }, 'received');
  if (state === 'received') return request;
  return store.requests.transition(request.id, { from: ['received'], to: state, reason: 'RECEIVED', message: 'placed for the test', actor: 'test', data: null });
}

describe('the state table', () => {
  const allowed = REQUEST_STATES.flatMap((from) => TRANSITIONS[from].map((to) => [from, to] as const));

  it('takes every allowed transition through transition(), with its event and a listener call', async () => {
    expect(allowed.length).toBeGreaterThan(30);
    for (const [from, to] of allowed) {
      const r = await requestIn(from);
      const next = await transition(ctx, r, { from, to, reason: 'APPROVED', message: `${from} → ${to}` });
      expect(next.state, `${from} → ${to}`).toBe(to);
      expect((await store.requests.get(r.id))!.state).toBe(to);
      expect((await store.events.forRequest(r.id)).at(-1)).toMatchObject({ from, to, message: `${from} → ${to}` });
      expect(heard.at(-1)).toMatchObject({ requestId: r.id, from, to });
    }
  });

  it('refuses a transition the table does not allow and leaves no trace', async () => {
    expect(canTransition('rejected', 'packaged')).toBe(false);
    const r = await requestIn('rejected');
    const events = (await store.events.forRequest(r.id)).length;
    await expect(transition(ctx, r, { from: 'rejected', to: 'packaged', reason: 'PACKAGED', message: 'no' })).rejects.toMatchObject({ code: 'AC_INTERNAL' });
    expect((await store.requests.get(r.id))!.state).toBe('rejected');
    expect(await store.events.forRequest(r.id)).toHaveLength(events);
    expect(heard).toHaveLength(0);
  });

  it('defines every group from the states of the table', () => {
    for (const [group, states] of Object.entries(STATE_GROUPS)) for (const s of states) expect(REQUEST_STATES, group).toContain(s);
    // A terminal state never leads back into the pipeline.
    for (const s of STATE_GROUPS.terminal) for (const to of TRANSITIONS[s]) expect(STATE_GROUPS.pipeline as readonly string[]).not.toContain(to);
  });
});
