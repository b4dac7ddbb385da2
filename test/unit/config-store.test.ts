import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/config/index.js';
import { AgentcertError } from '../../services/domain/index.js';
import { PostgresStore, SqliteStore, openStore, postgresSettings } from '../../services/store/index.js';
import { connectionOptions } from '../../services/store/postgres/connection.js';

const clock = { now: () => new Date('2026-11-23T10:00:00Z') };

describe('store configuration', () => {
  it('keeps SQLite in the data folder unless store.url names a PostgreSQL database', async () => {
    const c = loadConfig({ cwd: '/srv/x', env: {} });
    expect(c.store.url).toBeNull();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcert-store-cfg-'));
    const sqlite = openStore(dir, c.store, clock);
    expect(sqlite).toBeInstanceOf(SqliteStore);
    expect(sqlite.work.shared).toBe(false);
    expect(await sqlite.work.leads()).toBe(true);
    await sqlite.close();
    const pg = loadConfig({ cwd: '/srv/x', env: { AGENTCERT_STORE_URL: 'postgres://agentcert@db01.contoso.local:5433/agentcert', AGENTCERT_STORE_PASSWORD: 'from-env' } });
    const store = openStore(dir, pg.store, clock);
    expect(store).toBeInstanceOf(PostgresStore);
    expect(store.work.shared).toBe(true);
    await store.close(); // never used: closing does not connect
  });

  it('never echoes a password from store.url in a configuration error', () => {
    let err: AgentcertError | null = null;
    try {
      loadConfig({ env: { AGENTCERT_STORE_URL: 'mysql://agentcert:hunter2-secret@db01/agentcert' } });
    } catch (e) {
      err = e as AgentcertError;
    }
    expect(err?.code).toBe('AC_CONFIG_INVALID');
    expect(err!.details.join('\n')).toContain('store.url');
    expect(err!.details.join('\n')).not.toContain('hunter2-secret');
  });

  it('reads the password file relative to the config file, before the environment and the URL', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcert-store-cfg-'));
    writeFileSync(path.join(dir, 'db.password'), 'from-file\n');
    writeFileSync(path.join(dir, 'agentcert.yaml'), 'store:\n  url: postgres://agentcert:from-url@db01.contoso.local/agentcert\n  passwordFile: db.password\n');
    const c = loadConfig({ file: path.join(dir, 'agentcert.yaml'), env: { AGENTCERT_STORE_PASSWORD: 'from-env' } });
    expect(c.store.passwordFile).toBe(path.join(dir, 'db.password'));
    const s = postgresSettings({ ...c.store, url: c.store.url! });
    expect(connectionOptions(s).password).toBe('from-file');
    expect(connectionOptions(postgresSettings({ ...c.store, url: c.store.url!, passwordFile: null })).password).toBe('from-env');
    expect(connectionOptions(postgresSettings({ ...c.store, url: c.store.url!, passwordFile: null, password: null })).password).toBe('from-url');
    expect(new PostgresStore(s, clock).location).toBe('postgres://agentcert:***@db01.contoso.local/agentcert');
  });

  it('verifies the database server by default unless it is on this machine', () => {
    const opts = (url: string, sslMode: 'disable' | 'require' | 'verify-ca' | 'verify-full' | null = null) =>
      connectionOptions({ url, password: null, sslMode, caFile: null, poolSize: 1, leaseSeconds: 30 }).ssl;
    expect(opts('postgres://a@db01.contoso.local/x')).toEqual({ ca: undefined, rejectUnauthorized: true });
    expect(opts('postgres://a@127.0.0.1/x')).toBe(false);
    expect(opts('postgres://a@db01.contoso.local/x?sslmode=require')).toEqual({ rejectUnauthorized: false });
    expect(opts('postgres://a@db01.contoso.local/x?sslmode=require', 'disable')).toBe(false);
    expect(() => opts('postgres://a@db01/x?sslmode=allow')).toThrow(AgentcertError);
  });
});
