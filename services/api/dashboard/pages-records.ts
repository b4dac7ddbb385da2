/** The request and certificate tables (searchable with ?q=, server side) and the request detail page. */
import { REVOCATION_REASONS, type RecordView } from '../../app/index.js';
import type { CertificateSummary, Page, RequestSummary } from '../../domain/index.js';
import { href, html, layout, stateBadge, when, type SafeHtml } from './html.js';
import type { PageUser } from './pages-overview.js';

function pager(base: string, query: Record<string, string | undefined>, p: Page<unknown>): SafeHtml {
  const from = p.total === 0 ? 0 : p.offset + 1;
  const to = p.offset + p.items.length;
  const prev = p.offset > 0 ? href(base, { ...query, offset: Math.max(0, p.offset - p.limit) }) : null;
  const next = to < p.total ? href(base, { ...query, offset: p.offset + p.limit }) : null;
  return html`<div class="pager"><span>${from}–${to} of ${p.total}</span>${prev ? html`<a href="${prev}">← previous</a>` : ''}${next ? html`<a href="${next}">next →</a>` : ''}</div>`;
}

function searchForm(action: string, q: string | undefined, state: string | undefined, states: readonly string[], extra: SafeHtml = html``): SafeHtml {
  return html`<form class="inline" method="get" action="${action}" role="search">
<input type="search" name="q" value="${q ?? ''}" placeholder="FQDN, serial or thumbprint" size="36" aria-label="Search">
<select name="state" aria-label="State"><option value="">any state</option>${states.map((s) => html`<option value="${s}"${s === state ? html` selected` : ''}>${s.replace(/_/g, ' ')}</option>`)}</select>
${extra}<button class="act" type="submit">Search</button></form>`;
}

export function requestsPage(o: { user: PageUser; page: Page<RequestSummary>; q?: string; state?: string; states: readonly string[] }): string {
  const query = { q: o.q, state: o.state };
  const body = html`<h1>Requests</h1>${searchForm('/requests', o.q, o.state, o.states)}
<table id="requests"><thead><tr><th>FQDN</th><th>Tenant</th><th>State</th><th>Certificate</th><th>Updated</th><th>Request</th></tr></thead><tbody>
${o.page.items.map((r) => html`<tr><td><a href="/requests/${r.id}">${r.fqdn}</a></td><td>${r.tenant}</td><td>${stateBadge(r.state)}</td>
<td class="mono">${r.serialNumber ?? '–'}${r.certificateState && r.certificateState !== 'active' ? html` ${stateBadge(r.certificateState)}` : ''}</td><td>${when(r.updatedAt)}</td><td class="mono">${r.id}</td></tr>`)}
</tbody></table>${pager('/requests', query, o.page)}`;
  return layout({ title: 'Requests', user: o.user, body });
}

export function certificatesPage(o: { user: PageUser; page: Page<CertificateSummary>; q?: string; state?: string; expiring?: string; states: readonly string[] }): string {
  const query = { q: o.q, state: o.state, expiring: o.expiring };
  const extra = html`<label>expiring within <input type="text" name="expiring" value="${o.expiring ?? ''}" size="4" inputmode="numeric"> days</label>`;
  const body = html`<h1>Certificates</h1>${searchForm('/certificates', o.q, o.state, o.states, extra)}
<table id="certificates"><thead><tr><th>FQDN</th><th>Serial</th><th>State</th><th>Valid until</th><th>Tenant</th><th>Thumbprint</th></tr></thead><tbody>
${o.page.items.map((c) => html`<tr><td><a href="/requests/${c.requestId}">${c.fqdn}</a></td><td class="mono">${c.serialNumber}</td>
<td>${stateBadge(c.state)}${c.revocationReason ? html` <span class="muted">${c.revocationReason}</span>` : ''}</td><td>${when(c.notAfter, true)}</td><td>${c.tenant}</td><td class="mono">${c.thumbprint}</td></tr>`)}
</tbody></table>${pager('/certificates', query, o.page)}
<p class="muted"><a href="${href('/api/v1/exports/certificates.csv', { q: o.q, state: o.state, expiringWithinDays: o.expiring })}">Export these as CSV</a></p>`;
  return layout({ title: 'Certificates', user: o.user, body });
}

function adminActions(v: RecordView, user: PageUser): SafeHtml {
  if (user.role !== 'admin') return html``;
  const r = v.request;
  const forms: SafeHtml[] = [];
  if (r.state === 'awaiting_approval') {
    forms.push(html`<form class="inline" method="post" action="/requests/${r.id}/approve"><input type="hidden" name="csrf" value="${user.csrf}">
<input type="text" name="comment" placeholder="comment (optional)" size="30" aria-label="Approval comment"><button class="act" type="submit" id="approve">Approve</button></form>`);
    forms.push(html`<form class="inline" method="post" action="/requests/${r.id}/deny"><input type="hidden" name="csrf" value="${user.csrf}">
<input type="text" name="reason" placeholder="reason (shown to the server owner)" size="34" required aria-label="Denial reason"><button class="act danger" type="submit" id="deny">Deny</button></form>`);
  }
  if (v.certificate && v.certificate.state === 'active') {
    const c = v.certificate;
    // No reason is preselected, and the admin ticks a box that names the certificate: revoking cannot be undone.
    forms.push(html`<form class="inline" method="post" action="/certificates/${c.serialNumber}/revoke"><input type="hidden" name="csrf" value="${user.csrf}">
<select name="reason" aria-label="Revocation reason" required><option value="" selected disabled>choose a reason…</option>${Object.keys(REVOCATION_REASONS).map((k) => html`<option value="${k}">${k}</option>`)}</select>
<input type="text" name="comment" placeholder="comment (optional)" size="24" aria-label="Revocation comment">
<label><input type="checkbox" name="confirm" value="${c.serialNumber}" id="revoke-confirm" required> revoke ${r.fqdn}'s certificate ${c.serialNumber}; this cannot be undone</label>
<button class="act danger" type="submit" id="revoke">Revoke</button></form>`);
  }
  return forms.length ? html`<div class="panel" id="actions"><strong>Admin actions</strong><br>${forms}</div>` : html``;
}

