/**
 * Who is asking: bearer tokens with a role (reader, admin), the dashboard's session cookie, and throttling of
 * repeated failures. Tokens are compared as SHA-256 digests with crypto.timingSafeEqual, so neither a token's
 * length nor its first differing byte shows in the answer time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../app/index.js';
import type { Clock } from '../domain/index.js';
import { ensureAdminToken, type TenantScope } from '../app/index.js';

export type Role = 'reader' | 'admin';

export interface ApiToken {
  name: string;
  token: string;
  role: Role;
  /** Only these tenants (app/tenant-scope.ts); absent: every tenant. */
  tenants?: string[];
}

export interface Principal {
  name: string;
  role: Role;
  /** The tenants this caller sees and acts on; null: every tenant. */
  tenants: TenantScope;
  /** How the caller came in: a bearer token (API) or the dashboard's session. */
  via: 'token' | 'session';
}

/** The configured tokens, or — with none configured — the first-start admin token in <data>/admin-token. */
export function resolveApiTokens(config: Readonly<Config>): { tokens: ApiToken[]; adminTokenFile: string | null; created: boolean } {
  if (config.api.tokens.length > 0) return { tokens: config.api.tokens.map((t) => ({ ...t })), adminTokenFile: null, created: false };
  const t = ensureAdminToken(config.data.dir);
  return { tokens: [{ name: 'admin', token: t.token, role: 'admin' }], adminTokenFile: t.file, created: t.created };
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export interface TokenVerifier {
  verify(presented: string): ApiToken | null;
}

export function createTokenVerifier(tokens: readonly ApiToken[]): TokenVerifier {
  const known = tokens.map((t) => ({ t, d: digest(t.token) }));
  return {
    verify(presented) {
      const d = digest(presented);
      let match: ApiToken | null = null;
      // Compare against every token (no early exit), so the time does not tell which one matched.
      for (const k of known) if (timingSafeEqual(k.d, d) && !match) match = k.t;
      return match;
    },
  };
}

/** After `max` failures from one address within `windowMs`, that address gets 429 for `blockMs`. */
export interface Throttle {
  /** Milliseconds until the address may try again, or 0. */
  blockedFor(ip: string): number;
  fail(ip: string): void;
}

export function createThrottle(clock: Clock, o = { max: 5, windowMs: 60_000, blockMs: 60_000 }): Throttle {
  const failures = new Map<string, number[]>();
  const blocked = new Map<string, number>();
  return {
    blockedFor(ip) {
      const until = blocked.get(ip);
      const now = clock.now().getTime();
      if (until === undefined) return 0;
      if (until <= now) {
        blocked.delete(ip);
        return 0;
      }
      return until - now;
    },
    fail(ip) {
      const now = clock.now().getTime();
      const recent = (failures.get(ip) ?? []).filter((t) => now - t < o.windowMs);
      recent.push(now);
      if (recent.length >= o.max) {
        blocked.set(ip, now + o.blockMs);
        failures.delete(ip);
      } else failures.set(ip, recent);
      if (failures.size > 10_000) failures.clear(); // a flood of addresses must not grow memory without bound
    },
  };
}

export interface Session {
  id: string;
  name: string;
  role: Role;
  tenants: TenantScope;
  /** The per-session token every dashboard form carries (CSRF), besides the SameSite=Strict cookie. */
  csrf: string;
  expiresAt: number;
}

export const SESSION_COOKIE = 'agentcert_session';
export const SESSION_HOURS = 8;

export interface Sessions {
  create(t: ApiToken): Session;
  get(id: string | undefined): Session | null;
  destroy(id: string | undefined): void;
}

/** In memory: a restart signs everyone out, which is acceptable for an admin console. */
export function createSessions(clock: Clock): Sessions {
  const byId = new Map<string, Session>();
  return {
    create(t) {
      const now = clock.now().getTime();
      for (const [id, s] of byId) if (s.expiresAt <= now) byId.delete(id);
      const s: Session = { id: randomBytes(32).toString('base64url'), name: t.name, role: t.role, tenants: t.tenants ?? null, csrf: randomBytes(24).toString('base64url'), expiresAt: now + SESSION_HOURS * 3_600_000 };
      byId.set(s.id, s);
      return s;
    },
    get(id) {
      if (!id) return null;
      const s = byId.get(id);
      if (!s) return null;
      if (s.expiresAt <= clock.now().getTime()) {
        byId.delete(id);
        return null;
      }
      return s;
    },
    destroy(id) {
      if (id) byId.delete(id);
    },
  };
}

/** Constant-time comparison of a form's CSRF field with the session's. */
export function csrfMatches(session: Session, presented: unknown): boolean {
  return typeof presented === 'string' && timingSafeEqual(digest(session.csrf), digest(presented));
}

/** The tenants the caller of a route sees (null: every tenant); routes pass it to app/ beside the user's query. */
export function scopeOf(req: { principal: Principal | null }): TenantScope {
  return req.principal?.tenants ?? null;
}

/** The `actor` recorded in the event history for an admin action. */
export function actorOf(p: Principal): string {
  return `${p.via === 'session' ? 'dashboard' : 'api'}:${p.name}`;
}
