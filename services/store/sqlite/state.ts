/**
 * The lifecycle's typed state, kept in the `meta` table under fixed keys (the key names are those earlier
 * versions wrote, so an existing store keeps its CRL number, digest day and notified windows).
 */
import type { LifecycleStateStore } from '../../domain/index.js';
import type { SqliteDb } from './database.js';

const KEYS = {
  crlNumber: 'crl.number',
  digestDay: 'digest:last',
  expiryNotified: (serial: string) => `expiry-notified:${serial}`,
  appliedResult: (fqdn: string) => `result:${fqdn}`,
  heartbeat: (by: string) => (by === 'doctor' ? 'doctor.checkedAt' : 'monitor.heartbeat'),
  renewalOverdue: (serial: string) => `renewal-overdue:${serial}`,
  renewalsWaiting: 'renewals.waiting',
};

export class SqliteState implements LifecycleStateStore {
  constructor(private readonly s: SqliteDb) {}

  private getSync(key: string): string | null {
    return (this.s.stmt(`SELECT value FROM meta WHERE key = ?`).get(key) as { value: string } | undefined)?.value ?? null;
  }

  private setSync(key: string, value: string): void {
    this.s.stmt(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(key, value);
  }

  private get(key: string): Promise<string | null> {
    return this.s.run(() => this.getSync(key));
  }

  private set(key: string, value: string): Promise<void> {
    return this.s.run(() => this.setSync(key, value));
  }

  nextCrlNumber(): Promise<bigint> {
    return this.s.run(() =>
      this.s.db
        .transaction(() => {
          const next = BigInt(this.getSync(KEYS.crlNumber) ?? '0') + 1n;
          this.setSync(KEYS.crlNumber, next.toString());
          return next;
        })
        .immediate(),
    );
  }

  lastDigestDay(): Promise<string | null> {
    return this.get(KEYS.digestDay);
  }

  setLastDigestDay(day: string): Promise<void> {
    return this.set(KEYS.digestDay, day);
  }

  async expiryNotifiedWindow(serial: string): Promise<number | null> {
    const v = await this.get(KEYS.expiryNotified(serial));
    return v === null ? null : Number(v);
  }

  setExpiryNotifiedWindow(serial: string, days: number): Promise<void> {
    return this.set(KEYS.expiryNotified(serial), String(days));
  }

  appliedResultHash(fqdn: string): Promise<string | null> {
    return this.get(KEYS.appliedResult(fqdn));
  }

  setAppliedResultHash(fqdn: string, hash: string): Promise<void> {
    return this.set(KEYS.appliedResult(fqdn), hash);
  }

  heartbeat(at: string, by: 'monitor' | 'doctor'): Promise<void> {
    return this.set(KEYS.heartbeat(by), at);
  }

  renewalOverdueNotifiedAt(serial: string): Promise<string | null> {
    return this.get(KEYS.renewalOverdue(serial));
  }

  setRenewalOverdueNotifiedAt(serial: string, at: string): Promise<void> {
    return this.set(KEYS.renewalOverdue(serial), at);
  }

  async renewalsWaiting(): Promise<number> {
    return Number((await this.get(KEYS.renewalsWaiting)) ?? 0);
  }

  setRenewalsWaiting(count: number): Promise<void> {
    return this.set(KEYS.renewalsWaiting, String(count));
  }
}
