/**
 * The renewal watch (with the expiry watch): which active certificates are past their renewal date with no
 * request for their FQDN since they were issued. Their number is left for monitor 7006 (requests arriving while
 * renewals are due); one that is `lifecycle.renewalOverdueDays` past its date raises event 7141 once.
 */
import type { PipelineContext } from '../context.js';
import { certificatePages } from './certificate-pages.js';
import { renewalDueAt, renewalTiming } from './renewal-due.js';

const DAY = 86_400_000;

export interface RenewalWatchReport {
  waiting: number;
  overdue: { fqdn: string; serialNumber: string; dueAt: string }[];
}

export async function runRenewalWatch(ctx: PipelineContext): Promise<RenewalWatchReport> {
  const now = ctx.clock.now();
  const report: RenewalWatchReport = { waiting: 0, overdue: [] };
  for await (const c of certificatePages(ctx.store.certificates, { state: 'active' })) {
    const notAfter = new Date(c.notAfter);
    if (notAfter <= now) continue; // the expiry watch expires it
    const dueAt = renewalDueAt(new Date(c.notBefore), notAfter, renewalTiming(ctx.config));
    if (dueAt > now) continue;
    // A request for the FQDN after this certificate was stored is its renewal (or a replacement) on its way.
    const newest = (await ctx.store.requests.find({ fqdn: c.fqdn, limit: 1 }))[0];
    if (newest && newest.createdAt > c.createdAt) continue;
    report.waiting++;
    if (now.getTime() - dueAt.getTime() < ctx.config.lifecycle.renewalOverdueDays * DAY) continue;
    if (await ctx.store.state.renewalOverdueNotifiedAt(c.serialNumber)) continue;
    await ctx.store.state.setRenewalOverdueNotifiedAt(c.serialNumber, now.toISOString());
    report.overdue.push({ fqdn: c.fqdn, serialNumber: c.serialNumber, dueAt: dueAt.toISOString() });
    const message = `${c.fqdn}: certificate ${c.serialNumber} was due for renewal at ${dueAt.toISOString()} and no request for ${c.fqdn} arrived since; it expires at ${c.notAfter}`;
    ctx.log.warn({ event: 'renewal_overdue', fqdn: c.fqdn, serialNumber: c.serialNumber, dueAt: dueAt.toISOString() }, message);
    ctx.events?.emit({ key: 'renewal.overdue', message, values: { fqdn: c.fqdn, serialNumber: c.serialNumber, dueAt: dueAt.toISOString(), notAfter: c.notAfter } });
  }
  await ctx.store.state.setRenewalsWaiting(report.waiting);
  return report;
}
