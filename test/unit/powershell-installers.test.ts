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
