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
  type ManifestManagementGroup,
  type ManifestRenewal,
  type ManifestServer,
} from './manifest.js';
export { RENEW_SCRIPT, RENEWAL_INF, RENEWAL_TASK_ARGUMENTS, SCRIPT_PLACEHOLDER, renderRenewalInf, renewalKeyLength, renewalTaskName } from './renewal.js';
export { describeForPackage, serialHexFromDer, type CertificateFacts } from './certificate-facts.js';
export { quotePowerShell } from './powershell-quote.js';
export { renderInstallScript, renderPackageBlock, withUtf8Bom } from './render.js';
export type { SigningConfig } from './nsis.js';
export { renderBalanceScript, renderBalanceBlock, type BalanceScriptInput } from './balance-script.js';
export { readInstaller } from './assets.js';
export { agentMsiProperties, agentMsiPropertyString, msiexecCommandLine, msiValue } from './agent-install.js';
export { REVOKED_NOTICE, withdrawPackage, type WithdrawInput } from './withdraw.js';
