/** The flow: the pipeline, its steps, the schedule (expiry, superseded revocation, renewal timing), revocation, the CRL. */
export { announceTransition, recordTransition, requestLog, transition, transitions, type PipelineContext, type ShareIo, type TransitionDeps, type TransitionInput } from './context.js';
export { ParsedRequests } from './parsed-cache.js';
export { backoffDelayMs } from '../domain/index.js';
export { retryCapMs, scheduleRetry } from './retry.js';
export { Pipeline, stepFor } from './pipeline.js';
export { ingestFile, tenantForFile, type IngestResult } from './steps/intake.js';
export { assessRequest, requestFacts, tenantOf, type RequestFacts } from './steps/check.js';
export { chainForPackage } from './steps/package.js';
export { ingestResultFile, type ResultOutcome } from './steps/install-result.js';
export { authenticateResult, RESULT_LIMITS, type InstallResult, type ReadResult } from './steps/result-auth.js';
export { effectiveProtectedNames, routeRequest } from './steps/trust.js';
export { currentCertificate } from './steps/redrop.js';
export { runExpiryWatch, type ExpiryReport } from './schedule/expiry.js';
export { runRenewalWatch, type RenewalWatchReport } from './schedule/renewal-watch.js';
export { revokeSupersededAfterGrace } from './schedule/superseded.js';
export { renewalDueAt, renewalTiming, type RenewalTiming } from './schedule/renewal-due.js';
export { revokeIssued, type Revocation, type RevocationOrder } from './revocation.js';
export { crlPath, currentCrl, publishCrl, CRL_FILE_NAME, type CrlPublication } from './crl.js';
