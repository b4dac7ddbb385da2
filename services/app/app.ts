/**
 * The application: config → adapters → pipeline. The CLI and the API call the same functions on it.
 */
import type { Config } from '../config/index.js';
import { createBackend, shareCaThroughStore } from '../ca/index.js';
import { existsSync } from 'node:fs';
import { systemClock, type Clock, type Logger, type Runner, type Store, type SubmitRecord, type TransitionListener } from '../domain/index.js';
import { ensureShareLayout, ShareArchive } from '../intake/index.js';
import { SharedDirSync } from '../files/index.js';
import { StagingThread } from '../packaging/index.js';
import { ParsedRequests, Pipeline, type PipelineContext } from '../lifecycle/index.js';
import { Notifier } from '../notify/index.js';
import { isPostgresUrl, openStore, redactUrl, storeFile } from '../store/index.js';

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

/** Where the store is, for messages: the SQLite file, or the database URL without its password. */
export function storePath(config: Readonly<Config>): string {
  return isPostgresUrl(config.store.url) ? redactUrl(config.store.url) : storeFile(config.data.dir);
}

/** Whether there is a store to read (a database server is taken to exist; the store makes its tables). */
export function storeExists(config: Readonly<Config>): boolean {
  return isPostgresUrl(config.store.url) || existsSync(storeFile(config.data.dir));
}

/** The store alone, for commands that only read or record (list, show, inspect). */
export function openAppStore(config: Readonly<Config>, clock: Clock = systemClock): Store {
  return openStore(config.data.dir, config.store, clock);
}

export async function createApp(config: Readonly<Config>, deps: AppDeps, o: { initCa: boolean }): Promise<App> {
  const layout = ensureShareLayout(config.share.root, config.policy.tenants.map((t) => t.folder ?? t.name));
  const store = openStore(config.data.dir, config.store, deps.clock);
  try {
    const shared = store.work.shared
      ? { submitJournal: { owner: store.work.owner, read: (fp: string) => store.state.caSubmit(fp), write: (fp: string, r: SubmitRecord) => store.state.setCaSubmit(fp, r) } }
      : {};
    const caDeps = { clock: deps.clock, log: deps.log, runner: deps.runner, initIfMissing: o.initCa, ...shared };
    if (store.work.shared) await shareCaThroughStore(config.ca, config.data.dir, store.state, caDeps);
    const backend = await createBackend(config.ca, config.data.dir, caDeps);
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
