/**
 * Server-rendered HTML with one escaping function. Every value interpolated into the `html` template goes
 * through `escapeHtml` unless it is itself markup made by `html` (a `SafeHtml`), so a FQDN or a finding that
 * holds `<script>` is shown as text, never run.
 */

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

const CSS = `
:root{--fg:#1d232b;--muted:#5b6672;--line:#d8dde3;--bg:#f6f7f9;--ok:#1a7f37;--warn:#9a6700;--crit:#cf222e;--accent:#0b5cad}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#1d232b;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:center}
header a{color:#dfe6ee;text-decoration:none}header a:hover{color:#fff}header .brand{font-weight:600;color:#fff;margin-right:12px}
header .who{margin-left:auto;color:#aab4bf;font-size:13px}header form{display:inline}
header button{background:none;border:1px solid #56616d;color:#dfe6ee;border-radius:4px;padding:2px 8px;cursor:pointer}
main{padding:20px 24px;max-width:1280px}h1{font-size:20px;margin:0 0 14px}h2{font-size:16px;margin:22px 0 8px}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 14px;min-width:120px}
.card .n{font-size:22px;font-weight:600}.card .l{color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line)}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef1f4;font-weight:600;font-size:13px}td.mono,.mono{font-family:ui-monospace,Consolas,monospace;font-size:12px;word-break:break-all}
.state{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;background:#eef1f4;border:1px solid var(--line)}
.s-healthy,.s-packaged,.s-installed,.s-active{background:#dafbe1;border-color:#aceebb}.s-warning,.s-awaiting_approval,.s-awaiting_ca{background:#fff8c5;border-color:#eed888}
.s-critical,.s-failed,.s-rejected,.s-denied,.s-revoked,.s-install_failed{background:#ffebe9;border-color:#ffcecb}
form.inline{display:inline-flex;gap:6px;align-items:center;margin:4px 12px 4px 0}input[type=text],input[type=search],input[type=password],select{padding:5px 8px;border:1px solid var(--line);border-radius:4px;font:inherit}
button.act{padding:5px 12px;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;font:inherit}
button.danger{border-color:var(--crit);background:var(--crit)}.muted{color:var(--muted)}.err{color:var(--crit)}
.panel{background:#fff;border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:10px 0}
.pager{margin:10px 0;display:flex;gap:12px;align-items:center}a{color:var(--accent)}
`;

export interface LayoutInput {
  title: string;
  user: { name: string; role: string; csrf: string } | null;
  body: SafeHtml;
  /** Reload every N seconds (a request still moving through the pipeline). */
  refreshSeconds?: number;
}

export function layout(p: LayoutInput): string {
  const nav = p.user
    ? html`<a href="/">Overview</a><a href="/requests">Requests</a><a href="/certificates">Certificates</a><a href="/docs">API</a>
      <span class="who">signed in as ${p.user.name} (${p.user.role})
      <form method="post" action="/logout"><input type="hidden" name="csrf" value="${p.user.csrf}"><button type="submit">Sign out</button></form></span>`
    : html``;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
${p.refreshSeconds ? html`<meta http-equiv="refresh" content="${p.refreshSeconds}">` : ''}
<title>${p.title} · agentcert</title><style>${new SafeHtml(CSS)}</style></head>
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
