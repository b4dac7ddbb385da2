/**
 * Findings about the dropped file itself, before (or instead of) its content: too large, not a request, badly
 * named, in a folder that is no tenant's, or no file at all. The intake step gathers the facts; the wording and
 * the fixes live here with every other rule.
 */
import type { Finding } from '../domain/index.js';

function fileFinding(rule: string, message: string, remediation: string, found?: string): Finding {
  return { rule, severity: 'error', message, remediation, ...(found ? { found } : {}) };
}

export function fileTooLarge(size: number, limit: number): Finding {
  return fileFinding('FILE_TOO_LARGE', `the file is ${size} bytes; a certificate request is a few KB (limit ${limit})`, 'drop only the .req file certreq wrote, unchanged', `${size} bytes`);
}

export function fileNotARequest(name: string, why: string): Finding {
  return fileFinding('FILE_NOT_A_REQUEST', `${name} is not a certificate request: ${why}`, 'drop the .req file that certreq -new wrote (PEM "BEGIN NEW CERTIFICATE REQUEST" or DER), unchanged');
}

/** The file is not named `<FQDN>.req`; `reservedDevice` is the Windows device name its first label is, if any. */
export function fileBadName(name: string, reservedDevice: string | null): Finding {
  if (reservedDevice) {
    return fileFinding('FILE_NAME', `the file name "${name}" starts with the reserved Windows device name ${reservedDevice}; its package folder could not be opened from Windows`, 'request the certificate for a host name whose first label is not CON, PRN, AUX, NUL, COM1-9 or LPT1-9', name);
  }
  return fileFinding('FILE_NAME', `the file name "${name}" is not <FQDN>.req`, 'name the file after the host\'s fully qualified DNS name, for example web01.contoso.local.req', name);
}

export function fileNotInTenantFolder(folder: string): Finding {
  return fileFinding('FILE_TENANT_FOLDER', `the folder "${folder}" is not a configured tenant`, 'drop the request in requests/ or in the folder of your tenant');
}

export function fileNotAFile(name: string, detail: string, what: string): Finding {
  return fileFinding('FILE_NOT_A_FILE', `${name} is ${detail}, not a request file; it was not opened or followed, and was moved to archive/ as it is`, 'copy the .req file that certreq -new wrote onto the share itself (not a link, shortcut or folder)', what);
}

/** A file holds exactly one request: what the owner meant by two is never guessed (README "Trust model"). */
export function fileMultipleRequests(name: string, what: string): Finding {
  return fileFinding('FILE_MULTIPLE_REQUESTS', `${name} holds more than one request (${what}); a file must hold exactly one`, 'drop each request in its own <FQDN>.req file, as certreq -new wrote it', what);
}
