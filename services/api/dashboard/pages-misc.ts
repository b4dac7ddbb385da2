/** The sign-in page and the error page. */
import { html, layout } from './html.js';

export function loginPage(o: { next: string; error: string | null }): string {
  return layout({
    title: 'Sign in',
    user: null,
    body: html`<h1>Sign in</h1>
<div class="panel narrow">
<p class="muted">Use an API token (reader or admin). With no token configured, the service made an admin token in
<span class="mono">&lt;data&gt;/admin-token</span> at its first start.</p>
${o.error ? html`<p class="err" role="alert">${o.error}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="next" value="${o.next}">
<p><label>Token<br><input type="password" name="token" id="token" autocomplete="current-password" size="48" required></label></p>
<p><button class="act" type="submit">Sign in</button></p>
</form></div>`,
  });
}

export function errorPage(e: { code: string; message: string; remediation: string; details?: string[] }): string {
  return layout({
    title: e.code,
    user: null,
    body: html`<h1>${e.code}</h1><div class="panel"><p class="err">${e.message}</p>
${e.details?.length ? html`<ul>${e.details.map((d) => html`<li>${d}</li>`)}</ul>` : ''}
<p>${e.remediation}</p><p><a href="/">Back to the overview</a></p></div>`,
  });
}
