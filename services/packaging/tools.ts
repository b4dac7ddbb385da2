/**
 * <share>/tools/: what a server owner needs to make a request (docs/contract.md "Share layout"): request-certificate.ps1,
 * the INF templates, the CA certificates and a README.txt. Each file is replaced atomically and only when its
 * content changed, so publishing on every start is cheap and never leaves a half-written file.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentPaths } from './agent-paths.js';
import { INF_TEMPLATES, packagedInstaller, readInfTemplate } from './assets.js';
import { writeFileAtomic } from '../files/index.js';
import { chainFileNames } from './manifest.js';
import { toCrlf } from './render.js';

async function writeIfChanged(file: string, data: Buffer): Promise<void> {
  const current = await readFile(file).catch(() => null);
  if (current && current.equals(data)) return;
  await writeFileAtomic(file, data);
}

/** Steps 3 and 4 of README.txt: only what the configuration makes true (results and renewal need agent paths). */
function reportingSteps(p: AgentPaths): string {
  const results = p.results
    ? `3. The result of the installation is written to ${p.results}\\<FQDN>.json.`
    : `3. Install results are not collected: the service has no path agents can reach (packaging.shareUncPath
   or packaging.resultsUncPath). install.cmd prints the result and keeps it on the server in
   %ProgramData%\\agentcert\\<FQDN>\\result.json.`;
  const renewal = p.share
    ? `4. Renewal is automatic: the installer registers the scheduled task "agentcert renewal <FQDN>" (daily, as
   SYSTEM). When the certificate is due it makes a renewal request signed with the current certificate
   (renewal.inf: RenewalCert, RequestType CMC), drops it in ${p.share}\\requests\\, installs the new package from
   ${p.share}\\issued\\<FQDN>\\ and reports to results\\<FQDN>.renewal.json. The computer account needs write access
   to requests\\ and results\\ and read access to issued\\. By hand: request-certificate.ps1 -Renew.`
    : `4. Renewal is by hand: packages install no renewal task until the service knows how agents reach the share
   (packaging.shareUncPath). Before the certificate expires run request-certificate.ps1 -Renew on the server.`;
  return `${results}\n\n${renewal}`;
}

export function toolsReadme(caFiles: string[], paths: AgentPaths = { share: null, results: null, from: null }): string {
  const share = paths.share ?? '\\\\<this share>';
  return toCrlf(`agentcert - request tooling for SCOM agent certificates
=========================================================

1. On the server that needs a certificate (agent, gateway or management server), open an elevated
   PowerShell and run:

     powershell.exe -NoProfile -ExecutionPolicy Bypass -File ${share}\\tools\\request-certificate.ps1 -Share ${share}

   Options: -Role agent|gateway|management-server, -Fqdn <name> (workgroup servers, when the computer
   name is not the name the management server resolves), -KeyLength 2048|4096, -Exportable,
   -OutputDirectory <folder>.
   It writes <FQDN>.req (certreq -new, key in the machine store, legacy SChannel CSP, KeySpec 1)
   and copies it to requests\\ on the share (or tells you where to copy it).

2. The service checks the request, issues the certificate and publishes issued\\<FQDN>\\ on the share:
   run install.cmd (or <FQDN>-install.exe) from that folder on the same server, elevated.
   Problems are explained in rejected\\<FQDN>.txt or pending\\<FQDN>.txt.

${reportingSteps(paths)}

The request must be accepted on the same server that made it: the private key never leaves it.

Files here:
  request-certificate.ps1      makes the request
  agent.inf, gateway.inf, management-server.inf, renewal.inf
                               the certreq templates the script fills in (for doing it by hand)
${caFiles.map((f) => `  ${f.padEnd(28)} CA certificate (DER)`).join('\n')}
`);
}

export async function publishTools(o: { shareRoot: string; chain: { der: Buffer; store: 'Root' | 'CA' }[]; agentPaths?: AgentPaths }): Promise<void> {
  const tools = path.join(path.resolve(o.shareRoot), 'tools');
  await mkdir(tools, { recursive: true });
  await writeIfChanged(path.join(tools, 'request-certificate.ps1'), await packagedInstaller('request-certificate.ps1'));
  for (const name of INF_TEMPLATES) {
    await writeIfChanged(path.join(tools, name), Buffer.from(toCrlf(await readInfTemplate(name)), 'utf8'));
  }
  const names = chainFileNames(o.chain);
  for (const [i, c] of o.chain.entries()) await writeIfChanged(path.join(tools, names[i]!), c.der);
  await writeIfChanged(path.join(tools, 'README.txt'), Buffer.from(toolsReadme(names, o.agentPaths), 'utf8'));
}
