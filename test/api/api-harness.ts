/** The API over an in-process pipeline on a real temp share and store (test/helpers/pipeline-harness.ts). */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApi } from '../../services/api/index.js';
import type { CaBackend, Clock } from '../../services/domain/index.js';
import { makeHarness, type Harness } from '../helpers/pipeline-harness.js';

export const ADMIN = 'admin-token-0123456789abcdef';
export const READER = 'reader-token-0123456789abcdef';

export interface ApiHarness {
  h: Harness;
  api: FastifyInstance;
  watcher: { ready: boolean };
  get(url: string, token?: string | null): Promise<LightMyRequestResponse>;
  post(url: string, body?: unknown, token?: string | null): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function makeApiHarness(o: { config?: Record<string, unknown>; clock?: Clock; wrapBackend?: (b: CaBackend) => CaBackend } = {}): Promise<ApiHarness> {
  const h = await makeHarness({
    config: { ...(o.config ?? {}), api: { tokens: [{ name: 'alice', token: ADMIN, role: 'admin' }, { name: 'robot', token: READER, role: 'reader' }] } } as never,
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.wrapBackend ? { wrapBackend: o.wrapBackend } : {}),
  });
  const watcher = { ready: true };
  const api = buildApi({ ctx: h.app.ctx, watcherReady: () => watcher.ready, startedAt: new Date(), pipeline: h.app.pipeline });
  await api.ready();
  const auth = (token: string | null | undefined) => (token === null ? {} : { authorization: `Bearer ${token ?? ADMIN}` });
  return {
    h,
    api,
    watcher,
    get: (url, token) => api.inject({ method: 'GET', url, headers: auth(token) }),
    post: (url, body, token) => api.inject({ method: 'POST', url, headers: auth(token), ...(body !== undefined ? { payload: body as object } : {}) }),
    async close() {
      await api.close();
      await h.close();
    },
  };
}
