/**
 * Torture: bad input on a real share, through the real service. Each case has the outcome an operator
 * would expect (README "Torture"): packaged, rejected with a named rule in rejected/<name>.txt, left for the
 * grace period and then rejected, or ignored (left where it is, never read). Meanwhile /healthz must answer, the
 * service must stay up, and nothing outside the share may be read or written: a symlink to a file outside, a
 * symlink to a folder outside, a symlinked "tenant" folder and a hard link all point at files whose content,
 * mtime and atime (set older than mtime, so that with relatime any read would move it) must not change.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, statSync, symlinkSync, utimesSync, writeFileSync, ftruncateSync } from 'node:fs';
import path from 'node:path';
import { makeSampleRequest } from '../../services/pki/index.js';
import { startService } from '../helpers/service.js';
import { setupService } from './torture-kill.js';
import {
  apiAddress, dropFile, healthz, readStore, sha256Hex, sleep, summary, verifyPackage, waitUntil, type ScenarioOptions, type ScenarioSummary,
} from './torture-common.js';

type Expect =
  | { kind: 'packaged'; fqdn: string }
  | { kind: 'rejected'; stem: string; rule: string }
  | { kind: 'ignored'; file: string | Buffer }
  | { kind: 'one-request'; fqdn: string; files: number }
  | { kind: 'packaged-or-held'; fqdn: string; requests: number };

interface Case { name: string; what: string; expect: Expect; make: (requestsDir: string) => void }

const D = 'dmz.contoso.local';
// A few keys made up front: dropping the cases must be quick (the grace-period check times from the drops).
const KEYS = Array.from({ length: 3 }, () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
const pem = (fqdn: string, key = 0): string => makeSampleRequest(fqdn, { privateKey: KEYS[key]! }).pem;

/** Every case: what is dropped and what must come of it. */
function cases(outside: string): Case[] {
  const twinKeyA = pem(`twin.${D}`, 1);
  const twinKeyB = pem(`twin.${D}`, 2);
  const same = pem(`case.${D}`);
  return [
    { name: 'valid (control)', what: 'a request as certreq writes it', expect: { kind: 'packaged', fqdn: `good.${D}` }, make: (r) => dropFile(r, `good.${D}.req`, pem(`good.${D}`)) },
    { name: 'DER (certreq -binary)', what: 'binary DER request', expect: { kind: 'packaged', fqdn: `der.${D}` }, make: (r) => dropFile(r, `der.${D}.req`, makeSampleRequest(`der.${D}`, { privateKey: KEYS[0]! }).der) },
    { name: 'empty file', what: '0 bytes', expect: { kind: 'rejected', stem: `empty.${D}`, rule: 'FILE_NOT_A_REQUEST' }, make: (r) => dropFile(r, `empty.${D}.req`, '') },
    {
      name: 'huge sparse file', what: '4 GiB sparse file', expect: { kind: 'rejected', stem: `sparse.${D}`, rule: 'FILE_TOO_LARGE' },
      make: (r) => {
        const tmp = path.join(r, '.sparse.tmp');
        const fd = openSync(tmp, 'w');
        ftruncateSync(fd, 4 * 2 ** 30);
        closeSync(fd);
        renameSync(tmp, path.join(r, `sparse.${D}.req`));
      },
    },
    { name: 'binary junk', what: '3 KB of random bytes', expect: { kind: 'rejected', stem: `junk.${D}`, rule: 'FILE_NOT_A_REQUEST' }, make: (r) => dropFile(r, `junk.${D}.req`, Buffer.concat([Buffer.from([0x00]), randomBytes(3000)])) },
    {
      name: 'truncated PEM', what: 'BEGIN line and half the base64, no END', expect: { kind: 'rejected', stem: `truncated.${D}`, rule: 'FILE_NOT_A_REQUEST' },
      make: (r) => { const p = pem(`truncated.${D}`); dropFile(r, `truncated.${D}.req`, p.slice(0, Math.floor(p.length / 2))); },
    },
    {
      name: 'PEM with junk lines', what: 'text lines between the base64 lines', expect: { kind: 'packaged', fqdn: `junklines.${D}` },
      make: (r) => { const l = pem(`junklines.${D}`).split('\r\n'); l.splice(3, 0, 'this line was pasted by a mail client !', '', '   '); l.splice(8, 0, '> quoted'); dropFile(r, `junklines.${D}.req`, l.join('\r\n')); },
    },
    {
      name: 'PEM with base64 junk', what: 'an extra base64 line inside the block', expect: { kind: 'rejected', stem: `b64junk.${D}`, rule: 'FILE_NOT_A_REQUEST' },
      make: (r) => { const l = pem(`b64junk.${D}`).split('\r\n'); l.splice(4, 0, 'QUFBQUFBQUFBQUFB'); dropFile(r, `b64junk.${D}.req`, l.join('\r\n')); },
    },
    { name: 'UTF-16LE with BOM', what: 'Notepad "Unicode"', expect: { kind: 'packaged', fqdn: `unicode.${D}` }, make: (r) => dropFile(r, `unicode.${D}.req`, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(pem(`unicode.${D}`), 'utf16le')])) },
    { name: 'UTF-16LE without BOM', what: 'UTF-16LE, no BOM', expect: { kind: 'packaged', fqdn: `unicode2.${D}` }, make: (r) => dropFile(r, `unicode2.${D}.req`, Buffer.from(pem(`unicode2.${D}`), 'utf16le')) },
    {
      name: 'mixed CRLF/LF', what: 'line ends alternate', expect: { kind: 'packaged', fqdn: `mixed.${D}` },
      make: (r) => dropFile(r, `mixed.${D}.req`, pem(`mixed.${D}`).split('\r\n').map((l, i) => l + (i % 2 ? '\n' : '\r\n')).join('')),
    },
    { name: 'name with ..', what: '"dot..dot.<domain>.req"', expect: { kind: 'rejected', stem: `dot..dot.${D}`, rule: 'FILE_NAME' }, make: (r) => dropFile(r, `dot..dot.${D}.req`, pem(`dot..dot.${D}`)) },
    { name: 'name "..req"', what: 'a dot file', expect: { kind: 'ignored', file: '..req' }, make: (r) => writeFileSync(path.join(r, '..req'), pem(`dots.${D}`)) },
    { name: 'name with a space', what: '"web 01.<domain>.req"', expect: { kind: 'rejected', stem: `web_01.${D}`, rule: 'FILE_NAME' }, make: (r) => dropFile(r, `web 01.${D}.req`, pem(`web01.${D}`)) },
    { name: 'trailing space', what: '"trail.<domain> .req" (Windows drops it)', expect: { kind: 'packaged', fqdn: `trail.${D}` }, make: (r) => dropFile(r, `trail.${D} .req`, pem(`trail.${D}`)) },
    { name: 'non-ASCII name', what: '"wéb.<domain>.req"', expect: { kind: 'rejected', stem: `w_b.${D}`, rule: 'FILE_NAME' }, make: (r) => dropFile(r, `wéb.${D}.req`, pem(`web.${D}`)) },
    { name: 'reserved CON.req', what: 'Windows device name', expect: { kind: 'rejected', stem: '_con', rule: 'FILE_NAME' }, make: (r) => dropFile(r, 'CON.req', pem('con')) },
    { name: 'reserved nul.<domain>', what: 'device name as first label', expect: { kind: 'rejected', stem: `_nul.${D}`, rule: 'FILE_NAME' }, make: (r) => dropFile(r, `nul.${D}.req`, pem(`nul.${D}`)) },
    { name: 'upper case', what: '"UPPER.<DOMAIN>.REQ"', expect: { kind: 'packaged', fqdn: `upper.${D}` }, make: (r) => dropFile(r, `UPPER.${D.toUpperCase()}.REQ`, pem(`upper.${D}`)) },
    {
      name: 'names differing in case', what: 'the same request as Case… and CASE…', expect: { kind: 'one-request', fqdn: `case.${D}`, files: 2 },
      make: (r) => { dropFile(r, `Case.${D}.req`, same); dropFile(r, `CASE.${D}.req`, same); },
    },
    {
      name: 'case twins, two keys', what: 'Twin… and TWIN… with different keys', expect: { kind: 'packaged-or-held', fqdn: `twin.${D}`, requests: 2 },
      make: (r) => { dropFile(r, `Twin.${D}.req`, twinKeyA); dropFile(r, `TWIN.${D}.req`, twinKeyB); },
    },
    { name: 'symlink to a file outside', what: 'link → outside/secret.req', expect: { kind: 'rejected', stem: `link.${D}`, rule: 'FILE_NOT_A_FILE' }, make: (r) => symlinkSync(path.join(outside, 'secret.req'), path.join(r, `link.${D}.req`)) },
    { name: 'symlink to a folder outside', what: 'link → outside/secretdir', expect: { kind: 'rejected', stem: `dirlink.${D}`, rule: 'FILE_NOT_A_FILE' }, make: (r) => symlinkSync(path.join(outside, 'secretdir'), path.join(r, `dirlink.${D}.req`)) },
    { name: 'symlinked tenant folder', what: 'requests/evil → outside/secretdir', expect: { kind: 'ignored', file: 'evil' }, make: (r) => symlinkSync(path.join(outside, 'secretdir'), path.join(r, 'evil')) },
    { name: 'hard link to outside', what: 'second name of outside/hard.req', expect: { kind: 'rejected', stem: `hard.${D}`, rule: 'FILE_NOT_A_FILE' }, make: (r) => linkSync(path.join(outside, 'hard.req'), path.join(r, `hard.${D}.req`)) },
    {
      name: 'tenant folder swapped for a link', what: 'requests/contoso renamed away, a symlink to outside put in its place, a file dropped',
      expect: { kind: 'ignored', file: `contoso-old/swap.${D}.req` },
      make: (r) => {
        renameSync(path.join(r, 'contoso'), path.join(r, 'contoso-old'));
        symlinkSync(path.join(outside, 'secretdir2'), path.join(r, 'contoso'));
        writeFileSync(path.join(r, 'contoso-old', `swap.${D}.req`), pem(`swap.${D}`));
      },
    },
    {
      name: 'folder named x.req', what: 'a directory with a file in it', expect: { kind: 'rejected', stem: `folder.${D}`, rule: 'FILE_NOT_A_FILE' },
      make: (r) => { mkdirSync(path.join(r, `.folder.tmp`)); writeFileSync(path.join(r, '.folder.tmp', 'inner.req'), pem(`inner2.${D}`)); renameSync(path.join(r, '.folder.tmp'), path.join(r, `folder.${D}.req`)); },
    },
    { name: 'named pipe x.req', what: 'a FIFO nobody writes to', expect: { kind: 'rejected', stem: `fifo.${D}`, rule: 'FILE_NOT_A_FILE' }, make: (r) => execFileSync('mkfifo', [path.join(r, `fifo.${D}.req`)]) },
    { name: 'unknown tenant folder', what: 'requests/nosuch/<fqdn>.req', expect: { kind: 'ignored', file: `nosuch/tenantless.${D}.req` }, make: (r) => { mkdirSync(path.join(r, 'nosuch')); dropFile(path.join(r, 'nosuch'), `tenantless.${D}.req`, pem(`tenantless.${D}`)); } },
    { name: '64-character label', what: 'a label longer than DNS allows', expect: { kind: 'rejected', stem: `${'a'.repeat(64)}.${D}`, rule: 'FILE_NAME' }, make: (r) => dropFile(r, `${'a'.repeat(64)}.${D}.req`, pem(`long.${D}`)) },
    {
      name: 'written slowly in place', what: 'PEM appended line by line over 2.4 s', expect: { kind: 'packaged', fqdn: `slow.${D}` },
      make: (r) => {
        const lines = pem(`slow.${D}`).split(/(?<=\r\n)/);
        const file = path.join(r, `slow.${D}.req`);
        writeFileSync(file, lines[0]!);
        const step = Math.ceil((lines.length - 1) / 6);
        for (let i = 1, t = 400; i < lines.length; i += step, t += 400) setTimeout(() => appendFileSync(file, lines.slice(i, i + step).join('')), t);
      },
    },
    {
      name: 'name not valid UTF-8', what: 'Latin-1 byte 0xE9 in the name (not from SMB: Samba writes UTF-8)', expect: { kind: 'ignored', file: Buffer.from([0x77, 0xe9, 0x62, 0x2e, 0x72, 0x65, 0x71]) },
      make: (r) => writeFileSync(Buffer.concat([Buffer.from(`${r}/`), Buffer.from([0x77, 0xe9, 0x62, 0x2e, 0x72, 0x65, 0x71])]), pem(`latin1.${D}`)),
    },
    { name: 'certificate, not request', what: 'the CA certificate dropped back', expect: { kind: 'rejected', stem: `cert.${D}`, rule: 'FILE_NOT_A_REQUEST' }, make: () => undefined },
  ];
}

