/**
 * Authenticated install results (README "Install results" and "Trust model"). Anyone who can write results/
 * can write a file there, so a result counts only when it is signed with the private key of the certificate it
 * names: install-certificate.ps1 signs the result JSON with .NET's SignedCms (CMS SignedData, RFC 5652 §5,
 * enveloping, eContentType id-data, SHA-256, signing-time attribute) and writes
 * `{"schemaVersion": 2, "format": "cms-enveloping", "cms": "<base64 DER>"}` as results/<FQDN>.json.
 * Everything is bounded before it is parsed or stored: the file's size, the JSON's nesting depth, and what of
 * the diagnosis and message is kept.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { IssuedCertificate, Store } from '../../domain/index.js';
import { certificateKey, openSignedContent } from '../../pki/index.js';
import { OID } from '../../pki/oids.js';

export const RESULT_LIMITS = {
  /** A real result (steps, diagnosis, signature and certificate) is 5–30 KB. */
  maxBytes: 256 * 1024,
  /** ConvertTo-Json -Depth 6 in the installer: the result is at most a few levels deep. */
  maxDepth: 32,
  /** What of the diagnosis is stored in the event (the API and dashboard show it). */
  maxDiagnosisChars: 8192,
  maxMessageChars: 2000,
} as const;

/** The envelope install-certificate.ps1 writes (Protect-Result). */
export const SignedResultEnvelope = Type.Object(
  { schemaVersion: Type.Literal(2), format: Type.Literal('cms-enveloping'), cms: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9+/=\\s]+$' }) },
  { additionalProperties: true },
);

/** The result JSON itself (installers/install-certificate.ps1 Write-Result); further fields are allowed and not kept. */
export const InstallResultDocument = Type.Object(
  {
    fqdn: Type.String({ minLength: 1, maxLength: 253 }),
    thumbprint: Type.String({ minLength: 40, maxLength: 80 }),
    status: Type.String({ minLength: 1, maxLength: 64 }),
    exitCode: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    message: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    computer: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    finishedAt: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
    diagnosis: Type.Optional(Type.Union([Type.Array(Type.Unknown()), Type.Null()])),
    selfHealed: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  },
  { additionalProperties: true },
);
type ResultDocument = Static<typeof InstallResultDocument>;

export interface InstallResult {
  fqdn: string;
  thumbprint: string;
  status: string;
  exitCode: number | null;
  message: string;
  /** As the file says: shown, never used as the actor. */
  computer: string | null;
  finishedAt: string | null;
  diagnosis: unknown[];
  selfHealed: boolean;
}

export type ReadResult =
  | { kind: 'invalid'; why: string }
  | { kind: 'unauthenticated'; result: InstallResult; certificate: IssuedCertificate | null; why: string }
  | { kind: 'verified'; result: InstallResult; certificate: IssuedCertificate };

/** The deepest nesting of arrays and objects in a JSON text (strings skipped); stops counting past `limit`. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

function parseBounded(text: string, what: string): { ok: true; doc: unknown } | { ok: false; why: string } {
  if (jsonDepth(text, RESULT_LIMITS.maxDepth) > RESULT_LIMITS.maxDepth) return { ok: false, why: `${what} is nested deeper than ${RESULT_LIMITS.maxDepth} levels` };
  try {
    return { ok: true, doc: JSON.parse(text.replace(/^\uFEFF/, '')) };
  } catch (err) {
    return { ok: false, why: `${what} is not JSON (${(err as Error).message.slice(0, 120)})` };
  }
}

/** The diagnosis entries that fit in maxDiagnosisChars, and a note of what was left out. */
export function boundDiagnosis(diagnosis: unknown[]): unknown[] {
  const out: unknown[] = [];
  let used = 0;
  for (const d of diagnosis) {
    const n = JSON.stringify(d)?.length ?? 4;
    if (used + n > RESULT_LIMITS.maxDiagnosisChars) break;
    out.push(d);
    used += n;
  }
  if (out.length < diagnosis.length) out.push({ truncated: `${diagnosis.length - out.length} of ${diagnosis.length} entries left out (over ${RESULT_LIMITS.maxDiagnosisChars} characters); the full result.json is on the agent` });
  return out;
}

