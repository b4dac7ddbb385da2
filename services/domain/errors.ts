/**
 * The one registry of error codes (the fastify `lib/errors.js` shape, with a "how to solve" column).
 * Each code has an HTTP status, a CLI exit code (docs/contract.md: 0 ok, 1 internal, 2 usage/config, 3 rejected,
 * 4 CA failure, 5 verification failed), a one-line summary and a remediation a person can act on.
 * README.md's error-code table is checked against this list by test/unit/errors.test.ts.
 */

export interface ErrorSpec {
  status: number;
  exitCode: number;
  summary: string;
  remediation: string;
}

export const ERRORS = {
  AC_INTERNAL: {
    status: 500,
    exitCode: 1,
    summary: 'An internal error stopped the operation.',
    remediation: 'Look at the log line with this error for the stack; the request is kept and resumes at the next start.',
  },
  AC_USAGE: {
    status: 400,
    exitCode: 2,
    summary: 'The command line is not valid.',
    remediation: 'Run `agentcert --help` or `agentcert <command> --help` for the accepted arguments.',
  },
  AC_CONFIG_INVALID: {
    status: 500,
    exitCode: 2,
    summary: 'The configuration is not valid.',
    remediation: 'Fix each listed key in the config file, the AGENTCERT_* variable or the flag that set it.',
  },
  AC_CA_NOT_INITIALIZED: {
    status: 503,
    exitCode: 2,
    summary: 'The built-in CA has not been created yet.',
    remediation: 'Run `agentcert ca init` (or start the service once; it creates the CA on first start).',
  },
  AC_CA_KEY_LOCKED: {
    status: 500,
    exitCode: 2,
    summary: 'The CA private key is encrypted and no passphrase (or a wrong one) was given.',
    remediation: 'Set AGENTCERT_CA_PASSPHRASE (or ca.passphrase in the config) to the passphrase the CA was created with.',
  },
  AC_NOT_A_REQUEST: {
    status: 400,
    exitCode: 2,
    summary: 'The file is not a certificate request.',
    remediation: 'Drop the .req file certreq wrote (PEM "NEW CERTIFICATE REQUEST" or DER PKCS#10), unchanged.',
  },
  AC_REQUEST_INCOMPLETE: {
    status: 400,
    exitCode: 2,
    summary: 'The request file looks unfinished (a PEM with no END line, or truncated DER).',
    remediation: 'Wait until the copy has finished; the service retries a file until it has been stable for a while.',
  },
  AC_FILE_TOO_LARGE: {
    status: 413,
    exitCode: 2,
    summary: 'The file is larger than any certificate request (over 64 KB).',
    remediation: 'Drop only the .req file certreq wrote; it is a few KB.',
  },
  AC_REQUEST_REJECTED: {
    status: 422,
    exitCode: 3,
    summary: 'The request breaks a SCOM readiness or identity rule.',
    remediation: 'Read rejected/<FQDN>.txt on the share: it names each rule and the INF line that fixes it.',
  },
  AC_CA_UNAVAILABLE: {
    status: 503,
    exitCode: 4,
    summary: 'The CA could not be reached (RPC unavailable, timeout, or the process hung).',
    remediation: 'Check that the CA service runs and `certutil -config <CA> -ping` answers; the request is retried with backoff.',
  },
  AC_CA_DENIED: {
    status: 422,
    exitCode: 4,
    summary: 'The CA denied the request.',
    remediation: 'Read the CA text in the event history; fix the request or the CA policy and drop a new request.',
  },
  AC_CA_OUTPUT_UNKNOWN: {
    status: 502,
    exitCode: 4,
    summary: 'The CA tool printed output of no known shape.',
    remediation: 'The raw output is kept in the event; report it with the certreq/certutil version so a parser fixture can be added.',
  },
  AC_VERIFY_FAILED: {
    status: 500,
    exitCode: 5,
    summary: 'The issued certificate failed the verify gate; no package was published.',
    remediation: 'Read the failed check in the event history; fix the CA configuration (chain, EKU, validity) and re-drop the request.',
  },
  AC_PUBLISH_FAILED: {
    status: 500,
    exitCode: 1,
    summary: 'The delivery package could not be written to the share.',
    remediation: 'Check free space and write permission on issued/; publishing is retried with backoff.',
  },
  AC_NOT_FOUND: {
    status: 404,
    exitCode: 2,
    summary: 'No request or certificate matches.',
    remediation: 'Use `agentcert list` to find the id, FQDN, serial or thumbprint.',
  },
  AC_STORE_UNAVAILABLE: {
    status: 503,
    exitCode: 1,
    summary: 'The PostgreSQL store cannot be reached.',
    remediation: 'Check store.url, the network path and that the database server runs; requests stay on the share and resume when it answers.',
  },
  AC_STORE_COPY_MISMATCH: {
    status: 500,
    exitCode: 1,
    summary: 'The copied store does not match its source (counts or checksums differ).',
    remediation: 'Copy into an empty PostgreSQL database while no agentcert instance uses it, then run `agentcert store migrate` again.',
  },
  AC_STORE_LOCKED: {
    status: 503,
    exitCode: 1,
    summary: 'Another agentcert process holds the store.',
    remediation: 'Stop the other `agentcert serve` (one service per data directory), or point --data elsewhere.',
  },
  AC_UNAUTHORIZED: {
    status: 401,
    exitCode: 2,
    summary: 'No valid API token was presented.',
    remediation: 'Send `Authorization: Bearer <token>` with a token from api.tokens, or the admin token in <data>/admin-token.',
  },
  AC_FORBIDDEN: {
    status: 403,
    exitCode: 2,
    summary: 'The token is valid but its role may not do this.',
    remediation: 'Approve, deny and revoke need a token with role "admin" in api.tokens; reader tokens can only read.',
  },
  AC_TOO_MANY_ATTEMPTS: {
    status: 429,
    exitCode: 2,
    summary: 'Too many failed sign-in attempts from this address.',
    remediation: 'Wait a minute (see the Retry-After header) and use the right token; every failure is logged with the address.',
  },
  AC_STATE_CONFLICT: {
    status: 409,
    exitCode: 2,
    summary: 'The request or certificate is not in a state that allows this action.',
    remediation: 'Run `agentcert show <id>` to see its current state; only held requests can be approved or denied, only active certificates revoked.',
  },
  AC_CA_CANNOT_REVOKE: {
    status: 501,
    exitCode: 4,
    summary: 'The configured CA backend cannot revoke certificates from agentcert.',
    remediation: 'Revoke on the CA itself (`certutil -config <CA> -revoke <serial> <reason>`, then `certutil -crl`); agentcert records a revocation only when its backend performed it.',
  },
  AC_PORT_IN_USE: {
    status: 503,
    exitCode: 2,
    summary: 'The API port is already in use; nothing was created.',
    remediation: 'Stop what holds the port (named in the message when it can be found), or choose another: `agentcert serve --port N`, AGENTCERT_API_PORT or api.port in the config file.',
  },
  AC_PATH_UNUSABLE: {
    status: 500,
    exitCode: 2,
    summary: 'A folder the service needs (data.dir, share.root) cannot be created or written.',
    remediation: 'Check the path named in the message and the setting it comes from, and that the service account may create and write it; nothing else was changed.',
  },
  AC_NO_MANAGEMENT_GROUP: {
    status: 409,
    exitCode: 2,
    summary: 'No management group is configured, so agents have no management servers to be balanced over.',
    remediation: 'Set managementGroup.name and managementGroup.servers in the config file (README "Management group"), then run `agentcert balance` again.',
  },
  AC_SHARE_UNSAFE: {
    status: 500,
    exitCode: 2,
    summary: 'One of the share\'s own folders (requests, issued, results, pending, rejected, archive, tools) is a symbolic link.',
    remediation: 'Replace the link with a real folder on the share (move its content in), then start again; nothing was read or written.',
  },
  AC_WINDOWS_ONLY: {
    status: 501,
    exitCode: 2,
    summary: 'This command runs only on Windows.',
    remediation: 'Run it on the Windows server that runs agentcert, as administrator; elsewhere `agentcert service install --dry-run` prints the service definition and the commands it would run.',
  },
  AC_SERVICE_FAILED: {
    status: 500,
    exitCode: 1,
    summary: 'A Windows service command failed.',
    remediation: 'Read the command and its output printed above; run the command prompt as administrator, and check the service account with `sc.exe qc agentcert` and the wrapper log under data.dir\\logs.',
  },
  AC_DER_MALFORMED: {
    status: 400,
    exitCode: 2,
    summary: 'Bytes that should be DER (a certificate, a request, a CMS message) are not well-formed ASN.1.',
    remediation: 'Use the file exactly as the CA or certreq wrote it (PEM or DER); a copy that was cut short or re-encoded cannot be read.',
  },
  AC_CA_NO_CRL: {
    status: 501,
    exitCode: 4,
    summary: 'The configured CA publishes its own CRL; agentcert signs none for it.',
    remediation: 'Publish the CRL on the CA (`certutil -crl` for AD CS) and fetch it from the CA\'s CRL distribution point.',
  },
  AC_CA_EXPIRED: {
    status: 503,
    exitCode: 4,
    summary: 'The issuing CA certificate has expired: nothing can be issued.',
    remediation: 'Renew the CA certificate (for the built-in CA: create a new CA and re-issue), then drop the requests again.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class AgentcertError extends Error {
  readonly code: ErrorCode;
  readonly details: string[];
  constructor(code: ErrorCode, message?: string, details: string[] = [], options?: { cause?: unknown }) {
    super(message ?? ERRORS[code].summary, options);
    this.name = 'AgentcertError';
    this.code = code;
    this.details = details;
  }
  get spec(): ErrorSpec {
    return ERRORS[this.code];
  }
}

export function isAgentcertError(err: unknown): err is AgentcertError {
  return err instanceof AgentcertError;
}

/** A request moved while a step (or an admin) worked on it: the caller reads it afresh and decides again. */
export class StateConflictError extends AgentcertError {
  constructor(readonly requestId: string, readonly expected: string, readonly actual: string) {
    super('AC_STATE_CONFLICT', `request ${requestId} is ${actual}, expected ${expected}`);
    this.name = 'StateConflictError';
  }
}
