/**
 * What api/ and cli/ call: the application wiring, approvals, revocation, records with one lookup ladder,
 * inventory and exports, the CA and CRL views, health (monitors, doctor), and the offline tools (inspect, verify).
 */
export { createApp, openAppStore, storeExists, storePath, type App, type AppDeps } from './app.js';
export type { PipelineContext as AppContext } from '../lifecycle/index.js';
export { approveRequest, denyRequest, type AdminActor } from './approvals.js';
export { revokeCertificate, crlSummary, type RevocationView } from './revocation.js';
export { certificateDetail, findRequest, listEvents, resolveCertificate, resolveRequest, showRecord, type RecordView } from './records.js';
export * from './inventory.js';
export * from './tenant-scope.js';
export * from './ca-view.js';
export * from './tokens.js';
export * from './health/monitors.js';
export * from './health/doctor.js';
export * from './inspect.js';
export * from './verify.js';
export { verifyWithRecords } from './verify-records.js';
export { renewalTiming, chainForPackage, runExpiryWatch, revokeSupersededAfterGrace, CRL_FILE_NAME, type CrlPublication } from '../lifecycle/index.js';
export { REVOCATION_REASONS, CERTIFICATE_STATES, REQUEST_STATES } from '../domain/index.js';
export { sendTestNotification } from './notifications.js';
export { makeSampleRequest } from '../pki/index.js';
export { moveStoreToPostgres, type StoreMoveReport } from './store-move.js';
export * from './balance.js';
// What the CLI and the API need of the lower floors, handed on here so they depend on app/ (and domain/) alone.
export { loadConfig, type Config } from '../config/index.js';
export { createLogger } from '../log.js';
export { createExecaRunner } from '../process/index.js';
export { listRequestFiles } from '../intake/index.js';
