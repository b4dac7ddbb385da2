export * from './sqlite-store.js';
export type { Page, RequestSummary, CertificateSummary, CertificateState, RequestPageFilter, CertificatePageFilter } from './listing.js';
export type { StoredRequest } from './rows.js';
export * from './lock.js';
export * from './assignments.js';
