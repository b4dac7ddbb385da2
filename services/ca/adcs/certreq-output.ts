/**
 * Parsers for certreq console output (`-submit`, `-retrieve`, `-accept`).
 *
 * Parsed by shape, not by English words (docs/scom-facts.md §6, §8.4): the RequestId label is localized
 * (`RequestId:` / `Anforderungs-ID:` — vectors/certreq-submit-pending-localized-german.txt), the id is printed
 * twice, the second time quoted (vectors/certreq-submit-issued-plain.txt), and the line after the ids is the
 * disposition. Status words in known languages refine the classification; the `(0)` ending marks "taken under
 * submission" in any language; a failure HRESULT on a request that got an id means the CA refused it.
 */
import { findFailureHresult } from './hresult.js';

export type CertreqDisposition = 'issued' | 'pending' | 'denied' | 'error' | 'unknown';

export interface CertreqResult {
  requestId: string | null;
  disposition: CertreqDisposition;
  /** The disposition text (wrapped lines joined), or the error line(s) when no id was printed. */
  message: string;
  hresult: number | null;
}

/** `<label>: <digits>` alone on a line; the label has no digits, quotes or colon (any language). */
const ID_LINE = /^\s*([^\d":]{1,40}?)\s*:\s*(\d{1,10})\s*$/;
/** `<label>: "<digits>"` — the second, quoted print of the id. */
const QUOTED_ID_LINE = /^\s*([^\d":]{1,40}?)\s*:\s*"(\d{1,10})"\s*$/;
/** The message-box style seen in one write-up: `… Request ID = 19` (docs/scom-facts.md §6). */
const REQUEST_ID_EQUALS = /\bRequest ID\s*=\s*(\d{1,10})\b/i;

// certreq's status words (docs/scom-facts.md §6; German from vectors/certreq-submit-pending-localized-german.txt).
const DENIED_WORDS = /\(Denied\)|\bnot issued\b|\bVerweigert\b|\bAbgelehnt\b|nicht ausgestellt/i;
const PENDING_WORDS = /\bpending\b|Taken Under Submission|Ausstehend|Bei (?:Ü|Ue|U)bermittlung/i;
const ISSUED_WORDS = /\(Issued\)|\bIssued\b|\bAusgestellt\b/i;
/** "Taken under submission" ends with the status code in parentheses, `(0)`, in every language seen. */
const SUBMISSION_CODE = /\(0\)\s*$/;

function lines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
}

interface IdSpan { requestId: string; lastIdLine: number }

function findRequestId(all: string[]): IdSpan | null {
  let found: IdSpan | null = null;
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!;
    const quoted = QUOTED_ID_LINE.exec(line);
    const plain = ID_LINE.exec(line);
    const m = quoted ?? plain;
    if (!m) continue;
    // A plain id line counts when the next non-empty line is its quoted twin or a disposition line; the
    // denied transcript shows only one print (vectors/certreq-submit-denied.txt).
    if (found && found.requestId !== m[2]) break; // a second request's block (several in one transcript)
    found = { requestId: m[2]!, lastIdLine: i };
  }
  return found;
}

function classify(message: string, hasId: boolean, hresult: number | null): CertreqDisposition {
  if (DENIED_WORDS.test(message)) return 'denied';
  if (SUBMISSION_CODE.test(message) || PENDING_WORDS.test(message)) return 'pending';
  if (ISSUED_WORDS.test(message)) return 'issued';
  if (hasId && hresult !== null) return 'denied';
  return 'unknown';
}

/** The disposition text: the lines after the ids up to a blank line, with the author/console wrapping undone. */
function dispositionText(all: string[], from: number): string {
  const out: string[] = [];
  for (let i = from; i < all.length; i++) {
    const line = all[i]!.trim();
    if (line === '') {
      if (out.length > 0) break;
      continue;
    }
    if (ID_LINE.test(line) || QUOTED_ID_LINE.test(line)) break;
    out.push(line);
  }
  return out.join(' ');
}

/** Parse `certreq -submit` or `certreq -retrieve` output (they print the same id + disposition block). */
export function parseCertreqSubmit(text: string): CertreqResult {
  const all = lines(text);
  const id = findRequestId(all);
  if (id) {
    const message = dispositionText(all, id.lastIdLine + 1);
    const hresult = findFailureHresult(message);
    return { requestId: id.requestId, disposition: classify(message, true, hresult), message, hresult };
  }
  const equals = REQUEST_ID_EQUALS.exec(text);
  const trimmed = all.map((l) => l.trim()).filter((l) => l !== '').join('\n');
  if (equals) {
    return { requestId: equals[1]!, disposition: classify(trimmed, true, findFailureHresult(trimmed)), message: trimmed, hresult: findFailureHresult(trimmed) };
  }
  const hresult = findFailureHresult(trimmed);
  // No id: certreq failed before the CA took the request ("Certificate Request Processor: … 0x800706ba",
  // "Unexpected argument: -machine" + 0x80070057 — docs/scom-facts.md §6).
  return { requestId: null, disposition: hresult !== null ? 'error' : 'unknown', message: trimmed, hresult };
}

/** `certreq -retrieve` prints the same block as `-submit`. */
export const parseCertreqRetrieve = parseCertreqSubmit;

export interface CertreqAcceptResult {
  ok: boolean;
  hresult: number | null;
  /** 0x80092004: the pending request / private key for this .cer is gone; only a new CSR helps (docs/scom-facts.md §8.5). */
  orphaned: boolean;
  /** 0x80070057 with "Unexpected argument": the verb does not take that option (docs/scom-facts.md §6). */
  badArgument: string | null;
  message: string;
}

/** Parse `certreq -accept` output (vectors/certreq-accept-orphan-0x80092004.txt). */
export function parseCertreqAccept(text: string, exitCode: number | null): CertreqAcceptResult {
  const message = lines(text).map((l) => l.trim()).filter((l) => l !== '').join('\n');
  const hresult = findFailureHresult(message);
  const unexpected = /Unexpected argument:\s*(\S+)/i.exec(message);
  return {
    ok: hresult === null && unexpected === null && (exitCode === 0 || exitCode === null),
    hresult,
    orphaned: hresult === 0x80092004,
    badArgument: unexpected ? unexpected[1]! : null,
    message,
  };
}
