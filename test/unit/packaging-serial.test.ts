import { X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeForPackage, serialHexFromDer } from '../../services/packaging/index.js';
import { makeTestPki, type TestPki } from '../fixtures/packaging/test-pki.js';

// docs/scom-facts.md §2: ChannelCertificateSerialNumber is the serial as Windows shows it (DER INTEGER content, a
// leading 00 sign byte included), every byte reversed, nibbles kept.
let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki('Serial Root', 'Serial Issuing');
  pki.leafDer('serial.example.com', '01');
});
afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

/** Independent reference: reverse the byte pairs of the hex string. */
const reversePairs = (hex: string): string => (hex.match(/../g) ?? []).reverse().join('');

/** A serial value of `valueBytes` bytes; `highBit` makes DER prepend a 00 byte (content = valueBytes + 1). */
function serialValue(valueBytes: number, highBit: boolean, seed: number): string {
  let hex = '';
  for (let i = 0; i < valueBytes; i += 1) hex += ((seed * 37 + i * 53 + 11) % 256).toString(16).padStart(2, '0');
  const first = parseInt(hex.slice(0, 2), 16);
  const fixed = highBit ? (first | 0x80) : ((first & 0x7f) || 0x01);
  return (fixed.toString(16).padStart(2, '0') + hex.slice(2)).toUpperCase();
}

describe('serial numbers of 1 to 20 bytes in the manifest', () => {
  const cases: { content: number; value: string; leadingZero: boolean }[] = [];
  for (let content = 1; content <= 20; content += 1) {
    cases.push({ content, value: serialValue(content, false, content), leadingZero: false });
    if (content >= 2) cases.push({ content, value: serialValue(content - 1, true, content), leadingZero: true });
  }

  for (const c of cases) {
    it(`${c.content}-byte DER serial${c.leadingZero ? ' with a leading 00 byte' : ''} (${c.value})`, () => {
      const der = pki.resignLeaf(c.value);
      const expected = (c.leadingZero ? '00' : '') + c.value;
      expect(serialHexFromDer(der)).toBe(expected);
      expect(expected.length / 2).toBe(c.content);
      const facts = describeForPackage(der);
      expect(facts.serialNumber).toBe(expected);
      expect(facts.serialNumberReversed).toBe(reversePairs(expected));
      expect(facts.serialNumberReversed.length).toBe(c.content * 2);
      // node:crypto shows the value without the sign byte: the reason the DER is read directly.
      expect(new X509Certificate(der).serialNumber.toUpperCase().replace(/^0+/, '')).toBe(c.value.replace(/^0+/, ''));
    });
  }

  it('reverses bytes, never nibbles (AF 3C 56 -> 56 3C AF)', () => {
    const facts = describeForPackage(pki.resignLeaf('2F3C56'));
    expect(facts.serialNumber).toBe('2F3C56');
    expect(facts.serialNumberReversed).toBe('563C2F');
  });
});
