/**
 * Notifications: a log event always, and a JSON POST to the configured webhook, retried with exponential
 * backoff and jitter. Delivery never blocks the pipeline.
 */
import type { Logger } from '../domain/index.js';
import { backoffDelayMs } from '../domain/index.js';

export interface Notification {
  kind: 'expiry' | 'digest' | 'test' | 'renewal_failed';
  severity: 'info' | 'warning' | 'critical';
  title: string;
  text: string;
  at: string;
  data: Record<string, unknown>;
}

export interface NotifierOptions {
  url: string | null;
  attempts: number;
  retryBaseMs: number;
  log: Logger;
  timeoutMs?: number;
}

export class Notifier {
  private inflight = new Set<Promise<boolean>>();
  constructor(private readonly o: NotifierOptions) {}

  /** Log it now; deliver it to the webhook in the background. */
  notify(n: Notification): void {
    const line = { event: 'notification', kind: n.kind, severity: n.severity, ...n.data };
    if (n.severity === 'info') this.o.log.info(line, n.title);
    else this.o.log.warn(line, n.title);
    if (!this.o.url) return;
    const p = this.deliver(n).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  /** POST with retries; true when the receiver answered 2xx. */
  async deliver(n: Notification): Promise<boolean> {
    if (!this.o.url) return false;
    for (let attempt = 0; attempt < this.o.attempts; attempt++) {
      try {
        const res = await fetch(this.o.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'agentcert' },
          body: JSON.stringify({ source: 'agentcert', ...n }),
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
        });
        if (res.ok) return true;
        this.o.log.warn({ event: 'webhook_failed', status: res.status, attempt: attempt + 1 }, `webhook answered ${res.status}`);
      } catch (err) {
        this.o.log.warn({ event: 'webhook_failed', err: (err as Error).message, attempt: attempt + 1 }, 'webhook not reachable');
      }
      if (attempt + 1 < this.o.attempts) await new Promise((r) => setTimeout(r, backoffDelayMs(attempt, this.o.retryBaseMs, this.o.retryBaseMs * 64)));
    }
    this.o.log.error({ event: 'webhook_gave_up', kind: n.kind }, `webhook delivery of "${n.title}" failed after ${this.o.attempts} attempts`);
    return false;
  }

  /** Wait for deliveries in flight (shutdown, --once, tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.inflight]);
  }
}
