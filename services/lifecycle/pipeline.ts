/**
 * The pipeline: intake of candidate files and advancing stored requests, with bounded concurrency. All state is
 * in the store, so a restart simply picks up whatever is due (every state resumes at start-up).
 */
import { isAgentcertError, StateConflictError, type StoredRequest } from '../domain/index.js';
import { requestLog, type PipelineContext } from './context.js';
import { scheduleRetry } from './retry.js';
import { checkStep } from './steps/check.js';
import { ingestFile } from './steps/intake.js';
import { ingestResultFile } from './steps/install-result.js';
import { resumeStep, submitStep } from './steps/issue.js';
import { packageStep, republishRejectionStep } from './steps/package.js';
import { verifyStep } from './steps/verify-gate.js';

type Step = (ctx: PipelineContext, r: StoredRequest) => Promise<StoredRequest>;

/** The step for a request's state, or null when there is nothing to do now. */
export function stepFor(r: StoredRequest, now: Date): Step | null {
  if (r.nextAttemptAt && new Date(r.nextAttemptAt) > now) return null;
  switch (r.state) {
    case 'received':
      return checkStep;
    case 'checked':
      return r.caRequestId ? resumeStep : submitStep;
    case 'submitted':
    case 'awaiting_ca':
      return resumeStep;
    case 'issued':
      return verifyStep;
    case 'verified':
      return packageStep;
    case 'packaged':
      return r.republish ? packageStep : null;
    case 'rejected':
      return r.republish ? republishRejectionStep : null;
    default:
      return null;
  }
}

export class Pipeline {
  private readonly files = new Set<string>();
  private readonly filesInFlight = new Set<string>();
  private readonly requestsInFlight = new Set<string>();
  /** Requests whose lease another instance took over while this one worked them (a shared store only). */
  private readonly leasesLost = new Set<string>();
  private readonly renewal: NodeJS.Timeout | null = null;
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  private results: Promise<void> = Promise.resolve();
  /**
   * Told when a request file has been taken in (with its request id) or a stored request advanced, with the state
   * the work left it in (serve --once progress; undefined when not known here).
   */
  onWorkDone: ((requestId: string | null, state?: string) => void) | null = null;

  constructor(private readonly ctx: PipelineContext) {
    // Several instances on one store: the leases of the requests in flight are renewed at a third of their
    // time, so a live instance keeps them and a dead one loses them (store.leaseSeconds, README "Several instances").
    if (ctx.store.work.shared) {
      this.renewal = setInterval(() => void this.renewLeases(), (ctx.config.store.leaseSeconds * 1000) / 3);
      this.renewal.unref();
    }
  }

  private async renewLeases(): Promise<void> {
    try {
      for (const id of await this.ctx.store.work.renew([...this.requestsInFlight])) {
        this.leasesLost.add(id);
        this.ctx.log.warn({ event: 'lease_lost', requestId: id }, `request ${id} was taken over by another instance; this one stops working on it`);
      }
    } catch (err) {
      this.ctx.log.error({ err, event: 'lease_renew_failed' }, 'could not renew the leases of the requests in flight');
    }
  }

  /** A file on the share to look at (deduplicated while queued or in flight). */
  offerFile(file: string): void {
    if (this.stopped || this.filesInFlight.has(file)) return;
    this.files.add(file);
    this.pump();
  }

  private roomWaiters: (() => void)[] = [];

  /**
   * Offers a backlog (serve --once): at most `ahead` files wait beyond those in flight, so a backlog of 100,000
   * names is not queued at once. The names come as the folder is read (`requestFiles`); none is kept once offered.
   */
  async offerBacklog(files: AsyncIterable<string> | Iterable<string>, ahead = this.ctx.config.pipeline.concurrency * 4): Promise<void> {
    for await (const file of files) {
      while (this.files.size >= ahead && !this.stopped) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      if (this.stopped) return;
      this.offerFile(file);
    }
  }

  private roomMade(): void {
    const w = this.roomWaiters;
    this.roomWaiters = [];
    for (const f of w) f();
  }

  /** An install result on the share: applied one at a time, in the order seen. */
  offerResult(file: string): void {
    if (this.stopped) return;
    this.results = this.results
      .then(async () => {
        const out = await ingestResultFile(this.ctx, file);
        if (out.kind === 'applied') this.pump();
      })
      .catch((err) => this.ctx.log.error({ err, file, event: 'result_error' }, `could not apply the install result ${file}`));
  }

  /** Look for due requests in the store and work on them. */
  kick(): void {
    this.pump();
  }

  private pumping = false;
  private pumpAgain = false;

