/**
 * The expiry watch: certificates inside a configured window (default 30/14/7 days) of their notAfter without a
 * successful renewal raise one notification per window; expired certificates become `expired`; once a day a
 * digest lists what expires within the widest window. What was sent is remembered in the store, so a restart
 * does not notify again.
 */
import { inGroup, STATE_GROUPS, type IssuedCertificate } from '../../domain/index.js';
import type { Notifier } from '../../notify/index.js';
import { transition, type PipelineContext } from '../context.js';
import { certificatePages } from './certificate-pages.js';
import { renewalDueAt, renewalTiming } from './renewal-due.js';

const DAY = 86_400_000;

export interface ExpiryReport {
  notified: { serial: string; fqdn: string; windowDays: number }[];
  expired: string[];
  digestSent: boolean;
}

/** True when a newer certificate for the same FQDN is installed on the agent (the renewal succeeded). */
async function renewedAndInstalled(ctx: PipelineContext, c: IssuedCertificate): Promise<boolean> {
  for (const o of await ctx.store.certificates.findMany({ fqdn: c.fqdn })) {
    if (o.serialNumber !== c.serialNumber && o.notBefore > c.notBefore && (await ctx.store.requests.get(o.requestId))?.state === 'installed') return true;
  }
  return false;
}

export async function runExpiryWatch(ctx: PipelineContext, notifier: Notifier): Promise<ExpiryReport> {
  const now = ctx.clock.now();
  const windows = [...ctx.config.lifecycle.expiryWindowsDays].sort((a, b) => a - b);
  const report: ExpiryReport = { notified: [], expired: [], digestSent: false };
  const widest = new Date(now.getTime() + windows[windows.length - 1]! * DAY).toISOString();
  for await (const c of certificatePages(ctx.store.certificates, { state: 'active', expiringBefore: widest })) {
    const notAfter = new Date(c.notAfter);
    if (notAfter <= now) {
      await expire(ctx, c);
      report.expired.push(c.serialNumber);
      continue;
    }
    if (await renewedAndInstalled(ctx, c)) continue;
    const left = notAfter.getTime() - now.getTime();
    const window = windows.find((w) => left <= w * DAY);
    if (window === undefined) continue;
    const already = (await ctx.store.state.expiryNotifiedWindow(c.serialNumber)) ?? Infinity;
    if (already <= window) continue; // this window (or a tighter one) was notified already
    await ctx.store.state.setExpiryNotifiedWindow(c.serialNumber, window);
    const days = Math.ceil(left / DAY);
    notifier.notify({
      kind: 'expiry',
      severity: window <= windows[0]! ? 'critical' : 'warning',
      title: `${c.fqdn}: certificate ${c.serialNumber} expires in ${days} day(s) without a successful renewal`,
      text: `The certificate of ${c.fqdn} expires at ${c.notAfter}. Its renewal was due at ${renewalDueAt(new Date(c.notBefore), notAfter, renewalTiming(ctx.config)).toISOString()}. Check the renewal task on the agent (results\\${c.fqdn}.renewal.json) or drop a new request.`,
      at: now.toISOString(),
      data: { fqdn: c.fqdn, serialNumber: c.serialNumber, notAfter: c.notAfter, windowDays: window, requestId: c.requestId },
    });
    ctx.events?.emit({
      key: 'certificate.expiring',
      level: window <= windows[0]! ? 'Error' : 'Warning',
      message: `${c.fqdn}: certificate ${c.serialNumber} expires in ${days} day(s) (${c.notAfter}) without a successful renewal`,
      values: { fqdn: c.fqdn, serialNumber: c.serialNumber, daysLeft: days, notAfter: c.notAfter },
    });
    report.notified.push({ serial: c.serialNumber, fqdn: c.fqdn, windowDays: window });
  }
  report.digestSent = await maybeSendDigest(ctx, notifier, now, widest);
  return report;
}

async function expire(ctx: PipelineContext, c: IssuedCertificate): Promise<void> {
  await ctx.store.certificates.setState(c.serialNumber, 'expired', ['active', 'superseded']);
  const r = await ctx.store.requests.get(c.requestId);
  if (r && inGroup(r.state, 'delivered')) {
    await transition(ctx, r, { from: STATE_GROUPS.delivered, to: 'expired', reason: 'EXPIRED', message: `certificate ${c.serialNumber} expired at ${c.notAfter}` });
  }
}

async function maybeSendDigest(ctx: PipelineContext, notifier: Notifier, now: Date, widest: string): Promise<boolean> {
  const today = now.toISOString().slice(0, 10);
  if (now.getUTCHours() < ctx.config.lifecycle.digestHourUtc || (await ctx.store.state.lastDigestDay()) === today) return false;
  await ctx.store.state.setLastDigestDay(today);
  const soon: IssuedCertificate[] = [];
  for (const c of await ctx.store.certificates.findMany({ state: 'active', expiringBefore: widest, limit: 10_000 })) if (!(await renewedAndInstalled(ctx, c))) soon.push(c);
  notifier.notify({
    kind: 'digest',
    severity: soon.length ? 'warning' : 'info',
    title: `agentcert daily digest: ${soon.length} certificate(s) expire within ${ctx.config.lifecycle.expiryWindowsDays.reduce((a, b) => Math.max(a, b))} days`,
    text: soon.map((c) => `${c.fqdn}  serial ${c.serialNumber}  expires ${c.notAfter}`).join('\n') || 'nothing expires soon',
    at: now.toISOString(),
    data: { count: soon.length, certificates: soon.map((c) => ({ fqdn: c.fqdn, serialNumber: c.serialNumber, notAfter: c.notAfter })) },
  });
  return true;
}
