/**
 * Crash safety: SIGKILL at random instants during a batch of 200 requests, restart each time, and find every
 * request in a terminal state exactly once, one certificate per fingerprint, no request file lost.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSampleRequest, parseRequest } from '../../services/pki/index.js';
import { openssl, toPemFile } from '../helpers/openssl.js';
import { cliEnv, runCli, startService } from '../helpers/service.js';
import { makeTempEnv } from '../helpers/temp.js';

const N = 200;
const KILLS = 12;
const env = makeTempEnv('agentcert-kill-');
afterAll(() => env.cleanup());

describe('SIGKILL at random instants', () => {
  it(`ends with ${N} requests packaged exactly once`, async () => {
    const config = path.join(env.dir, 'agentcert.json');
    // No .exe in this test (makensis takes ~1 s a package); everything else as on the defaults.
    writeFileSync(config, JSON.stringify({ share: { root: env.share, stableMs: 100, reconcileIntervalMs: 2000 }, data: { dir: env.data }, packaging: { buildExe: false }, pipeline: { concurrency: 4 } }));
    const base = ['--config', config];
    expect(runCli(['ca', 'init', ...base]).code).toBe(0);

    // 200 requests like certreq makes; a handful of keys is enough (each FQDN still gets its own request).
    const keys = Array.from({ length: 8 }, () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    const fingerprints = new Map<string, string>();
    const requestsDir = path.join(env.share, 'requests');
    const svc0 = startService(base, cliEnv()); // creates the share layout
    await svc0.waitForOutput(/agentcert is running/);
    await svc0.stop('SIGKILL');
    for (let i = 0; i < N; i++) {
      const fqdn = `agent${String(i).padStart(3, '0')}.dmz.contoso.local`;
      const { pem } = makeSampleRequest(fqdn, { privateKey: keys[i % keys.length]! });
      fingerprints.set(fqdn, parseRequest(Buffer.from(pem)).fingerprint);
      writeFileSync(path.join(requestsDir, `.${fqdn}.tmp`), pem);
      renameSync(path.join(requestsDir, `.${fqdn}.tmp`), path.join(requestsDir, `${fqdn}.req`));
    }

    let kills = 0;
    for (; kills < KILLS; kills++) {
      const svc = startService(base, cliEnv());
      // A random instant: during start-up, intake, issuance or publishing.
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 1200));
      await svc.stop('SIGKILL');
    }
    // Let it finish: serve --once processes everything waiting in the share and resumable in the store.
    const final = runCli(['serve', '--once', ...base], cliEnv());
    expect(final.code, final.stderr.slice(-3000)).toBe(0);

    const db = new Database(path.join(env.data, 'agentcert.db'), { readonly: true });
    const rows = db.prepare('SELECT id, fqdn, fingerprint, state FROM requests').all() as { id: string; fqdn: string; fingerprint: string; state: string }[];
    const certs = db.prepare('SELECT request_id, serial, der FROM certificates').all() as { request_id: string; serial: string; der: Buffer }[];
    const issuedEvents = db.prepare(`SELECT request_id, COUNT(*) AS n FROM events WHERE to_state = 'issued' GROUP BY request_id`).all() as { request_id: string; n: number }[];
    db.close();

    expect(kills).toBeGreaterThanOrEqual(10);
    expect(rows).toHaveLength(N);
    expect(rows.filter((r) => r.state !== 'packaged').map((r) => `${r.fqdn}:${r.state}`)).toEqual([]);
    expect(new Set(rows.map((r) => r.fingerprint)).size).toBe(N);
    for (const r of rows) expect(r.fingerprint).toBe(fingerprints.get(r.fqdn));
    expect(certs).toHaveLength(N);
    expect(new Set(certs.map((c) => c.request_id)).size).toBe(N);
    expect(issuedEvents.every((e) => e.n === 1)).toBe(true);

    // No request file lost: requests/ is empty and every dropped request is in archive/, byte for byte.
    expect(readdirSync(requestsDir).filter((f) => f.endsWith('.req'))).toEqual([]);
    const archived = new Set(readdirSync(path.join(env.share, 'archive')).map((f) => createHash('sha256').update(readFileSync(path.join(env.share, 'archive', f))).digest('hex')));
    expect(archived.size).toBeGreaterThanOrEqual(N);

    // Every package is complete and holds the certificate the store issued for it.
    const issued = readdirSync(path.join(env.share, 'issued')).filter((d) => !d.startsWith('.'));
    expect(issued).toHaveLength(N);
    const byRequest = new Map(certs.map((c) => [c.request_id, c]));
    for (const r of rows.slice(0, 20)) {
      const dir = path.join(env.share, 'issued', r.fqdn);
      const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { certificate: { serialNumber: string }; files: { name: string }[] };
      expect(manifest.certificate.serialNumber).toBe(byRequest.get(r.id)!.serial);
      for (const f of manifest.files) expect(existsSync(path.join(dir, f.name))).toBe(true);
    }
    const sample = rows[0]!;
    const dir = path.join(env.share, 'issued', sample.fqdn);
    const root = readdirSync(dir).find((f) => /^root-.*\.cer$/.test(f))!;
    expect(openssl(['verify', '-CAfile', toPemFile(path.join(dir, root), path.join(env.dir, 'r.pem')), toPemFile(path.join(dir, `${sample.fqdn}.cer`), path.join(env.dir, 'l.pem'))])).toContain(': OK');
  }, 300_000);
});
