/**
 * Group commit in the SQLite store (services/store/sqlite/group-commit.ts), on real files: units of work that
 * arrive together share one COMMIT, settle only after it, fail alone when they throw and all together when the
 * COMMIT fails; reads wait for it; close() settles everything; a killed process leaves only whole units.
 * The child processes run the built store (dist/, which `npm test` builds first).
 */
import { spawn, spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteDb } from '../../services/store/sqlite/database.js';
import { repoRoot } from '../helpers/paths.js';
import { makeTempEnv, type TempEnv } from '../helpers/temp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const builtDb = pathToFileURL(path.join(repoRoot, 'dist/services/store/sqlite/database.js')).href;

/** A promise's state, readable synchronously. */
function track<T>(p: Promise<T>): { state: () => 'pending' | 'resolved' | 'rejected'; error: () => unknown } {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  let error: unknown;
  p.then(() => (state = 'resolved'), (e) => ((state = 'rejected'), (error = e)));
  return { state: () => state, error: () => error };
}

describe('SQLite group commit', () => {
  let env: TempEnv;
  let file: string;
  let db: SqliteDb;
  let other: Database.Database;
  let commits: number[];

  beforeEach(() => {
    env = makeTempEnv('agentcert-group-');
    file = path.join(env.data, 'agentcert.db');
    db = new SqliteDb(file);
    commits = [];
    db.units.onCommit = (n) => commits.push(n);
    db.units.limits.ms = Infinity; // the tests hold bodies for tens of milliseconds
    other = new Database(file, { readonly: true }); // a second connection: sees committed data only
  });
  afterEach(() => {
    db.close();
    other.close();
    env.cleanup();
  });

  const put = (key: string, value = 'v') => db.atomic(() => void db.stmt('INSERT INTO meta (key, value) VALUES (?, ?)').run(key, value));
  const seen = () => (other.prepare(`SELECT key FROM meta WHERE key LIKE 'k%' ORDER BY key`).all() as { key: string }[]).map((r) => r.key);

  it('commits units started in one turn together, and settles each only after that commit', async () => {
    const units = [put('k1'), put('k2'), db.transaction(async () => { await put('k3'); await sleep(5); await put('k4'); }), put('k5')];
    const visibleAtSettle: string[][] = [];
    for (const u of units) void u.then(() => visibleAtSettle.push(seen()));
    await Promise.all(units);
    expect(commits).toEqual([4]);
    expect(visibleAtSettle).toEqual(Array(4).fill(['k1', 'k2', 'k3', 'k4', 'k5']));
  });

  it('shows nothing of a group while a body holds it, and settles none of it', async () => {
    let open!: () => void;
    const held = new Promise<void>((r) => (open = r));
    const a = track(put('k1'));
    const b = track(db.transaction(async () => { await put('k2'); await held; await put('k3'); }));
    const c = track(put('k4'));
    await sleep(30);
    expect(seen()).toEqual([]);
    expect([a.state(), b.state(), c.state()]).toEqual(['pending', 'pending', 'pending']);
    open();
    await sleep(30);
    expect([a.state(), b.state(), c.state()]).toEqual(['resolved', 'resolved', 'resolved']);
    expect(seen()).toEqual(['k1', 'k2', 'k3', 'k4']);
  });

  it('rolls back only the unit that throws, which rejects at once', async () => {
    const order: string[] = [];
    const boom = new Error('boom');
    const a = put('k1').then(() => order.push('a'));
    const b = db.atomic(() => { db.stmt('INSERT INTO meta (key, value) VALUES (?, ?)').run('k2', 'v'); throw boom; }).catch((e) => (order.push('b'), e));
    const c = db.transaction(async () => { await put('k3'); await sleep(1); await put('k4'); throw boom; }).catch((e) => (order.push('c'), e));
    const d = put('k5').then(() => order.push('d'));
    const [, eb, ec] = await Promise.all([a, b, c, d]);
    expect([eb, ec]).toEqual([boom, boom]);
    expect(order).toEqual(['b', 'c', 'a', 'd']); // the failures before the group's commit
    expect(commits).toEqual([2]);
    expect(seen()).toEqual(['k1', 'k5']);
  });

  it('rejects every unit of a group whose COMMIT fails (a deferred foreign key), and goes on', async () => {
    db.db.exec(`CREATE TABLE parent (id TEXT PRIMARY KEY); CREATE TABLE child (pid TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`);
    const units = [put('k1'), db.atomic(() => db.stmt('INSERT INTO child (pid) VALUES (?)').run('nobody')), put('k2')].map((u) => u.then(() => null, (e: Error & { code?: string }) => e.code));
    expect(await Promise.all(units)).toEqual(['SQLITE_CONSTRAINT_FOREIGNKEY', 'SQLITE_CONSTRAINT_FOREIGNKEY', 'SQLITE_CONSTRAINT_FOREIGNKEY']);
    expect(db.db.inTransaction).toBe(false);
    expect(seen()).toEqual([]);
    await put('k3');
    expect(seen()).toEqual(['k3']);
  });

  it('rejects the whole group when SQLite ends its transaction under a failing unit', async () => {
    // Stands in for SQLITE_FULL/IOERR rolling back the whole transaction (lang_transaction.html): faked here,
    // by the unit ending the transaction itself.
    const a = track(put('k1'));
    const b = track(db.atomic(() => { db.db.exec('ROLLBACK'); throw new Error('gone'); }));
    const c = track(put('k2'));
    await sleep(20);
    expect([a.state(), b.state(), c.state()]).toEqual(['rejected', 'rejected', 'resolved']);
    expect((a.error() as Error).message).toBe('gone');
    expect(seen()).toEqual(['k2']);
  });

  it('commits a group at once when it reaches its bound', async () => {
    db.units.limits.units = 3;
    await Promise.all(['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'].map((k) => put(k)));
    expect(commits).toEqual([3, 3, 1]);
    db.units.limits.units = 64;
    db.units.limits.ms = 15;
    let bodies = 0;
    await Promise.all(Array.from({ length: 4 }, (_, i) => db.transaction(async () => { await put(`k${i}x`); bodies++; await sleep(10); })));
    expect(bodies).toBe(4);
    // 40 ms of bodies, a 15 ms bound: more than one group
    expect(commits.slice(3).length).toBeGreaterThan(1);
    expect(commits.slice(3).reduce((x, y) => x + y)).toBe(4);
  });

  it('makes a read wait for the commit of the group a body holds, then run before the next group', async () => {
    let open!: () => void;
    const held = new Promise<void>((r) => (open = r));
    const a = put('k1');
    const b = db.transaction(async () => { await put('k2'); await held; });
    const c = put('k3');
    await sleep(10);
    const read = db.run(() => ({ commits: [...commits], rows: seen() }));
    const r = track(read);
    await sleep(30);
    expect(r.state()).toBe('pending');
    open();
    expect(await read).toEqual({ commits: [2], rows: ['k1', 'k2'] });
    await Promise.all([a, b, c]);
    expect(commits).toEqual([2, 1]);
  });

  it('commits an idle group at once for a read', async () => {
    const a = track(put('k1'));
    for (let i = 0; i < 10; i++) await Promise.resolve(); // the unit has run; its group waits for setImmediate
    expect([db.db.inTransaction, commits, a.state()]).toEqual([true, [], 'pending']);
    const read = db.run(() => seen());
    expect(commits).toEqual([1]);
    expect(await read).toEqual(['k1']);
    expect(a.state()).toBe('resolved');
  });

  it('close() commits what is done, rolls back the body still running, and settles every promise', async () => {
    let open!: () => void;
    const held = new Promise<void>((r) => (open = r));
    const a = track(put('k1'));
    const b = track(db.transaction(async () => { await put('k2'); await held; await put('k3'); }));
    const c = track(put('k4'));
    await sleep(20);
    const read = db.run(() => seen());
    db.close();
    open();
    await sleep(20);
    expect([a.state(), b.state(), c.state()]).toEqual(['resolved', 'rejected', 'rejected']);
    expect((c.error() as { code?: string }).code).toBe('AC_STORE_UNAVAILABLE');
    expect(await read).toEqual(['k1']);
    await expect(put('k5')).rejects.toMatchObject({ code: 'AC_STORE_UNAVAILABLE' });
    expect(seen()).toEqual(['k1']);
  });
});