interface Snapshot { [file: string]: { mtimeMs: number; atimeMs: number; size: number } }

function snapshot(dir: string, out: Snapshot = {}): Snapshot {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) snapshot(p, out);
    else if (e.isFile()) {
      const st = statSync(p);
      out[p] = { mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, size: st.size };
    }
  }
  return out;
}

/**
 * Files outside the share that a link could lead to, with the SHA-256 of what was written (so the test never
 * reads them before the end); atime set a day before mtime, so that with relatime any read moves it.
 */
function makeOutside(dir: string): Map<string, string> {
  mkdirSync(path.join(dir, 'secretdir'), { recursive: true });
  const written = new Map<string, string>();
  mkdirSync(path.join(dir, 'secretdir2'), { recursive: true });
  const files: [string, string][] = [
    ['secret.req', pem(`secret.${D}`)], ['hard.req', pem(`hardsecret.${D}`)], [path.join('secretdir', `inner.${D}.req`), pem(`inner.${D}`)],
    // Same name as the file dropped in the swapped tenant folder: reading it through the link would take it in.
    [path.join('secretdir2', `swap.${D}.req`), pem(`swapsecret.${D}`)],
  ];
  for (const [f, content] of files) {
    const p = path.join(dir, f);
    writeFileSync(p, content);
    written.set(p, sha256Hex(Buffer.from(content)));
    const m = statSync(p).mtime;
    utimesSync(p, new Date(m.getTime() - 86_400_000), m);
  }
  return written;
}

