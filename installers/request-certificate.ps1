<#
.SYNOPSIS
    Makes a SCOM certificate request (<FQDN>.req) on this server and drops it on the agentcert share.

.DESCRIPTION
    For server owners. Works out this server's FQDN, fills in the INF template for its role (agent, gateway,
    management server; next to this script in <share>\tools\, or the built-in copy), runs
    `certreq -new -q -f <inf> <FQDN>.req` elevated, and copies the request to <share>\requests\ (or says where to
    copy it). The private key stays on this server, in the machine key set; the certificate comes back as a
    package in <share>\issued\<FQDN>\ and must be installed on this same server.
    Windows PowerShell 5.1. Exit codes: 0 request written (and copied if -Share was given and reachable),
    2 not elevated or bad arguments, 3 certreq failed, 4 the request was written but could not be copied.

.PARAMETER Share
    The agentcert share root as a UNC path (\\server\agentcert). The request goes to <Share>\requests\.
.PARAMETER Fqdn
    The name to request for. Default: DNS host name + domain on a domain member; on a workgroup server the
    primary DNS suffix name if set, else the computer name. Use the name the management server resolves for
    this server (agentcert's docs/scom-facts.md §1.4).
.PARAMETER Role
    agent (default), gateway or management-server: picks the INF template.
.PARAMETER KeyLength
    2048 (default) or 4096.
.PARAMETER Exportable
    Make the private key exportable (needed only to move the certificate to another machine later).
.PARAMETER Renew
    Use the renewal template (renewal.inf: a new key, same subject, RequestType CMC signed with the current
    certificate's key, which the service accepts without approval). The scheduled task renew-certificate.ps1 does
    this by itself; -Renew is the manual way.
.PARAMETER RenewalCert
    With -Renew: the thumbprint of the certificate to renew (default: the one the SCOM agent is bound to,
    ChannelCertificateHash under Machine Settings). It must be in LocalMachine\My with its private key.
.PARAMETER OutputDirectory
    Where to write the INF and the .req (default: %ProgramData%\agentcert\requests).
#>
[CmdletBinding()]
param(
    [string]$Share,
    [string]$Fqdn,
    [ValidateSet('agent', 'gateway', 'management-server')][string]$Role = 'agent',
    [ValidateSet(2048, 3072, 4096)][int]$KeyLength = 2048,
    [switch]$Exportable,
    [switch]$Renew,
    [string]$RenewalCert,
    [string]$OutputDirectory = (Join-Path $env:ProgramData 'agentcert\requests')
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

# The same template as inf-templates/agent.inf, for when this script was copied without the templates.
$BuiltInTemplate = @'
[Version]
Signature="$Windows NT$"

[NewRequest]
Subject = "CN={{FQDN}}"
KeyAlgorithm = RSA
KeyLength = {{KEY_LENGTH}}
KeySpec = 1
KeyUsage = 0xa0
ProviderName = "Microsoft RSA SChannel Cryptographic Provider"
ProviderType = 12
MachineKeySet = TRUE
Exportable = {{EXPORTABLE}}
HashAlgorithm = SHA256
RequestType = PKCS10
SMIME = FALSE
UseExistingKeySet = FALSE

[EnhancedKeyUsageExtension]
OID = 1.3.6.1.5.5.7.3.1
OID = 1.3.6.1.5.5.7.3.2
'@

function Get-ThisFqdn {
    # docs/scom-facts.md §1.1 "Subject" / "Workgroup subject": domain member -> DNS host name + domain; workgroup ->
    # primary DNS suffix name if configured, else the computer name (pass -Fqdn when DNS knows it otherwise).
    $cs = Get-CimInstance -ClassName Win32_ComputerSystem
    if ($cs.PartOfDomain) { return ($cs.DNSHostName + '.' + $cs.Domain).ToLowerInvariant() }
    $tcpip = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters' -ErrorAction SilentlyContinue
    if ($tcpip -and ($tcpip.PSObject.Properties.Name -contains 'NV Domain') -and $tcpip.'NV Domain') {
        return ($tcpip.'NV Hostname' + '.' + $tcpip.'NV Domain').ToLowerInvariant()
    }
    return $env:COMPUTERNAME.ToLowerInvariant()
}

function Test-DnsName([string]$Name) {
    if ($Name.Length -lt 1 -or $Name.Length -gt 253) { return $false }
    foreach ($label in $Name.Split('.')) {
        if ($label -notmatch '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$') { return $false }
    }
    return $true
}

function Get-InfTemplate {
    $name = $Role + '.inf'
    if ($Renew) { $name = 'renewal.inf' }
    $path = Join-Path $PSScriptRoot $name
    if (Test-Path -LiteralPath $path) { return (Get-Content -LiteralPath $path -Raw -Encoding UTF8) }
    Write-Host ('Template ' + $name + ' not found next to the script; using the built-in one.')
    return $BuiltInTemplate
}

$principal = New-Object System.Security.Principal.WindowsPrincipal([System.Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)) {
    # docs/scom-facts.md §6: MachineKeySet=TRUE needs an elevated prompt.
    Write-Host 'Run this from an elevated PowerShell ("Run as administrator"): the key goes into the machine key set.' -ForegroundColor Red
    exit 2
}

if ($Fqdn) { $Fqdn = $Fqdn.Trim().TrimEnd('.').ToLowerInvariant() } else { $Fqdn = Get-ThisFqdn }
if (-not (Test-DnsName $Fqdn)) {
    Write-Host ('"' + $Fqdn + '" is not a DNS name; pass -Fqdn with the name the management server uses for this server.') -ForegroundColor Red
    exit 2
}
Write-Host ('Requesting a SCOM ' + $Role + ' certificate for ' + $Fqdn + ' (RSA ' + $KeyLength + ', SChannel CSP, KeySpec 1, machine key).')

New-Item -ItemType Directory -Path $OutputDirectory -Force | Out-Null
$exportableText = 'FALSE'
if ($Exportable) { $exportableText = 'TRUE' }
$inf = (Get-InfTemplate).Replace('{{FQDN}}', $Fqdn).Replace('{{KEY_LENGTH}}', [string]$KeyLength).Replace('{{EXPORTABLE}}', $exportableText)
if ($inf.Contains('{{RENEWAL_CERT}}')) {
    # renewal.inf: RenewalCert = the certificate whose key signs the request (certreq_1.md "RenewalCert").
    if (-not $RenewalCert) {
        $bound = Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Microsoft Operations Manager\3.0\Machine Settings' -ErrorAction SilentlyContinue
        if ($bound -and ($bound.PSObject.Properties.Name -contains 'ChannelCertificateHash')) { $RenewalCert = [string]$bound.ChannelCertificateHash }
    }
    $RenewalCert = ([string]$RenewalCert).Replace(' ', '').ToUpperInvariant()
    if ($RenewalCert -notmatch '^[0-9A-F]{40}$' -or -not (Test-Path -LiteralPath ('Cert:\LocalMachine\My\' + $RenewalCert))) {
        Write-Host ('-Renew needs -RenewalCert <thumbprint> of a certificate in LocalMachine\My (got "' + $RenewalCert + '").') -ForegroundColor Red
        exit 2
    }
    $inf = $inf.Replace('{{RENEWAL_CERT}}', $RenewalCert)
}
$infPath = Join-Path $OutputDirectory ($Fqdn + '.inf')
$reqPath = Join-Path $OutputDirectory ($Fqdn + '.req')
# certreq reads INF files as ANSI or UTF-16; the names here are ASCII (Test-DnsName), so ASCII is exact.
[System.IO.File]::WriteAllText($infPath, $inf, [System.Text.Encoding]::ASCII)

# docs/scom-facts.md §6/§8.8: -q (no UI) and every file name given; -f overwrites an older .req of the same name.
if ($Renew) { & certreq.exe -new -q -f -machine $infPath $reqPath } else { & certreq.exe -new -q -f $infPath $reqPath }
$certreqExit = $LASTEXITCODE
if ($certreqExit -ne 0 -or -not (Test-Path -LiteralPath $reqPath)) {
    Write-Host ('certreq -new failed (exit ' + $certreqExit + '). The INF is ' + $infPath + '.') -ForegroundColor Red
    exit 3
}
Write-Host ('Request written: ' + $reqPath)

$copied = $false
if ($Share) {
    $target = Join-Path (Join-Path $Share 'requests') ($Fqdn + '.req')
    try {
        Copy-Item -LiteralPath $reqPath -Destination $target -Force
        $copied = $true
        Write-Host ('Copied to ' + $target)
    } catch {
        Write-Host ('Could not copy to ' + $target + ': ' + $_.Exception.Message) -ForegroundColor Yellow
    }
}
if (-not $copied) {
    Write-Host ('Copy ' + $reqPath + ' to the requests folder of the agentcert share (\\<server>\<share>\requests\).')
}

Write-Host ''
Write-Host 'What happens next:'
Write-Host ('  1. The service checks the request; problems are explained in <share>\rejected\' + $Fqdn + '.txt, approvals in pending\.')
Write-Host ('  2. The package appears in <share>\issued\' + $Fqdn + '\. Run install.cmd (or ' + $Fqdn + '-install.exe) from it on THIS server:')
Write-Host '     the private key of this request exists only here. Do not delete the pending request in certlm.msc.'
Write-Host ('  3. The installer reports to <share>\results\' + $Fqdn + '.json.')
if ($copied) { exit 0 }
if ($Share) { exit 4 }
exit 0