describe('SQLite group commit, in a process of its own', () => {
  let env: TempEnv;
  beforeEach(() => (env = makeTempEnv('agentcert-group-child-')));
  afterEach(() => env.cleanup());

  it('rejects every unit of a group whose COMMIT cannot write the WAL (file size limit), and goes on', () => {
    const file = path.join(env.data, 'agentcert.db');
    new SqliteDb(file).close();
    const script = path.join(env.dir, 'full.mjs');
    writeFileSync(script, `
      const { SqliteDb } = await import(${JSON.stringify(builtDb)});
      const db = new SqliteDb(process.argv[2]);
      const put = (k, v = 'v') => db.atomic(() => db.stmt('INSERT INTO meta (key, value) VALUES (?, ?)').run(k, v));
      const out = {};
      const run = (name, p) => p.then(() => (out[name] = 'ok'), (e) => (out[name] = e.code));
      await run('before', put('before'));
      await Promise.all([run('a', put('a')), run('big', put('big', 'y'.repeat(400000))), run('c', put('c'))]);
      await run('after', put('after'));
      out.rows = await db.run(() => db.db.prepare('SELECT key FROM meta ORDER BY key').all().map((r) => r.key));
      db.close();
      console.log(JSON.stringify(out));
    `);
    // The WAL may grow 50 KB past the database's size: the big unit's group cannot commit (its WAL frames are
    // written by the COMMIT), the units before and after it can. Node ignores SIGXFSZ, so the write fails (EFBIG).
    const limitKb = Math.floor((statSync(file).size + 50_000) / 1024);
    const r = spawnSync('bash', ['-c', `ulimit -f ${limitKb} && exec "$0" "$@"`, process.execPath, script, file], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out.a).toMatch(/^SQLITE_(IOERR|FULL)/);
    expect(out).toEqual({ before: 'ok', a: out.a, big: out.a, c: out.a, after: 'ok', rows: ['after', 'before'] });
  });

  it('leaves only whole, committed units when the process is killed (SIGKILL)', async () => {
    const file = path.join(env.data, 'agentcert.db');
    const script = path.join(env.dir, 'kill.mjs');
    writeFileSync(script, `
      const { SqliteDb } = await import(${JSON.stringify(builtDb)});
      const db = new SqliteDb(process.argv[2]);
      const ins = (k) => db.stmt('INSERT INTO meta (key, value) VALUES (?, ?)').run(k, 'v'.repeat(2000));
      let n = 0;
      const unit = (i) => i % 2
        ? db.atomic(() => { ins(i + '-a'); ins(i + '-b'); })
        : db.transaction(async () => { ins(i + '-a'); await new Promise((r) => setImmediate(r)); ins(i + '-b'); });
      await Promise.all(Array.from({ length: 8 }, async () => {
        for (;;) { const i = n++; await unit(i); process.stdout.write(i + '\\n'); }
      }));
    `);
    const child = spawn(process.execPath, [script, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    while (out.split('\n').length < 2000 && child.exitCode === null) await sleep(5);
    child.kill('SIGKILL');
    expect(await exited).toBe(null); // killed, not ended of itself
    const done = out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
    const check = new Database(file, { readonly: true });
    const keys = new Set((check.prepare('SELECT key FROM meta').all() as { key: string }[]).map((r) => r.key));
    check.close();
    const units = new Set([...keys].map((k) => k.split('-')[0]!));
    for (const u of units) expect([keys.has(`${u}-a`), keys.has(`${u}-b`)], `unit ${u}`).toEqual([true, true]);
    for (const i of done) expect(units.has(String(i)), `unit ${i} was reported done`).toBe(true);
  });
});
