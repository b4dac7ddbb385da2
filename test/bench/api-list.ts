/**
 * List latency of the admin API: a temp store filled with N certificates (one transaction of batched inserts),
 * then p50/p95 of `GET /api/v1/certificates?limit=100` (first page, a deep page, a filtered query, a search)
 * and of the requests list (filtered, a deep page, a search) through fastify's inject — the full route: auth
 * hook, validation, SQL, serialization.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApi } from '../../services/api/index.js';
import { DEFAULT_CONFIG, type Config } from '../../services/config/index.js';
import type { CaBackend, Logger } from '../../services/domain/index.js';
import { ShareArchive, shareLayout } from '../../services/intake/index.js';
import { SharedDirSync } from '../../services/files/index.js';
import { stageInProcess } from '../../services/packaging/index.js';
import { ParsedRequests, type PipelineContext } from '../../services/lifecycle/index.js';
import { SqliteStore } from '../../services/store/index.js';
import { seedCertificates } from './seed.js';

export interface BenchRow {
  bench: string;
  certificates: number;
  query: string;
  runs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

const silent: Logger = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent };
const TOKEN = 'bench-token-0123456789abcdef';
const idleBackend: CaBackend = {
  kind: 'builtin',
  submit: async () => ({ kind: 'failed', caRequestId: null, code: 'AC_INTERNAL', message: 'bench' }),
  resume: async () => ({ kind: 'failed', caRequestId: null, code: 'AC_INTERNAL', message: 'bench' }),
  chain: async () => [],
  ping: async () => ({ ok: true, message: 'bench' }),
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(api: ReturnType<typeof buildApi>, url: string, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs + 5; i++) {
    const t0 = process.hrtime.bigint();
    const res = await api.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode} ${res.body.slice(0, 200)}`);
    if (i >= 5) times.push(ms); // the first few warm up the statement cache and the JIT
  }
  return times.sort((a, b) => a - b);
}

export async function benchListAtSize(n: number, runs = 200): Promise<BenchRow[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcert-bench-'));
  const now = new Date();
  const store = new SqliteStore(path.join(dir, 'agentcert.db'), { now: () => now });
  try {
    const t0 = Date.now();
    seedCertificates(store, n, now);
    process.stderr.write(`seeded ${n} certificates in ${Date.now() - t0} ms\n`);
    const config: Config = { ...DEFAULT_CONFIG, share: { ...DEFAULT_CONFIG.share, root: path.join(dir, 'share') }, data: { dir }, api: { ...DEFAULT_CONFIG.api, tokens: [{ name: 'bench', token: TOKEN, role: 'reader' }] } };
    const ctx: PipelineContext = { config, store, backend: idleBackend, clock: { now: () => now }, log: silent, runner: { run: async () => { throw new Error('bench'); } }, layout: shareLayout(config.share.root), parsed: new ParsedRequests(), listeners: [], share: { archive: new ShareArchive(path.join(dir, 'share', 'archive')), staging: stageInProcess, issuedSync: new SharedDirSync(path.join(dir, 'share', 'issued')) } };
    const api = buildApi({ ctx, watcherReady: () => true, startedAt: now });
    await api.ready();
    const queries = [
      '/api/v1/certificates?limit=100',
      `/api/v1/certificates?limit=100&offset=${Math.floor(n / 2)}`,
      '/api/v1/certificates?limit=100&tenant=contoso&state=active&expiringWithinDays=90',
      '/api/v1/certificates?limit=100&q=host12',
      '/api/v1/requests?limit=100&state=packaged',
      `/api/v1/requests?limit=100&offset=${Math.floor(n / 2)}`,
      '/api/v1/requests?limit=100&q=host12',
    ];
    const rows: BenchRow[] = [];
    for (const q of queries) {
      const times = await measure(api, q, runs);
      rows.push({ bench: 'api-list', certificates: n, query: q.replace('/api/v1', ''), runs, p50Ms: round(percentile(times, 50)), p95Ms: round(percentile(times, 95)), maxMs: round(times.at(-1)!) });
    }
    await api.close();
    return rows;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

export async function runApiListBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const n of [10_000, 100_000]) rows.push(...(await benchListAtSize(n)));
  return rows;
}