  /** Start work up to the concurrency limit: queued files first, then due requests from the store. */
  private pump(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.fill()
      .catch((err) => this.ctx.log.error({ err, event: 'pipeline_error' }, 'could not read the due requests from the store'))
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.pump();
        } else if (this.running === 0) this.notifyIdle();
      });
  }

  private async fill(): Promise<void> {
    const limit = this.ctx.config.pipeline.concurrency;
    while (this.running < limit && this.files.size > 0) {
      const file = this.files.values().next().value as string;
      this.files.delete(file);
      this.filesInFlight.add(file);
      this.spawn(() => this.ingest(file), () => this.filesInFlight.delete(file));
    }
    if (this.roomWaiters.length > 0) this.roomMade();
    if (this.running >= limit) return;
    // Claimed: leased to this instance when the store is shared (requests in flight here come back too).
    const due = (await this.ctx.store.work.claimDue(this.ctx.clock.now(), limit - this.running + this.requestsInFlight.size)).filter((r) => !this.requestsInFlight.has(r.id));
    for (const r of due) {
      if (this.running >= limit || this.stopped) {
        await this.ctx.store.work.release(r.id);
        continue;
      }
      this.requestsInFlight.add(r.id);
      this.spawn(() => this.advance(r.id).then((state) => this.onWorkDone?.(r.id, state)), () => this.finish(r.id));
    }
  }

  private spawn(work: () => Promise<void>, done: () => void): void {
    this.running++;
    work()
      .catch((err) => this.ctx.log.error({ err }, 'pipeline task failed'))
      .finally(() => {
        done();
        this.running--;
        setImmediate(() => this.pump());
      });
  }

  private async ingest(file: string): Promise<void> {
    try {
      const res = await ingestFile(this.ctx, file);
      const state = res.kind === 'stored' ? await this.advance(res.request.id, true) : undefined;
      // Not complete yet: look again soon (a change event or the scan may also offer it first).
      if (res.kind === 'skipped' && res.retryInMs !== undefined) setTimeout(() => this.offerFile(file), res.retryInMs).unref();
      if (res.kind === 'stored' || res.retryInMs === undefined) this.onWorkDone?.(res.kind === 'stored' ? res.request.id : null, state);
    } catch (err) {
      this.ctx.log.error({ err, file, event: 'intake_error' }, `could not take in ${file}; it stays on the share and is tried again`);
    }
  }

  /** A request's work here is over: its lease (if the store is shared) goes back. */
  private finish(id: string): void {
    this.requestsInFlight.delete(id);
    this.leasesLost.delete(id);
    if (this.ctx.store.work.shared) this.ctx.store.work.release(id).catch((err: unknown) => this.ctx.log.warn({ err, requestId: id }, 'could not release a lease; it expires'));
  }

  /**
   * Advance one request through as many steps as it can take now. Returns the state it was left in, or undefined
   * when this task did not work on it (another task or instance did) or it is gone.
   */
  private async advance(id: string, claim = false): Promise<string | undefined> {
    if (claim) {
      if (this.requestsInFlight.has(id)) return undefined;
      this.requestsInFlight.add(id);
      if (!(await this.ctx.store.work.claim(id).catch(() => false))) {
        this.requestsInFlight.delete(id); // another instance works on it
        return undefined;
      }
    }
    try {
      // Each step returns the row as it left it, so the next step starts from that instead of reading it again;
      // after a conflict the row is read afresh.
      let r = await this.ctx.store.requests.get(id);
      for (let i = 0; i < 16 && !this.stopped && r && !this.leasesLost.has(id); i++) {
        const step = stepFor(r, this.ctx.clock.now());
        if (!step) return r.state;
        try {
          r = await step(this.ctx, r);
        } catch (err) {
          if (err instanceof StateConflictError) {
            r = await this.ctx.store.requests.get(id); // someone else (an admin) moved it: re-read
            continue;
          }
          const code = isAgentcertError(err) ? err.code : 'AC_INTERNAL';
          requestLog(this.ctx, r).error({ err, state: r.state }, `step for ${r.state} failed`);
          await scheduleRetry(this.ctx, r, code, `${r.state} step failed: ${(err as Error).message}`);
          return undefined; // the retry may have ended it as failed: the row says
        }
      }
      return r?.state;
    } finally {
      if (claim) this.finish(id);
    }
  }

  /** Resolves when nothing is queued, in flight, or due now. */
  async idle(): Promise<void> {
    await this.results;
    for (;;) {
      if (this.running === 0 && this.files.size === 0 && !this.pumping && (await this.ctx.store.requests.due(this.ctx.clock.now(), 1)).length === 0) return;
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        this.pump();
      });
    }
  }

  private notifyIdle(): void {
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  /** Stop taking new work and wait for what is in flight (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.renewal) clearInterval(this.renewal);
    this.files.clear();
    this.roomMade();
    while (this.running > 0) await new Promise((r) => setTimeout(r, 20));
    await this.results;
  }
}
