/**
 * The agent install of install-certificate.ps1 ("during" the agent's install, README "Management group"): the
 * msiexec command line the service renders, the values pinned in the script, and the decisions the script takes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/config/index.js';
import { manifestManagementGroup, packageRole } from '../../services/lifecycle/steps/server-assignment.js';
import { agentMsiProperties, agentMsiPropertyString, msiexecCommandLine, renderInstallScript, type Manifest, type ManifestManagementGroup } from '../../services/packaging/index.js';
import { parsePowerShell } from '../helpers/powershell-parse.js';

const template = readFileSync(path.resolve(import.meta.dirname, '../../installers/install-certificate.ps1'), 'utf8');
const fn = (name: string): string => {
  const start = template.indexOf(`function ${name}`);
  expect(start, name).toBeGreaterThanOrEqual(0);
  return template.slice(start, template.indexOf('\n}', start));
};

/** A single-quoted literal as PowerShell reads it back (every doubled quote is one). */
function readLiteral(src: string, key: string): string | null {
  const m = new RegExp(`\\b${key} = (\\$null|'((?:[^'\\u2018\\u2019\\u201A\\u201B]|['\\u2018\\u2019\\u201A\\u201B]{2})*)')`).exec(src);
  if (!m) throw new Error(`${key} not rendered`);
  return m[1] === '$null' ? null : m[2]!.replace(/(['\u2018\u2019\u201A\u201B])\1/g, '$1');
}

/** How msiexec splits its command line: spaces outside quotes separate; "" inside quotes is one quote. */
function splitMsiexec(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i]!;
    if (c === '"') {
      if (quoted && line[i + 1] === '"') { cur += '"'; i += 1; } else quoted = !quoted;
      started = true;
    } else if (c === ' ' && !quoted) {
      if (started) out.push(cur);
      cur = '';
      started = false;
    } else { cur += c; started = true; }
  }
  if (started) out.push(cur);
  return out;
}

const mgOf = (o: Partial<ManifestManagementGroup> = {}): ManifestManagementGroup => ({
  name: 'DMZ_MG',
  primary: { fqdn: 'ms2.contoso.local', port: 5723 },
  failovers: [{ fqdn: 'ms1.contoso.local', port: 5723 }, { fqdn: 'gw1.dmz.contoso.local', port: 5724 }],
  installAgent: true,
  agentMsi: { path: null, sharePath: '\\\\fs01\\agentcert\\tools\\agent\\MOMAgent.msi' },
  ...o,
});

function manifestWith(mg: ManifestManagementGroup | null, role: Manifest['role'] = 'agent'): Manifest {
  return {
    schemaVersion: 1, fqdn: 'dmz01.dmz.contoso.local', role,
    certificate: { file: 'dmz01.dmz.contoso.local.cer', serialNumber: '0080AB', serialNumberReversed: 'AB8000', thumbprint: '0123456789ABCDEF0123456789ABCDEF01234567', sha256: 'AA'.repeat(32), notBefore: '2025-01-01T00:00:00.000Z', notAfter: '2027-01-01T00:00:00.000Z', subject: 'CN=dmz01.dmz.contoso.local', issuer: 'CN=CA' },
    chain: [{ file: 'root-ca.cer', store: 'Root', thumbprint: 'CC'.repeat(20), subject: 'CN=CA' }],
    files: [], requestFingerprint: 'f'.repeat(64), requestId: 'ffffffffffff', issuedAt: '2025-01-01T00:00:00.000Z', issuer: 'CN=CA', resultsPath: null,
    renewal: { dueAt: null, requestsPath: null, issuedPath: null },
    managementGroup: mg,
  };
}

describe('the msiexec command line (services/packaging/agent-install.ts)', () => {
  it('installs MOMAgent.msi silently with a verbose log, manual settings, the assigned primary and port, Local System and the licence accepted', () => {
    const line = msiexecCommandLine(mgOf(), 'C:\\Install\\MOMAgent.msi', 'C:\\ProgramData\\agentcert\\dmz01\\MOMAgent-install.log');
    expect(line).toBe('/i "C:\\Install\\MOMAgent.msi" /qn /l*v "C:\\ProgramData\\agentcert\\dmz01\\MOMAgent-install.log" USE_SETTINGS_FROM_AD=0 USE_MANUALLY_SPECIFIED_SETTINGS=1 MANAGEMENT_GROUP=DMZ_MG MANAGEMENT_SERVER_DNS=ms2.contoso.local SECURE_PORT=5723 ACTIONS_USE_COMPUTER_ACCOUNT=1 AcceptEndUserLicenseAgreement=1');
  });

  it('keeps every value inside its own argument, whatever the MSI path, log path or group name hold', () => {
    const text = fc.string({ unit: fc.constantFrom('a', ' ', '"', "'", '\\', '$', '`', '=', '/', '&', '\u00e9', 'Q'), minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(text, text, text, (msi, log, name) => {
        const mg = mgOf({ name });
        const args = splitMsiexec(msiexecCommandLine(mg, msi, log));
        expect(args.slice(0, 5)).toEqual(['/i', msi, '/qn', '/l*v', log]);
        expect(args.slice(5)).toEqual(agentMsiProperties(mg).map(([k, v]) => `${k}=${v}`));
      }),
      { numRuns: 400 },
    );
  });

  it('lists the same properties in the same order as the installer\'s Get-AgentMsiProperties, from the same manifest fields', () => {
    const table = fn('Get-AgentMsiProperties');
    const rows = [...table.matchAll(/^\s+([A-Za-z_]+) = (.+)$/gm)].map((m) => [m[1]!, m[2]!.trim()]);
    expect(rows).toEqual([
      ['USE_SETTINGS_FROM_AD', "'0'"],
      ['USE_MANUALLY_SPECIFIED_SETTINGS', "'1'"],
      ['MANAGEMENT_GROUP', '[string]$mg.name'],
      ['MANAGEMENT_SERVER_DNS', '[string]$mg.primary.fqdn'],
      ['SECURE_PORT', '[string]$mg.primary.port'],
      ['ACTIONS_USE_COMPUTER_ACCOUNT', "'1'"],
      ['AcceptEndUserLicenseAgreement', "'1'"],
    ]);
    expect(agentMsiProperties(mgOf()).map(([k]) => k)).toEqual(rows.map(([k]) => k));
    // The installer quotes values for msiexec as the service does.
    expect(fn('ConvertTo-MsiValue')).toContain("if ($Value -match '^[A-Za-z0-9._-]+$') { return $Value }");
    expect(fn('ConvertTo-MsiValue')).toContain(`return '"' + $Value.Replace('"', '""') + '"'`);
    expect(fn('Get-MsiexecCommandLine')).toContain("('/i ' + (ConvertTo-MsiValue $Msi) + ' /qn /l*v ' + (ConvertTo-MsiValue $Log) + ' ' + $PropertyString)");
  });
});

describe('install-certificate.ps1 rendered for an agent with a management group', () => {
  const hostile = [
    mgOf(),
    mgOf({ name: "o'brien\u2019s \"MG\" $(Remove-Item C:\\) `whoami` #x", agentMsi: { path: "C:\\Install dir\\o'neil\u2018s\\MOMAgent.msi", sharePath: '\\\\fs 01\\agent$cert\\tools\\agent\\MOMAgent.msi' } }),
    mgOf({ primary: { fqdn: "ms'; Write-Host pwned; '.contoso.local", port: 15723 }, failovers: [{ fqdn: "x'+'y", port: 1 }] }),
  ];
  for (const mg of hostile) {
    it(`pins ${JSON.stringify(mg.name)} / ${JSON.stringify(mg.primary!.fqdn)} inside literals and still parses`, async () => {
      const m = manifestWith(mg);
      const script = renderInstallScript(template, m);
      expect((await parsePowerShell(script)).errors).toEqual([]);
      const block = script.slice(script.indexOf('ManagementGroup = @{'), script.indexOf('#endregion rendered'));
      expect(readLiteral(block, 'Name')).toBe(mg.name);
      expect(readLiteral(block, 'PrimaryServer')).toBe(mg.primary!.fqdn);
      expect(readLiteral(block, 'PrimaryPort')).toBe(String(mg.primary!.port));
      expect(readLiteral(block, 'FailoverServers')).toBe(mg.failovers.map((f) => f.fqdn).join(','));
      expect(readLiteral(block, 'InstallAgent')).toBe('true');
      expect(readLiteral(block, 'AgentMsiPath')).toBe(mg.agentMsi.path);
      expect(readLiteral(block, 'AgentMsiSharePath')).toBe(mg.agentMsi.sharePath);
      expect(readLiteral(block, 'MsiProperties')).toBe(agentMsiPropertyString(mg));
    });
  }

  it('renders $null for a manifest without a management group, and no properties for a server', async () => {
    expect(renderInstallScript(template, manifestWith(null))).toContain('    ManagementGroup = $null\r\n');
    const server = renderInstallScript(template, manifestWith(mgOf({ primary: null, failovers: [], installAgent: false, agentMsi: { path: null, sharePath: null } }), 'gateway'));
    const block = server.slice(server.indexOf('ManagementGroup = @{'), server.indexOf('#endregion rendered'));
    expect(readLiteral(block, 'PrimaryServer')).toBeNull();
    expect(readLiteral(block, 'InstallAgent')).toBe('false');
    expect(readLiteral(block, 'MsiProperties')).toBeNull();
    expect((await parsePowerShell(server)).errors).toEqual([]);
  });

  it('refuses a manifest whose management group differs from the pinned values, field by field', () => {
    expect(template).toContain("if ($Package.ContainsKey('ManagementGroup')) { Test-PinnedManagementGroup $m $Package.ManagementGroup }");
    const check = fn('Test-PinnedManagementGroup');
    for (const field of ["'name', $mg.name, $pinned.Name", "'primary', $primary, $pinned.PrimaryServer", "'port', $port, $pinned.PrimaryPort", "$pinned.FailoverServers", "$pinned.InstallAgent", "$pinned.AgentMsiPath", "$pinned.AgentMsiSharePath", "Get-MsiPropertyString (Get-AgentMsiProperties $mg)", '$pinned.MsiProperties']) {
      expect(check, field).toContain(field);
    }
    expect(check).toContain("Stop-Install 'package-damaged'");
  });
});

describe('install-certificate.ps1 decides what to do about the agent', () => {
  const plan = fn('Get-AgentPlan');
  const install = fn('Install-Agent');

  it('never installs an agent from a management server or gateway package: the role is decided first', () => {
    const lines = plan.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('if') || l.startsWith('return') || l.startsWith('$'));
    expect(lines[1]).toBe("if ($m.role -ne 'agent') { return 'server' }");
    expect(install).toContain("'server' { return ('a ' + $m.role + ' package never installs an agent; its certificate is bound as an agent''s is') }");
    // The service marks the servers' packages so (role and no primary), whatever -InstallAgent says.
    const config = loadConfig({ env: {}, file: null, flags: {} });
    const withMg = { ...config, managementGroup: { ...config.managementGroup, name: 'DMZ_MG', installAgent: true, servers: [{ fqdn: 'gw1.dmz.contoso.local', port: 5723, kind: 'gateway' as const, reachable: true, weight: 1 }] } };
    expect(packageRole(withMg, 'gw1.dmz.contoso.local', 'agent')).toBe('gateway');
    expect(manifestManagementGroup(withMg, 'gateway', null)).toEqual({ name: 'DMZ_MG', primary: null, failovers: [], installAgent: false, agentMsi: { path: null, sharePath: null } });
  });

  it('a fresh server (no HealthService) with -InstallAgent or the manifest\'s installAgent runs msiexec; without either it installs nothing', () => {
    expect(plan).toContain('$wanted = [bool]$InstallAgent -or [bool]$mg.installAgent');
    expect(plan).toContain("if (-not $agent.Present) { if ($wanted) { return 'install' } else { return 'none' } }");
    // The install path: MSI found or a clear failure, the log next to result.json, msiexec through Invoke-Change.
    expect(install).toContain("Stop-Install 'agent-install-failed' ('MOMAgent.msi not found");
    expect(install).toContain("$log = Join-Path $script:LogDir ('MOMAgent-install-' + (Get-Date -Format 'yyyyMMdd-HHmmss') + '.log')");
    expect(install).toContain("$r = Invoke-Change ('msiexec.exe ' + $line) { Invoke-NativeLine 'msiexec.exe' $line $AgentInstallTimeoutSeconds }");
    expect(install).toContain("if ($script:WhatIfMode) { return ('planned: msiexec.exe ' + $line) }");
    expect(install).toContain('@(0, 3010, 1641) -notcontains $r.ExitCode');
    expect(fn('Find-AgentMsi')).toContain("@($AgentMsiPath, $mg.agentMsi.path, $mg.agentMsi.sharePath, (Join-Path $PSScriptRoot 'MOMAgent.msi'))");
  });

  it('an installed agent is never reinstalled: in the group it is left alone, otherwise the group is added through the agent configuration API', () => {
    expect(plan).toContain("if ($Groups -contains [string]$mg.name) { return 'present' }");
    expect(plan).toContain("if ($wanted) { return 'add-group' }");
    expect(plan.indexOf("return 'install'")).toBeLessThan(plan.indexOf("return 'present'")); // install only without an agent
    expect(install).toContain("if ($agent.Present) { $cfg = Get-AgentConfig }");
    expect(install).toContain('$cfg.GetManagementGroups()');
    expect(install).toMatch(/Invoke-Change \$d \{ \$cfg\.AddManagementGroup\(\[string\]\$mg\.name, \[string\]\$mg\.primary\.fqdn, \[int\]\$mg\.primary\.port\); \$cfg\.ReloadConfiguration\(\) \}/);
    expect(fn('Get-AgentConfig')).toContain("New-Object -ComObject 'AgentConfigManager.MgmtSvcCfg'");
  });

  it('runs the agent step after the certificate is verified and before binding; a planned install under -WhatIf plans the binding too', () => {
    const main = template.slice(template.indexOf('# --- main'));
    const order = ["Invoke-Step 'verify'", "Invoke-Step 'agent' { Install-Agent $manifest $agentBefore }", '$agent = Get-AgentInfo', "Invoke-Step 'bind' { Set-Binding $manifest $agent }", "Invoke-Step 'restart'", "Invoke-Step 'agent-events'"];
    const at = order.map((s) => main.indexOf(s));
    for (const [i, p] of at.entries()) expect(p, order[i]).toBeGreaterThan(i === 0 ? -1 : at[i - 1]!);
    expect(main).toContain('if (-not $agent.Present -and -not ($script:WhatIfMode -and $script:AgentInstallPlanned)) {');
  });

  it('documents -InstallAgent, -AgentMsiPath and exit code 12 in the script', () => {
    for (const p of ['InstallAgent', 'AgentMsiPath', 'AgentInstallTimeoutSeconds']) expect(template).toMatch(new RegExp(`\\.PARAMETER ${p}\\n`));
    expect(template).toMatch(/^\s+12 agent-install-failed\s/m);
  });
});

describe('the README shows the agent install', () => {
  const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const section = (heading: string): string => {
    const start = readme.indexOf(heading);
    expect(start, heading).toBeGreaterThanOrEqual(0);
    const rest = readme.slice(start + heading.length);
    const level = /^#+/.exec(heading)![0].length;
    const next = new RegExp(`^#{1,${level}} `, 'm').exec(rest);
    return rest.slice(0, next ? next.index : undefined);
  };

  it('lists every MSI property the installer passes, with its public source', () => {
    const mg = section('## Management group');
    for (const [k] of agentMsiProperties(mgOf())) expect(mg).toMatch(new RegExp(`^\\| \`${k}\` \\|`, 'm'));
    expect(mg).toContain('https://learn.microsoft.com/system-center/scom/manage-deploy-windows-agent-manually');
    expect(mg).toContain('https://learn.microsoft.com/powershell/module/operationsmanager/set-scomparentmanagementserver');
    expect(mg).toContain('AddManagementGroup(managementGroupName, managementServerName, managementServerPort)');
  });

  it('the Windows section installs a new DMZ server in one run: the config, the request, the package with the agent', () => {
    const dmz = section('### A new DMZ server in one run');
    expect(section('## Windows installation, end to end')).toContain('### A new DMZ server in one run');
    expect(dmz).toMatch(/managementGroup:\n\s+name: DMZ_MG\n\s+installAgent: true/);
    expect(dmz).toContain('{ fqdn: rms.contoso.local, reachable: false }');
    expect(dmz).toContain('tools\\request-certificate.ps1 -Share \\\\fs01\\agentcert');
    expect(dmz).toMatch(/install\.cmd -WhatIf\s+# the plan, with the msiexec command line/);
    expect(dmz).toMatch(/install\.cmd\s+# -InstallAgent is implied/);
    expect(dmz).toContain('waits for event\n20053');
  });
});
