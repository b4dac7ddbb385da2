/** Findings about outcomes decided outside the request: the CA's denial, an admin's denial. */
import type { Finding } from '../domain/index.js';

export function caDenied(caMessage: string): Finding {
  return { rule: 'CA_DENIED', severity: 'error', message: `the CA denied the request: ${caMessage}`, remediation: 'ask the PKI admins why the CA denied it, fix the request and drop a new one' };
}

export function adminDenied(reason: string): Finding {
  return {
    rule: 'ADMIN_DENIED',
    severity: 'error',
    message: `an administrator denied the request: ${reason}`,
    remediation: 'talk to the agentcert administrators about the reason above; drop a new request once it is resolved',
  };
}
