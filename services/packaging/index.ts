export { publishPackage, cleanStaleStaging, type DeliveryInput, type DeliveryPackage, type PublishDeps } from './publish.js';
export { StagingThread, stageInProcess, type Stager } from './stage-pool.js';
export { publishTools } from './tools.js';
export { agentPaths, agentPathsWarning, uncPath, type AgentPaths } from './agent-paths.js';
export {
  buildManifest,
  MANIFEST_SCHEMA_VERSION,
  renewalSharePaths,
  type Manifest,
  type ManifestChainEntry,
  type ManifestInput,
  type ManifestRenewal,
} from './manifest.js';
export { RENEW_SCRIPT, RENEWAL_INF, RENEWAL_TASK_ARGUMENTS, SCRIPT_PLACEHOLDER, renderRenewalInf, renewalKeyLength, renewalTaskName } from './renewal.js';
export { describeForPackage, serialHexFromDer, type CertificateFacts } from './certificate-facts.js';
export { quotePowerShell } from './powershell-quote.js';
export { renderInstallScript, renderPackageBlock } from './render.js';
export type { SigningConfig } from './nsis.js';
export { REVOKED_NOTICE, withdrawPackage, type WithdrawInput } from './withdraw.js';
