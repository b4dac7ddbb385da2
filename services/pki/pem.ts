/**
 * Getting the DER out of whatever a server owner dropped: certreq writes PEM "NEW CERTIFICATE REQUEST" with
 * CRLF (docs/scom-facts.md §5), `certreq -binary` writes DER, and a file re-saved from Notepad as "Unicode" is
 * UTF-16LE with a BOM. A file still being copied shows as a BEGIN with no END, or DER shorter than its length.
 */
import { AgentcertError } from '../domain/index.js';
import { readTlv, DerTruncatedError } from './der-slice.js';

const REQUEST_LABELS = new Set(['NEW CERTIFICATE REQUEST', 'CERTIFICATE REQUEST', 'PKCS7', 'CMS', 'PKCS #7 SIGNED DATA']);
const BASE64_LINE = /^[A-Za-z0-9+/=]+$/;

export function derToPem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}${lines.length ? '\n' : ''}-----END ${label}-----\n`;
}

interface PemBlock { label: string; der: Buffer; complete: boolean }

function scanPem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let current: { label: string; body: string[] } | null = null;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    const begin = /^-----BEGIN ([^-]*)-----$/.exec(line);
    const end = /^-----END ([^-]*)-----$/.exec(line);
    if (begin) current = { label: begin[1]!.trim(), body: [] };
    else if (end && current) {
      blocks.push({ label: current.label, der: Buffer.from(current.body.join(''), 'base64'), complete: true });
      current = null;
    } else if (current && BASE64_LINE.test(line)) current.body.push(line);
    // other lines inside a block (Proc-Type headers, comments pasted by mail clients) are skipped
  }
  if (current) blocks.push({ label: current.label, der: Buffer.alloc(0), complete: false });
  return blocks;
}

/** Every complete PEM block in a text, in order. */
export function pemBlocksToDer(text: string): { label: string; der: Buffer }[] {
  return scanPem(text).filter((b) => b.complete).map(({ label, der }) => ({ label, der }));
}

/** Text of the file: UTF-16LE/BE by BOM or by the zero-byte pattern Notepad's "Unicode" leaves, else latin1. */
function bytesToText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return swap16(bytes.subarray(2)).toString('utf16le');
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('latin1');
  if (bytes.length >= 4 && bytes[1] === 0 && bytes[3] === 0 && bytes[0] !== 0) return bytes.toString('utf16le');
  if (bytes.length >= 4 && bytes[0] === 0 && bytes[2] === 0 && bytes[1] !== 0) return swap16(bytes).toString('utf16le');
  return bytes.toString('latin1');
}

function swap16(b: Buffer): Buffer {
  const out = Buffer.alloc(b.length - (b.length % 2));
  for (let i = 0; i + 1 < b.length; i += 2) { out[i] = b[i + 1]!; out[i + 1] = b[i]!; }
  return out;
}

/** The outer TLV of `der`, trailing bytes dropped; a length past the end means the copy is unfinished. */
function outerDer(der: Buffer, what: string): Buffer {
  if (der.length === 0 || der[0] !== 0x30) {
    throw new AgentcertError('AC_NOT_A_REQUEST', `${what} does not start with an ASN.1 SEQUENCE`);
  }
  try {
    return der.subarray(0, readTlv(der, 0).end);
  } catch (err) {
    if (err instanceof DerTruncatedError) {
      throw new AgentcertError('AC_REQUEST_INCOMPLETE', `${what} is shorter than its ASN.1 length (${err.message}); the file may still be being written`);
    }
    throw new AgentcertError('AC_NOT_A_REQUEST', `${what} is not DER: ${(err as Error).message}`);
  }
}

function describeFound(bytes: Buffer, text: string): string {
  const printable = /^[\t\r\n\x20-\x7e]*$/.test(text.slice(0, 200));
  if (printable) return `text starting "${text.trim().slice(0, 40).replace(/\s+/g, ' ')}"`;
  return `binary data starting 0x${bytes.subarray(0, 8).toString('hex')}`;
}

function fromPem(text: string): Buffer {
  const blocks = scanPem(text);
  const request = blocks.find((b) => REQUEST_LABELS.has(b.label.toUpperCase()));
  if (request && !request.complete) {
    throw new AgentcertError('AC_REQUEST_INCOMPLETE', `PEM "BEGIN ${request.label}" has no END line; the file may still be being written`);
  }
  if (request) return outerDer(request.der, `the PEM ${request.label} block`);
  const first = blocks[0];
  if (!first) {
    const lines = text.trimEnd().split(/\r\n|\r|\n/);
    const cutOff = /-----BEGIN /.test(lines[lines.length - 1] ?? '');
    throw new AgentcertError(cutOff ? 'AC_REQUEST_INCOMPLETE' : 'AC_NOT_A_REQUEST', cutOff ? 'the file ends inside a PEM BEGIN line' : 'found a malformed PEM BEGIN line');
  }
  if (!first.complete) throw new AgentcertError('AC_REQUEST_INCOMPLETE', `PEM "BEGIN ${first.label}" has no END line`);
  const kind = /CERTIFICATE$/i.test(first.label) ? 'a certificate' : `a PEM ${first.label} block`;
  throw new AgentcertError('AC_NOT_A_REQUEST', `found ${kind} ("BEGIN ${first.label}"), not a certificate request`);
}

export function decodeRequestBytes(bytes: Buffer): Buffer {
  try {
    return decode(bytes);
  } catch (err) {
    if (err instanceof AgentcertError && err.code !== 'AC_DER_MALFORMED') throw err;
    throw new AgentcertError('AC_NOT_A_REQUEST', `the file could not be decoded: ${(err as Error)?.message ?? String(err)}`, [], { cause: err });
  }
}

function decode(bytes: Buffer): Buffer {
  if (bytes.length === 0) throw new AgentcertError('AC_NOT_A_REQUEST', 'the file is empty');
  if (bytes[0] === 0x30) return outerDer(bytes, 'the DER file');
  const text = bytesToText(bytes);
  if (/-----BEGIN /.test(text)) return fromPem(text);
  const trimmed = text.trim();
  if (trimmed.length > 0 && '-----BEGIN '.startsWith(trimmed.split(/\r?\n/)[0]!)) {
    throw new AgentcertError('AC_REQUEST_INCOMPLETE', 'the file ends inside a PEM BEGIN line');
  }
  const compact = trimmed.replace(/\s+/g, '');
  if (compact.length >= 16 && /^[A-Za-z0-9+/]+=*$/.test(compact)) {
    const der = Buffer.from(compact, 'base64');
    if (der[0] === 0x30) return outerDer(der, 'the base64 text');
  }
  throw new AgentcertError('AC_NOT_A_REQUEST', `found ${describeFound(bytes, text)}, not a PEM or DER certificate request`);
}

const isPadding = (b: number): boolean => b === 0x0d || b === 0x0a || b === 0x20 || b === 0x09 || b === 0x00;

function trailingAfterDer(der: Buffer): number {
  try {
    const rest = der.subarray(readTlv(der, 0).end);
    return rest.every(isPadding) ? 0 : rest.length;
  } catch {
    return 0; // not DER: the parser says why
  }
}

/**
 * Why a file that parses holds more than one request, or null: two PEM blocks, or bytes after the DER (in the
 * file or inside its PEM block). The parser takes the first request; a file must hold exactly one, so what the
 * owner meant is never guessed (README "Trust model").
 */
export function extraRequestContent(bytes: Buffer): string | null {
  if (bytes[0] === 0x30) {
    const n = trailingAfterDer(bytes);
    return n > 0 ? `${n} bytes follow the DER request` : null;
  }
  const blocks = scanPem(bytesToText(bytes));
  if (blocks.length > 1) return `${blocks.length} PEM blocks (${blocks.map((b) => b.label).join(', ')})`;
  const n = blocks[0] ? trailingAfterDer(blocks[0].der) : 0;
  return n > 0 ? `${n} bytes follow the request inside the PEM block` : null;
}
