/**
 * The built-in CA's CRL signature (RFC 5280 §5): agentcert composes the list from its own records (which are the
 * built-in CA's database) and the CA signs it with its issuing key, which never leaves this folder.
 */
import type { CrlInput } from '../../domain/index.js';
import { signCrl, type CaMaterial } from '../../pki/index.js';

export function signBuiltinCrl(signer: CaMaterial, input: CrlInput): Buffer {
  return signCrl({ issuer: signer, entries: input.entries, thisUpdate: input.thisUpdate, nextUpdate: input.nextUpdate, crlNumber: input.crlNumber });
}
