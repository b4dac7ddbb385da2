/**
 * What `agentcert service install` leaves in Windows besides the service: the Event Log source (the writer,
 * services/notify/event-log.ts, needs it registered by an administrator) and the registry key
 * HKLM\SOFTWARE\agentcert\Service that the management pack's discovery reads (README "Management pack").
 * Windows PowerShell 5.1; every value enters through quotePowerShell.
 * https://learn.microsoft.com/powershell/module/microsoft.powershell.management/new-eventlog?view=powershell-5.1
 */
import { EVENT_LOG_NAME, EVENT_SOURCE } from '../domain/index.js';
import { quotePowerShell } from '../packaging/powershell-quote.js';

export const SERVICE_REGISTRY_KEY = 'HKLM:\\SOFTWARE\\agentcert\\Service';
/** The same key as the management pack's registry discovery names it (under HKEY_LOCAL_MACHINE). */
export const SERVICE_REGISTRY_PATH = 'SOFTWARE\\agentcert\\Service';

/** The values under the key, in this order; the management pack reads them by these names. */
export const SERVICE_REGISTRY_VALUES = ['Version', 'ServiceName', 'CaBackend', 'SharePath', 'ConfigPath', 'NodePath', 'CliPath', 'DataDir', 'LogDir', 'ApiUrl'] as const;
export type ServiceRegistryValues = Record<(typeof SERVICE_REGISTRY_VALUES)[number], string>;

export function installHostScript(v: ServiceRegistryValues): string {
  const values = SERVICE_REGISTRY_VALUES.map((name) => `    ${quotePowerShell(name)} = ${quotePowerShell(v[name])}`);
  return [
    '# agentcert service install: the Event Log source and the registry values the management pack discovers.',
    "$ErrorActionPreference = 'Stop'",
    `$Source = ${quotePowerShell(EVENT_SOURCE)}`,
    'if (-not [System.Diagnostics.EventLog]::SourceExists($Source)) {',
    `    New-EventLog -LogName ${quotePowerShell(EVENT_LOG_NAME)} -Source $Source`,
    "    Write-Output ('registered the event source ' + $Source)",
    '}',
    `$Key = ${quotePowerShell(SERVICE_REGISTRY_KEY)}`,
    'if (-not (Test-Path -Path $Key)) { New-Item -Path $Key -Force | Out-Null }',
    '$Values = [ordered]@{',
    ...values,
    '}',
    'foreach ($Name in $Values.Keys) {',
    '    New-ItemProperty -Path $Key -Name $Name -PropertyType String -Value $Values[$Name] -Force | Out-Null',
    '}',
    "Write-Output ('wrote ' + $Values.Count + ' values under ' + $Key)",
    '',
  ].join('\r\n');
}

export function uninstallHostScript(): string {
  return [
    '# agentcert service uninstall: remove what install wrote (the event source and the registry key).',
    "$ErrorActionPreference = 'Stop'",
    `$Key = ${quotePowerShell(SERVICE_REGISTRY_KEY)}`,
    'if (Test-Path -Path $Key) { Remove-Item -Path $Key -Recurse -Force; Write-Output (\'removed \' + $Key) }',
    "$Parent = Split-Path -Path $Key -Parent",
    '# The agent side (install-certificate.ps1) keeps its own subkey here; remove the parent only when it is empty.',
    'if (Test-Path -Path $Parent) {',
    '    $ParentKey = Get-Item -Path $Parent',
    '    if ($ParentKey.SubKeyCount -eq 0 -and $ParentKey.ValueCount -eq 0) { Remove-Item -Path $Parent -Force }',
    '}',
    `$Source = ${quotePowerShell(EVENT_SOURCE)}`,
    'if ([System.Diagnostics.EventLog]::SourceExists($Source)) { Remove-EventLog -Source $Source; Write-Output (\'removed the event source \' + $Source) }',
    '',
  ].join('\r\n');
}

/** powershell.exe -EncodedCommand takes the script as base64 of UTF-16LE: no quoting of the command line at all. */
export function encodeCommand(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}

export const HOST_SCRIPT_ARGS = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand'] as const;
