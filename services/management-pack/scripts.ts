/**
 * The PowerShell the management pack runs on agents (Windows PowerShell 5.1; README "Management pack"). Each is a
 * fixed script: values come in as named parameters from the MP's configuration, never rendered into the text.
 */

/**
 * On every agent with an agentcert certificate: the certificate the agent is bound to (ChannelCertificateHash
 * under Machine Settings, docs/scom-facts.md §2), its days to expiry, and whether its certification path builds
 * in machine context without a revocation check — the check install-certificate.ps1 makes. One property bag
 * serves both certificate monitors (same configuration: SCOM runs the probe once for both).
 * https://learn.microsoft.com/system-center/scom/manage-security-auth-workgroup-agents
 */
export const AGENT_CERTIFICATE_PROBE = `# agentcert.Monitoring: the certificate this agent is bound to, its days to expiry and its chain.
param([string]$ExpectedThumbprint)
$api = New-Object -ComObject 'MOM.ScriptAPI'
$bag = $api.CreatePropertyBag()
$settings = 'HKLM:\\SOFTWARE\\Microsoft\\Microsoft Operations Manager\\3.0\\Machine Settings'
$thumbprint = ''
$item = Get-ItemProperty -Path $settings -ErrorAction SilentlyContinue
if ($item -and ($item.PSObject.Properties.Name -contains 'ChannelCertificateHash')) {
    $thumbprint = ([string]$item.ChannelCertificateHash).Trim().ToUpperInvariant()
}
$cert = $null
if ($thumbprint) {
    $cert = Get-ChildItem -Path 'Cert:\\LocalMachine\\My' | Where-Object { $_.Thumbprint -eq $thumbprint } | Select-Object -First 1
}
$bag.AddValue('Thumbprint', $thumbprint)
$bag.AddValue('IsAgentcertCertificate', [string]($thumbprint -eq ([string]$ExpectedThumbprint).ToUpperInvariant()))
if ($null -eq $cert) {
    $bag.AddValue('Found', 'false')
    $bag.AddValue('DaysLeft', -1)
    $bag.AddValue('NotAfter', '')
    $bag.AddValue('Subject', '')
    $bag.AddValue('ChainOk', 'false')
    $bag.AddValue('ChainStatus', 'the bound certificate (' + $thumbprint + ') is not in LocalMachine\\My')
} else {
    $days = [int][Math]::Floor(($cert.NotAfter - (Get-Date)).TotalDays)
    $chain = New-Object System.Security.Cryptography.X509Certificates.X509Chain($true)
    $chain.ChainPolicy.RevocationMode = [System.Security.Cryptography.X509Certificates.X509RevocationMode]::NoCheck
    $ok = $chain.Build($cert)
    $status = @($chain.ChainStatus | ForEach-Object { $_.Status.ToString() + ': ' + $_.StatusInformation.Trim() }) -join '; '
    if ($ok) { $status = 'the chain builds in machine context' }
    $bag.AddValue('Found', 'true')
    $bag.AddValue('DaysLeft', $days)
    $bag.AddValue('NotAfter', $cert.NotAfter.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ'))
    $bag.AddValue('Subject', $cert.Subject)
    $bag.AddValue('ChainOk', ([string]$ok).ToLowerInvariant())
    $bag.AddValue('ChainStatus', $status)
}
$bag
`;

/**
 * The console tasks that run the agentcert CLI on the service host (show, list, doctor), with node.exe, the CLI
 * and the config file the service runs with (HKLM\\SOFTWARE\\agentcert\\Service, written by service install).
 */
export const CLI_TASK_SCRIPT = `# agentcert.Monitoring task: run the agentcert CLI on the service host with the service's config file.
param([string]$NodePath, [string]$CliPath, [string]$ConfigPath, [string]$Command, [string]$Key)
if (@('show', 'list', 'doctor') -notcontains $Command) {
    Write-Output ('unknown command: ' + $Command)
    exit 2
}
$arguments = @($CliPath, '--config', $ConfigPath, $Command)
if ($Command -eq 'show' -and -not $Key) {
    $Command = 'list'
    $arguments = @($CliPath, '--config', $ConfigPath, 'list')
    Write-Output 'No FQDN given (override Key with an FQDN, serial, thumbprint or request id): the inventory follows.'
}
if ($Command -eq 'show') { $arguments += $Key }
& $NodePath @arguments 2>&1 | ForEach-Object { [string]$_ }
Write-Output ('agentcert ' + $Command + ' exit code ' + $LASTEXITCODE)
`;

/** Restart the service the way an administrator would (the wrapper stops agentcert with Ctrl+C first). */
export const RESTART_TASK_SCRIPT = `# agentcert.Monitoring task: restart the agentcert service and show its state.
param([string]$ServiceName)
Restart-Service -Name $ServiceName -Force -ErrorAction Stop
Start-Sleep -Seconds 5
Get-Service -Name $ServiceName | Format-List -Property @('Name', 'DisplayName', 'Status', 'StartType') | Out-String
`;
