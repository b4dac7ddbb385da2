/**
 * The lifecycle's typed state, kept in the `meta` table under the SQLite store's keys (sqlite/state.ts), so a
 * store copied over (`agentcert store migrate`) keeps its CRL number, digest day and notified windows.
 */
import type { LifecycleStateStore, SubmitRecord } from '../../domain/index.js';
import type { PgDb } from './database.js';
import { decodeFiles, encodeFiles } from '../ca-files-codec.js';

const KEYS = {
  crlNumber: 'crl.number',
  digestDay: 'digest:last',
  expiryNotified: (serial: string) => `expiry-notified:${serial}`,
  appliedResult: (fqdn: string) => `result:${fqdn}`,
  caFiles: 'ca.files',
  caSubmit: (fingerprint: string) => `ca-submit:${fingerprint}`,
  renewalOverdue: (serial: string) => `renewal-overdue:${serial}`,
  renewalsWaiting: 'renewals.waiting',
  heartbeat: (by: string) => (by === 'doctor' ? 'doctor.checkedAt' : 'monitor.heartbeat'),
};

export class PgState implements LifecycleStateStore {
  constructor(private readonly db: PgDb) {}

  private async get(key: string): Promise<string | null> {
    return (await this.db.one<{ value: string }>(`SELECT value FROM meta WHERE key = $1`, [key]))?.value ?? null;
  }

  private async set(key: string, value: string): Promise<void> {
    await this.db.query(`INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, value]);
  }

  /** One statement: the row lock of the upsert makes two instances taking a number at once get two numbers. */
  async nextCrlNumber(): Promise<bigint> {
    const row = await this.db.one<{ value: string }>(
      `INSERT INTO meta (key, value) VALUES ($1, '1') ON CONFLICT (key) DO UPDATE SET value = (meta.value::numeric + 1)::text RETURNING value`,
      [KEYS.crlNumber],
    );
    return BigInt(row!.value);
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

  async caFiles(): Promise<Record<string, Buffer> | null> {
    return decodeFiles(await this.get(KEYS.caFiles));
  }

  async offerCaFiles(files: Record<string, Buffer>): Promise<Record<string, Buffer>> {
    await this.db.query(`INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [KEYS.caFiles, encodeFiles(files)]);
    return (await this.caFiles())!;
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

  async caSubmit(fingerprint: string): Promise<SubmitRecord | null> {
    const v = await this.get(KEYS.caSubmit(fingerprint));
    return v === null ? null : (JSON.parse(v) as SubmitRecord);
  }

  setCaSubmit(fingerprint: string, r: SubmitRecord): Promise<void> {
    return this.set(KEYS.caSubmit(fingerprint), JSON.stringify(r));
  }

  heartbeat(at: string, by: 'monitor' | 'doctor'): Promise<void> {
    return this.set(KEYS.heartbeat(by), at);
  }
}
