/**
 * The watches go over every certificate in a state; they read them a page at a time, in the store's
 * (notAfter, serial) order, so memory holds one page and not the whole store (100,000 active certificates with
 * their DER are over 150 MB of JavaScript objects).
 */
import type { CertificateFilter, CertificateStore, IssuedCertificate } from '../../domain/index.js';

const PAGE = 500;

export async function* certificatePages(
  certificates: Pick<CertificateStore, 'findMany'>,
  filter: Omit<CertificateFilter, 'after' | 'limit' | 'offset'>,
  pageSize = PAGE,
): AsyncGenerator<IssuedCertificate> {
  let after: CertificateFilter['after'];
  for (;;) {
    const page = await certificates.findMany({ ...filter, after, limit: pageSize });
    yield* page;
    if (page.length < pageSize) return;
    // A turn of the event loop between pages: the SQLite store answers synchronously, and a watch over 100,000
    // certificates would otherwise hold intake and the API for seconds.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const last = page[page.length - 1]!;
    after = { notAfter: last.notAfter, serialNumber: last.serialNumber };
  }
}
