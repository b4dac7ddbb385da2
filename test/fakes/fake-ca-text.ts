/**
 * What the fake certreq/certutil print, taken from the transcripts in shared/vectors (byte for byte except the
 * request id, CA name and file names). Texts with no transcript are marked ASSUMED and kept in the same
 * shape the transcripts show, so the parsers are tested against real text and the fake stays honest.
 */

export type Language = 'en' | 'de';

/** certreq-submit-issued-plain.txt / certreq-submit-pending-*.txt: the id twice (second quoted), then the disposition. */
function idLines(language: Language, id: number): string[] {
  const label = language === 'de' ? 'Anforderungs-ID' : 'RequestId';
  return [`${label}: ${id}`, `${label}: "${id}"`];
}

export const certreqText = {
  /** certreq-submit-pending-subca-certdog.txt; German: certreq-submit-pending-localized-german.txt (spelled as quoted). */
  pending: (language: Language, id: number): string[] => [
    ...idLines(language, id),
    language === 'de' ? 'Ausstehende Zertifikatanforderung: Bei Uebermittlung (0)' : 'Certificate request is pending: Taken Under Submission (0)',
  ],
  /** certreq-submit-issued-plain.txt. German: ASSUMED (no transcript) — same shape, German status words. */
  issued: (language: Language, id: number): string[] => [
    ...idLines(language, id),
    language === 'de' ? 'Zertifikat abgerufen(Ausgestellt) Ausgestellt' : 'Certificate retrieved(Issued) Issued',
  ],
  /** certreq-submit-denied.txt: one id line as published, the wrapped denial as the one console line it was. German: ASSUMED. */
  denied: (language: Language, id: number, message: string): string[] => [
    idLines(language, id)[0]!,
    `${language === 'de' ? 'Zertifikat nicht ausgestellt (Verweigert)' : 'Certificate not issued (Denied)'} ${message}`,
  ],
  /** certutil-rpc-unavailable.txt: "the expected (unverified) form" for certreq. */
  rpcUnavailable: (): string[] => ['Certificate Request Processor: The RPC server is unavailable. 0x800706ba (WIN32: 1722 RPC_S_SERVER_UNAVAILABLE)'],
  /** docs/scom-facts.md §6 / certreq-accept-orphan-0x80092004.txt: -submit with -machine. */
  unexpectedArgument: (arg: string): string[] => [`Unexpected argument: ${arg}`, 'Certificate Request Processor: The parameter is incorrect. 0x80070057 (WIN32: 87 ERROR_INVALID_PARAMETER)'],
  /** certreq-accept-orphan-0x80092004.txt: the fake has no key store, so every .cer is an orphan. */
  acceptOrphan: (): string[] => ['Certificate Request Processor: Cannot find object or property. 0x80092004 (-2146885628 CRYPT_E_NOT_FOUND)'],
  /** ASSUMED forms of other certreq errors, in the "Certificate Request Processor: <text> 0x<hr> (<facility>: <code> <SYMBOL>)" shape (docs/scom-facts.md §6). */
  fileNotFound: (): string[] => ['Certificate Request Processor: The system cannot find the file specified. 0x80070002 (WIN32: 2 ERROR_FILE_NOT_FOUND)'],
  fileExists: (): string[] => ['Certificate Request Processor: The file exists. 0x80070050 (WIN32: 80 ERROR_FILE_EXISTS)'],
  badRequest: (): string[] => ['Certificate Request Processor: ASN1 bad tag value met. 0x8009310b (ASN: 267 CRYPT_E_ASN1_BADTAG)'],
  unknownRequestId: (): string[] => ['Certificate Request Processor: Requested property value is empty. 0x80094004 (-2146877436 CERTSRV_E_PROPERTY_EMPTY)'],
};

/** certreq-submit-denied.txt, first request: the policy module's text (one console line). */
export const DENY_MESSAGE = 'Denied by Policy Module The EMail name is unavailable and cannot be added to the Subject or Subject Alternate name. 0x80094812 (-2146875374 CERTSRV_E_SUBJECT_EMAIL_REQUIRED)';

/** Output of no known shape (scenario "malformed"). */
export const MALFORMED = ['CertReq: ???', '=== %%%% ===', '<<truncated>>'];

const ok = (verb: string) => `CertUtil: ${verb} command completed successfully.`;

