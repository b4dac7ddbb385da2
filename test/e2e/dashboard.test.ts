/**
 * The dashboard in a real headless Chromium (Debian's chromium on PATH, driven by playwright-core) against the
 * real service: sign in with the first-start admin token, find a request the pipeline issued, approve a held
 * one and watch it become packaged, revoke a certificate. Saves test-artifacts/dashboard.png.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleRequest, parseCrl } from '../../services/pki/index.js';
import { repoRoot } from '../helpers/paths.js';
import { cliEnv, runCli, startService, waitFor, type RunningService } from '../helpers/service.js';
import { findTool, needTools } from '../helpers/system-tools.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let env: TempEnv;
let svc: RunningService;
let browser: Browser;
let page: Page;
let base = '';
let configFile = '';
const consoleErrors: string[] = [];

function drop(fqdn: string): void {
  const dir = path.join(env.share, 'requests');
  writeFileSync(path.join(dir, `.${fqdn}.partial`), makeSampleRequest(fqdn).pem);
  renameSync(path.join(dir, `.${fqdn}.partial`), path.join(dir, `${fqdn}.req`));
}

const artifacts = path.join(repoRoot, 'test-artifacts');
const stateOf = async (p: Page, sel: string) => (await p.locator(sel).innerText()).trim();

beforeAll(async () => {
  env = makeTempEnv('agentcert-dash-');
  mkdirSync(artifacts, { recursive: true });
  configFile = path.join(env.dir, 'agentcert.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      share: { root: env.share, stableMs: 100 },
      data: { dir: env.data },
      ca: { builtin: { keyBits: 2048 } },
      packaging: { buildExe: false },
      pipeline: { tickMs: 200 },
      policy: { protectedNames: ['ms01.contoso.local'] },
    }),
  );
  svc = startService(['--config', configFile], cliEnv());
  const m = await svc.waitForOutput(/API: (http:\/\/127\.0\.0\.1:\d+)/, 60_000);
  base = m[1]!;
  const executablePath = findTool('chromium');
  if (!executablePath) return; // the browser test skips itself (needTools)
  browser = await chromium.launch({ executablePath, args: ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // Every CSP violation the page reports, and every console error (Chromium logs blocked resources there too).
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`));
  });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
  env?.cleanup();
});

describe('the dashboard in Chromium', () => {
  it('prints where the admin token is (never the token) and keeps it owner-only', () => {
    const file = path.join(env.data, 'admin-token');
    expect(svc.stdout()).toContain(`Admin token        : ${file}`);
    // No passphrase configured: the banner says so plainly.
    expect(svc.stdout()).toMatch(/CA keys {12}: root key NOT ENCRYPTED \(plain PKCS#8, protected by file mode 0600 only\) — set ca\.builtin\.passphrase/);
    const token = readFileSync(file, 'utf8').trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(svc.stdout()).not.toContain(token);
    expect(svc.stderr()).not.toContain(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('signs in, approves a held request, revokes an issued certificate, all recorded with the admin as actor', async (ctx) => {
    needTools(ctx, 'chromium');
    drop('web01.contoso.local');
    drop('ms01.contoso.local');
    await waitFor(() => existsSync(path.join(env.share, 'issued', 'web01.contoso.local', 'manifest.json')) && existsSync(path.join(env.share, 'pending', 'ms01.contoso.local.txt')), 60_000, 'one package and one held request');

    await page.goto(`${base}/`);
    expect(page.url()).toContain('/login');
    await page.fill('#token', readFileSync(path.join(env.data, 'admin-token'), 'utf8').trim());
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/`);
    expect(await page.locator('#pending').innerText()).toContain('ms01.contoso.local');

    // Find the request the pipeline issued, through the search.
    await page.goto(`${base}/requests`);
    await page.fill('input[name=q]', 'web01');
    await page.click('form[role=search] button');
    await page.click('#requests a:has-text("web01.contoso.local")');
    expect(await stateOf(page, '#request-state')).toBe('packaged');
    const webUrl = page.url();

    // Approve the held one and watch it become packaged (the page reloads itself while the request moves).
    await page.goto(`${base}/`);
    await page.click('#pending a:has-text("ms01.contoso.local")');
    expect(await stateOf(page, '#request-state')).toBe('awaiting approval');
    await page.fill('input[name=comment]', 'management server MS01, change 4711');
    await page.click('#approve');
    await page.waitForFunction(() => document.querySelector('#request-state')?.textContent?.trim() === 'packaged', undefined, { timeout: 30_000 });
    expect(await page.locator('#events').innerText()).toMatch(/APPROVED\s+dashboard:admin/);
    expect(existsSync(path.join(env.share, 'issued', 'ms01.contoso.local', 'manifest.json'))).toBe(true);
    expect(existsSync(path.join(env.share, 'pending', 'ms01.contoso.local.txt'))).toBe(false);

    // Revoke the first certificate.
    await page.goto(webUrl);
    await page.screenshot({ path: path.join(artifacts, 'dashboard-request.png'), fullPage: true });
    // No reason is preselected and the browser refuses the form until one is chosen and the box is ticked.
    expect(await page.locator('select[name=reason]').inputValue()).toBe('');
    await page.click('#revoke');
    expect(await stateOf(page, '#certificate-state')).toBe('active');
    expect(await page.locator('#actions form:has(#revoke) label').innerText()).toMatch(/revoke web01\.contoso\.local's certificate [0-9A-F]+; this cannot be undone/);
    await page.selectOption('select[name=reason]', 'keyCompromise');
    await page.click('#revoke');
    expect(await stateOf(page, '#certificate-state')).toBe('active');
    await page.fill('#actions form:has(#revoke) input[name=comment]', 'key exported by mistake');
    await page.check('#revoke-confirm');
    await page.click('#revoke');
    await page.waitForSelector('#certificate-state .s-revoked');
    expect(await stateOf(page, '#request-state')).toBe('revoked');
    expect(await page.locator('[role=status]').innerText()).toMatch(/revoked by dashboard:admin; the new CRL lists it, and issued\/web01\.contoso\.local\/ no longer offers its package/);
    expect(readFileSync(path.join(env.share, 'issued', 'web01.contoso.local', 'REVOKED.txt'), 'utf8')).toContain('Do not install it');
    expect(await page.locator('#events').innerText()).toMatch(/REVOKED\s+dashboard:admin/);

    // Revoked everywhere: the certificate table, the CRL on the share, the CLI.
    await page.goto(`${base}/certificates?q=web01`);
    expect(await page.locator('#certificates').innerText()).toMatch(/revoked\s+keyCompromise/);
    const show = JSON.parse(runCli(['show', 'web01.contoso.local', '--json', '--config', configFile]).stdout) as { certificate: { serialNumber: string; state: string }; events: { reason: string; actor: string }[] };
    expect(show.certificate.state).toBe('revoked');
    expect(show.events.find((e) => e.reason === 'REVOKED')!.actor).toBe('dashboard:admin');
    const crl = parseCrl(readFileSync(path.join(env.share, 'tools', 'agentcert.crl')));
    expect(crl.entries.map((e) => [e.serialHex, e.reason])).toEqual([[show.certificate.serialNumber, 'keyCompromise']]);

    await page.goto(`${base}/`);
    expect(await stateOf(page, '#service-state')).toMatch(/healthy|warning/);
    await page.screenshot({ path: path.join(artifacts, 'dashboard.png'), fullPage: true });
    expect(statSync(path.join(artifacts, 'dashboard.png')).size).toBeGreaterThan(10_000);
    // The style sheet applied under the CSP (it is a file now): the header's dark background is drawn.
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('header')!).backgroundColor)).toBe('rgb(29, 35, 43)');

    // The API docs work under the same policy.
    await page.goto(`${base}/docs`);
    await page.waitForSelector('.swagger-ui .opblock', { timeout: 30_000 });
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it('sends a browser with no session from /docs to the sign-in page and back', async (ctx) => {
    needTools(ctx, 'chromium');
    const fresh = await browser.newContext();
    const p = await fresh.newPage();
    await p.goto(`${base}/docs`);
    expect(new URL(p.url()).pathname).toBe('/login');
    await p.fill('#token', readFileSync(path.join(env.data, 'admin-token'), 'utf8').trim());
    await p.click('button[type=submit]');
    await p.waitForSelector('.swagger-ui .opblock', { timeout: 30_000 });
    expect(new URL(p.url()).pathname).toMatch(/^\/docs/);
    await fresh.close();
  }, 60_000);
});
