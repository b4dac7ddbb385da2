/**
 * The dashboard's style sheet, served as a file (/assets/dashboard-<hash>.css) rather than inline: the Content-Security-
 * Policy (services/api/security-headers.ts) allows styles from this origin only, no inline <style> or style="".
 */
import { createHash } from 'node:crypto';

export const DASHBOARD_CSS = `
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
.panel.narrow{max-width:520px}a.card{text-decoration:none;color:inherit}
#expiry-chart{max-width:760px;background:#fff;border:1px solid #d8dde3;border-radius:6px}
`;

/** The content's hash in the path, so the file can be cached for good and a new build is fetched at once. */
export const DASHBOARD_CSS_PATH = `/assets/dashboard-${createHash('sha256').update(DASHBOARD_CSS).digest('hex').slice(0, 12)}.css`;
