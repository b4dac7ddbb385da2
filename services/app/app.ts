/**
 * The application: config → adapters → pipeline. The CLI and the API call the same functions on it.
 */
import type { Config } from '../config/index.js';
import { createBackend } from '../ca/index.js';
import { existsSync } from 'node:fs';
import { systemClock, type Clock, type Logger, type Runner, type Store, type TransitionListener } from '../domain/index.js';
import { ensureShareLayout, ShareArchive } from '../intake/index.js';
import { SharedDirSync } from '../files/index.js';
import { StagingThread } from '../packaging/index.js';
import { ParsedRequests, Pipeline, type PipelineContext } from '../lifecycle/index.js';
import { Notifier } from '../notify/index.js';
import { openStore, storeFile } from '../store/index.js';

export interface AppDeps {
  clock: Clock;
  log: Logger;
  runner: Runner;
  /** Adapters told of every committed transition (the Windows Event Log writer, …). */
  listeners?: TransitionListener[];
}

export interface App {
  ctx: PipelineContext;
  pipeline: Pipeline;
  notifier: Notifier;
  close(): Promise<void>;
}

export function storePath(config: Readonly<Config>): string {
  return storeFile(config.data.dir);
}

export function storeExists(config: Readonly<Config>): boolean {
  return existsSync(storePath(config));
}

/** The store alone, for commands that only read or record (list, show, inspect). */
export function openAppStore(config: Readonly<Config>, clock: Clock = systemClock): Store {
  return openStore(config.data.dir, clock);
}

export async function createApp(config: Readonly<Config>, deps: AppDeps, o: { initCa: boolean }): Promise<App> {
  const layout = ensureShareLayout(config.share.root, config.policy.tenants.map((t) => t.folder ?? t.name));
  const store = openStore(config.data.dir, deps.clock);
  try {
    const backend = await createBackend(config.ca, config.data.dir, { clock: deps.clock, log: deps.log, runner: deps.runner, initIfMissing: o.initCa });
    const share = { archive: new ShareArchive(layout.archive), staging: new StagingThread(), issuedSync: new SharedDirSync(layout.issued) };
    const ctx: PipelineContext = { config, store, backend, clock: deps.clock, log: deps.log, runner: deps.runner, layout, parsed: new ParsedRequests(), listeners: deps.listeners ?? [], share };
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
        await share.staging.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
