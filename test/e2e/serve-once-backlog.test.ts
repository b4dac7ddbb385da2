/**
 * `serve --once` over a backlog, as child processes: `--dry-run` says what would be issued, held and rejected
 * and changes nothing (share, store, CA); the real run then does exactly that and reports its progress.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleRequest } from '../../services/pki/index.js';
import { runCli } from '../helpers/service.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';

let env: TempEnv;
let config = '';
const dirs = () => ['--config', config];
const requests = () => path.join(env.share, 'requests');

/** Every file under the share and the data directory with its size and mtime: what "changed nothing" means. */
function snapshot(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${path.relative(env.dir, p)} ${statSync(p).size} ${statSync(p).mtimeMs}`);
    }
  };
  walk(env.share);
  walk(env.data);
  return out.sort();
}

/** Request states, read from a copy (opening the store itself would leave -wal/-shm files beside it). */
function storeStates(): Record<string, number> {
  const copy = path.join(env.dir, 'states.db');
  copyFileSync(path.join(env.data, 'agentcert.db'), copy);
  const db = new Database(copy, { readonly: true });
  try {
    return Object.fromEntries((db.prepare('SELECT state, COUNT(*) AS n FROM requests GROUP BY state').all() as { state: string; n: number }[]).map((r) => [r.state, r.n]));
  } finally {
    db.close();
  }
}

beforeAll(() => {
  env = makeTempEnv('agentcert-backlog-');
  config = path.join(env.dir, 'agentcert.json');
  writeFileSync(config, JSON.stringify({ share: { root: env.share, stableMs: 0 }, data: { dir: env.data }, ca: { builtin: { keyBits: 2048 } }, packaging: { buildExe: false }, policy: { protectedNames: ['ms01.contoso.local'] } }));
});
afterAll(() => env.cleanup());

describe('serve --once --dry-run', () => {
  it('on a fresh machine reports the backlog and creates nothing: no CA, no store, no share folders', () => {
    const fresh = makeTempEnv('agentcert-dry-fresh-');
    try {
      const r = runCli(['serve', '--once', '--dry-run', '--share', fresh.share, '--data', fresh.data]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('dry run: 0 request file(s)');
      expect(existsSync(fresh.share) || existsSync(fresh.data)).toBe(false);
    } finally {
      fresh.cleanup();
    }
  });

  it('says what would be issued, held and rejected, and then the real run does exactly that', () => {
    expect(runCli(['serve', '--once', ...dirs()]).code).toBe(0); // CA, store and layout exist, as on a running system
    writeFileSync(path.join(requests(), 'web00.contoso.local.req'), makeSampleRequest('web00.contoso.local').pem);
    expect(runCli(['serve', '--once', ...dirs()]).code).toBe(0);
    writeFileSync(path.join(requests(), 'web00.contoso.local.req'), readFileSync(path.join(env.share, 'archive', readdirSync(path.join(env.share, 'archive'))[0]!)));
    for (let i = 1; i <= 12; i++) writeFileSync(path.join(requests(), `web${String(i).padStart(2, '0')}.contoso.local.req`), makeSampleRequest(`web${String(i).padStart(2, '0')}.contoso.local`).pem);
    writeFileSync(path.join(requests(), 'ms01.contoso.local.req'), makeSampleRequest('ms01.contoso.local').pem);
    writeFileSync(path.join(requests(), 'app01.contoso.local.req'), 'this is a shopping list, not a request\n');
    const before = snapshot();
    const statesBefore = storeStates();

    const dry = runCli(['serve', '--once', '--dry-run', ...dirs()]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^would issue +web07\.contoso\.local\.req +web07\.contoso\.local$/m);
    expect(dry.stdout).toMatch(/^would hold +ms01\.contoso\.local\.req +ID_PROTECTED_NAME: /m);
    expect(dry.stdout).toMatch(/^would reject +app01\.contoso\.local\.req +FILE_NOT_A_REQUEST: /m);
    expect(dry.stdout).toMatch(/^already known +web00\.contoso\.local\.req +the same request as [0-9a-f]{12} \(packaged\)/m);
    expect(dry.stdout).toContain('dry run: 15 request file(s): 12 would be issued, 1 held for approval, 1 rejected, 1 already known, 0 still being written');
    expect(dry.stdout).toContain('Nothing was issued, written to the share or moved.');
    expect(snapshot()).toEqual(before); // not a file on the share or in the data directory changed
    expect(storeStates()).toEqual(statesBefore);

    const real = runCli(['serve', '--once', ...dirs()]);
    expect(real.code, real.stderr).toBe(0);
    // Off a terminal: plain progress lines, the last one when the backlog is done.
    expect(real.stderr).toMatch(/^progress: 15\/15 {2}[\d.]+\/s {2}done {2}issued 13, held 1, rejected 1 \(finished in \d+s\)$/m);
    expect(storeStates()).toEqual({ packaged: 13, awaiting_approval: 1, rejected: 1 });
    expect(readdirSync(requests())).toEqual([]);
  });

  it('goes only with --once', () => {
    const r = runCli(['serve', '--dry-run', ...dirs()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error AC_USAGE: --dry-run goes with --once');
  });
});
