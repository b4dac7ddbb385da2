/**
 * Certificate serial numbers as Windows shows them and as the SCOM registry holds them.
 *
 * docs/scom-facts.md §2: MOMCertImport writes ChannelCertificateSerialNumber (REG_BINARY) as the serial
 * byte-reversed, nibbles not swapped (`AF 3C 56` → `56 3C AF`); always reverse all bytes, including a leading
 * 00 sign byte present in the DER INTEGER, since .NET's SerialNumber string includes it.
 */
import { randomBytes } from 'node:crypto';
import { AgentcertError } from '../domain/index.js';

/** Upper-case hex with no separators; accepts `af:3c:56`, `AF 3C 56`, `af3c56`. */
export function normalizeSerialHex(serial: string): string {
  const hex = serial.replace(/[\s:]/g, '').toUpperCase();
  if (!/^[0-9A-F]*$/.test(hex) || hex.length === 0) throw new AgentcertError('AC_USAGE', `not a hex serial number: ${serial}`);
  return hex.length % 2 === 1 ? `0${hex}` : hex;
}

/** The registry byte order: every byte reversed, nibbles kept. */
export function reverseSerialHex(serial: string): string {
  const hex = normalizeSerialHex(serial);
  const bytes = hex.match(/../g) ?? [];
  return bytes.reverse().join('');
}

/**
 * A new serial: 16 random bytes, positive and without a leading zero byte, so the DER INTEGER content is
 * exactly these bytes (RFC 5280 §4.1.2.2: positive, at most 20 octets; CA/B BR 7.1: ≥ 64 bits of entropy).
 */
export function newSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10; // positive, and never a leading 00 that DER would have to strip
  return bytes.toString('hex').toUpperCase();
}
