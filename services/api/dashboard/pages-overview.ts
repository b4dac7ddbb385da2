/** The overview page: service state and monitors, counts by state, pending approvals, failures, expiry chart. */
import type { HealthReport, Overview } from '../../app/index.js';
import type { RequestSummary } from '../../domain/index.js';
import type { ServerLoad } from '../../app/balance.js';
import { html, layout, stateBadge, when, type SafeHtml } from './html.js';

export interface PageUser {
  name: string;
  role: string;
  csrf: string;
  /** The tenants this user sees (a tenant-scoped token); null: every tenant. */
  tenants: readonly string[] | null;
}

/** Inline SVG bars: active certificates expiring per month for the next 12 months. */
export function expiryChart(timeline: { month: string; count: number }[]): SafeHtml {
  const w = 760;
  const h = 200;
  const pad = { left: 36, bottom: 34, top: 16 };
  const max = Math.max(1, ...timeline.map((m) => m.count));
  const total = timeline.reduce((a, m) => a + m.count, 0);
  const slot = (w - pad.left) / Math.max(1, timeline.length);
  const barW = Math.max(8, slot * 0.62);
  const scale = (h - pad.bottom - pad.top) / max;
  const bars = timeline.map((m, i) => {
    const bh = Math.round(m.count * scale);
    const x = pad.left + i * slot + (slot - barW) / 2;
    const y = h - pad.bottom - bh;
    const label = new Date(`${m.month}-01T00:00:00Z`).toLocaleString('en', { month: 'short', timeZone: 'UTC' });
    return html`<g><title>${m.month}: ${m.count} certificate(s) expire</title>
<rect x="${x.toFixed(1)}" y="${y}" width="${barW.toFixed(1)}" height="${bh}" fill="${i === 0 ? '#cf222e' : i < 3 ? '#d4a72c' : '#0b5cad'}"></rect>
<text x="${(x + barW / 2).toFixed(1)}" y="${y - 4}" font-size="11" text-anchor="middle">${m.count || ''}</text>
<text x="${(x + barW / 2).toFixed(1)}" y="${h - pad.bottom + 14}" font-size="11" text-anchor="middle" fill="#5b6672">${label}</text>
<text x="${(x + barW / 2).toFixed(1)}" y="${h - pad.bottom + 27}" font-size="9" text-anchor="middle" fill="#8b949e">${m.month.slice(0, 4)}</text></g>`;
  });
  return html`<svg id="expiry-chart" role="img" aria-label="Certificates expiring per month, next 12 months" viewBox="0 0 ${w} ${h}" width="100%">
<line x1="${pad.left}" y1="${h - pad.bottom}" x2="${w}" y2="${h - pad.bottom}" stroke="#d8dde3"></line>
<text x="4" y="${pad.top + 4}" font-size="10" fill="#5b6672">${max}</text>${bars}</svg>
<p class="muted" id="expiry-total">${total === 0 ? 'No active certificate expires in the next 12 months.' : `${total} active certificate(s) expire in the next 12 months (red: this month, amber: the next two).`}</p>`;
}

function requestRows(items: RequestSummary[], empty: string): SafeHtml {
  if (items.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<table><thead><tr><th>FQDN</th><th>Tenant</th><th>State</th><th>Since</th><th>Request</th></tr></thead><tbody>
${items.map((r) => html`<tr><td><a href="/requests/${r.id}">${r.fqdn}</a></td><td>${r.tenant}</td><td>${stateBadge(r.state)}</td><td>${when(r.updatedAt)}</td><td class="mono">${r.id}</td></tr>`)}
</tbody></table>`;
}

/** Agents per management server or gateway of the stored assignment (README "Management group"). */
function serverRows(servers: readonly ServerLoad[]): SafeHtml {
  if (servers.length === 0) return html`<p class="muted">No management group is configured (managementGroup in the config).</p>`;
  const max = Math.max(1, ...servers.map((s) => s.agents));
  return html`<table><thead><tr><th>Server</th><th>Kind</th><th>Reachable</th><th>Weight</th><th>Agents</th><th></th></tr></thead><tbody>
${servers.map((s) => html`<tr><td class="mono">${s.server}</td><td>${s.kind}</td><td>${s.reachable ? 'yes' : 'no'}</td><td>${s.weight}</td><td class="agents">${s.agents}</td><td><span style="display:inline-block;height:10px;background:#0b5cad;width:${Math.round((s.agents / max) * 200)}px"></span></td></tr>`)}
</tbody></table>`;
}

export function overviewPage(o: { user: PageUser; overview: Overview; health: HealthReport; pending: RequestSummary[]; failures: RequestSummary[]; servers?: readonly ServerLoad[] }): string {
  const v = o.overview;
  const states = Object.entries(v.requestsByState).sort((a, b) => b[1] - a[1]);
  const card = (n: number, label: string, link: string | null) =>
    link ? html`<a class="card" href="${link}"><div class="n">${n}</div><div class="l">${label}</div></a>` : html`<div class="card"><div class="n">${n}</div><div class="l">${label}</div></div>`;
  const body = html`<h1>Overview <span id="service-state">${stateBadge(o.health.state)}</span></h1>
<h2>Requests by state</h2>
<div class="cards" id="request-counts">
${states.length ? states.map(([s, n]) => card(n, s.replace(/_/g, ' '), `/requests?state=${s}`)) : card(0, 'requests', null)}
</div>
<h2>Certificates</h2>
<div class="cards" id="certificate-counts">
${card(v.certificatesByState['active'] ?? 0, 'active', '/certificates?state=active')}
${card(v.expiringWithin30Days, 'expire within 30 days', '/certificates?expiring=30')}
${card(v.expiringWithin7Days, 'expire within 7 days', '/certificates?expiring=7')}
${card(v.certificatesByState['revoked'] ?? 0, 'revoked', '/certificates?state=revoked')}
</div>
<h2>Pending approvals</h2>
<div id="pending">${requestRows(o.pending, 'No request waits for approval.')}</div>
<h2>Failures</h2>
<div id="failures">${requestRows(o.failures, 'No failed request.')}</div>
<h2>Agents per management server</h2>
<div id="agents-per-server">${serverRows(o.servers ?? [])}</div>
<h2>Expiry, next 12 months</h2>
${expiryChart(v.expiryTimeline)}
<h2>Monitors</h2>
<table id="monitors"><thead><tr><th>Event ID</th><th>Monitor</th><th>State</th><th>Detail</th></tr></thead><tbody>
${o.health.monitors.map((m) => html`<tr><td>${m.eventId}</td><td>${m.name}</td><td>${stateBadge(m.state)}</td><td>${m.message}</td></tr>`)}
</tbody></table>
<p class="muted">Checked ${when(o.health.checkedAt)}. Exports: <a href="/api/v1/exports/certificates.csv">certificates.csv</a> · <a href="/api/v1/exports/requests.csv">requests.csv</a> · <a href="/api/v1/ca/crl">CRL</a></p>`;
  return layout({ title: 'Overview', user: o.user, body });
}
