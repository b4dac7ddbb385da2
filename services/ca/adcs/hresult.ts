/**
 * HRESULTs that agentcert reads in certreq/certutil output, and what they mean for a request.
 *
 * Transport failures leave the request safe and are retried: RPC server unavailable
 * (vectors/certutil-rpc-unavailable.txt), RPC call failed, endpoint mapper, WinHTTP timeout (the certreq error
 * line in the same transcript).
 */

export const HRESULT = {
  /** RPC_S_SERVER_UNAVAILABLE (WIN32 1722) — vectors/certutil-rpc-unavailable.txt. */
  rpcServerUnavailable: 0x800706ba,
  /** RPC_S_CALL_FAILED (1726), RPC_S_CALL_FAILED_DNE (1727), EPT_S_NOT_REGISTERED (1753). */
  rpcCallFailed: 0x800706be,
  rpcCallFailedDne: 0x800706bf,
  endpointNotRegistered: 0x800706d9,
  /** ERROR_WINHTTP_TIMEOUT — vectors/certutil-rpc-unavailable.txt (certreq error form). */
  winHttpTimeout: 0x80072ee2,
  /** ERROR_TIMEOUT (WIN32 1460) and RPC_E_DISCONNECTED: the call broke off, the CA may be fine. */
  errorTimeout: 0x800705b4,
  rpcDisconnected: 0x80010108,
  /** CERTSRV_E_BAD_REQUESTSTATUS: "The request's current status does not allow this operation" — what
   * ICertAdmin::ResubmitRequest fails with when the request is no longer pending or denied (it must be
   * pending: learn.microsoft.com ICertAdmin::ResubmitRequest; MS-CSRA 3.1.4.1.3). */
  badRequestStatus: 0x80094003,
  /** CERTSRV_E_PROPERTY_EMPTY: unknown request id (MS-CSRA 3.1.4.1.3, vectors/certutil-resubmit-issued.txt note). */
  propertyEmpty: 0x80094004,
  /** E_INVALIDARG (WIN32 87): "Unexpected argument: -machine" — docs/scom-facts.md §6. */
  invalidArgument: 0x80070057,
  /** CRYPT_E_NOT_FOUND: `certreq -accept` of an orphaned .cer — vectors/certreq-accept-orphan-0x80092004.txt. */
  cryptNotFound: 0x80092004,
  /** NTE_NOT_FOUND: `certutil -store <thumbprint>` with no match — vectors/certutil-delstore-exit-codes.txt. */
  nteNotFound: 0x80090011,
  /** ERROR_FILE_NOT_FOUND: -delstore on a store that does not exist — same transcript (BIS-F #37). */
  fileNotFound: 0x80070002,
  /** CRYPT_E_REVOKED — vectors/certutil-verify-outcomes.txt. */
  cryptRevoked: 0x80092010,
} as const;

const TRANSPORT = new Set<number>([
  HRESULT.rpcServerUnavailable, HRESULT.rpcCallFailed, HRESULT.rpcCallFailedDne, HRESULT.endpointNotRegistered,
  HRESULT.winHttpTimeout, HRESULT.errorTimeout, HRESULT.rpcDisconnected,
]);

export function isTransportHresult(hr: number | null): boolean {
  return hr !== null && TRANSPORT.has(hr);
}

/**
 * The first failure HRESULT (`0x8…`, eight hex digits) in a text. Success codes (`0x0`, dispositions such as
 * `0x14`) are not failures and are skipped.
 */
export function findFailureHresult(text: string): number | null {
  for (const m of text.matchAll(/\b0x([0-9a-fA-F]{8})\b/g)) {
    const value = Number.parseInt(m[1]!, 16);
    if (value >= 0x80000000) return value;
  }
  return null;
}

export function formatHresult(hr: number): string {
  return `0x${hr.toString(16).padStart(8, '0')}`;
}
