/**
 * A small pool of signing workers (one per core). Signing is deterministic, so where the work runs does not
 * change the certificate. When the compiled worker is not there (tests running the TypeScript sources), signing
 * runs in this thread instead.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { signLeafCertificate, type CaMaterial } from '../../pki/index.js';
import type { SignJob } from './sign-worker.js';

export type SignRequest = Omit<SignJob, 'id' | 'publicKeyDer' | 'notBefore' | 'notAfter'> & { publicKeyDer: Buffer; notBefore: Date; notAfter: Date };

export interface SignPool {
  sign(r: SignRequest): Promise<Buffer>;
  close(): Promise<void>;
}

export function createSignPool(issuer: CaMaterial, size = Math.min(4, availableParallelism())): SignPool {
  const workerFile = fileURLToPath(new URL('./sign-worker.js', import.meta.url));
  if (size < 1 || !existsSync(workerFile)) {
    return {
      sign: async (r) => signLeafCertificate({ issuer, ...r }),
      close: async () => undefined,
    };
  }
  const pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void; worker: Worker }>();
  // An idle worker must not keep the process alive; a busy one must (serve --once waits for its answer).
  const busy = new Map<Worker, number>();
  const track = (w: Worker, delta: number): void => {
    const n = (busy.get(w) ?? 0) + delta;
    busy.set(w, n);
    if (n > 0) w.ref();
    else w.unref();
  };
  const workers = Array.from({ length: size }, () => {
    const w = new Worker(workerFile, { workerData: { certDer: issuer.certDer, key: issuer.key }, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    w.on('message', (m: { id: number; der?: Uint8Array; error?: string }) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (p) track(p.worker, -1);
      if (m.der) p?.resolve(Buffer.from(m.der));
      else p?.reject(new Error(`signing failed: ${m.error}`));
    });
    w.on('error', (err) => {
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    });
    w.unref();
    return w;
  });
  let next = 0;
  let seq = 0;
  return {
    sign(r) {
      const id = ++seq;
      // A copy: a Buffer is often a view into a larger pooled ArrayBuffer, which postMessage would clone whole.
      const job: SignJob = { id, publicKeyDer: new Uint8Array(r.publicKeyDer), fqdn: r.fqdn, dnsNames: r.dnsNames, serialHex: r.serialHex, notBefore: r.notBefore.getTime(), notAfter: r.notAfter.getTime(), crlDistributionPoint: r.crlDistributionPoint };
      const worker = workers[next++ % workers.length]!;
      return new Promise<Buffer>((resolve, reject) => {
        pending.set(id, { resolve, reject, worker });
        track(worker, +1);
        worker.postMessage(job);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
