/**
 * Fake certutil.exe for tests: the CA-side verbs agentcert uses, with `-config HOST\CA Name`,
 * in the output shapes of vectors/certutil-*.txt (fake-ca-text.ts); state in AGENTCERT_FAKE_CA_DIR.
 *
 *   certutil -config <CA> -ping | -resubmit <id> | -deny <id> | -setextension <id> <oid> <flags> @<file>
 *            | -ca.cert <file> [index] | -ca.chain <file> [index] | -revoke <serial> [reason] | -crl
 *            | -view -restrict <list> -out <columns> csv
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { derToPem } from '../../services/pki/index.js';
import { allRequests, findRequestBySerial, loadCa, readRequest, stateDir, withLock, writeRequest, type FakeRequestRecord, type FakeVerb } from './fake-ca-state.js';
import { caNameOf, denyRequest, issueRequest } from './fake-ca-issue.js';
import { certutilText } from './fake-ca-text.js';
import { degeneratePkcs7 } from './fake-pkcs7.js';
import { applyFaults, finish, runTool, startInvocation, type Invocation } from './fake-tool.js';

/** verb → [min, max] arguments (certutil -? syntax). */
const VERBS: Record<string, [number, number]> = {
  '-ping': [0, 1], '-resubmit': [1, 1], '-deny': [1, 1], '-setextension': [4, 4], '-ca.cert': [1, 2], '-ca.chain': [1, 2],
  '-revoke': [1, 2], '-crl': [0, 2], '-view': [0, 2],
};
const VALUE_OPTIONS = new Set(['-config', '-p', '-t', '-csp', '-out', '-restrict']);
const FLAG_OPTIONS = new Set(['-f', '-user', '-unicode', '-silent', '-split', '-v', '-enterprise', '-gmt', '-seconds']);

function parseArgs(inv: Invocation): { verb: string; typed: string; args: string[]; config: string | null; options: Map<string, string> } {
  let verb: string | null = null;
  let typed = '';
  let config: string | null = null;
  const options = new Map<string, string>();
  const args: string[] = [];
  for (let i = 0; i < inv.argv.length; i++) {
    const a = inv.argv[i]!;
    const key = a.toLowerCase();
    if (verb === null && key in VERBS) { verb = key; typed = a; }
    else if (VALUE_OPTIONS.has(key)) { const v = inv.argv[++i]; if (v === undefined) finish(inv, certutilText.invalidArg(a), { verb, requestId: null, outcome: 'bad-argument' }, 87); if (key === '-config') config = v!; options.set(key, v!); }
    else if (FLAG_OPTIONS.has(key)) continue;
    else if (a.startsWith('-') && verb === null) finish(inv, certutilText.unknownArg(a), { verb, requestId: null, outcome: 'bad-argument' }, 87);
    else args.push(a);
  }
  if (!verb) finish(inv, certutilText.unknownArg(inv.argv[0] ?? '(none)'), { verb: null, requestId: null, outcome: 'bad-argument' }, 87);
  const [min, max] = VERBS[verb!]!;
  // certutil-ca-cert.txt: "Expected no more than 1 args, received 2" / "CertUtil: Too many arguments".
  if (args.length > max) finish(inv, [`Expected no more than ${max} args, received ${args.length}`, 'CertUtil: Too many arguments'], { verb: verb!.slice(1), requestId: null, outcome: 'bad-argument' }, 87);
  if (args.length < min) finish(inv, certutilText.invalidArg(typed), { verb: verb!.slice(1), requestId: null, outcome: 'bad-argument' }, 87);
  return { verb: verb!, typed, args, config, options };
}

function requestOf(inv: Invocation, typed: string, verb: FakeVerb, idText: string) {
  const id = /^0x[0-9a-f]+$/i.test(idText) ? Number.parseInt(idText, 16) : /^\d+$/.test(idText) ? Number(idText) : NaN;
  const record = Number.isFinite(id) ? readRequest(inv.dir, id) : null;
  if (!record) finish(inv, certutilText.notFound(typed), { verb, requestId: idText, outcome: 'not-found' }, 0x4004);
  return record!;
}

