/**
 * AD CS backend (certreq.exe + certutil.exe) and the parsers for those tools' output, which the installer-side
 * code uses too (verify, addstore, delstore, accept).
 */
export { createAdcsBackend, type AdcsBackend, type AdcsBackendOptions, type AdcsAdminOutcome } from './adcs-backend.js';
export { parseCertreqSubmit, parseCertreqRetrieve, parseCertreqAccept, type CertreqResult, type CertreqDisposition, type CertreqAcceptResult } from './certreq-output.js';
export {
  parseCertutilStatus, parseCertutilResubmit, parseCertutilPing, parseCertutilCaCert, parseCertutilVerify,
  parseCertutilStoreQuery, parseCertutilAddstore,
  type CertutilStatus, type ResubmitResult, type ResubmitVerdict, type PingResult, type CaCertResult, type VerifyResult,
  type VerifyVerdict, type StoreQueryResult, type AddstoreResult,
} from './certutil-output.js';
export { encodeEkuExtensionValue, decodeEkuExtensionValue, encodeOid, OID_EXT_KEY_USAGE, OID_SERVER_AUTH, OID_CLIENT_AUTH, SCOM_EKUS } from './eku-extension.js';
export { encodeSanExtensionValue, decodeSanExtensionValue, OID_EXT_SUBJECT_ALT_NAME } from './san-extension.js';
export { readCaFile, certificatesFromPkcs7, orderChain } from './ca-chain.js';
export { HRESULT, isTransportHresult, findFailureHresult, formatHresult } from './hresult.js';
export { adcsBackend } from './entry.js';
export * from './settings.js';
