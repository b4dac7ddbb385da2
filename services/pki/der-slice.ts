/**
 * A minimal DER tag-length reader that only finds byte offsets. forge's tree re-encodes on toDer, which is not
 * byte-exact for the odd non-minimal encodings real tools write; signatures are over the original bytes
 * (RFC 2986 §4.2: the signature covers the DER of certificationRequestInfo as sent), and the request
 * fingerprint must be of the inner PKCS#10 exactly as the client made it.
 */
import { AgentcertError } from '../domain/index.js';

export interface Tlv {
  tag: number;       // first identifier octet (class + constructed bit + number, low tags only)
  start: number;     // offset of the identifier octet
  contentStart: number;
  end: number;       // offset after the content
}

/** DER that ends before its own lengths say (a file still being copied, or cut short). */
export class DerTruncatedError extends AgentcertError {
  constructor(message: string) {
    super('AC_DER_MALFORMED', message);
    this.name = 'DerTruncatedError';
  }
}

/** Read one TLV at `offset`; throws DerTruncatedError when its length runs past `limit`. */
export function readTlv(buf: Buffer, offset = 0, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerTruncatedError('DER ends inside a tag/length header');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new AgentcertError('AC_DER_MALFORMED', 'high tag numbers are not used in certificate requests');
  let p = offset + 1;
  const first = buf[p++]!;
  let length = first;
  if (first === 0x80) throw new AgentcertError('AC_DER_MALFORMED', 'indefinite length (BER) is not DER');
  if (first > 0x80) {
    const n = first & 0x7f;
    if (n > 4) throw new AgentcertError('AC_DER_MALFORMED', 'length field too long');
    if (p + n > limit) throw new DerTruncatedError('DER ends inside a length field');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[p++]!;
  }
  const end = p + length;
  if (end > limit) throw new DerTruncatedError(`DER length ${length} runs ${end - limit} bytes past the end`);
  return { tag, start: offset, contentStart: p, end };
}

/** The TLVs inside a constructed TLV, in order. */
export function tlvChildren(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let p = parent.contentStart;
  while (p < parent.end) {
    const c = readTlv(buf, p, parent.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

export const tlvBytes = (buf: Buffer, t: Tlv): Buffer => buf.subarray(t.start, t.end);
