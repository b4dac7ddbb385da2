/**
 * The certreq/certutil command lines agentcert runs, through the process adapter (services/process).
 *
 * Every call names the CA (`-config HOST\CA Name`), certreq always gets `-q` and every file argument, so no
 * dialog can open in a service session (docs/scom-facts.md §6: omitted file arguments open File Open dialogs; §8.8).
 * certutil has no `-q`; it opens no dialog when `-config` and the file arguments are given. Each run is bounded
 * by the timeout (a second `certreq -retrieve` hung in one lab, docs/scom-facts.md §6).
 */
import type { Logger, RunResult, Runner } from '../../domain/index.js';
import { findFailureHresult, formatHresult, isTransportHresult } from './hresult.js';

export interface AdcsToolOptions {
  config: string;
  certreqPath: string;
  certutilPath: string;
  timeoutMs: number;
  runner: Runner;
  log: Logger;
}

export interface ToolRun {
  /** stdout and stderr together, as a person at the console would have seen them. */
  text: string;
  result: RunResult;
  /** Why this run counts as a transport failure (retry later), or null. */
  transport: string | null;
}

export interface AdcsTools {
  /** Journaled when the runner can (journalDir): the outcome survives a crash of the service. */
  /** `attrib` goes to `-attrib` ("Name:Value", stored with the request at the CA). */
  submit(requestFile: string, certFile: string, journalDir?: string, attrib?: string): Promise<ToolRun>;
  /** What an earlier journaled submit printed (waiting for it if it still runs), or null. */
  recoverSubmit(journalDir: string): Promise<ToolRun | null>;
  retrieve(requestId: string, certFile: string): Promise<ToolRun>;
  setExtension(requestId: string, oid: string, critical: boolean, valueFile: string): Promise<ToolRun>;
  resubmit(requestId: string): Promise<ToolRun>;
  caChain(outFile: string): Promise<ToolRun>;
  caCert(outFile: string): Promise<ToolRun>;
  ping(): Promise<ToolRun>;
  revoke(serialHex: string, reason: number): Promise<ToolRun>;
  /** `certutil -view -restrict <restrict> -out <columns> csv`: rows of the CA database. */
  view(restrict: string, columns: string): Promise<ToolRun>;
  deny(requestId: string): Promise<ToolRun>;
  publishCrl(): Promise<ToolRun>;
}

function transportReason(label: string, r: RunResult, text: string, timeoutMs: number): string | null {
  if (r.timedOut) return `${label} timed out after ${timeoutMs} ms (hung process killed)`;
  if (r.spawnError) return `${label} could not be started: ${r.spawnError}`;
  const hr = findFailureHresult(text);
  if (isTransportHresult(hr)) {
    const line = text.split(/\r?\n/).find((l) => l.includes(formatHresult(hr!)))?.trim();
    return `${label}: ${line ?? formatHresult(hr!)}`;
  }
  return null;
}

export function createAdcsTools(o: AdcsToolOptions): AdcsTools {
  const toToolRun = (label: string, result: RunResult): ToolRun => {
    const text = result.stderr ? `${result.stdout}${result.stdout.endsWith('\n') || !result.stdout ? '' : '\n'}${result.stderr}` : result.stdout;
    return { text, result, transport: transportReason(label, result, text, o.timeoutMs) };
  };
  async function run(tool: 'certreq' | 'certutil', args: string[], journalDir?: string): Promise<ToolRun> {
    const file = tool === 'certreq' ? o.certreqPath : o.certutilPath;
    const label = `${tool} ${args.find((a) => a.startsWith('-') && a !== '-q' && a !== '-config') ?? ''}`.trim();
    const result = journalDir && o.runner.runJournaled
      ? await o.runner.runJournaled(file, args, { timeoutMs: o.timeoutMs, journalDir })
      : await o.runner.run(file, args, { timeoutMs: o.timeoutMs });
    o.log.debug({ event: 'ca_tool_run', tool, args, exitCode: result.exitCode, timedOut: result.timedOut, durationMs: result.durationMs }, label);
    return toToolRun(label, result);
  }
  const certreq = (args: string[]) => run('certreq', args);
  const certutil = (verb: string[]) => run('certutil', ['-config', o.config, ...verb]);
  return {
    submit: (req, cer, journalDir, attrib) => run('certreq', ['-submit', '-q', '-config', o.config, ...(attrib ? ['-attrib', attrib] : []), req, cer], journalDir),
    recoverSubmit: async (journalDir) => {
      const result = o.runner.recoverJournaled ? await o.runner.recoverJournaled(journalDir) : null;
      return result ? toToolRun('certreq -submit', result) : null;
    },
    retrieve: (id, cer) => certreq(['-retrieve', '-q', '-config', o.config, id, cer]),
    // Flags 0 = non-critical (certutil -setextension syntax; docs/scom-facts.md §7: "1 = critical").
    setExtension: (id, oid, critical, file) => certutil(['-setextension', id, oid, critical ? '1' : '0', `@${file}`]),
    resubmit: (id) => certutil(['-resubmit', id]),
    caChain: (file) => certutil(['-ca.chain', file]),
    caCert: (file) => certutil(['-ca.cert', file]),
    ping: () => certutil(['-ping']),
    revoke: (serial, reason) => certutil(['-revoke', serial, String(reason)]),
    publishCrl: () => certutil(['-crl']),
    view: (restrict, columns) => certutil(['-view', '-restrict', restrict, '-out', columns, 'csv']),
    deny: (id) => certutil(['-deny', id]),
  };
}
