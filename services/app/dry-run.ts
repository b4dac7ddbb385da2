/**
 * `agentcert serve --once --dry-run`: what the backlog on the share would do — issued, held, rejected — with
 * nothing issued, written to the share or moved. The request checks run against a throwaway copy of the store
 * (in a temp folder, deleted afterwards), so they see the same history as the service
 * (key changes, renewals, re-drops) and requests in the same backlog see each other, as in a real run. No CA is
 * created or called, no share folder is created, the data lock is not taken (a running service is not disturbed).
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../config/index.js';
import { isAgentcertError, type Clock, type Store } from '../domain/index.js';
import { safeReadRequest } from '../files/index.js';
import { fqdnFromFileName, listRequestFiles, shareLayout, type ShareLayout } from '../intake/index.js';
import { assessRequest, ParsedRequests, tenantForFile } from '../lifecycle/index.js';
import { parseRequest } from '../pki/index.js';
import { SqliteStore, storeFile } from '../store/index.js';

export type DryRunOutcome = 'issue' | 'hold' | 'reject' | 'known' | 'wait';

export interface DryRunLine {
  outcome: DryRunOutcome;
  /** The file, relative to requests/. */
  file: string;
  /** The rule and message that decide a hold or a rejection; the known request for a re-drop. */
  why: string;
}

export interface DryRunReport {
  lines: DryRunLine[];
  /** Requests already in the store that a real run would work on now (resumed, retried). */
  dueInStore: number;
}

type Ctx = { config: Readonly<Config>; store: Store; clock: Clock; layout: ShareLayout; parsed: ParsedRequests };

/** A throwaway copy of the store (or an empty one when there is none yet), removed by the returned function. */
async function throwawayStore(config: Readonly<Config>, clock: Clock): Promise<{ store: Store; drop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcert-dry-run-'));
  const copy = path.join(dir, 'agentcert.db');
  try {
    const file = storeFile(config.data.dir);
    if (existsSync(`${file}-wal`)) {
      // A service has the store open (or stopped without closing it): SQLite's online backup reads a
      // consistent copy, committed WAL content included (https://www.sqlite.org/backup.html).
      const source = new Database(file, { readonly: true, fileMustExist: true });
      try {
        await source.backup(copy);
      } finally {
        source.close();
      }
    } else if (existsSync(file)) {
      copyFileSync(file, copy); // closed cleanly: the file is the whole store, and opening it would leave -wal/-shm beside it
    }
    const store = new SqliteStore(copy, clock);
    const drop = async (): Promise<void> => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    };
    return { store, drop };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** One request file as intake and the checks would take it, recorded in the throwaway store only. */
async function assessFile(ctx: Ctx, file: string): Promise<DryRunLine | null> {
  const rel = path.relative(ctx.layout.requests, file);
  const read = await safeReadRequest(file, ctx.config.share.maxRequestBytes);
  if (read.kind === 'gone') return null;
  if (read.kind === 'not-a-file') return { outcome: 'reject', file: rel, why: `FILE_NOT_A_REQUEST: ${read.detail}` };
  if (read.kind === 'too-large') return { outcome: 'reject', file: rel, why: `FILE_TOO_LARGE: ${read.size} bytes (limit ${ctx.config.share.maxRequestBytes})` };
  let parsed;
  try {
    parsed = ctx.parsed.remember(parseRequest(read.bytes));
  } catch (err) {
    if (!isAgentcertError(err)) throw err;
    const young = ctx.clock.now().getTime() - read.mtimeMs < (err.code === 'AC_REQUEST_INCOMPLETE' ? ctx.config.share.incompleteGraceMs : ctx.config.share.stableMs);
    return young ? { outcome: 'wait', file: rel, why: 'still being written: looked at again later' } : { outcome: 'reject', file: rel, why: `FILE_NOT_A_REQUEST: ${err.message}` };
  }
  const fqdn = fqdnFromFileName(path.basename(file));
  if (!fqdn) return { outcome: 'reject', file: rel, why: `FILE_NAME: the file name is not <FQDN>.req` };
  const tenant = tenantForFile(ctx, file);
  if (!tenant) return { outcome: 'reject', file: rel, why: `FILE_TENANT_FOLDER: the folder "${path.dirname(rel)}" is not a configured tenant` };
  const { request, created } = await ctx.store.requests.insert(
    { fingerprint: parsed.fingerprint, fqdn, tenant: tenant.name, csrDer: parsed.csrDer, originalBytes: read.bytes, sourceName: rel },
    `${rel} received (dry run)`,
  );
  if (!created) return { outcome: 'known', file: rel, why: `the same request as ${request.id} (${request.state}): archived as a re-drop` };
  // The check step's own assessment (lifecycle/steps/check.ts), with the facts of the store copy; recorded in
  // the copy, so later files of this backlog see it, as in a real run.
  const a = await assessRequest(ctx, request);
  await ctx.store.requests.transition(request.id, { ...a.transition, from: ['received'], actor: 'dry-run', data: a.transition.data ?? null });
  const deciding = a.outcome === 'reject' ? a.findings.find((f) => f.severity === 'error') : a.outcome === 'hold' ? a.findings.find((f) => f.holds) : null;
  return { outcome: a.outcome === 'accept' ? 'issue' : a.outcome, file: rel, why: deciding ? `${deciding.rule}: ${deciding.message}` : fqdn };
}

export async function dryRunBacklog(config: Readonly<Config>, clock: Clock): Promise<DryRunReport> {
  const layout = shareLayout(config.share.root);
  const { store, drop } = await throwawayStore(config, clock);
  try {
    const ctx: Ctx = { config, store, clock, layout, parsed: new ParsedRequests() };
    const dueInStore = await store.views.countDue(clock.now());
    const lines: DryRunLine[] = [];
    for (const file of (await listRequestFiles(layout.requests, config.policy.tenants.map((t) => t.folder ?? t.name))).sort()) {
      const line = await assessFile(ctx, file);
      if (line) lines.push(line);
    }
    return { lines, dueInStore };
  } finally {
    await drop();
  }
}

const LABEL: Record<DryRunOutcome, string> = { issue: 'would issue', hold: 'would hold', reject: 'would reject', known: 'already known', wait: 'would wait' };

/** The report as people read it: one line a file, then the counts. */
export function renderDryRun(r: DryRunReport): string[] {
  const width = Math.max(0, ...r.lines.map((l) => l.file.length));
  const count = (o: DryRunOutcome) => r.lines.filter((l) => l.outcome === o).length;
  return [
    ...r.lines.map((l) => `${LABEL[l.outcome].padEnd(13)} ${l.file.padEnd(width)}  ${l.why}`),
    `dry run: ${r.lines.length} request file(s): ${count('issue')} would be issued, ${count('hold')} held for approval, ${count('reject')} rejected, ${count('known')} already known, ${count('wait')} still being written; ${r.dueInStore} request(s) in the store are due.`,
    'Nothing was issued, written to the share or moved.',
  ];
}
