/**
 * Composition root: config → adapters → lifecycle + app → watcher + API (docs/architecture.md).
 */
import path from 'node:path';
import { buildApi, resolveApiTokens, watcherProbe } from './api/index.js';
import { checkPortFree, portInUse } from './api/port-check.js';
import type { Config } from './config/index.js';
import { systemClock, type Clock, type Logger } from './domain/index.js';
import { listResultFiles, requestFiles, startRequestWatcher, startResultsWatcher } from './intake/index.js';
import { chainForPackage, createApp, createMonitors, localCaKeys, requestCounts, revokeSupersededAfterGrace, runExpiryWatch, type App } from './app/index.js';
import { runRenewalWatch } from './lifecycle/index.js';
import { attachEventLog, type AttachedEventLog } from './notify/attach-event-log.js';
import { agentcertVersion } from './version.js';
import { agentPaths, agentPathsWarning, cleanStaleStaging, publishTools } from './packaging/index.js';
import { dryRunBacklog, renderDryRun } from './app/dry-run.js';
import { trackBacklog } from './app/backlog-progress.js';
import { startHeapBudget } from './app/heap-budget.js';
import { startupError } from './app/startup-errors.js';
import { createExecaRunner } from './process/index.js';
import { acquireDataLock } from './store/index.js';
import { mkdirSync } from 'node:fs';

export interface ServeOptions {
  once: boolean;
  /** With once: report what the backlog would do; issue, write and move nothing (app/dry-run.ts). */
  dryRun?: boolean;
  log: Logger;
  clock?: Clock;
  /** Where human messages go (stdout). */
  say: (line: string) => void;
}

/**
 * On a shared store: try the election at a third of the lease time, so the singletons move to another instance
 * within about that long after the elected one dies; an instance that becomes the elected one runs them at once.
 */
function watchElection(ctx: App['ctx'], log: Logger, leaseSeconds: number, runSingletons: () => void): NodeJS.Timeout {
  let leading = false;
  const timer = setInterval(() => {
    void ctx.store.work.leads().then((now) => {
      if (now && !leading) {
        log.info({ event: 'elected', owner: ctx.store.work.owner }, 'this instance now runs the expiry watch, the digest, CRL signing and superseded revocation');
        runSingletons();
      } else if (!now && leading) log.warn({ event: 'election_lost', owner: ctx.store.work.owner }, 'this instance no longer runs the singleton jobs');
      leading = now;
    });
  }, (leaseSeconds * 1000) / 3);
  timer.unref();
  return timer;
}