export const certutilText = {
  ok: (verb: string): string[] => [ok(verb)],
  /** certutil-resubmit-issued.txt (newer build). */
  resubmitIssued: (id: number, resubmitter: string): string[] => [
    'Certificate issued.', ok('-resubmit'), '',
    `  Issued Request ID: 0x${id.toString(16)}`,
    '  Request Disposition: 0x14 (20) -- Issued',
    `  Request Disposition Message: "Issued  Resubmitted by ${resubmitter}"`,
    '  Request Status Code: 0x0 (WIN32: 0) -- The operation completed successfully.',
  ],
  /** ASSUMED: same shape, DB_DISP_PENDING (9) — an officer must approve. */
  resubmitPending: (id: number): string[] => [
    'Certificate request is pending: Taken Under Submission', ok('-resubmit'), '',
    `  Issued Request ID: 0x${id.toString(16)}`,
    '  Request Disposition: 0x9 (9) -- Pending',
    '  Request Disposition Message: "Taken Under Submission"',
    '  Request Status Code: 0x0 (WIN32: 0) -- The operation completed successfully.',
  ],
  /** ASSUMED: same shape, DB_DISP_DENIED (31). */
  resubmitDenied: (id: number): string[] => [
    'Certificate not issued (Denied)', ok('-resubmit'), '',
    `  Issued Request ID: 0x${id.toString(16)}`,
    '  Request Disposition: 0x1f (31) -- Denied',
    '  Request Disposition Message: "Denied by Policy Module"',
    '  Request Status Code: 0x80094812 (-2146875374 CERTSRV_E_SUBJECT_EMAIL_REQUIRED)',
  ],
  /** ICertAdmin::ResubmitRequest needs a pending request (learn.microsoft.com); the CertUtil FAILED shape of the transcripts. */
  badRequestStatus: (verb: string): string[] => [
    `CertUtil: ${verb} command FAILED: 0x80094003 (-2146877437 CERTSRV_E_BAD_REQUESTSTATUS)`,
    "CertUtil: The request's current status does not allow this operation.",
  ],
  notFound: (verb: string): string[] => [
    `CertUtil: ${verb} command FAILED: 0x80094004 (-2146877436 CERTSRV_E_PROPERTY_EMPTY)`,
    'CertUtil: Requested property value is empty.',
  ],
  fileNotFound: (verb: string): string[] => [`CertUtil: ${verb} command FAILED: 0x80070002 (WIN32: 2 ERROR_FILE_NOT_FOUND)`, 'CertUtil: The system cannot find the file specified.'],
  invalidArg: (verb: string): string[] => [`CertUtil: ${verb} command FAILED: 0x80070057 (WIN32: 87 ERROR_INVALID_PARAMETER)`, 'CertUtil: The parameter is incorrect.'],
  unknownArg: (arg: string): string[] => [`CertUtil: Unknown arg: ${arg}`],
  noLocalCa: (verb: string): string[] => [`CertUtil: ${verb} command FAILED: 0x80070002 (WIN32: 2 ERROR_FILE_NOT_FOUND)`, 'CertUtil: No local Certification Authority; use -config option'],
  /** certutil-rpc-unavailable.txt (a), verbatim incl. the missing ")". */
  pingRpcUnavailable: (config: string): string[] => [
    `Connecting to ${config} ... Server could not be reached: The RPC server is unavailable. 0x800706ba (WIN32: 1722 RPC_S_SERVER_UNAVAILABLE) -- (15ms)`,
    '',
    'CertUtil: -ping command FAILED: 0x800706ba (WIN32: 1722 RPC_S_SERVER_UNAVAILABLE',
    'CertUtil: The RPC server is unavailable.',
  ],
  /** certutil-rpc-unavailable.txt (b), without the source author's "CertUtol" typo. */
  rpcUnavailable: (verb: string): string[] => [`CertUtil: ${verb} command FAILED: 0x800706ba (WIN32: 1722 RPC_S_SERVER_UNAVAILABLE)`, 'CertUtil: The RPC server is unavailable.'],
  /** ASSUMED success form of -ping (no transcript): the "Connecting to …" line of (a), then the server answer. */
  pingOk: (config: string, caName: string): string[] => [`Connecting to ${config} ...`, `Server "${caName}" ICertRequest2 interface is alive (0ms)`, ok('-ping')],
  /** certutil-ca-cert.txt (/ca.cert form). */
  caCert: (verb: string, pem: string): string[] => ['CA cert[0]: 3 -- Valid', 'CA cert[0]:', ...pem.trimEnd().split('\n'), '', ok(verb)],
};

export function render(lines: string[], lineEnding: 'crlf' | 'lf' = 'crlf'): string {
  const eol = lineEnding === 'lf' ? '\n' : '\r\n';
  return lines.map((l) => `${l}${eol}`).join('');
}
