/**
 * The renewal watch (with the expiry watch): which active certificates are past their renewal date with no
 * request for their FQDN since they were issued. Their number is left for monitor 7006 (requests arriving while
 * renewals are due); one that is `lifecycle.renewalOverdueDays` past its date raises event 7141 once.
 */
import { RENEWALS_WAITING_KEY } from './monitors.js';
import type { PipelineContext } from './context.js';
import { renewalDueAt } from './renewal.js';

const DAY = 86_400_000;

export interface RenewalWatchReport {
  waiting: number;
  overdue: { fqdn: string; serialNumber: string; dueAt: string }[];
}

export function runRenewalWatch(ctx: PipelineContext): RenewalWatchReport {
  const now = ctx.clock.now();
  const l = ctx.config.lifecycle;
  const report: RenewalWatchReport = { waiting: 0, overdue: [] };
  for (const c of ctx.store.findCertificates({ state: 'active', limit: 1_000_000 })) {
    const notAfter = new Date(c.notAfter);
    if (notAfter <= now) continue; // the expiry watch expires it
    const dueAt = renewalDueAt(new Date(c.notBefore), notAfter, { percent: l.renewAtPercent, daysBefore: l.renewDaysBefore });
    if (dueAt > now) continue;
    // A request for the FQDN after this certificate was stored is its renewal (or a replacement) on its way.
    const asked = ctx.store.findRequests({ fqdn: c.fqdn, limit: 1 }).some((r) => r.createdAt > c.createdAt);
    if (asked) continue;
    report.waiting++;
    if (now.getTime() - dueAt.getTime() < l.renewalOverdueDays * DAY) continue;
    const key = `renewal-overdue:${c.serialNumber}`;
    if (ctx.store.getMeta(key)) continue;
    ctx.store.setMeta(key, now.toISOString());
    report.overdue.push({ fqdn: c.fqdn, serialNumber: c.serialNumber, dueAt: dueAt.toISOString() });
    const message = `${c.fqdn}: certificate ${c.serialNumber} was due for renewal at ${dueAt.toISOString()} and no request for ${c.fqdn} arrived since; it expires at ${c.notAfter}`;
    ctx.log.warn({ event: 'renewal_overdue', fqdn: c.fqdn, serialNumber: c.serialNumber, dueAt: dueAt.toISOString() }, message);
    ctx.events?.emit({ key: 'renewal.overdue', message, values: { fqdn: c.fqdn, serialNumber: c.serialNumber, dueAt: dueAt.toISOString(), notAfter: c.notAfter } });
  }
  ctx.store.setMeta(RENEWALS_WAITING_KEY, String(report.waiting));
  return report;
}
