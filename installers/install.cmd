@echo off
rem agentcert: installs this package's certificate for the SCOM agent. Runs install-certificate.ps1 elevated,
rem with the execution policy bypassed for this one run only, and returns its exit code (agentcert's README.md, "Exit codes").
rem Arguments are passed on: install.cmd -WhatIf | -Force | -BindOnly | -PfxPath <file> ...
setlocal
set "AGENTCERT_PS1=%~dp0install-certificate.ps1"
set "AGENTCERT_ARGS=%*"
set "AGENTCERT_PS=%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe"
rem A 32-bit cmd.exe on 64-bit Windows sees SysWOW64 as System32; Sysnative reaches the 64-bit PowerShell,
rem whose HKLM\SOFTWARE is the one the SCOM agent reads (agentcert's docs/scom-facts.md §2).
if exist "%SystemRoot%\Sysnative\WindowsPowerShell\v1.0\powershell.exe" set "AGENTCERT_PS=%SystemRoot%\Sysnative\WindowsPowerShell\v1.0\powershell.exe"

rem Elevated already? fltmc (and net session) succeed only for administrators.
fltmc >nul 2>&1
if errorlevel 1 goto elevate
"%AGENTCERT_PS%" -NoProfile -ExecutionPolicy Bypass -File "%AGENTCERT_PS1%" %*
exit /b %errorlevel%

:elevate
echo Administrator rights are needed: Windows will ask for them (UAC).
"%AGENTCERT_PS%" -NoProfile -ExecutionPolicy Bypass -Command "$q = [char]34; $a = '-NoProfile -ExecutionPolicy Bypass -File ' + $q + $env:AGENTCERT_PS1 + $q + ' ' + $env:AGENTCERT_ARGS; try { $p = Start-Process -FilePath $env:AGENTCERT_PS -ArgumentList $a -Verb RunAs -Wait -PassThru -ErrorAction Stop; exit $p.ExitCode } catch { Write-Host ('Elevation was refused or failed: ' + $_.Exception.Message); exit 2 }"
exit /b %errorlevel%