function resubmit(inv: Invocation, typed: string, idText: string, caName: string, host: string): never {
  const lines = withLock(inv.dir, () => {
    const record = requestOf(inv, typed, 'resubmit', idText);
    // Resubmit needs a pending (or denied) request (MS-CSRA 3.1.4.1.3; ICertAdmin::ResubmitRequest).
    if (record.status !== 'pending' && record.status !== 'denied') return { lines: certutilText.badRequestStatus(typed), outcome: 'not-pending', exit: 0x4003 };
    const action = inv.scenario.onResubmit ?? 'issue';
    if (action === 'issue') { issueRequest(inv.dir, record, caName, inv.scenario); return { lines: certutilText.resubmitIssued(record.id, `FAKE\\${host.split('.')[0]!.toUpperCase()}$`), outcome: 'issued', exit: 0 }; }
    if (action === 'deny') { denyRequest(inv.dir, record); return { lines: certutilText.resubmitDenied(record.id), outcome: 'denied', exit: 0 }; }
    return { lines: certutilText.resubmitPending(record.id), outcome: 'pending', exit: 0 };
  });
  finish(inv, lines.lines, { verb: 'resubmit', requestId: idText, outcome: lines.outcome }, lines.exit);
}

function setExtension(inv: Invocation, typed: string, [idText, oid, flags, value]: string[]): never {
  if (!/^[0-2](\.\d+)+$/.test(oid!) || !/^[01]$/.test(flags!)) finish(inv, certutilText.invalidArg(typed), { verb: 'setextension', requestId: idText!, outcome: 'bad-argument' }, 87);
  // "@InFile: binary data or an ascii-text hex dump" (certutil -setextension syntax).
  if (!value!.startsWith('@')) finish(inv, [`fake certutil: only @file values are simulated`], { verb: 'setextension', requestId: idText!, outcome: 'unsupported' }, 1);
  const file = value!.slice(1);
  if (!existsSync(file)) finish(inv, certutilText.fileNotFound(typed), { verb: 'setextension', requestId: idText!, outcome: 'file-not-found' }, 2);
  let bytes = readFileSync(file);
  if (bytes.length === 0) finish(inv, certutilText.invalidArg(typed), { verb: 'setextension', requestId: idText!, outcome: 'empty-value' }, 87);
  if (bytes[0] !== 0x30 && /^[\s0-9a-fA-F]+$/.test(bytes.toString('latin1'))) bytes = Buffer.from(bytes.toString('latin1').replace(/\s+/g, ''), 'hex');
  const outcome = withLock(inv.dir, () => {
    const record = requestOf(inv, typed, 'setextension', idText!);
    if (record.status !== 'pending') return 'not-pending';
    writeRequest(inv.dir, { ...record, extensions: { ...record.extensions, [oid!]: { critical: flags === '1', valueB64: bytes.toString('base64') } } });
    return 'set';
  });
  if (outcome === 'not-pending') finish(inv, certutilText.badRequestStatus(typed), { verb: 'setextension', requestId: idText!, outcome }, 0x4003);
  finish(inv, certutilText.ok(typed), { verb: 'setextension', requestId: idText!, outcome });
}

/** The CA database columns the fake knows (certutil -schema names), with a record's value for each. */
const COLUMNS: Record<string, (r: FakeRequestRecord) => string> = {
  requestid: (r) => String(r.id),
  requestattributes: (r) => r.attributes ?? '',
  disposition: (r) => String(DISPOSITIONS[r.status]),
  serialnumber: (r) => (r.serialHex ?? '').toLowerCase(),
};
/** DB_DISP_PENDING 9, DB_DISP_ISSUED 20, DB_DISP_REVOKED 21, DB_DISP_DENIED 31 (MS-CSRA 3.1.1.4.3.1). */
const DISPOSITIONS = { pending: 9, issued: 20, revoked: 21, denied: 31 } as const;

/**
 * `certutil -view -restrict "Col=value[,…]" -out "ColA,ColB" csv` — ASSUMED output shape (no transcript): a header
 * row of the column names, one quoted row per matching request, then the usual completion line.
 */
