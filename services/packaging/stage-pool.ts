/**
 * The staging thread of the service (stage-worker.ts), started on first use. When the compiled worker is not
 * there (tests running the TypeScript sources), packages are staged in this thread instead; the files are the same.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { stagePayload, type StagedPayload, type StagePayloadInput } from './stage.js';
import type { StageJob } from './stage-worker.js';

interface Pending {
  resolve: (s: StagedPayload) => void;
  reject: (e: Error) => void;
}

/** Where a package's payload is rendered and written (a thread of its own, or this one). */
export interface Stager {
  stage(input: StagePayloadInput, dir: string): Promise<StagedPayload>;
  close(): Promise<void>;
}

/** Staging in the calling thread (tests, tools; the files are the same as the thread's). */
export const stageInProcess: Stager = { stage: (input, dir) => stagePayload(input, dir), close: async () => undefined };

/** One staging thread, started on first use and ended by close(); owned by the application (app/app.ts). */
export class StagingThread implements Stager {
  private worker: Worker | null | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.worker = undefined; // a new thread on the next package
  }

  private thread(): Worker | null {
    if (this.worker !== undefined) return this.worker;
    const file = fileURLToPath(new URL('./stage-worker.js', import.meta.url));
    if (!existsSync(file)) return (this.worker = null);
    // A small young generation: the thread's garbage is a package's strings and buffers, and V8's default let the
    // thread's memory grow by tens of MB during a burst (bulk bench: peak RSS of the service).
    const w = new Worker(file, { resourceLimits: { maxYoungGenerationSizeMb: 6 } });
    w.on('message', (m: { id: number; staged?: StagedPayload; error?: { message: string; code?: string } }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) w.unref();
      if (!p) return;
      if (m.staged) p.resolve(m.staged);
      else p.reject(Object.assign(new Error(m.error?.message ?? 'staging failed'), { code: m.error?.code }));
    });
    w.on('error', (err) => this.failAll(err));
    w.on('exit', (code) => this.failAll(new Error(`the staging thread exited (${code})`)));
    // An idle thread must not keep the process alive; a busy one must (serve --once waits for its answer).
    w.unref();
    return (this.worker = w);
  }

  /** Render and write the package payload into `dir`, in the staging thread when there is one. */
  stage(input: StagePayloadInput, dir: string): Promise<StagedPayload> {
    const w = this.thread();
    if (!w) return stagePayload(input, dir);
    const id = ++this.seq;
    // Copies: a Buffer is often a view into a larger pooled ArrayBuffer, which postMessage would clone whole.
    const job: StageJob = {
      id,
      dir,
      input: { ...input, certificateDer: new Uint8Array(input.certificateDer) as Buffer, chain: input.chain.map((c) => ({ der: new Uint8Array(c.der) as Buffer, store: c.store })) },
    };
    return new Promise<StagedPayload>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.ref();
      w.postMessage(job);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
