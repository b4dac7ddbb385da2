/**
 * Prometheus metrics (prom-client), one registry per API instance (not the global one, so several instances —
 * tests, benches — never collide). Gauges are read from the store at scrape time; the latency histogram and
 * the CA error counter follow the event log with a cursor, so they count what happened while this process ran.
 * A tenant-scoped token gets an exposition of its own (renderScoped): the request and certificate figures of its
 * tenants only, labelled with those tenants alone, and none of the service-wide series.
 */
import { stat } from 'node:fs/promises';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CERTIFICATE_STATES, REQUEST_STATES } from '../domain/index.js';
import { listRequestFiles } from '../app/index.js';
import { MONITORS, monitorStateValue, type AppContext, type HealthReport } from '../app/index.js';

export interface ApiMetrics {
  registry: Registry;
  /** Bring every metric up to date and render the exposition text. */
  render(health: HealthReport): Promise<string>;
  /** The figures of these tenants only (a tenant-scoped token). */
  renderScoped(tenants: readonly string[]): Promise<string>;
}

/** Per-tenant series, and the by-state totals of the same rows, into `registry`; set from one pass over the counts. */
function tenantGauges(registry: Registry) {
  const byTenant = {
    requests: new Gauge({ name: 'agentcert_tenant_requests', help: 'Requests by tenant and state', labelNames: ['tenant', 'state'], registers: [registry] }),
    certificates: new Gauge({ name: 'agentcert_tenant_certificates', help: 'Certificates by tenant and state', labelNames: ['tenant', 'state'], registers: [registry] }),
  };
  return async (ctx: AppContext, tenants?: readonly string[]) => {
    const counts = await ctx.store.views.countsByTenant(tenants);
    for (const kind of ['requests', 'certificates'] as const) {
      byTenant[kind].reset();
      for (const r of counts[kind]) byTenant[kind].set({ tenant: r.tenant, state: r.state }, r.n);
    }
  };
}

async function expiringCounts(ctx: AppContext, now: Date, tenants?: readonly string[]): Promise<[string, number][]> {
  return Promise.all([30, 7].map(async (days) => [String(days), await ctx.store.views.countActiveExpiring(now, new Date(now.getTime() + days * 86_400_000), tenants)] as [string, number]));
}

/** A tenant-scoped token's exposition: its tenants' request and certificate figures only. */
async function renderScoped(ctx: AppContext, tenants: readonly string[]): Promise<string> {
  const own = new Registry();
  const req = new Gauge({ name: 'agentcert_requests', help: 'Requests by state (this token\'s tenants)', labelNames: ['state'], registers: [own] });
  const cert = new Gauge({ name: 'agentcert_certificates', help: 'Certificates by state (this token\'s tenants)', labelNames: ['state'], registers: [own] });
  const exp = new Gauge({ name: 'agentcert_certificates_expiring', help: 'Active certificates expiring within N days (this token\'s tenants)', labelNames: ['within_days'], registers: [own] });
  const counts = await ctx.store.views.requestsByState(tenants);
  for (const s of REQUEST_STATES) req.set({ state: s }, counts[s] ?? 0);
  const certCounts = await ctx.store.views.certificatesByState(tenants);
  for (const s of CERTIFICATE_STATES) cert.set({ state: s }, certCounts[s] ?? 0);
  for (const [days, n] of await expiringCounts(ctx, ctx.clock.now(), tenants)) exp.set({ within_days: days }, n);
  await tenantGauges(own)(ctx, tenants);
  return own.metrics();
}

export function createMetrics(ctx: AppContext): ApiMetrics {
  const registry = new Registry();
  const requests = new Gauge({ name: 'agentcert_requests', help: 'Requests by state', labelNames: ['state'], registers: [registry] });
  const latency = new Histogram({
    name: 'agentcert_issuance_latency_seconds',
    help: 'Time from a request being taken in to its package being published',
    buckets: [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600],
    registers: [registry],
  });
  const expiring = new Gauge({ name: 'agentcert_certificates_expiring', help: 'Active certificates expiring within N days', labelNames: ['within_days'], registers: [registry] });
  const certificates = new Gauge({ name: 'agentcert_certificates', help: 'Certificates by state', labelNames: ['state'], registers: [registry] });
  const caErrors = new Counter({ name: 'agentcert_ca_backend_errors_total', help: 'CA backend failures (unreachable, unknown output, failed), by code', labelNames: ['code'], registers: [registry] });
  const watcherLag = new Gauge({ name: 'agentcert_watcher_lag_seconds', help: 'Age of the oldest request file still waiting in requests/ (0 when none)', registers: [registry] });
  const oldestWaiting = new Gauge({ name: 'agentcert_oldest_waiting_request_age_seconds', help: 'Time the longest-waiting request (pipeline states or awaiting approval) has been in its state', registers: [registry] });
  const monitor = new Gauge({ name: 'agentcert_monitor_state', help: 'Monitor state: 0 healthy, 1 warning, 2 critical', labelNames: ['monitor', 'event_id'], registers: [registry] });
  const setTenantGauges = tenantGauges(registry);

  // The cursors start at the newest event when the API was built: the counters count what happened while this process ran.
  const started = ctx.store.views.lastEvent().then((e) => e?.id ?? 0, () => 0);
  let latencyCursor: number | null = null;
  let caCursor: number | null = null;

  async function oldestRequestFileAge(now: number): Promise<number> {
    let oldest = now;
    for (const f of await listRequestFiles(ctx.layout.requests, ctx.config.policy.tenants.map((t) => t.folder ?? t.name))) {
      const s = await stat(f).catch(() => null);
      if (s && s.mtimeMs < oldest) oldest = s.mtimeMs;
    }
    return Math.max(0, (now - oldest) / 1000);
  }

  return {
    registry,
    async render(health) {
      const now = ctx.clock.now();
      const v = ctx.store.views;
      latencyCursor ??= await started;
      caCursor ??= await started;
      const counts = await v.requestsByState();
      for (const s of REQUEST_STATES) requests.set({ state: s }, counts[s] ?? 0);
      const certCounts = await v.certificatesByState();
      for (const s of CERTIFICATE_STATES) certificates.set({ state: s }, certCounts[s] ?? 0);
      for (const [days, n] of await expiringCounts(ctx, now)) expiring.set({ within_days: days }, n);
      await setTenantGauges(ctx);
      for (const p of await v.packagedSince(latencyCursor)) {
        latency.observe(Math.max(0, p.seconds));
        latencyCursor = p.eventId;
      }
      for (const e of await v.caErrorsSince(caCursor)) {
        caErrors.inc({ code: e.reason });
        caCursor = e.eventId;
      }
      const ages = [await v.oldestIn('pipeline'), await v.oldestIn('awaitingPerson')].map((o) => (o ? now.getTime() - new Date(o.since).getTime() : 0));
      oldestWaiting.set(Math.max(0, ...ages) / 1000);
      watcherLag.set(await oldestRequestFileAge(now.getTime()));
      for (const m of MONITORS) {
        const r = health.monitors.find((x) => x.id === m.id);
        if (r) monitor.set({ monitor: m.id, event_id: String(m.eventId) }, monitorStateValue(r.state));
      }
      return registry.metrics();
    },
    renderScoped: (tenants) => renderScoped(ctx, tenants),
  };
}
