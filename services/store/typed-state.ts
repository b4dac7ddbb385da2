/**
 * The lifecycle's typed state over a store's `meta` table: the fixed key names (those earlier versions wrote, so an
 * existing store keeps its CRL number, digest day and notified windows, and `store migrate` carries them over)
 * and each value's conversion. A store supplies the plain get/set and the two writes that need its own SQL.
 */
import type { LifecycleStateStore, SubmitRecord } from '../domain/index.js';
import { decodeFiles } from './ca-files-codec.js';

export const STATE_KEYS = {
  crlNumber: 'crl.number',
  digestDay: 'digest:last',
  expiryNotified: (serial: string) => `expiry-notified:${serial}`,
  appliedResult: (fqdn: string) => `result:${fqdn}`,
  caFiles: 'ca.files',
  caSubmit: (fingerprint: string) => `ca-submit:${fingerprint}`,
  heartbeat: (by: string) => (by === 'doctor' ? 'doctor.checkedAt' : 'monitor.heartbeat'),
  renewalOverdue: (serial: string) => `renewal-overdue:${serial}`,
  renewalsWaiting: 'renewals.waiting',
};

export abstract class TypedState implements LifecycleStateStore {
  protected abstract get(key: string): Promise<string | null>;
  protected abstract set(key: string, value: string): Promise<void>;
  abstract nextCrlNumber(): Promise<bigint>;
  abstract offerCaFiles(files: Record<string, Buffer>): Promise<Record<string, Buffer>>;

  lastDigestDay(): Promise<string | null> {
    return this.get(STATE_KEYS.digestDay);
  }

  setLastDigestDay(day: string): Promise<void> {
    return this.set(STATE_KEYS.digestDay, day);
  }

  async expiryNotifiedWindow(serial: string): Promise<number | null> {
    const v = await this.get(STATE_KEYS.expiryNotified(serial));
    return v === null ? null : Number(v);
  }

  setExpiryNotifiedWindow(serial: string, days: number): Promise<void> {
    return this.set(STATE_KEYS.expiryNotified(serial), String(days));
  }

  appliedResultHash(fqdn: string): Promise<string | null> {
    return this.get(STATE_KEYS.appliedResult(fqdn));
  }

  setAppliedResultHash(fqdn: string, hash: string): Promise<void> {
    return this.set(STATE_KEYS.appliedResult(fqdn), hash);
  }

  async caFiles(): Promise<Record<string, Buffer> | null> {
    return decodeFiles(await this.get(STATE_KEYS.caFiles));
  }

  async caSubmit(fingerprint: string): Promise<SubmitRecord | null> {
    const v = await this.get(STATE_KEYS.caSubmit(fingerprint));
    return v === null ? null : (JSON.parse(v) as SubmitRecord);
  }

  setCaSubmit(fingerprint: string, r: SubmitRecord): Promise<void> {
    return this.set(STATE_KEYS.caSubmit(fingerprint), JSON.stringify(r));
  }

  heartbeat(at: string, by: 'monitor' | 'doctor'): Promise<void> {
    return this.set(STATE_KEYS.heartbeat(by), at);
  }

  renewalOverdueNotifiedAt(serial: string): Promise<string | null> {
    return this.get(STATE_KEYS.renewalOverdue(serial));
  }

  setRenewalOverdueNotifiedAt(serial: string, at: string): Promise<void> {
    return this.set(STATE_KEYS.renewalOverdue(serial), at);
  }

  async renewalsWaiting(): Promise<number> {
    return Number((await this.get(STATE_KEYS.renewalsWaiting)) ?? 0);
  }

  setRenewalsWaiting(count: number): Promise<void> {
    return this.set(STATE_KEYS.renewalsWaiting, String(count));
  }
}
