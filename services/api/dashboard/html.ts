/**
 * Server-rendered HTML with one escaping function. Every value interpolated into the `html` template goes
 * through `escapeHtml` unless it is itself markup made by `html` (a `SafeHtml`), so a FQDN or a finding that
 * holds `<script>` is shown as text, never run.
 */
import { DASHBOARD_CSS_PATH } from './styles.js';

import { humanDate, humanDateAndRelative } from '../../domain/index.js';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** The one escaping function: text content and (quoted) attribute values alike. */
export function escapeHtml(v: unknown): string {
  return String(v ?? '').replace(/[&<>"'`]/g, (c) => ENTITIES[c]!);
}

function render(v: unknown): string {
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(v);
}

/** Tagged template: the literal parts are markup, every `${value}` is escaped (arrays are joined). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

/** A URL with query parameters, each encoded (then escaped again where it lands in an attribute). */
export function href(pathname: string, query: Record<string, string | number | undefined | null> = {}): string {
  const q = Object.entries(query)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return q.length ? `${pathname}?${q.join('&')}` : pathname;
}


export interface LayoutInput {
  title: string;
  user: { name: string; role: string; csrf: string; tenants: readonly string[] | null } | null;
  body: SafeHtml;
  /** Reload every N seconds (a request still moving through the pipeline). */
  refreshSeconds?: number;
}

export function layout(p: LayoutInput): string {
  const nav = p.user
    ? html`<a href="/">Overview</a><a href="/requests">Requests</a><a href="/certificates">Certificates</a><a href="/docs">API</a>
      <span class="who">signed in as ${p.user.name} (${p.user.role}) <span id="scope">${p.user.tenants ? `tenants: ${p.user.tenants.join(', ')} only` : 'all tenants'}</span>
      <form method="post" action="/logout"><input type="hidden" name="csrf" value="${p.user.csrf}"><button type="submit">Sign out</button></form></span>`
    : html``;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
${p.refreshSeconds ? html`<meta http-equiv="refresh" content="${p.refreshSeconds}">` : ''}
<title>${p.title} · agentcert</title><link rel="stylesheet" href="${DASHBOARD_CSS_PATH}"><link rel="icon" href="data:,"></head>
<body><header><span class="brand">agentcert</span>${nav}</header><main>${p.body}</main></body></html>`.value;
}

export function stateBadge(state: string): SafeHtml {
  return html`<span class="state s-${state}">${state.replace(/_/g, ' ')}</span>`;
}

/**
 * A date as people read it (`2028-11-30 22:56 UTC`, services/domain/human-time.ts), with the ISO value in the
 * `datetime` attribute and the tooltip; `relative` adds "(in 729 days)".
 */
export function when(v: string | null | undefined, relative = false, now: Date = new Date()): SafeHtml {
  if (!v) return html`–`;
  return html`<time datetime="${v}" title="${v}">${relative ? humanDateAndRelative(v, now) : humanDate(v)}</time>`;
}