function toResult(doc: ResultDocument): InstallResult {
  return {
    fqdn: doc.fqdn.toLowerCase(),
    thumbprint: doc.thumbprint.replace(/\s/g, '').toUpperCase(),
    status: doc.status,
    exitCode: doc.exitCode ?? null,
    message: (doc.message ?? '').slice(0, RESULT_LIMITS.maxMessageChars),
    computer: doc.computer ?? null,
    finishedAt: doc.finishedAt ?? null,
    diagnosis: boundDiagnosis(doc.diagnosis ?? []),
    selfHealed: doc.selfHealed === true,
  };
}

function resultDocument(doc: unknown, what: string): { ok: true; result: InstallResult } | { ok: false; why: string } {
  if (!Value.Check(InstallResultDocument, doc)) {
    const first = [...Value.Errors(InstallResultDocument, doc)][0];
    return { ok: false, why: `${what} is not an install result${first ? ` (${first.path || '/'}: ${first.message})` : ''}` };
  }
  return { ok: true, result: toResult(doc) };
}

/** Verify a signed envelope: the CMS content is the result, signed with the key of the certificate it names. */
async function verifyEnvelope(store: Store, cmsBase64: string, fqdn: string): Promise<ReadResult> {
  let signed: ReturnType<typeof openSignedContent>;
  try {
    signed = openSignedContent(Buffer.from(cmsBase64.replace(/\s+/g, ''), 'base64'));
  } catch (err) {
    return { kind: 'invalid', why: `the signed result is not a CMS SignedData message (${(err as Error).message})` };
  }
  if (signed.eContentType !== OID.cmsData) return { kind: 'invalid', why: `the signed content type is ${signed.eContentType}, not data` };
  const parsed = parseBounded(signed.content.toString('utf8'), 'the signed result');
  if (!parsed.ok) return { kind: 'invalid', why: parsed.why };
  const doc = resultDocument(parsed.doc, 'the signed content');
  if (!doc.ok) return { kind: 'invalid', why: doc.why };
  const result = doc.result;
  const cert = await store.certificates.find(result.thumbprint);
  if (!cert || cert.thumbprint !== result.thumbprint || cert.fqdn !== fqdn) {
    return { kind: 'unauthenticated', result, certificate: null, why: `it names certificate ${result.thumbprint}, which agentcert did not issue for ${fqdn}` };
  }
  const key = certificateKey(cert.der);
  if (!key || !signed.verifyWith(key)) {
    return { kind: 'unauthenticated', result, certificate: cert, why: `its signature does not verify with the key of certificate ${cert.serialNumber}, the one it names` };
  }
  return { kind: 'verified', result, certificate: cert };
}

/** Read one results file's bytes: verified, unauthenticated (readable, but not proven), or invalid. */
export async function authenticateResult(store: Store, bytes: Buffer, fqdn: string): Promise<ReadResult> {
  const parsed = parseBounded(bytes.toString('utf8'), 'the file');
  if (!parsed.ok) return { kind: 'invalid', why: parsed.why };
  if (Value.Check(SignedResultEnvelope, parsed.doc)) {
    const out = await verifyEnvelope(store, parsed.doc.cms, fqdn);
    if (out.kind !== 'invalid' && out.result.fqdn !== fqdn) return { kind: 'invalid', why: `the signed result is for ${out.result.fqdn}, not ${fqdn}` };
    return out;
  }
  const doc = resultDocument(parsed.doc, 'the file');
  if (!doc.ok) return { kind: 'invalid', why: doc.why };
  if (doc.result.fqdn !== fqdn) return { kind: 'invalid', why: `the result is for ${doc.result.fqdn}, not ${fqdn}` };
  const cert = await store.certificates.find(doc.result.thumbprint);
  return { kind: 'unauthenticated', result: doc.result, certificate: cert && cert.fqdn === fqdn ? cert : null, why: 'it is not signed (the installer signs its result with the installed certificate\'s key; an unsigned result comes from an installer that could not use the key, or from someone else)' };
}
