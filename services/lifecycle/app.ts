/**
 * The application: config → adapters → pipeline. The CLI and the API call the same functions on it.
 */
import path from 'node:path';
import type { Config } from '../config/index.js';
import { createBackend } from '../ca/index.js';
import type { Clock, Logger, Runner } from '../domain/index.js';
import { ensureShareLayout } from '../intake/index.js';
import { SqliteStore } from '../store/index.js';
import type { PipelineContext } from './context.js';
import { Pipeline } from './pipeline.js';
import { Notifier } from './notifier.js';

export interface AppDeps {
  clock: Clock;
  log: Logger;
  runner: Runner;
}

export interface App {
  ctx: PipelineContext;
  pipeline: Pipeline;
  notifier: Notifier;
  close(): Promise<void>;
}

export function storePath(config: Readonly<Config>): string {
  return path.join(config.data.dir, 'agentcert.db');
}

export async function createApp(config: Readonly<Config>, deps: AppDeps, o: { initCa: boolean }): Promise<App> {
  const layout = ensureShareLayout(config.share.root, config.policy.tenants.map((t) => t.folder ?? t.name));
  const store = new SqliteStore(storePath(config), deps.clock);
  try {
    const backend = await createBackend(config, { ...deps, initIfMissing: o.initCa });
    const ctx: PipelineContext = { config, store, backend, clock: deps.clock, log: deps.log, runner: deps.runner, layout };
    const pipeline = new Pipeline(ctx);
    const l = config.lifecycle;
    const notifier = new Notifier({ url: l.webhookUrl, attempts: l.webhookAttempts, retryBaseMs: l.webhookRetryBaseMs, log: deps.log });
    return {
      ctx,
      pipeline,
      notifier,
      close: async () => {
        await pipeline.stop();
        await notifier.flush();
        store.close();
      },
    };
  } catch (err) {
    store.close();
    throw err;
  }
}
