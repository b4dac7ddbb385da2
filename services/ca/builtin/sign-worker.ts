/**
 * Worker thread of the built-in CA's signing pool: builds and signs agent certificates off the main thread, so
 * both cores sign while the main thread runs intake, the store and packaging (a worker pool for CPU work).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import { signLeafCertificate } from '../../pki/index.js';

export interface SignJob {
  id: number;
  publicKeyDer: Uint8Array;
  fqdn: string;
  dnsNames: string[];
  serialHex: string;
  notBefore: number;
  notAfter: number;
  crlDistributionPoint: string | null;
}

const issuer = { certDer: Buffer.from(workerData.certDer as Uint8Array), key: workerData.key as KeyObject };

parentPort!.on('message', (job: SignJob) => {
  try {
    const der = signLeafCertificate({
      issuer,
      publicKeyDer: Buffer.from(job.publicKeyDer),
      fqdn: job.fqdn,
      dnsNames: job.dnsNames,
      serialHex: job.serialHex,
      notBefore: new Date(job.notBefore),
      notAfter: new Date(job.notAfter),
      crlDistributionPoint: job.crlDistributionPoint,
    });
    parentPort!.postMessage({ id: job.id, der });
  } catch (err) {
    parentPort!.postMessage({ id: job.id, error: (err as Error).message });
  }
});
