/**
 * Fake certreq.exe for tests: accepts the argument forms the real tool accepts
 * (docs/scom-facts.md §6, windowsserverdocs certreq_1.md) and fails like it on others; prints the transcripts'
 * output (fake-ca-text.ts); state in AGENTCERT_FAKE_CA_DIR (fake-ca-state.ts).
 *
 *   certreq [-submit] [options] requestfilein certfileout [certchainfileout [fullresponsefileout]]
 *   certreq -retrieve [options] requestid certfileout [certchainfileout [fullresponsefileout]]
 *   certreq -accept [options] certfilein
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { readRequest, stateDir, withLock, type FakeRequestRecord } from './fake-ca-state.js';
import { caNameOf, certificateFileBytes, createRequestRecord, denyRequest, issueRequest } from './fake-ca-issue.js';
import { certreqText, type Language } from './fake-ca-text.js';
import { applyFaults, finish, hangForever, runTool, startInvocation, type Invocation } from './fake-tool.js';

const VERBS = new Set(['-submit', '-retrieve', '-accept', '-new', '-policy', '-sign', '-enroll']);
const VALUE_OPTIONS = new Set(['-config', '-attrib', '-policyserver', '-cert', '-kerberos', '-username', '-p']);
const FLAG_OPTIONS = new Set(['-q', '-f', '-binary', '-rpc', '-unicode', '-crl', '-adminforcemachine', '-anonymous', '-v']);
/** docs/scom-facts.md §6: "only -new and -accept take -machine" (-submit: "Unexpected argument: -machine"). */
const CONTEXT_OPTIONS = new Set(['-machine', '-user']);

interface CertreqArgs { verb: string; options: Map<string, string | true>; positional: string[] }

function parseArgs(inv: Invocation): CertreqArgs {
  let verb: string | null = null;
  const options = new Map<string, string | true>();
  const positional: string[] = [];
  const fail = (arg: string) => finish(inv, certreqText.unexpectedArgument(arg), { verb: verb?.slice(1) ?? null, requestId: null, outcome: 'bad-argument' }, 87);
  const argv = inv.argv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const key = a.toLowerCase();
    if (!a.startsWith('-') || a === '-') positional.push(a);
    else if (VERBS.has(key)) { if (verb) fail(a); verb = key; }
    else if (VALUE_OPTIONS.has(key)) { const v = argv[++i]; if (v === undefined) fail(a); options.set(key, v!); }
    else if (FLAG_OPTIONS.has(key) || CONTEXT_OPTIONS.has(key)) options.set(key, true);
    else fail(a);
  }
  verb ??= '-submit';
  for (const c of CONTEXT_OPTIONS) if (options.has(c) && verb !== '-new' && verb !== '-accept') fail(c);
  return { verb, options, positional };
}

function writeOut(inv: Invocation, args: CertreqArgs, file: string, record: FakeRequestRecord): boolean {
  if (existsSync(file) && !args.options.has('-f')) return false;
  writeFileSync(file, certificateFileBytes(record, args.options.has('-binary')));
  return true;
}

/** The block certreq prints for a request's disposition (-submit and -retrieve alike); writes the .cer when issued. */
function report(inv: Invocation, args: CertreqArgs, verb: 'submit' | 'retrieve', record: FakeRequestRecord, outFile: string): never {
  const language: Language = inv.scenario.language ?? 'en';
  const requestId = String(record.id);
  if (record.status === 'issued' || record.status === 'revoked') {
    if (!writeOut(inv, args, outFile, record)) finish(inv, certreqText.fileExists(), { verb, requestId, outcome: 'file-exists' }, 80);
    finish(inv, certreqText.issued(language, record.id), { verb, requestId, outcome: 'issued' });
  }
  if (record.status === 'denied') finish(inv, certreqText.denied(language, record.id, record.dispositionMessage), { verb, requestId, outcome: 'denied' });
  finish(inv, certreqText.pending(language, record.id), { verb, requestId, outcome: 'pending' });
}

function main(): void {
  const dir = stateDir();
  const inv = startInvocation(dir, 'certreq', process.argv.slice(2));
  const args = parseArgs(inv);
  const config = args.options.get('-config');
  const verbName = args.verb.slice(1);
  if (args.verb === '-accept') {
    if (args.positional.length !== 1) finish(inv, ['fake certreq: a File Open dialog would open here'], { verb: 'accept', requestId: null, outcome: 'dialog' }, 1);
    finish(inv, certreqText.acceptOrphan(), { verb: 'accept', requestId: null, outcome: 'orphan' }, 1);
  }
  if (args.verb !== '-submit' && args.verb !== '-retrieve') {
    finish(inv, [`fake certreq: ${args.verb} is not simulated`], { verb: verbName, requestId: null, outcome: 'unsupported' }, 1);
  }
  const verb = verbName as 'submit' | 'retrieve';
  // docs/scom-facts.md §6: omitted file names (or CA) open dialogs; the fake fails loudly so a test sees it.
  if (typeof config !== 'string' || args.positional.length < 2) {
    finish(inv, [`fake certreq: a ${typeof config !== 'string' ? 'CA selection' : 'File Open'} dialog would open here`], { verb, requestId: null, outcome: 'dialog' }, 1);
  }
  if (!args.options.has('-q')) finish(inv, ['fake certreq: without -q certreq may show UI; agentcert must pass -q'], { verb, requestId: null, outcome: 'dialog' }, 1);
  if (args.positional.length > 4) finish(inv, certreqText.unexpectedArgument(args.positional[4]!), { verb, requestId: null, outcome: 'bad-argument' }, 87);
  const caName = caNameOf(config as string);
  if (!caName) finish(inv, certreqText.unexpectedArgument(config as string), { verb, requestId: null, outcome: 'bad-config' }, 87);
  const [first, outFile] = args.positional as [string, string];
  applyFaults(inv, verb, verb === 'retrieve' ? first : null, certreqText.rpcUnavailable);

  if (verb === 'submit') {
    if (!existsSync(first)) finish(inv, certreqText.fileNotFound(), { verb, requestId: null, outcome: 'file-not-found' }, 2);
    const record = withLock(dir, () => {
      let r: FakeRequestRecord;
      const attrib = args.options.get('-attrib');
      try { r = createRequestRecord(dir, readFileSync(first), typeof attrib === 'string' ? attrib : null); } catch { return null; }
      if (inv.scenario.duplicateSubmit) createRequestRecord(dir, readFileSync(first), typeof attrib === 'string' ? attrib : null);
      if (inv.scenario.onSubmit === 'issue') r = issueRequest(dir, r, caName!, inv.scenario);
      else if (inv.scenario.onSubmit === 'deny') r = denyRequest(dir, r);
      return r;
    });
    if (!record) finish(inv, certreqText.badRequest(), { verb, requestId: null, outcome: 'bad-request' }, 1);
    // The CA took the request, and certreq never prints its RequestId (killed at the caller's timeout).
    if (inv.scenario.hangAfter?.includes('submit')) hangForever(inv, 'submit', String(record!.id));
    report(inv, args, verb, record!, outFile);
  }
  // certreq_1.md: the id may be decimal or 0x hex (or a serial number, not simulated).
  const id = /^0x[0-9a-f]+$/i.test(first) ? Number.parseInt(first, 16) : /^\d+$/.test(first) ? Number(first) : NaN;
  const record = Number.isFinite(id) ? readRequest(dir, id) : null;
  if (!record) finish(inv, certreqText.unknownRequestId(), { verb, requestId: first, outcome: 'not-found' }, 1);
  report(inv, args, verb, record!, outFile);
}

runTool(main);
