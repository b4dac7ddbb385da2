export * from './serial.js';
export { derToPem, decodeRequestBytes, pemBlocksToDer, extraRequestContent } from './pem.js';
export { parseRequest, parsePkcs10, type ParsedRequest } from './request-parse.js';
export type { MicrosoftInfo } from './ms-attributes.js';
export type { CmsSigner } from './cms-unwrap.js';
export { describeCertificate, type CertificateInfo } from './certificate-info.js';
export { createRootCa, createIssuingCa, type CaMaterial } from './ca-create.js';
export { signLeafCertificate, spkiOfKey } from './certificate-build.js';
export { verifyChain, type ChainCheck, type ChainReport } from './chain-verify.js';
export { makeSampleRequest, type SampleRequestOptions } from './sample-request.js';
export { wrapRequestInCms } from './cms-wrap.js';
export { keyIdentifier } from './public-key.js';
export { SCOM_EKUS, hasScomEkus } from './oids.js';
// Building blocks for tests and tools that need a certificate the contract functions do not make.
export { buildCertificate, issuerParts, type CertificateTemplate } from './certificate-build.js';
export { buildName } from './names.js';
export {
  keyUsageExtension, basicConstraintsExtension, extKeyUsageExtension, subjectKeyIdExtension, authorityKeyIdExtension,
  dnsSanExtension, crlDistributionPointExtension, type KeyUsageName,
} from './x509-extensions.js';
export { signCrl, parseCrl, type RevocationReason, type CrlEntry, type ParsedCrl } from './crl.js';
export { readCertificateFile, certificatesFromPkcs7 } from './certificate-file.js';
export { openSignedContent, certificateKey, type SignedContent } from './cms-signed-content.js';
