/** An in-process pipeline on a real temporary share and store, for integration tests. */
import { copyFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../../services/config/index.js';
import type { CaBackend, Clock } from '../../services/domain/index.js';
import { listRequestFiles } from '../../services/intake/index.js';
import { createApp, type App } from '../../services/app/index.js';
import { createExecaRunner } from '../../services/process/index.js';
import { recordingLogger, type LogRecord } from './recording-logger.js';
import { makeTempEnv, type TempEnv } from './temp.js';

export interface Harness {
  env: TempEnv;
  app: App;
  config: Readonly<Config>;
  records: LogRecord[];
  drop(name: string, content: string | Buffer, sub?: string): void;
  dropFile(src: string, name: string, sub?: string): void;
  /** Offer everything in requests/ and wait until nothing is due. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export async function makeHarness(o: { config?: DeepPartial<Config>; clock?: Clock; wrapBackend?: (b: CaBackend) => CaBackend } = {}): Promise<Harness> {
  const env = makeTempEnv('agentcert-int-');
  const file = path.join(env.dir, 'config.json');
  const defaults = { share: { root: env.share, stableMs: 0 }, data: { dir: env.data }, packaging: { buildExe: false }, ca: { builtin: { keyBits: 2048 } } };
  const merged = deepMerge(defaults, (o.config ?? {}) as Record<string, unknown>);
  writeFileSync(file, JSON.stringify(merged));
  const config = loadConfig({ file, env: {} });
  const log = recordingLogger();
  const clock = o.clock ?? { now: () => new Date() };
  const app = await createApp(config, { clock, log, runner: createExecaRunner() }, { initCa: true });
  if (o.wrapBackend) app.ctx.backend = o.wrapBackend(app.ctx.backend);
  const requests = path.join(env.share, 'requests');
  return {
    env,
    app,
    config,
    records: log.records,
    drop(name, content, sub = '') {
      const tmp = path.join(requests, sub, `.${name}.tmp`);
      writeFileSync(tmp, content);
      renameSync(tmp, path.join(requests, sub, name));
    },
    dropFile(src, name, sub = '') {
      const tmp = path.join(requests, sub, `.${name}.tmp`);
      copyFileSync(src, tmp);
      renameSync(tmp, path.join(requests, sub, name));
    },
    async settle() {
      for (const f of await listRequestFiles(requests, config.policy.tenants.map((t) => t.folder ?? t.name))) app.pipeline.offerFile(f);
      await app.pipeline.idle();
    },
    async close() {
      await app.close();
      env.cleanup();
    },
  };
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && a[k] && typeof a[k] === 'object' ? deepMerge(a[k] as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}