export async function runBadInputScenario(o: ScenarioOptions): Promise<ScenarioSummary> {
  const t0 = Date.now();
  const say = o.say ?? ((l: string) => process.stderr.write(`${l}\n`));
  const name = 'bad-input';
  const graceMs = 4000;
  const s0 = setupService('builtin', 'agentcert-torture-badinput-', {});
  const share = { root: s0.env.share, stableMs: 100, reconcileIntervalMs: 1000, incompleteGraceMs: graceMs };
  const cfgFile = s0.args[1]!;
  const cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(cfgFile, JSON.stringify({ ...cfg, share, policy: { tenants: [{ name: 'contoso', allowedNames: [`*.tenant.${D}`], approval: 'auto' }] } }));
  const s = s0;
  const outside = path.join(s.env.dir, 'outside');
  const written = makeOutside(outside);
  const before = snapshot(outside);
  const topBefore = readdirSync(s.env.dir).sort();
  const failures: string[] = [];
  const notes: string[] = [];
  const svc = startService(s.args, s.procEnv);
  let passed = 0;
  let list: Case[] = [];
  try {
    await svc.waitForOutput(/agentcert is running/);
    const base = apiAddress(svc.stdout());
    const requestsDir = path.join(s.env.share, 'requests');
    list = cases(outside);
    // The "certificate, not request" case: the root certificate from tools/, dropped back as a request.
    const rootCer = readdirSync(path.join(s.env.share, 'tools')).find((f) => /^root-.*\.cer$/.test(f));
    const certCase = list.find((c) => c.name === 'certificate, not request')!;
    certCase.make = (r) => dropFile(r, `cert.${D}.req`, readFileSync(path.join(s.env.share, 'tools', rootCer!)));
    say(`${name}: ${list.length} cases through the running service`);
    const dropStart = Date.now();
    for (const c of list) c.make(requestsDir);
    notes.push(`${list.length} cases dropped in ${Date.now() - dropStart} ms`);
    let healthFailures = 0;
    let healthChecks = 0;
    const healthTimer = setInterval(() => {
      healthChecks++;
      void healthz(base!).then((st) => { if (st === 0) healthFailures++; });
    }, 500);

    // The truncated PEM is left alone during the grace period.
    await sleep(Math.max(0, dropStart + graceMs / 2 - Date.now()));
    const early = readStore(s.env.data)!;
    if (early.rows.some((r) => r.fqdn === `truncated.${D}`)) failures.push('truncated PEM: taken in before its grace period ended');
    if (!existsSync(path.join(requestsDir, `truncated.${D}.req`))) failures.push('truncated PEM: moved before its grace period ended');

    const outcome = (c: Case): string | null => check(c, s.env.share, s.env.data, s.trustedRoot());
    await waitUntil(() => list.every((c) => outcome(c) === null), 30_000, 500);
    // Two more reconcile scans: nothing new may happen (no entry met again and again).
    const eventsBefore = [...readStore(s.env.data)!.reasons.values()].reduce((a, b) => a + b, 0);
    await sleep(2500);
    const eventsAfter = [...readStore(s.env.data)!.reasons.values()].reduce((a, b) => a + b, 0);
    if (eventsAfter !== eventsBefore) failures.push(`${eventsAfter - eventsBefore} new audit events after the share settled (an entry is met again on every scan)`);
    clearInterval(healthTimer);
    for (const c of list) {
      const problem = outcome(c);
      if (problem) failures.push(`${c.name}: ${problem}`);
      else passed++;
    }
    if (healthFailures > 0) failures.push(`/healthz did not answer ${healthFailures} of ${healthChecks} times`);
    if (svc.proc.exitCode !== null) failures.push(`the service exited (${svc.proc.exitCode})`);
    notes.push(`/healthz answered ${healthChecks - healthFailures}/${healthChecks} probes during the run`);
    // Links and folders were moved as they are: the archived symlink still points outside, unread.
    const archived = readdirSync(path.join(s.env.share, 'archive')).map((f) => path.join(s.env.share, 'archive', f));
    const links = archived.filter((p) => lstatSync(p).isSymbolicLink());
    if (links.length !== 2) failures.push(`archive/ holds ${links.length} symlinks, expected the 2 dropped ones`);
    for (const l of links) if (!readlinkSync(l).startsWith(outside)) failures.push(`archived link ${path.basename(l)} changed its target`);
  } finally {
    await svc.stop('SIGTERM');
  }
  // Nothing outside the share was read or written.
  const after = snapshot(outside);
  for (const [p, v] of Object.entries(before)) {
    const a = after[p];
    if (!a) failures.push(`outside file ${path.relative(s.env.dir, p)} disappeared`);
    else if (a.atimeMs !== v.atimeMs) failures.push(`outside file ${path.relative(s.env.dir, p)} was read (atime moved from ${new Date(v.atimeMs).toISOString()} to ${new Date(a.atimeMs).toISOString()}, mtime ${new Date(a.mtimeMs).toISOString()})`);
    else if (a.mtimeMs !== v.mtimeMs || a.size !== v.size) failures.push(`outside file ${path.relative(s.env.dir, p)} was written`);
  }
  // Content last: reading moves atime, which was compared above.
  for (const [p, sha] of written) if (existsSync(p) && sha256Hex(readFileSync(p)) !== sha) failures.push(`outside file ${path.relative(s.env.dir, p)} changed content`);
  for (const p of Object.keys(after)) if (!before[p]) failures.push(`new file outside the share: ${path.relative(s.env.dir, p)}`);
  const topAfter = readdirSync(s.env.dir).sort();
  if (topAfter.join('|') !== topBefore.join('|')) failures.push(`entries beside the share changed: ${topAfter.filter((x) => !topBefore.includes(x)).join(', ')}`);
  const v = readStore(s.env.data)!;
  for (const bad of [`secret.${D}`, `inner.${D}`, `hardsecret.${D}`, `inner2.${D}`, `swapsecret.${D}`]) if (v.rows.some((r) => r.fqdn === bad)) failures.push(`${bad}: a request outside the share (or inside a folder named x.req) was taken in`);
  notes.push(`outside the share: ${Object.keys(before).length} files checked for content, mtime and atime`);
  if (!process.env.TORTURE_KEEP) s.env.cleanup();
  return summary(name, t0, { tried: list.length, passed, lost: 0, duplicated: 0, notes, failures });
}

