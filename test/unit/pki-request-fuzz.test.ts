/**
 * parseRequest on hostile bytes: whatever lands on the share, the answer is a ParsedRequest or an AgentcertError
 * AC_NOT_A_REQUEST / AC_REQUEST_INCOMPLETE — never a TypeError, RangeError or hang that would stall intake.
 */
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentcertError } from '../../services/domain/index.js';
import { parseRequest, decodeRequestBytes } from '../../services/pki/index.js';

const vectors = new URL('../../../shared/vectors/', import.meta.url);
const files = readdirSync(vectors).filter((f) => f.endsWith('.req')).sort();

function parseOutcome(bytes: Buffer): 'parsed' | 'AC_NOT_A_REQUEST' | 'AC_REQUEST_INCOMPLETE' {
  try {
    parseRequest(bytes);
    return 'parsed';
  } catch (err) {
    if (err instanceof AgentcertError && (err.code === 'AC_NOT_A_REQUEST' || err.code === 'AC_REQUEST_INCOMPLETE')) return err.code;
    throw err; // fails the property with the real exception
  }
}

type Mutation =
  | { kind: 'flip'; flips: { at: number; xor: number }[] }
  | { kind: 'truncate'; keep: number }
  | { kind: 'insert'; at: number; insert: Uint8Array };

const mutation = (length: number): fc.Arbitrary<Mutation> => fc.oneof(
  fc.array(fc.record({ at: fc.nat({ max: length - 1 }), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 8 })
    .map((flips) => ({ kind: 'flip' as const, flips })),
  fc.nat({ max: length - 1 }).map((keep) => ({ kind: 'truncate' as const, keep })),
  fc.record({ at: fc.nat({ max: length - 1 }), insert: fc.uint8Array({ minLength: 1, maxLength: 16 }) }).map((m) => ({ kind: 'insert' as const, ...m })),
);

function mutate(base: Buffer, m: Mutation): Buffer {
  if (m.kind === 'truncate') return base.subarray(0, m.keep);
  if (m.kind === 'insert') return Buffer.concat([base.subarray(0, m.at), Buffer.from(m.insert), base.subarray(m.at)]);
  const out = Buffer.from(base);
  for (const f of m.flips) out[f.at]! ^= f.xor;
  return out;
}

describe('parseRequest never throws anything but its two error codes', () => {
  it('on random bytes, including ones that start like DER or PEM', () => {
    const prefix = fc.constantFrom(Buffer.alloc(0), Buffer.from([0x30, 0x82]), Buffer.from([0x30, 0x80]), Buffer.from('-----BEGIN NEW CERTIFICATE REQUEST-----\n'), Buffer.from([0xff, 0xfe]));
    fc.assert(fc.property(prefix, fc.uint8Array({ maxLength: 600 }), (p, rest) => {
      parseOutcome(Buffer.concat([p, Buffer.from(rest)]));
    }), { numRuns: 500 });
  });

  describe.each(files)('%s', (file) => {
    const pemBytes = readFileSync(new URL(file, vectors));
    const der = decodeRequestBytes(pemBytes);

    it('mutated DER', () => {
      fc.assert(fc.property(mutation(der.length), (m) => { parseOutcome(mutate(der, m)); }), { numRuns: 300 });
    });

    it('mutated PEM', () => {
      fc.assert(fc.property(mutation(pemBytes.length), (m) => { parseOutcome(mutate(pemBytes, m)); }), { numRuns: 300 });
    });

    it('a changed DER that still parses never has a valid signature', () => {
      fc.assert(fc.property(mutation(der.length), (m) => {
        const bytes = mutate(der, m);
        let r;
        try { r = parseRequest(bytes); } catch { return; }
        if (!r.csrDer.equals(der)) expect(r.signatureValid).toBe(false);
      }), { numRuns: 300 });
    });

    it('every truncation of the DER is incomplete, never parsed', () => {
      for (let keep = 1; keep < der.length; keep += Math.max(1, Math.floor(der.length / 97))) {
        expect(parseOutcome(der.subarray(0, keep))).toBe('AC_REQUEST_INCOMPLETE');
      }
    });
  });
});
