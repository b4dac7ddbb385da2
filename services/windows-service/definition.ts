/**
 * The Windows service definition: the XML configuration of WinSW, the service wrapper (the `winsw.exe` that the
 * npm package node-windows ships, WinSW 1.17; https://github.com/winsw/winsw/blob/v2.12.0/doc/xmlConfigFile.md).
 * WinSW runs `node dist\cli\agentcert.js serve --config <file>` as the service, restarts it when it exits, and
 * rotates its stdout/stderr logs under data.dir\logs.
 *
 * Every value is checked (nothing that Windows could not take in a path or an account name) and XML-escaped;
 * the command line is quoted for CommandLineToArgvW, which is why a path may not end in a backslash.
 * https://learn.microsoft.com/windows/win32/api/shellapi/nf-shellapi-commandlinetoargvw
 */
import path from 'node:path';
import { AgentcertError } from '../domain/index.js';

/** The account the service runs as: never LocalSystem unless asked for (the AD CS rights belong to an account). */
export type ServiceAccount =
  | { kind: 'gmsa'; domain: string; user: string }
  | { kind: 'user'; domain: string; user: string; password: string | null }
  | { kind: 'localsystem' };

export interface ServiceDefinition {
  id: string;
  displayName: string;
  description: string;
  /** Absolute path of node.exe. */
  nodePath: string;
  /** Absolute path of dist\cli\agentcert.js. */
  cliPath: string;
  /** The config file the service always starts with. */
  configPath: string;
  dataDir: string;
  account: ServiceAccount;
  env: Record<string, string>;
}

// sAMAccountName may not hold these (learn.microsoft.com/windows/win32/adschema/a-samaccountname), nor controls.
const BAD_ACCOUNT = /["/\\[\]:;|=,+*?<>@\u0000-\u001f]/;
// Windows paths cannot hold these (learn.microsoft.com/windows/win32/fileio/naming-a-file); and WinSW expands
// %NAME% in the executable, the arguments and the log path, so a '%' would not reach node as written.
const BAD_PATH = /["<>|?*%\u0000-\u001f]/;

export function checkPath(what: string, p: string): string {
  if (!p || BAD_PATH.test(p)) throw new AgentcertError('AC_USAGE', `${what} "${p}" is not a path the service can use (no " < > | ? * %, no control characters)`);
  if (/\\$/.test(p) || p.endsWith('/')) throw new AgentcertError('AC_USAGE', `${what} "${p}" must not end in a path separator`);
  return p;
}

export function checkServiceId(id: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,79}$/.test(id)) throw new AgentcertError('AC_USAGE', `service name "${id}" must be letters, digits, _ . - (up to 80, starting with a letter)`);
  return id;
}

/**
 * `DOMAIN\name$` is a group managed service account (no password: Windows fetches it), `DOMAIN\name` or
 * `.\name` a named account (its password from AGENTCERT_SERVICE_PASSWORD), `LocalSystem` only when named.
 * https://learn.microsoft.com/windows-server/security/group-managed-service-accounts/group-managed-service-accounts-overview
 */
export function parseAccount(spec: string, password: string | null): ServiceAccount {
  if (/^(LocalSystem|NT AUTHORITY\\SYSTEM)$/i.test(spec)) return { kind: 'localsystem' };
  const m = /^([^\\]+)\\([^\\]+)$/.exec(spec);
  if (!m) throw new AgentcertError('AC_USAGE', `--account "${spec}" must be DOMAIN\\name$ (a gMSA), DOMAIN\\name or .\\name (a named account), or LocalSystem`);
  const [, domain, user] = m as unknown as [string, string, string];
  if (BAD_ACCOUNT.test(domain) || BAD_ACCOUNT.test(user) || user.length > 256) throw new AgentcertError('AC_USAGE', `--account "${spec}": an account name cannot hold " / \\ [ ] : ; | = , + * ? < > @ or control characters`);
  if (user.endsWith('$')) return { kind: 'gmsa', domain, user };
  return { kind: 'user', domain, user, password };
}

