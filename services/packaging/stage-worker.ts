/**
 * The staging thread: renders and writes delivery packages (stage.ts) off the main thread, which keeps intake,
 * the store and the CA calls (a worker pool for CPU work). Several jobs run at once: their writes and
 * fsyncs wait in libuv's thread pool, not here.
 */
import { parentPort } from 'node:worker_threads';
import { stagePayload, type StagePayloadInput } from './stage.js';

export interface StageJob {
  id: number;
  dir: string;
  input: StagePayloadInput;
}

/**
 * Buffers arrive as plain Uint8Arrays. The CA certificates are the same bytes in every job: one Buffer per content,
 * so the per-buffer certificate facts cache (certificate-facts.ts) is hit instead of parsing them again.
 */
const interned = new Map<string, Buffer>();
function intern(u: Uint8Array): Buffer {
  const b = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  const key = b.toString('base64');
  let known = interned.get(key);
  if (!known) {
    if (interned.size >= 32) interned.delete(interned.keys().next().value as string);
    known = b;
    interned.set(key, known);
  }
  return known;
}

parentPort!.on('message', (job: StageJob) => {
  const input: StagePayloadInput = {
    ...job.input,
    certificateDer: Buffer.from(job.input.certificateDer.buffer, job.input.certificateDer.byteOffset, job.input.certificateDer.byteLength),
    chain: job.input.chain.map((c) => ({ der: intern(c.der), store: c.store })),
  };
  stagePayload(input, job.dir).then(
    (staged) => parentPort!.postMessage({ id: job.id, staged }),
    (err: NodeJS.ErrnoException) => parentPort!.postMessage({ id: job.id, error: { message: err.message, code: err.code } }),
  );
});
