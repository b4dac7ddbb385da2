; agentcert: the self-contained installer of one delivery package (NSIS 3, built by services/packaging/nsis.ts).
; Silent; asks for elevation (RequestExecutionLevel admin); unpacks the package files next to each other into
; the plug-ins folder (deleted on exit), runs install-certificate.ps1 with the command-line arguments given to
; the .exe, and returns that script's exit code (agentcert's README.md, "Exit codes (install-certificate.ps1, install.cmd, the .exe)").
; package.nsh (rendered) defines PACKAGE_NAME and OUT_FILE and holds one `File` line per package file.
Unicode true
SetCompressor /SOLID lzma
RequestExecutionLevel admin
SilentInstall silent
ShowInstDetails nevershow

!include "FileFunc.nsh"
!include "package-defines.nsh"

Name "${PACKAGE_NAME}"
OutFile "${OUT_FILE}"

Var Params
Var PowerShell
Var ExitCode

Section "Install"
  InitPluginsDir
  SetOutPath "$PLUGINSDIR\package"
  !include "package-files.nsh"
  ${GetParameters} $Params
  ; A 32-bit NSIS stub on 64-bit Windows would start the 32-bit PowerShell, whose HKLM\SOFTWARE is redirected
  ; to WOW6432Node, so the SCOM registry values (agentcert's docs/scom-facts.md §2) would land in the wrong place: use Sysnative.
  StrCpy $PowerShell "$WINDIR\Sysnative\WindowsPowerShell\v1.0\powershell.exe"
  IfFileExists "$PowerShell" +2 0
    StrCpy $PowerShell "$SYSDIR\WindowsPowerShell\v1.0\powershell.exe"
  ClearErrors
  ExecWait '"$PowerShell" -NoProfile -ExecutionPolicy Bypass -File "$PLUGINSDIR\package\install-certificate.ps1" $Params' $ExitCode
  IfErrors 0 +2
    StrCpy $ExitCode 1
  SetOutPath "$TEMP"
  SetErrorLevel $ExitCode
SectionEnd