export async function serve(config: Readonly<Config>, o: ServeOptions): Promise<number> {
  if (o.dryRun) {
    for (const line of renderDryRun(await dryRunBacklog(config, o.clock ?? systemClock))) o.say(line);
    return 0;
  }
  if (!o.once && config.api.enabled) await checkPortFree(config.api); // before anything is created
  try {
    mkdirSync(config.data.dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw startupError(err, config);
  }
  const release = acquireDataLock(config.data.dir);
  const clock = o.clock ?? systemClock;
  const eventLog = attachEventLog(config, o.log);
  const app = await createApp(config, { clock, log: o.log, runner: createExecaRunner(), listeners: eventLog ? [eventLog.listener] : [] }, { initCa: true }).catch((err) => {
    release();
    throw startupError(err, config);
  });
  const { ctx, pipeline } = app;
  if (eventLog) ctx.events = eventLog.events;
  try {
    // Other instances may be publishing to a shared share right now: only what a crash left long ago is cleaned.
    await cleanStaleStaging(ctx.layout.root, { minAgeMs: ctx.store.work.shared ? 15 * 60_000 : 0 });
    await publishTools({ shareRoot: ctx.layout.root, chain: chainForPackage(await ctx.backend.chain()), agentPaths: agentPaths(config.packaging, config.share.root) });
  } catch (err) {
    o.log.error({ err }, 'could not publish tools/ on the share; requests are still processed');
  }
  startHeapBudget();
  if (o.once) {
    try {
      for (const f of await listResultFiles(ctx.layout.results)) pipeline.offerResult(f);
      const folders = config.policy.tenants.map((t) => t.folder ?? t.name);
      // Counted, not held: the share can hold a backlog of 100,000 files and, after a CA outage, the store as many
      // due requests. The names are read again as they are offered.
      let waiting = 0;
      for await (const _ of requestFiles(ctx.layout.requests, folders)) waiting++;
      const progress = trackBacklog(pipeline, ctx.store, { total: waiting + (await ctx.store.views.countDue(clock.now())), clock });
      await pipeline.offerBacklog(requestFiles(ctx.layout.requests, folders));
      await pipeline.idle();
      await progress.finish();
      await runExpiryWatch(ctx, app.notifier);
      await runRenewalWatch(ctx);
      await revokeSupersededAfterGrace(ctx);
      o.say(`processed the share: ${JSON.stringify(await requestCounts(ctx.store))}`);
      return 0;
    } finally {
      await app.close();
      await eventLog?.writer.close();
      release();
    }
  }
  return runForever(config, app, o, release, eventLog);
}

async function runForever(config: Readonly<Config>, app: App, o: ServeOptions, release: () => void, eventLog: AttachedEventLog | null): Promise<number> {
  // Listen for the stop signals first: a SIGTERM that arrives while start-up still runs must stop the service
  // cleanly, not kill it (the default action). Listeners stay until the service has stopped: execa's signal-exit
  // re-raises a signal that no other listener is left to handle, which would kill the stop half-way.
  let requestStop!: () => void;
  const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
  process.on('SIGINT', requestStop);
  process.on('SIGTERM', requestStop);
  const { ctx, pipeline } = app;
  const share = { polling: config.share.polling, pollIntervalMs: config.share.pollIntervalMs, reconcileIntervalMs: config.share.reconcileIntervalMs, log: o.log };
  const watcher = startRequestWatcher({ ...share, requestsDir: ctx.layout.requests, tenantFolders: config.policy.tenants.map((t) => t.folder ?? t.name), onCandidate: (f) => pipeline.offerFile(f) });
  const results = startResultsWatcher({ ...share, resultsDir: ctx.layout.results, onCandidate: (f) => pipeline.offerResult(f) });
  let watcherReady = false;
  await Promise.all([watcher.ready, results.ready]);
  watcherReady = true;
  await results.scan();
  await watcher.scan();
  pipeline.kick();
  const tick = setInterval(() => pipeline.kick(), config.pipeline.tickMs);
  const watchExpiry = (): void => runSchedule(app, o.log);
  const expiryTimer = setInterval(watchExpiry, config.lifecycle.checkIntervalMs);
  const election = ctx.store.work.shared ? watchElection(ctx, o.log, config.store.leaseSeconds, watchExpiry) : null;
  const probe = { ctx, watcherReady: () => watcherReady, watcherLastEventAt: () => watcher.lastEventAt() };
  const monitors = createMonitors({ ...ctx, ...(eventLog ? { onMonitorChange: eventLog.onMonitorChange } : {}) }, watcherProbe(probe));
  // With the Event Log on, the monitors run on a timer too, so a change is written without anyone asking /healthz.
  const monitorTimer = eventLog ? setInterval(() => void monitors.evaluate().catch((err) => o.log.error({ err }, 'monitor evaluation failed')), config.eventLog.monitorIntervalSeconds * 1000) : null;
  const auth = config.api.enabled ? resolveApiTokens(config) : null;
  const api = auth ? buildApi({ ...probe, startedAt: new Date(), pipeline, tokens: auth.tokens, refreshCrl: true, monitors }) : null;
  let address = 'disabled';
  if (api) address = await api.listen({ host: config.api.host, port: config.api.port }).catch((err: NodeJS.ErrnoException) => Promise.reject(err.code === 'EADDRINUSE' ? portInUse(config.api) : err));
  o.say(banner(config, app, address, { api: api !== null, auth }));
  o.log.info({ event: 'started', share: ctx.layout.root, data: config.data.dir, api: address, backend: ctx.backend.kind }, 'agentcert started');
  // The schedule's first run once the service is up: its watches go over every active certificate (seconds for a
  // store of 100,000), which requests and the API need not wait for (README "Benchmarks", start-up).
  watchExpiry();
  const version = agentcertVersion();
  eventLog?.writer.emit({ key: 'service.started', message: `agentcert ${version} started: CA backend ${ctx.backend.kind}, share ${ctx.layout.root}, API ${address}`, values: { version, caBackend: ctx.backend.kind, share: ctx.layout.root } });
  if (eventLog) await monitors.evaluate().catch((err) => o.log.error({ err }, 'monitor evaluation failed'));
  await stopRequested;
  o.log.info({ event: 'stopping' }, 'stopping: finishing in-flight work');
  clearInterval(tick);
  clearInterval(expiryTimer);
  if (election) clearInterval(election);
  if (monitorTimer) clearInterval(monitorTimer);
  watcherReady = false;
  await watcher.close();
  await results.close();
  if (api) await api.close();
  await app.close();
  eventLog?.writer.emit({ key: 'service.stopped', message: `agentcert ${version} stopped`, values: { version } });
  await eventLog?.writer.close();
  release();
  o.log.info({ event: 'stopped' }, 'agentcert stopped');
  process.off('SIGINT', requestStop);
  process.off('SIGTERM', requestStop);
  return 0;
}

/** The time-driven singletons, on the elected instance only (always this one on SQLite; README "Several instances"). */
function runSchedule(app: App, log: Logger): void {
  const { ctx } = app;
  void ctx.store.work.leads().then((leads) => {
    if (!leads) return;
    return runExpiryWatch(ctx, app.notifier)
      .then(() => runRenewalWatch(ctx))
      .catch((err: unknown) => log.error({ err }, 'expiry watch failed'))
      .then(() => revokeSupersededAfterGrace(ctx))
      .catch((err: unknown) => log.error({ err }, 'revoking superseded certificates failed'));
  });
}

/** What `serve` prints once it runs: where to drop requests, where things appear, how to sign in. */
function banner(config: Readonly<Config>, app: App, address: string, o: { api: boolean; auth: ReturnType<typeof resolveApiTokens> | null }): string {
  const { ctx } = app;
  const sample = path.join(ctx.layout.requests, 'web01.contoso.local.req');
  const caKeysLine = localCaKeys(config)?.report().summary ?? null;
  return [
    'agentcert is running.',
    `  Drop requests here : ${ctx.layout.requests}${path.sep}<FQDN>.req`,
    `  Packages appear in : ${ctx.layout.issued}${path.sep}<FQDN>${path.sep}`,
    `  Rejections         : ${ctx.layout.rejected}${path.sep}<FQDN>.txt`,
    `  CA backend         : ${ctx.backend.kind}    API: ${address} (GET /healthz)`,
    ...(caKeysLine ? [`  CA keys            : ${caKeysLine}`] : []),
    ...(o.api ? [`  Dashboard          : ${address}/    API docs: ${address}/docs`] : []),
    ...(o.auth?.adminTokenFile ? [`  Admin token        : ${o.auth.adminTokenFile}${o.auth.created ? ' (created now)' : ''} — sign in with its content`] : []),
    ...[agentPathsWarning(agentPaths(config.packaging, config.share.root))].filter(Boolean).map((w) => `  WARNING            : ${w}`),
    `  Try it without Windows: npx agentcert sample-request web01.contoso.local --out "${sample}"`,
    'Stop with Ctrl+C.',
  ].join('\n');
}
