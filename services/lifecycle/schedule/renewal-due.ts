/** When a certificate should be renewed (README "Renewal, install results and expiry"). */
import type { Config } from '../../config/index.js';

export interface RenewalTiming {
  /** Renew at this share of the lifetime… */
  percent: number;
  /** …or, when set, this many days before notAfter. */
  daysBefore: number | null;
}

/** The renewal timing of the configuration (lifecycle.renewAtPercent / renewDaysBefore). */
export function renewalTiming(config: Readonly<Config>): RenewalTiming {
  return { percent: config.lifecycle.renewAtPercent, daysBefore: config.lifecycle.renewDaysBefore };
}

export function renewalDueAt(notBefore: Date, notAfter: Date, o: RenewalTiming): Date {
  if (o.daysBefore !== null) return new Date(notAfter.getTime() - o.daysBefore * 86_400_000);
  return new Date(notBefore.getTime() + ((notAfter.getTime() - notBefore.getTime()) * o.percent) / 100);
}
