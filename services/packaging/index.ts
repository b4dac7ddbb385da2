export { publishPackage, cleanStaleStaging, type DeliveryInput, type DeliveryPackage } from './publish.js';
export { publishTools } from './tools.js';
export { buildManifest, MANIFEST_SCHEMA_VERSION, type Manifest, type ManifestChainEntry, type ManifestInput } from './manifest.js';
export { describeForPackage, serialHexFromDer, type CertificateFacts } from './certificate-facts.js';
export { quotePowerShell } from './powershell-quote.js';
export { renderInstallScript, renderPackageBlock } from './render.js';
export type { SigningConfig } from './nsis.js';
