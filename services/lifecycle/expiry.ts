/**
 * The expiry watch: certificates inside a configured window (default 30/14/7 days) of their notAfter without a
 * successful renewal raise one notification per window; expired certificates become `expired`; once a day a
 * digest lists what expires within the widest window. What was sent is remembered in the store, so a restart
 * does not notify again.
 */
import type { IssuedCertificate } from '../domain/index.js';
import { transition, type PipelineContext } from './context.js';
import type { Notifier } from './notifier.js';
import { renewalDueAt } from './renewal.js';
import { revokeCertificate } from './admin.js';

const DAY = 86_400_000;

export interface ExpiryReport {
  notified: { serial: string; fqdn: string; windowDays: number }[];
  expired: string[];
  digestSent: boolean;
}

/** True when a newer certificate for the same FQDN is installed on the agent (the renewal succeeded). */
function renewedAndInstalled(ctx: PipelineContext, c: IssuedCertificate): boolean {
  return ctx.store
    .findCertificates({ fqdn: c.fqdn })
    .some((o) => o.serialNumber !== c.serialNumber && o.notBefore > c.notBefore && ctx.store.getRequest(o.requestId)?.state === 'installed');
}

export function runExpiryWatch(ctx: PipelineContext, notifier: Notifier): ExpiryReport {
  const now = ctx.clock.now();
  const windows = [...ctx.config.lifecycle.expiryWindowsDays].sort((a, b) => a - b);
  const report: ExpiryReport = { notified: [], expired: [], digestSent: false };
  const widest = new Date(now.getTime() + windows[windows.length - 1]! * DAY).toISOString();
  for (const c of ctx.store.findCertificates({ state: 'active', expiringBefore: widest, limit: 1_000_000 })) {
    const notAfter = new Date(c.notAfter);
    if (notAfter <= now) {
      expire(ctx, c);
      report.expired.push(c.serialNumber);
      continue;
    }
    if (renewedAndInstalled(ctx, c)) continue;
    const left = notAfter.getTime() - now.getTime();
    const window = windows.find((w) => left <= w * DAY);
    if (window === undefined) continue;
    const key = `expiry-notified:${c.serialNumber}`;
    const already = Number(ctx.store.getMeta(key) ?? Infinity);
    if (already <= window) continue; // this window (or a tighter one) was notified already
    ctx.store.setMeta(key, String(window));
    const days = Math.ceil(left / DAY);
    notifier.notify({
      kind: 'expiry',
      severity: window <= windows[0]! ? 'critical' : 'warning',
      title: `${c.fqdn}: certificate ${c.serialNumber} expires in ${days} day(s) without a successful renewal`,
      text: `The certificate of ${c.fqdn} expires at ${c.notAfter}. Its renewal was due at ${renewalDueAt(new Date(c.notBefore), notAfter, { percent: ctx.config.lifecycle.renewAtPercent, daysBefore: ctx.config.lifecycle.renewDaysBefore }).toISOString()}. Check the renewal task on the agent (results\\${c.fqdn}.renewal.json) or drop a new request.`,
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
  report.digestSent = maybeSendDigest(ctx, notifier, now, widest);
  return report;
}

function expire(ctx: PipelineContext, c: IssuedCertificate): void {
  ctx.store.expireCertificate(c.serialNumber);
  const r = ctx.store.getRequest(c.requestId);
  if (r && ['packaged', 'installed', 'install_failed'].includes(r.state)) {
    transition(ctx, r, { from: r.state, to: 'expired', reason: 'EXPIRED', message: `certificate ${c.serialNumber} expired at ${c.notAfter}` });
  }
}

function maybeSendDigest(ctx: PipelineContext, notifier: Notifier, now: Date, widest: string): boolean {
  const today = now.toISOString().slice(0, 10);
  if (now.getUTCHours() < ctx.config.lifecycle.digestHourUtc || ctx.store.getMeta('digest:last') === today) return false;
  ctx.store.setMeta('digest:last', today);
  const soon = ctx.store.findCertificates({ state: 'active', expiringBefore: widest, limit: 10_000 }).filter((c) => !renewedAndInstalled(ctx, c));
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

/**
 * Old certificates are revoked with reason superseded a grace period after their successor was installed
 * (the grace lets an agent that still presents the old one reconnect while its restart settles).
 */
export async function revokeSupersededAfterGrace(ctx: PipelineContext): Promise<string[]> {
  const now = ctx.clock.now().getTime();
  const graceMs = ctx.config.lifecycle.supersededRevokeGraceDays * DAY;
  const revoked: string[] = [];
  for (const c of ctx.store.findCertificates({ state: 'superseded', limit: 1_000_000 })) {
    const at = ctx.store.events(c.requestId).filter((e) => e.reason === 'SUPERSEDED').at(-1)?.at;
    if (!at || now - new Date(at).getTime() < graceMs) continue;
    try {
      await revokeCertificate(ctx, c.serialNumber, { actor: 'service', reason: 'superseded', comment: `superseded ${at}; grace of ${ctx.config.lifecycle.supersededRevokeGraceDays} day(s) over` });
      revoked.push(c.serialNumber);
    } catch (err) {
      ctx.log.error({ err, serialNumber: c.serialNumber, event: 'revoke_superseded_failed' }, `could not revoke superseded certificate ${c.serialNumber}; tried again at the next check`);
    }
  }
  return revoked;
}