/** Text and attribute values; XML 1.0 has no way to carry most control characters, so they are refused. */
export function escapeXml(s: string): string {
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(s)) throw new AgentcertError('AC_USAGE', `a control character cannot be written into the service definition (in "${s.replace(/[\u0000-\u001f]/g, '?')}")`);
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** One argument quoted for CommandLineToArgvW (no embedded quotes: checkPath refuses them). */
function quoteArg(a: string): string {
  return /[\s"]/.test(a) ? `"${a}"` : a;
}

export function serviceArguments(d: Pick<ServiceDefinition, 'cliPath' | 'configPath'>): string {
  return [quoteArg(checkPath('the CLI path', d.cliPath)), 'serve', '--config', quoteArg(checkPath('the config path', d.configPath))].join(' ');
}

/** Joins in the style of `dir`: Windows separators under a drive or UNC path, else this system's (dry runs, tests). */
export function joinLike(dir: string, ...parts: string[]): string {
  return (/^([A-Za-z]:[\\/]|\\\\)/.test(dir) ? path.win32 : path).join(dir, ...parts);
}

export function serviceDir(dataDir: string): string {
  return joinLike(dataDir, 'service');
}

export function logDir(dataDir: string): string {
  return joinLike(dataDir, 'logs');
}

function accountXml(a: ServiceAccount, withPassword: boolean): string[] {
  if (a.kind === 'localsystem') return [];
  const lines = ['  <serviceaccount>', `    <domain>${escapeXml(a.domain)}</domain>`, `    <user>${escapeXml(a.user)}</user>`];
  if (a.kind === 'user' && withPassword && a.password !== null) lines.push(`    <password>${escapeXml(a.password)}</password>`);
  // Grants "Log on as a service" to the account at install (WinSW), so no local policy edit is needed.
  lines.push('    <allowservicelogon>true</allowservicelogon>', '  </serviceaccount>');
  return lines;
}

/**
 * The WinSW XML. `withPassword` only for the install run: afterwards the file is written again without it (the
 * service control manager keeps the password; WinSW needs it only to register the service).
 */
export function renderServiceXml(d: ServiceDefinition, o: { withPassword: boolean } = { withPassword: false }): string {
  checkServiceId(d.id);
  checkPath('node.exe', d.nodePath);
  checkPath('data.dir', d.dataDir);
  const env = Object.entries(d.env).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new AgentcertError('AC_USAGE', `environment variable name "${k}" is not valid`);
    return `  <env name="${escapeXml(k)}" value="${escapeXml(v)}"/>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!-- agentcert Windows service (WinSW). Written by `agentcert service install`; README "Windows service". -->',
    '<service>',
    `  <id>${escapeXml(d.id)}</id>`,
    `  <name>${escapeXml(d.displayName)}</name>`,
    `  <description>${escapeXml(d.description)}</description>`,
    `  <executable>${escapeXml(d.nodePath)}</executable>`,
    `  <arguments>${escapeXml(serviceArguments(d))}</arguments>`,
    `  <workingdirectory>${escapeXml(d.dataDir)}</workingdirectory>`,
    ...accountXml(d.account, o.withPassword),
    '  <startmode>Automatic</startmode>',
    // WinSW 2.x reads this; 1.17 does not, so install also runs `sc.exe config <id> start= delayed-auto`.
    '  <delayedAutoStart>true</delayedAutoStart>',
    // Restart after 10 s, then 60 s, then every 5 min; the count starts again after a day without a failure.
    '  <onfailure action="restart" delay="10 sec"/>',
    '  <onfailure action="restart" delay="60 sec"/>',
    '  <onfailure action="restart" delay="300 sec"/>',
    '  <resetfailure>1 day</resetfailure>',
    // SIGTERM-like stop: WinSW sends Ctrl+C first; agentcert finishes in-flight work (README "Quick start").
    '  <stopparentprocessfirst>true</stopparentprocessfirst>',
    '  <stoptimeout>60 sec</stoptimeout>',
    `  <logpath>${escapeXml(logDir(d.dataDir))}</logpath>`,
    '  <log mode="roll-by-size">',
    '    <sizeThreshold>10240</sizeThreshold>',
    '    <keepFiles>8</keepFiles>',
    '  </log>',
    ...env,
    '</service>',
    '',
  ].join('\r\n');
}
