import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePowerShell } from '../helpers/powershell-parse.js';

const installers = path.resolve(import.meta.dirname, '../../installers');
const read = (name: string): string => readFileSync(path.join(installers, name), 'utf8');
// The installer's sections are in README.md.
const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');

/** The README text from a heading to the next heading of the same or a higher level. */
function readmeSection(heading: string): string {
  const start = readme.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const level = /^#+/.exec(heading)![0].length;
  const rest = readme.slice(start + heading.length);
  const next = new RegExp(`^#{1,${level}} `, 'm').exec(rest);
  return rest.slice(0, next ? next.index : undefined);
}

/**
 * Lines (1-based, trimmed) that change something but are not inside the script block of an Invoke-Change call.
 * Braces are counted outside string literals, from the line that calls Invoke-Change to the one closing its block.
 */
function changesOutsideInvokeChange(script: string, changing: RegExp, allowed: (line: string, fn: string) => boolean): string[] {
  const lines = script.split('\n');
  let fn = '';
  let depth = 0;
  let changeDepth: number | null = null; // brace depth outside the open Invoke-Change block
  const out: string[] = [];
  lines.forEach((l, i) => {
    const f = /^function ([A-Za-z-]+)/.exec(l);
    if (f) fn = f[1]!;
    if (/^# --- main/.test(l)) fn = 'main';
    const code = l.replace(/#.*$/, '').replace(/'(?:[^']|'')*'|"(?:[^"`]|`.)*"/g, "''");
    if (changeDepth === null && code.includes('Invoke-Change')) changeDepth = depth;
    const inside = changeDepth !== null;
    for (const c of code) depth += c === '{' ? 1 : c === '}' ? -1 : 0;
    if (changeDepth !== null && depth <= changeDepth) changeDepth = null;
    if (!changing.test(l) || inside || allowed(l, fn)) return;
    out.push(`${i + 1}: ${l.trim()}`);
  });
  return out;
}

describe('changesOutsideInvokeChange (the -WhatIf checks below)', () => {
  it('accepts a change inside an Invoke-Change block, however long, and reports one after it closes', () => {
    const src = [
      'function A {',
      "    Invoke-Change 'x' {",
      "        $s = '}}}'",
      '        Write-Host 1',
      '        Write-Host 2',
      '        Write-Host 3',
      '        Write-Host 4',
      '        Remove-Item -LiteralPath $a',
      '    } | Out-Null',
      '    Remove-Item -LiteralPath $b',
      '}',
    ].join('\n');
    expect(changesOutsideInvokeChange(src, /Remove-Item/, () => false)).toEqual(['10: Remove-Item -LiteralPath $b']);
  });
});

describe('installer scripts parse as PowerShell', () => {
  for (const name of ['install-certificate.ps1', 'request-certificate.ps1', 'renew-certificate.ps1']) {
    it(`${name} (template) has no ERROR or MISSING node`, async () => {
      expect((await parsePowerShell(read(name))).errors).toEqual([]);
    });
  }

  it('install.cmd runs install-certificate.ps1 with Bypass for this one run and self-elevates, returning the exit code', () => {
    const cmd = read('install.cmd');
    expect(cmd).toMatch(/-NoProfile -ExecutionPolicy Bypass -File "%AGENTCERT_PS1%" %\*/);
    expect(cmd).toContain('set "AGENTCERT_PS1=%~dp0install-certificate.ps1"');
    expect(cmd).toMatch(/fltmc >nul 2>&1\r?\nif errorlevel 1 goto elevate/);
    expect(cmd).toMatch(/Start-Process -FilePath \$env:AGENTCERT_PS -ArgumentList \$a -Verb RunAs -Wait -PassThru/);
    expect(cmd).toContain('exit $p.ExitCode');
    expect(cmd).toContain('exit /b %errorlevel%');
  });

  it('the -Command that install.cmd elevates with parses as PowerShell', async () => {
    const line = read('install.cmd').split(/\r?\n/).find((l) => l.includes('-Command "'))!;
    const command = line.slice(line.indexOf('-Command "') + '-Command "'.length, line.lastIndexOf('"'));
    expect(command).not.toContain('"'); // nothing for cmd.exe's quote parsing to trip over
    expect((await parsePowerShell(command)).errors).toEqual([]);
  });
});

describe('install-certificate.ps1 agrees with docs/scom-facts.md and the README', () => {
  const script = read('install-certificate.ps1');

  it('documents the same exit codes in the script header, the $ExitCodes table and README.md', () => {
    const table = /\$ExitCodes = @\{([^}]*)\}/.exec(script)![1]!;
    const codes = Object.fromEntries([...table.matchAll(/'([a-z-]+)' = (\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
    expect(Object.keys(codes)).toHaveLength(13);
    for (const [status, code] of Object.entries(codes)) {
      if (status !== 'error') expect(script).toMatch(new RegExp(`^\\s+${code}\\s+${status}\\b`, 'm'));
      expect(readme).toContain(`| ${code} | ${status} |`);
    }
  });

  it('translates every error event it waits for into a cause and a fix, also in the README table', () => {
    const ids = /\$ErrorEventIds = @\(([^)]*)\)/.exec(script)![1]!.split(',').map((s) => Number(s.trim()));
    expect(ids.sort()).toEqual([20050, 20066, 20068, 20069, 20071, 20077, 21036]);
    for (const id of ids) {
      expect(script).toMatch(new RegExp(`^\\s+${id} = @\\{ Cause = '.+'; Fix = '.+' \\}`, 'm'));
      expect(readme).toMatch(new RegExp(`^\\| ${id} \\| .+ \\| .+ \\|$`, 'm'));
    }
    expect(script).toContain('Id = @(20053) + $ErrorEventIds');
  });

  it('binds by serial under "Machine Settings" (with the space) as REG_BINARY, plus the thumbprint', () => {
    expect(script).toContain("'HKLM:\\SOFTWARE\\Microsoft\\Microsoft Operations Manager\\3.0\\Machine Settings'");
    expect(script).toMatch(/-Name 'ChannelCertificateSerialNumber' -PropertyType Binary -Value \$want/);
    expect(script).toMatch(/-Name 'ChannelCertificateHash' -PropertyType String -Value \$m\.certificate\.thumbprint/);
  });

  it('confirms trust by certutil -store exit codes, accepts with certreq -accept -q -machine and explains 0x80092004', () => {
    expect(script).toContain("Invoke-Native 'certutil.exe' @('-store', $Store, $Thumbprint)");
    expect(script).toContain('return ($r.ExitCode -eq 0)');
    expect(script).toContain("@('-accept', '-q', '-machine', $cer)");
    expect(script).toMatch(/0x80092004[\s\S]{0,200}private key made by this request is gone/);
  });

  it('cites the docs/scom-facts.md section each step follows', () => {
    for (const step of ['1. preflight', '2. trust', '3. accept', '4. verify', '5. bind', '6. restart', '7. copies', '8. self-heal', '9. result']) {
      const line = script.split('\n').find((l) => l.startsWith(`# --- ${step}`));
      expect(line, step).toBeDefined();
      if (!step.startsWith('9.')) expect(line).toMatch(/docs\/scom-facts\.md §\d/);
    }
  });

  it('routes every change through Invoke-Change, so -WhatIf changes nothing', () => {
    const changing = /^(?!\s*#).*\b(Restart-Service|New-ItemProperty|Set-ItemProperty|Remove-Item|Copy-Item|Register-ScheduledTask -|Unregister-ScheduledTask -|'-addstore'|'-delstore'|'-repairstore'|'-accept'|\$store\.Add|Invoke-NativeLine 'msiexec|AddManagementGroup\(|ReloadConfiguration\()/;
    // Import-AdminPfx runs only from Install-Certificate's Invoke-Change.
    expect(changesOutsideInvokeChange(script, changing, (_l, fn) => fn === 'Import-AdminPfx')).toEqual([]);
    expect(script).toContain("Invoke-Change ('import PFX ' + $PfxPath + ' into LocalMachine\\My') { Import-AdminPfx $m }");
  });
});

describe('install-certificate.ps1 registers the renewal task', () => {
  const script = read('install-certificate.ps1');
  const fn = (name: string): string => {
    const start = script.indexOf(`function ${name}`);
    expect(start, name).toBeGreaterThanOrEqual(0);
    return script.slice(start, script.indexOf('\n}', start));
  };

  it('registers it only after installed / installed-unconfirmed, as a step that cannot fail the install', () => {
    expect(script).toMatch(/if \(\$status -eq 'installed' -or \$status -eq 'installed-unconfirmed'\) \{\s*\n\s*#[^\n]*\n\s*try \{ Invoke-Step 'renewal-task' \{ Register-RenewalTask \$manifest \} \} catch \{ Write-Warning/);
  });

  it('runs renew-certificate.ps1 daily at a random time as SYSTEM (ServiceAccount, Highest) with the 64-bit PowerShell', () => {
    const register = fn('Register-RenewalTask');
    expect(register).toContain("New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest");
    expect(register).toContain('New-ScheduledTaskTrigger -Daily -At $at');
    expect(register).toContain('(Get-Date).Date.AddMinutes((Get-Random -Minimum 0 -Maximum 1440))');
    expect(register).toMatch(/Register-ScheduledTask -TaskName \$t\.Name -TaskPath '\\' -Action \$taskAction -Trigger \$taskTrigger -Principal \$taskPrincipal -Settings \$taskSettings .* -Force/);
    expect(register).toMatch(/if \(\$NoRenewalTask\) \{ return 'skipped/);
    const def = fn('Get-RenewalTaskDefinition');
    expect(def).toContain("Join-Path $env:SystemRoot 'System32\\WindowsPowerShell\\v1.0\\powershell.exe'");
    expect(def.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n')).not.toContain('Sysnative');
    expect(def).toContain("$renewScript = Join-Path $script:LogDir 'renew-certificate.ps1'");
    expect(def).toContain('if ($null -ne $Package) { $name = $Package.RenewalTaskName; $arguments = $Package.RenewalTaskArguments }');
    // Inside an Invoke-Change block, $description/$action would be Invoke-Change's own parameters.
    const block = register.slice(register.indexOf('Invoke-Change'));
    expect(block).not.toMatch(/\$(description|action)\b/i);
  });

  it('copies manifest.json, renew-certificate.ps1 and renewal.inf to %ProgramData%\\agentcert\\<FQDN>\\ and leaves an identical task alone', () => {
    expect(fn('Copy-RenewalFiles')).toContain("@('manifest.json', 'renew-certificate.ps1', 'renewal.inf')");
    expect(script).toContain("$script:LogDir = Join-Path (Join-Path $env:ProgramData 'agentcert') $manifest.fqdn");
    const current = fn('Test-RenewalTaskCurrent');
    expect(current).toContain('($first.Execute -eq $t.Execute) -and ($first.Arguments -eq $t.Arguments)');
  });

  it('documents -NoRenewalTask in the script and the README', () => {
    expect(script).toMatch(/\.PARAMETER NoRenewalTask/);
    expect(script).toMatch(/\[switch\]\$NoRenewalTask,?\n/);
    expect(readmeSection('## What the installer does')).toContain('`-NoRenewalTask`');
  });
});

describe('renew-certificate.ps1 (the renewal task)', () => {
  const script = read('renew-certificate.ps1');
  const section = readmeSection('### Renewal on the agent');

  it('documents the same exit codes in its header, its $ExitCodes table and the README', () => {
    const table = /\$ExitCodes = @\{([^}]*)\}/.exec(script)![1]!;
    const codes = Object.fromEntries([...table.matchAll(/'([a-z-]+)' = (\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
    expect(codes).toEqual({ idle: 0, 'not-due': 0, requested: 10, installed: 11, error: 1, 'not-elevated': 2, 'manifest-damaged': 3, 'request-failed': 4, 'share-unreachable': 5, 'package-damaged': 6, 'install-failed': 7 });
    for (const [outcome, code] of Object.entries(codes)) {
      expect(script, outcome).toMatch(new RegExp(`^\\s+${code}\\s+.*\\b${outcome}\\b`, 'm'));
      expect(section, outcome).toMatch(new RegExp(`^\\| ${code} \\| [^|]*\\b${outcome}\\b[^|]*\\|`, 'm'));
    }
    // Health statuses are the five README.md names; every other outcome is status "error" with the outcome as reason.
    expect(script).toContain("$HealthStatuses = @('idle', 'not-due', 'requested', 'installed')");
    expect(section).toContain('`status` (idle, not-due, requested, installed, error)');
  });

  it('makes the request with certreq -new -q -f -machine on the installed renewal.inf, with a timeout, only after checking it', () => {
    expect(script).toContain("Invoke-Native 'certreq.exe' @('-new', '-q', '-f', '-machine', $inf, $req) $CertreqTimeoutSeconds");
    expect(script).toMatch(/Test-RenewalInf \$inf \$Thumbprint/);
    expect(script).toContain('if (-not $p.WaitForExit($TimeoutSeconds * 1000))');
    // The installer of the new package and every share access are bounded too.
    expect(script).toMatch(/Invoke-Native \$ps @\('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', \$installer\) \$InstallTimeoutSeconds/);
    expect(script).toContain('$handle.AsyncWaitHandle.WaitOne($ShareTimeoutSeconds * 1000)');
    for (const call of script.matchAll(/Invoke-Share \(/g)) expect(call.index).toBeGreaterThan(script.indexOf('function Invoke-Share'));
  });

  it('delivers the request under a name the service ignores, then renames it to <FQDN>.req', () => {
    const send = script.slice(script.indexOf('function Send-RenewalRequest'), script.indexOf('function Invoke-Renewal'));
    expect(send).toContain("('.' + $m.fqdn + '.' + [guid]::NewGuid().ToString('N') + '.tmp')");
    expect(send).toMatch(/Copy-Item -LiteralPath \$from -Destination \$tmp[\s\S]*Move-Item -LiteralPath \$tmp -Destination \$to/);
  });

  it('reads the binding from Machine Settings: the reversed serial first, then the thumbprint, then the manifest', () => {
    expect(script).toContain("$ScomMachineSettings = 'HKLM:\\SOFTWARE\\Microsoft\\Microsoft Operations Manager\\3.0\\Machine Settings'");
    const bound = script.slice(script.indexOf('function Get-BoundCertificate'), script.indexOf('# --- 3.'));
    const serial = bound.indexOf("-contains 'ChannelCertificateSerialNumber'");
    const hash = bound.indexOf("-contains 'ChannelCertificateHash'");
    expect(serial).toBeGreaterThan(0);
    expect(hash).toBeGreaterThan(serial);
    expect(bound.indexOf("From = 'manifest (no binding in the registry)'")).toBeGreaterThan(hash);
  });

  it('installs only a newer package for this FQDN and CA, after checking every SHA-256 of the local copy', () => {
    expect(script).toContain('if ($new.fqdn -ne $m.fqdn -or $new.certificate.thumbprint -eq $m.certificate.thumbprint) { return $null }');
    expect(script).toContain('if ((ConvertTo-UtcDate $new.certificate.notBefore) -le (ConvertTo-UtcDate $m.certificate.notBefore)) { return $null }');
    expect(script).toContain('if ($pinned -ne $offered)');
    const install = script.slice(script.indexOf('function Install-NewPackage'), script.indexOf('# --- 5.'));
    expect(install.indexOf('Test-PackageFolder $local $thumb')).toBeLessThan(install.indexOf('Invoke-Native $ps'));
  });

  it('routes every change through Invoke-Change (or behind a -WhatIf return), so -WhatIf changes nothing', () => {
    const changing = /^(?!\s*#).*(\b(Remove-Item|Copy-Item|Move-Item|New-Item|Start-Transcript)\b|WriteAllText|Invoke-Native 'certreq|Invoke-Native \$ps)/;
    // Write-JsonFile runs only from Save-State (Invoke-Change) and Write-Health (returns first under -WhatIf);
    // Invoke-Native (the helper itself) and the transcript/log rotation in main are behind WhatIf checks below.
    const guarded: Record<string, RegExp> = {
      'Write-JsonFile': /./,
      'Write-Health': /./,
      'Install-NewPackage': /Remove-Item -LiteralPath \$statePath|Invoke-Native \$ps/,
      main: /Move-Item -LiteralPath \$log|Start-Transcript/,
    };
    const offenders = changesOutsideInvokeChange(script, changing, (line, fn) => guarded[fn]?.test(line) ?? false);
    expect(offenders).toEqual([]);
    const health = script.slice(script.indexOf('function Write-Health'), script.indexOf('# --- main'));
    expect(health.indexOf('if ($script:WhatIfMode) {')).toBeLessThan(health.indexOf('Write-JsonFile'));
    const install = script.slice(script.indexOf('function Install-NewPackage'), script.indexOf('# --- 5.'));
    expect(install.indexOf('if ($script:WhatIfMode) {')).toBeLessThan(install.indexOf('Invoke-Native $ps'));
    expect(script).toMatch(/if \(-not \$script:WhatIfMode\) \{\s*\n\s*\$log = Join-Path/);
    expect([...script.matchAll(/Write-JsonFile \$/g)].length).toBe(2); // the calls: Save-State, Write-Health
  });

  it('ends every failure with an outcome that has an exit code, and never uses a name from the share as a path unchecked', () => {
    const table = /\$ExitCodes = @\{([^}]*)\}/.exec(script)![1]!;
    const known = new Set([...table.matchAll(/'([a-z-]+)' = \d+/g)].map((m) => m[1]!));
    const used = [...script.matchAll(/Stop-Renewal '([a-z-]+)'/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(10);
    for (const o of used) expect(known.has(o), o).toBe(true);
    expect(script).toContain("if ($thumb -notmatch '^[0-9A-F]{40}$')");
    expect(script).toContain("if ($n -notmatch '^[A-Za-z0-9][A-Za-z0-9._-]*$')");
    // File names the service gives the package all pass that check.
    for (const n of ['agent01.contoso.com.cer', 'root-Test-Root-CA.cer', 'ca-Test-Issuing-CA-Ops-e.cer', 'install-certificate.ps1', 'install.cmd', 'renew-certificate.ps1', 'renewal.inf', 'manifest.json']) {
      expect(/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(n), n).toBe(true);
    }
    for (const n of ['..\\x', '../x', 'a\\b', '.hidden', 'C:x']) expect(/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(n), n).toBe(false);
  });

  it('relaunches itself in the 64-bit PowerShell before reading HKLM\\SOFTWARE (Sysnative), like the installer', () => {
    expect(script).toContain("Join-Path $env:WINDIR 'Sysnative\\WindowsPowerShell\\v1.0\\powershell.exe'");
    expect(script.indexOf('Is64BitProcess')).toBeLessThan(script.indexOf('Test-Elevated\n'));
  });
});
