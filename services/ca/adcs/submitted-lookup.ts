/**
 * Finding a request the CA took although its `certreq -submit` never told us (killed at the timeout, or the service
 * died and the journal holds no RequestId). Every submit carries the request's fingerprint as a request attribute
 * (`certreq -attrib "agentcertRequest:<fingerprint>"`, docs/scom-facts.md §6), which the CA keeps with the request;
 * `certutil -view` lists the requests with their attributes, so the RequestId is found by the fingerprint instead
 * of submitting again and leaving an orphan at the CA (certutil -view syntax:
 * https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/certutil#-view).
 */
import type { AdcsTools, ToolRun } from './adcs-tools.js';
import { parseCertutilStatus } from './certutil-output.js';

export const REQUEST_ATTRIBUTE = 'agentcertRequest';

/** The request attribute a submit carries. */
export const submitAttribute = (fingerprint: string): string => `${REQUEST_ATTRIBUTE}:${fingerprint.toLowerCase()}`;

/** Disposition codes of the CA database (DB_DISP_PENDING 9, DB_DISP_ISSUED 20; MS-CSRA 3.1.1.4.3.1). */
export const DISPOSITION = { pending: 9, issued: 20 } as const;

export const viewRestriction = (disposition: number): string => `Disposition=${disposition}`;
export const VIEW_COLUMNS = 'RequestID,RequestAttributes';

/** The command an administrator runs to find the request by hand. */
export function viewCommand(caConfig: string, disposition: number): string {
  return `certutil -config "${caConfig}" -view -restrict "${viewRestriction(disposition)}" -out "${VIEW_COLUMNS}" csv`;
}

export type LookupResult =
  | { kind: 'found'; requestIds: string[] }
  | { kind: 'none' }
  | { kind: 'unavailable'; message: string };

/**
 * The RequestIds whose attributes carry this fingerprint. The csv rows are `"<id>","<attributes>"` with the id in
 * decimal or 0x hex; a row is matched by the fingerprint anywhere in it, so header names and the attribute layout
 * (several `Name:Value` lines in one quoted field) do not matter.
 */
export function parseViewRows(text: string, fingerprint: string): string[] {
  const ids: string[] = [];
  const fp = fingerprint.toLowerCase();
  // A record starts at a line beginning with a quoted or bare id; its attributes may span lines.
  const records = text.replace(/\r\n?/g, '\n').split(/\n(?="?(?:0x[0-9a-f]+|\d+)"?,)/i);
  for (const rec of records) {
    const m = /^\s*"?(0x[0-9a-f]+|\d+)"?,/i.exec(rec);
    if (!m || !rec.toLowerCase().includes(`${REQUEST_ATTRIBUTE.toLowerCase()}:${fp}`)) continue;
    ids.push(String(m[1]!.toLowerCase().startsWith('0x') ? Number.parseInt(m[1]!, 16) : Number(m[1])));
  }
  return ids;
}

export async function findSubmitted(tools: AdcsTools, fingerprint: string, disposition: number): Promise<LookupResult> {
  const run: ToolRun = await tools.view(viewRestriction(disposition), VIEW_COLUMNS);
  if (run.transport) return { kind: 'unavailable', message: run.transport };
  const status = parseCertutilStatus(run.text);
  // A FAILED line (or none with nothing printed) means the CA was not asked; rows without a status line are read.
  if ((status.verb !== null && !status.ok) || (status.verb === null && run.text.trim() === '')) return { kind: 'unavailable', message: `certutil -view failed: ${status.message || run.text.trim().slice(0, 300)}` };
  const ids = parseViewRows(run.text, fingerprint);
  return ids.length ? { kind: 'found', requestIds: ids } : { kind: 'none' };
}
