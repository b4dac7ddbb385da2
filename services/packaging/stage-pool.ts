/**
 * One staging thread for the service (stage-worker.ts), started on first use. When the compiled worker is not
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

let worker: Worker | null | undefined;
const pending = new Map<number, Pending>();
let seq = 0;

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
  worker = undefined; // a new thread on the next package
}

function stagingThread(): Worker | null {
  if (worker !== undefined) return worker;
  const file = fileURLToPath(new URL('./stage-worker.js', import.meta.url));
  if (!existsSync(file)) return (worker = null);
  // A small young generation: the thread's garbage is a package's strings and buffers, and V8's default let the
  // thread's memory grow by tens of MB during a burst (bulk bench: peak RSS of the service).
  const w = new Worker(file, { resourceLimits: { maxYoungGenerationSizeMb: 6 } });
  w.on('message', (m: { id: number; staged?: StagedPayload; error?: { message: string; code?: string } }) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (pending.size === 0) w.unref();
    if (!p) return;
    if (m.staged) p.resolve(m.staged);
    else p.reject(Object.assign(new Error(m.error?.message ?? 'staging failed'), { code: m.error?.code }));
  });
  w.on('error', failAll);
  w.on('exit', (code) => failAll(new Error(`the staging thread exited (${code})`)));
  // An idle thread must not keep the process alive; a busy one must (serve --once waits for its answer).
  w.unref();
  return (worker = w);
}

/** Render and write the package payload into `dir`, in the staging thread when there is one. */
export function stagePayloadOffThread(input: StagePayloadInput, dir: string): Promise<StagedPayload> {
  const w = stagingThread();
  if (!w) return stagePayload(input, dir);
  const id = ++seq;
  // Copies: a Buffer is often a view into a larger pooled ArrayBuffer, which postMessage would clone whole.
  const job: StageJob = {
    id,
    dir,
    input: { ...input, certificateDer: new Uint8Array(input.certificateDer) as Buffer, chain: input.chain.map((c) => ({ der: new Uint8Array(c.der) as Buffer, store: c.store })) },
  };
  return new Promise<StagedPayload>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    w.postMessage(job);
  });
}
