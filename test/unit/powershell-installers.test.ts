import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePowerShell } from '../helpers/powershell-parse.js';

const installers = path.resolve(import.meta.dirname, '../../installers');
const read = (name: string): string => readFileSync(path.join(installers, name), 'utf8');

describe('installer scripts parse as PowerShell', () => {
  for (const name of ['install-certificate.ps1', 'request-certificate.ps1']) {
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

describe('install-certificate.ps1 agrees with SCOM-FACTS and its README', () => {
  const script = read('install-certificate.ps1');
  const readme = read('README-installer.md');

  it('documents the same exit codes in the script header, the $ExitCodes table and README-installer.md', () => {
    const table = /\$ExitCodes = @\{([^}]*)\}/.exec(script)![1]!;
    const codes = Object.fromEntries([...table.matchAll(/'([a-z-]+)' = (\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
    expect(Object.keys(codes)).toHaveLength(12);
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

  it('cites the SCOM-FACTS section each step follows', () => {
    for (const step of ['1. preflight', '2. trust', '3. accept', '4. verify', '5. bind', '6. restart', '7. copies', '8. self-heal', '9. result']) {
      const line = script.split('\n').find((l) => l.startsWith(`# --- ${step}`));
      expect(line, step).toBeDefined();
      if (!step.startsWith('9.')) expect(line).toMatch(/SCOM-FACTS §\d/);
    }
  });

  it('routes every change through Invoke-Change, so -WhatIf changes nothing', () => {
    const changing = /^(?!\s*#).*\b(Restart-Service|New-ItemProperty|Set-ItemProperty|Remove-Item|'-addstore'|'-delstore'|'-repairstore'|'-accept'|\$store\.Add)/;
    const lines = script.split('\n');
    const offenders = lines
      .map((l, i) => ({ l, i }))
      .filter(({ l }) => changing.test(l))
      .filter(({ l, i }) => !l.includes('Invoke-Change') && !lines.slice(Math.max(0, i - 4), i).some((p) => p.includes('Invoke-Change')) && !/function Import-AdminPfx/.test(lines.slice(Math.max(0, i - 12), i).join('\n')));
    expect(offenders.map((o) => `${o.i + 1}: ${o.l.trim()}`)).toEqual([]);
  });
});