function view(inv: Invocation, typed: string, args: string[], options: Map<string, string>): never {
  if (!args.includes('csv')) finish(inv, ['fake certutil: only the csv form of -view is simulated'], { verb: 'view', requestId: null, outcome: 'unsupported' }, 1);
  const restrictions = (options.get('-restrict') ?? '').split(',').filter(Boolean).map((r) => /^\s*([\w.]+)\s*=\s*(.*?)\s*$/.exec(r));
  const columns = (options.get('-out') ?? '').split(',').map((c) => c.trim().toLowerCase().replace(/^request\./, ''));
  if (restrictions.some((m) => !m || !(m[1]!.toLowerCase().replace(/^request\./, '') in COLUMNS)) || columns.some((c) => !(c in COLUMNS))) {
    finish(inv, certutilText.invalidArg(typed), { verb: 'view', requestId: null, outcome: 'bad-argument' }, 87);
  }
  // Read without the lock: every record is written whole by a rename (fake-ca-state.ts), as a database read would be.
  const rows = allRequests(inv.dir).filter((r) => restrictions.every((m) => COLUMNS[m![1]!.toLowerCase().replace(/^request\./, '')]!(r) === m![2]!.toLowerCase()));
  const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;
  const lines = [columns.map(quote).join(','), ...rows.map((r) => columns.map((c) => quote(COLUMNS[c]!(r))).join(',')), certutilText.ok(typed)[0]!];
  finish(inv, lines, { verb: 'view', requestId: null, outcome: `rows:${rows.length}` });
}

function main(): void {
  const dir = stateDir();
  const inv = startInvocation(dir, 'certutil', process.argv.slice(2));
  const { verb, typed, args, config, options } = parseArgs(inv);
  const fakeVerb = verb.slice(1) as FakeVerb;
  const requestId = ['-resubmit', '-deny', '-setextension'].includes(verb) ? args[0]! : null;
  if (config === null) finish(inv, certutilText.noLocalCa(typed), { verb: fakeVerb, requestId, outcome: 'no-config' }, 2);
  const caName = caNameOf(config!);
  if (!caName) finish(inv, certutilText.invalidArg(typed), { verb: fakeVerb, requestId, outcome: 'bad-config' }, 87);
  const rpcLines = verb === '-ping' ? () => certutilText.pingRpcUnavailable(config!) : () => certutilText.rpcUnavailable(typed);
  applyFaults(inv, fakeVerb, requestId, rpcLines);
  switch (verb) {
    case '-ping':
      finish(inv, certutilText.pingOk(config!, caName!), { verb: fakeVerb, requestId, outcome: 'alive' });
    case '-resubmit':
      resubmit(inv, typed, args[0]!, caName!, config!.split('\\')[0]!);
    case '-deny': {
      const outcome = withLock(dir, () => {
        const r = requestOf(inv, typed, 'deny', args[0]!);
        if (r.status !== 'pending') return 'not-pending';
        denyRequest(dir, r);
        return 'denied';
      });
      finish(inv, outcome === 'denied' ? certutilText.ok(typed) : certutilText.badRequestStatus(typed), { verb: fakeVerb, requestId, outcome }, outcome === 'denied' ? 0 : 0x4003);
    }
    case '-setextension':
      setExtension(inv, typed, args);
    case '-ca.cert':
    case '-ca.chain': {
      const ca = withLock(dir, () => loadCa(dir, caName!));
      // -ca.cert writes the certificate (DER), -ca.chain a PKCS#7 with the chain (a root CA: itself).
      writeFileSync(args[0]!, verb === '-ca.cert' ? ca.certDer : degeneratePkcs7([ca.certDer]));
      finish(inv, certutilText.caCert(typed, derToPem(ca.certDer, 'CERTIFICATE')), { verb: fakeVerb, requestId, outcome: 'exported' });
    }
    case '-revoke': {
      const reason = args[1] === undefined ? 0 : Number(args[1]);
      const outcome = withLock(dir, () => {
        const r = findRequestBySerial(dir, args[0]!);
        if (!r || r.status !== 'issued') return r ? 'not-issued' : 'not-found';
        writeRequest(dir, { ...r, status: 'revoked', revocationReason: reason });
        return 'revoked';
      });
      if (outcome !== 'revoked') finish(inv, certutilText.notFound(typed), { verb: fakeVerb, requestId: null, outcome }, 0x4004);
      finish(inv, certutilText.ok(typed), { verb: fakeVerb, requestId: null, outcome });
    }
    case '-view':
      view(inv, typed, args, options);
    default:
      finish(inv, certutilText.ok(typed), { verb: fakeVerb, requestId, outcome: 'published' });
  }
}

runTool(main);
