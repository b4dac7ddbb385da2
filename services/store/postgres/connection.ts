/**
 * How to reach the PostgreSQL database: `store.url` (postgres://user@host:port/database), the password from
 * `store.passwordFile`, `store.password` (AGENTCERT_STORE_PASSWORD) or the URL (in that order), and TLS from `store.sslMode` /
 * `store.caFile` (or the URL's `sslmode` / `sslrootcert`, as libpq spells them:
 * https://www.postgresql.org/docs/current/libpq-ssl.html). The password is never part of `location` or a message.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type pg from 'pg';
import { AgentcertError } from '../../domain/index.js';
import { redactUrl } from '../../config/store-url.js';

export { redactUrl };

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';
export const SSL_MODES: readonly SslMode[] = ['disable', 'require', 'verify-ca', 'verify-full'];

export interface PostgresSettings {
  url: string;
  password: string | null;
  sslMode: SslMode | null;
  caFile: string | null;
  poolSize: number;
  /** How long a claimed request stays with an instance that stops renewing (docs/architecture.md, leases). */
  leaseSeconds: number;
}

export interface StoreSection {
  url: string | null;
  passwordFile: string | null;
  password: string | null;
  sslMode: SslMode | null;
  caFile: string | null;
  poolSize: number;
  leaseSeconds: number;
}

export function isPostgresUrl(url: string | null | undefined): url is string {
  return typeof url === 'string' && /^postgres(ql)?:\/\//i.test(url);
}

/** The settings of a `postgres://` store section, with its password resolved (the file first, then store.password). */
export function postgresSettings(s: StoreSection & { url: string }): PostgresSettings {
  let password: string | null = s.password;
  if (s.passwordFile) {
    try {
      password = readFileSync(s.passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new AgentcertError('AC_CONFIG_INVALID', `store.passwordFile: cannot read ${s.passwordFile} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  return { url: s.url, password, sslMode: s.sslMode, caFile: s.caFile, poolSize: s.poolSize, leaseSeconds: s.leaseSeconds };
}

function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new AgentcertError('AC_CONFIG_INVALID', `store.url: not a URL (${redactUrl(url)})`);
  }
}

function isLocal(host: string): boolean {
  return host === '' || host.startsWith('/') || host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1';
}

function tlsOptions(mode: SslMode, caFile: string | null): false | ConnectionOptions {
  if (mode === 'disable') return false;
  const ca = caFile ? readFileSync(caFile, 'utf8') : undefined;
  // require: encrypted, the server not verified (libpq's meaning when no root certificate is given).
  if (mode === 'require') return ca ? { ca, checkServerIdentity: () => undefined } : { rejectUnauthorized: false };
  // verify-ca: the chain must lead to the CA, any host name; verify-full: the host name must match too.
  if (mode === 'verify-ca') return { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  return { ca, rejectUnauthorized: true };
}

/** node-postgres options from the settings. TLS defaults to verify-full unless the server is on this machine. */
export function connectionOptions(s: PostgresSettings): pg.PoolConfig {
  const u = parseUrl(s.url);
  const q = u.searchParams;
  const host = q.get('host') ?? decodeURIComponent(u.hostname);
  const urlMode = q.get('sslmode');
  if (urlMode !== null && !SSL_MODES.includes(urlMode as SslMode)) throw new AgentcertError('AC_CONFIG_INVALID', `store.url: sslmode=${urlMode} is not one of ${SSL_MODES.join(', ')}`);
  const mode: SslMode = s.sslMode ?? (urlMode as SslMode | null) ?? (isLocal(host) ? 'disable' : 'verify-full');
  return {
    host: host || undefined,
    port: u.port ? Number(u.port) : 5432,
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || undefined,
    user: decodeURIComponent(u.username) || undefined,
    password: s.password ?? (u.password ? decodeURIComponent(u.password) : undefined),
    ssl: tlsOptions(mode, s.caFile ?? q.get('sslrootcert')),
    application_name: 'agentcert',
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
  };
}