/** Null when the case reached its expected outcome, else what is wrong. */
function check(c: Case, share: string, data: string, root: Buffer): string | null {
  const v = readStore(data, { withDer: true })!;
  const e = c.expect;
  switch (e.kind) {
    case 'packaged': {
      const row = v.rows.find((r) => r.fqdn === e.fqdn);
      if (!row) return 'not taken in';
      if (row.state !== 'packaged') return `ended ${row.state} (${row.findings.slice(0, 200)})`;
      return verifyPackage(share, e.fqdn, root, v.certs.find((x) => x.request_id === row.id)?.der);
    }
    case 'rejected': {
      const row = v.rows.find((r) => r.fqdn === e.stem);
      if (!row) return 'not taken in';
      if (row.state !== 'rejected') return `ended ${row.state}, not rejected`;
      const txt = path.join(share, 'rejected', `${e.stem}.txt`);
      if (!existsSync(txt)) return `no rejected/${e.stem}.txt`;
      if (!readFileSync(txt, 'utf8').includes(e.rule)) return `rejected/${e.stem}.txt does not name ${e.rule}`;
      if (existsSync(path.join(share, 'requests', row.source_name))) return `${row.source_name} is still in requests/`;
      return null;
    }
    case 'ignored': {
      const p = typeof e.file === 'string' ? path.join(share, 'requests', e.file) : Buffer.concat([Buffer.from(`${path.join(share, 'requests')}/`), e.file]);
      const shown = typeof e.file === 'string' ? e.file : e.file.toString('latin1');
      try {
        lstatSync(p);
      } catch {
        return `${shown} was moved or deleted`;
      }
      if (typeof e.file === 'string' && v.rows.some((r) => r.source_name.startsWith(e.file as string))) return `${shown} was taken in`;
      if (typeof e.file !== 'string' && v.rows.some((r) => r.source_name.includes('\ufffd'))) return `${shown} was taken in`;
      return null;
    }
    case 'one-request': {
      const rows = v.rows.filter((r) => r.fqdn === e.fqdn);
      if (rows.length !== 1) return `${rows.length} requests for ${e.fqdn}, expected 1`;
      if (rows[0]!.state !== 'packaged') return `ended ${rows[0]!.state}`;
      const left = readdirSync(path.join(share, 'requests')).filter((f) => f.toLowerCase() === `${e.fqdn}.req`);
      if (left.length) return `${left.join(', ')} still in requests/`;
      if ((v.reasons.get('REDROPPED') ?? 0) < e.files - 1) return 'the second name was not noted as the same request dropped again';
      return verifyPackage(share, e.fqdn, root, v.certs.find((x) => x.request_id === rows[0]!.id)?.der);
    }
    case 'packaged-or-held': {
      // Two different keys for one FQDN: one is issued; the other must wait for an admin (another key for a name
      // that has a certificate), never be issued beside it unasked.
      const rows = v.rows.filter((r) => r.fqdn === e.fqdn);
      if (rows.length !== e.requests) return `${rows.length} requests, expected ${e.requests}`;
      const states = rows.map((r) => r.state).sort();
      if (states.join(',') !== 'awaiting_approval,packaged') return `states ${states.join(', ')}; expected one packaged and one awaiting_approval`;
      return null;
    }
  }
}
