/**
 * Turning a child's stdout/stderr bytes into text.
 *
 * certutil writes UTF-16LE when given `-unicode` (or when its console is redirected on some builds); everything
 * else is decoded as UTF-8. A byte stream that is not valid UTF-8 (certreq on a German server writing its OEM/ANSI
 * code page, docs/scom-facts.md §6 "Localized") falls back to windows-1252 so the text stays readable; the parsers in
 * ca/adcs go by the shape of the output, not by the exact spelling of localized words.
 */

const UTF16LE_BOM = [0xff, 0xfe];
const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** True when the bytes look like UTF-16LE: a BOM, or NUL in most odd positions (ASCII text in UTF-16LE). */
export function looksLikeUtf16le(bytes: Uint8Array): boolean {
  if (bytes.length >= 2 && bytes[0] === UTF16LE_BOM[0] && bytes[1] === UTF16LE_BOM[1]) return true;
  if (bytes.length < 4 || bytes.length % 2 !== 0) return false;
  let oddNul = 0;
  let evenNul = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0) continue;
    if (i % 2 === 1) oddNul++;
    else evenNul++;
  }
  const pairs = bytes.length / 2;
  return oddNul >= pairs * 0.6 && evenNul <= pairs * 0.1;
}

export function decodeOutput(bytes: Uint8Array): string {
  if (bytes.length === 0) return '';
  if (looksLikeUtf16le(bytes)) {
    const start = bytes[0] === UTF16LE_BOM[0] && bytes[1] === UTF16LE_BOM[1] ? 2 : 0;
    return new TextDecoder('utf-16le').decode(bytes.subarray(start));
  }
  const start = bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2] ? 3 : 0;
  const body = bytes.subarray(start);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return new TextDecoder('windows-1252').decode(body);
  }
}
