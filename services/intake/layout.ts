/**
 * The share layout of docs/contract.md ("Share layout") and the rules for names on it.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { AgentcertError } from '../domain/index.js';

export const SHARE_DIRS = ['requests', 'issued', 'rejected', 'pending', 'results', 'tools', 'archive'] as const;

export interface ShareLayout {
  root: string;
  requests: string;
  issued: string;
  rejected: string;
  pending: string;
  results: string;
  tools: string;
  archive: string;
}

export function shareLayout(root: string): ShareLayout {
  const r = path.resolve(root);
  return {
    root: r,
    requests: path.join(r, 'requests'),
    issued: path.join(r, 'issued'),
    rejected: path.join(r, 'rejected'),
    pending: path.join(r, 'pending'),
    results: path.join(r, 'results'),
    tools: path.join(r, 'tools'),
    archive: path.join(r, 'archive'),
  };
}

/**
 * The share's own folders must be real folders on the share: with requests/ or issued/ replaced by a symbolic
 * link (or a junction), files outside the share would be read, moved and written. Refused at start-up, before
 * anything is read (README "Trust model").
 */
function refuseLinkedFolders(layout: ShareLayout): void {
  const linked = SHARE_DIRS.filter((d) => lstatSync(layout[d]).isSymbolicLink());
  if (linked.length === 0) return;
  throw new AgentcertError(
    'AC_SHARE_UNSAFE',
    `the share's ${linked.map((d) => `${d}/`).join(', ')} ${linked.length === 1 ? 'is a symbolic link' : 'are symbolic links'} (${linked.map((d) => layout[d]).join(', ')}); agentcert does not start on a share whose own folders lead elsewhere`,
  );
}

export function ensureShareLayout(root: string, tenantFolders: readonly string[] = []): ShareLayout {
  const layout = shareLayout(root);
  for (const d of SHARE_DIRS) mkdirSync(layout[d], { recursive: true });
  refuseLinkedFolders(layout);
  for (const t of tenantFolders) mkdirSync(path.join(layout.requests, t), { recursive: true });
  return layout;
}

/** Files Windows and Office leave in folders; never requests, never reported. */
export function isIgnoredName(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'thumbs.db' || n === 'desktop.ini' || n === '.ds_store' || n.startsWith('~$') || n.startsWith('.') || n.endsWith('.tmp') || n.endsWith('.partial');
}

/** A request file is `<FQDN>.req`, extension in any case. */
export function isRequestName(name: string): boolean {
  return /\.req$/i.test(name) && !isIgnoredName(name);
}

/** RFC 1123 host name labels: letters, digits, hyphens; no label starts or ends with a hyphen; ≤ 63 per label, ≤ 253 in all. */
export function isDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(l));
}

/**
 * Win32 device names (CON, PRN, AUX, NUL, COM1–9, LPT1–9; Windows also reads the superscript digits ¹²³): a file
 * or folder named so, with any extension after a dot, opens the device on Windows clients, so a package folder
 * `issued\con.contoso.local\` could not be read from the share.
 */
export function isReservedWindowsName(name: string): boolean {
  return /^(con|prn|aux|nul|com[1-9\u00b9\u00b2\u00b3]|lpt[1-9\u00b9\u00b2\u00b3])(\..*)?$/i.test(name.trim());
}

/** The FQDN a request file is named after (lower case), or null when the name is not `<FQDN>.req`. */
export function fqdnFromFileName(name: string): string | null {
  if (!/\.req$/i.test(name)) return null;
  const stem = name.slice(0, -4).trim().toLowerCase();
  return isDnsName(stem) && !isReservedWindowsName(stem) ? stem : null;
}

/**
 * A name that is safe to use as a file name on the share for messages about a request whose own name is not a
 * valid FQDN (spaces, `..`, reserved Windows names such as CON).
 */
export function safeFileStem(name: string): string {
  const stem = name.replace(/\.req$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_').slice(0, 100) || '_';
  return isReservedWindowsName(stem) ? `_${stem}` : stem;
}