/** What an admin action's redirect may ask the detail page to say; the words come from the record, not the URL. */
const NOTICES = ['approved', 'denied', 'revoked'] as const;
export type NoticeKey = (typeof NOTICES)[number];
export const noticeKey = (s: string | undefined): NoticeKey | undefined => NOTICES.find((k) => k === s);

function noticeText(key: NoticeKey, v: RecordView): string {
  const last = [...v.events].reverse().find((e) => e.reason === { approved: 'APPROVED', denied: 'ADMIN_DENIED', revoked: 'REVOKED' }[key]);
  const by = last ? ` by ${last.actor}` : '';
  if (key === 'approved') return `Approved${by}; the pipeline issues it now.`;
  if (key === 'denied') return `Denied${by}; the reason is in rejected/${v.request.fqdn}.txt.`;
  const c = v.certificate;
  return c?.state === 'revoked' ? `Certificate ${c.serialNumber} revoked${by}; the new CRL lists it, and issued/${v.request.fqdn}/ no longer offers its package.` : 'No revocation is recorded for this request.';
}

/** Pipeline states change by themselves: the page reloads itself until the request rests. */
const MOVING = new Set(['received', 'checked', 'submitted', 'issued', 'verified']);

export function requestDetailPage(o: { user: PageUser; view: RecordView; notice?: NoticeKey }): string {
  const v = o.view;
  const r = v.request;
  const c = v.certificate;
  const body = html`<h1>${r.fqdn} <span id="request-state">${stateBadge(r.state)}</span></h1>
${o.notice ? html`<div class="panel" role="status">${noticeText(o.notice, v)}</div>` : ''}
${adminActions(v, o.user)}
<div class="panel"><table><tbody>
<tr><th>Request id</th><td class="mono">${r.id}</td></tr><tr><th>Fingerprint</th><td class="mono">${r.fingerprint}</td></tr>
<tr><th>Tenant / role</th><td>${r.tenant} / ${r.role}</td></tr><tr><th>File</th><td class="mono">${r.sourceName}</td></tr>
<tr><th>Received</th><td>${when(r.createdAt)}</td></tr><tr><th>CA request id</th><td class="mono">${r.caRequestId ?? '–'}</td></tr>
${r.nextAttemptAt ? html`<tr><th>Next attempt</th><td>${when(r.nextAttemptAt, true)} (attempt ${r.attempts})</td></tr>` : ''}
</tbody></table></div>
${c ? html`<h2>Certificate</h2><div class="panel" id="certificate"><table><tbody>
<tr><th>Serial</th><td class="mono">${c.serialNumber}</td></tr><tr><th>State</th><td id="certificate-state">${stateBadge(c.state)}</td></tr>
<tr><th>Valid</th><td>${when(c.notBefore)} → ${when(c.notAfter, true)}${c.renewalDueAt ? html` <span class="muted">(renewal due ${when(c.renewalDueAt, true)})</span>` : ''}</td></tr><tr><th>Thumbprint</th><td class="mono">${c.thumbprint}</td></tr>
<tr><th>Subject / issuer</th><td>${c.subject} / ${c.issuer}</td></tr></tbody></table></div>` : ''}
${v.assignment ? html`<h2>Management servers</h2><div class="panel" id="assignment"><table><tbody>
<tr><th>Primary</th><td class="mono">${v.assignment.primary}</td></tr><tr><th>Failovers</th><td class="mono">${v.assignment.failovers.join(', ') || '–'}</td></tr>
<tr><th>Since</th><td>${v.assignment.assignedAt}</td></tr></tbody></table></div>` : ''}
<h2>Findings</h2>
${r.findings.length ? html`<table id="findings"><thead><tr><th>Rule</th><th>Severity</th><th>Message</th><th>Fix</th></tr></thead><tbody>
${r.findings.map((f) => html`<tr><td class="mono">${f.rule}</td><td>${f.severity}${f.holds ? ' (holds)' : ''}</td><td>${f.message}</td><td>${f.remediation}</td></tr>`)}</tbody></table>` : html`<p class="muted">None.</p>`}
<h2>Events</h2>
<table id="events"><thead><tr><th>At</th><th>Transition</th><th>Reason</th><th>Actor</th><th>Message</th></tr></thead><tbody>
${v.events.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.from ?? '–'} → ${e.to}</td><td class="mono">${e.reason}</td><td>${e.actor}</td><td>${e.message}</td></tr>`)}
</tbody></table>`;
  return layout({ title: r.fqdn, user: o.user, body, ...(MOVING.has(r.state) ? { refreshSeconds: 2 } : {}) });
}
