<#
.SYNOPSIS
    Installs this package's certificate for the SCOM (Operations Manager) agent, binds it, and proves it works.

.DESCRIPTION
    Driven by manifest.json next to this script (the agentcert delivery package). Steps: preflight, trust, accept,
    verify, the agent (installed with -InstallAgent or when the manifest asks, README "Management group"), bind,
    restart + event check, store-copy check, self-heal (once), result, and the daily renewal task
    (renew-certificate.ps1). Each step cites the section of agentcert's docs/scom-facts.md it follows (the SCOM
    certificate facts with their public sources, in the agentcert repository). agentcert's README.md ("What the
    installer does") says what each step does and has the troubleshooting table.
    Windows PowerShell 5.1; run elevated (install.cmd and the .exe elevate for you).

    Exit codes (status in result.json):
      0  installed              certificate trusted, installed, bound; the agent loaded it (event 20053)
      10 installed-unbound      trust and certificate installed; no SCOM agent here yet: run again after it is installed
      11 installed-unconfirmed  bound and agent restarted, but neither 20053 nor an error event came in time
      1  error                  unexpected failure: read the log
      2  not-elevated           run install.cmd, the .exe, or an elevated PowerShell
      3  package-damaged        a file does not match manifest.json: copy the package again
      4  wrong-computer         this machine's FQDN is not the package's (-Force overrides)
      5  trust-failed           a CA certificate could not be added to LocalMachine\Root or \CA
      6  accept-failed          certreq -accept failed (0x80092004: the request's private key is gone: request again)
      7  certificate-unusable   the installed certificate fails a SCOM requirement (key, KeySpec, chain, EKU, KU)
      8  bind-failed            the registry values could not be written or read back
      9  agent-rejected         the agent logged a certificate error after the restart (and self-heal did not fix it)
      12 agent-install-failed   MOMAgent.msi was not found, msiexec failed, or the agent's management group could not be added

.PARAMETER Force
    Install even though this computer's FQDN does not match the package.
.PARAMETER BindOnly
    Only bind (registry + MOMCertImport), restart and verify: trust and certificate must be installed already.
.PARAMETER PfxPath
    A PFX (certificate with its private key) an administrator exported; imported instead of certreq -accept.
.PARAMETER PfxPassword
    The PFX password (SecureString).
.PARAMETER ResultsPath
    Where to copy result.json (default: the manifest's resultsPath, usually \\server\share\results\<FQDN>.json).
.PARAMETER EventWaitSeconds
    How long to wait for the agent's event 20053 (or an error event) after the restart.
.PARAMETER NoSelfHeal
    Report instead of repairing when the agent rejects the certificate.
.PARAMETER SkipMomCertImport
    Bind through the registry only (MOMCertImport may show a dialog on some builds).
.PARAMETER NoRenewalTask
    Do not register the scheduled task "agentcert renewal <FQDN>" that renews the certificate (renew by hand).
.PARAMETER InstallAgent
    Install the SCOM agent first when this server has none (the package does it by itself when the service sets
    managementGroup.installAgent): msiexec with the manifest's management group and assigned primary, certificate
    authentication settings, a verbose log next to result.json. An installed agent is never reinstalled; one that
    lacks this management group gets it added. Management server and gateway packages never install an agent.
.PARAMETER AgentMsiPath
    MOMAgent.msi to install from (default: the manifest's agentMsi path, then its share path, then next to this script).
.PARAMETER AgentInstallTimeoutSeconds
    How long msiexec may run.
.PARAMETER WhatIf
    Print the plan (the msiexec command line too); change nothing.
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [switch]$Force,
    [switch]$BindOnly,
    [string]$PfxPath,
    [System.Security.SecureString]$PfxPassword,
    [string]$ResultsPath,
    [ValidateRange(10, 3600)][int]$EventWaitSeconds = 180,
    [switch]$NoSelfHeal,
    [switch]$SkipMomCertImport,
    [switch]$NoRenewalTask,
    [switch]$InstallAgent,
    [string]$AgentMsiPath,
    [ValidateRange(60, 7200)][int]$AgentInstallTimeoutSeconds = 1800
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

#region rendered
# The service replaces this block with the package's values; $null means: trust manifest.json alone.
$Package = $null
#endregion rendered

# --- constants (docs/scom-facts.md §2, §3) -------------------------------------------------------------------
$ScomMachineSettings = 'HKLM:\SOFTWARE\Microsoft\Microsoft Operations Manager\3.0\Machine Settings'
$ScomSetupKey = 'HKLM:\SOFTWARE\Microsoft\Microsoft Operations Manager\3.0\Setup'
$AgentStores = @('Operations Manager', 'Microsoft Monitoring Agent')
$EkuServerAuth = '1.3.6.1.5.5.7.3.1'
$EkuClientAuth = '1.3.6.1.5.5.7.3.2'
$ErrorEventIds = @(20050, 20066, 20068, 20069, 20077, 21036, 20071)
$Diagnoses = @{
    20050 = @{ Cause = 'The certificate lacks Server Authentication (1.3.6.1.5.5.7.3.1) and Client Authentication (1.3.6.1.5.5.7.3.2) in its Enhanced Key Usage.'; Fix = 'Request again with the agentcert INF (it has [EnhancedKeyUsageExtension] with both OIDs); the CA must issue both.' }
    20066 = @{ Cause = 'The certificate named in Machine Settings (by serial) is not in LocalMachine\My.'; Fix = 'Run this installer again: it installs the certificate and writes the serial of exactly this certificate.' }
    20068 = @{ Cause = 'The certificate has no usable private key, or the agent (LocalSystem) cannot read it.'; Fix = 'certutil -repairstore My <serial>; if the key is gone, make a new request on this server.' }
    20069 = @{ Cause = 'The key is not AT_KEYEXCHANGE (KeySpec 1): made by a CNG/KSP provider or with KeySpec 2.'; Fix = 'Make a new request with the agentcert INF (Microsoft RSA SChannel Cryptographic Provider, ProviderType 12, KeySpec 1).' }
    20077 = @{ Cause = 'The certificate cannot be queried for its properties: usually it was imported without its private key.'; Fix = 'Accept the certificate on the server that made the request (this installer), or import a PFX with the key (-PfxPath).' }
    21036 = @{ Cause = 'The certificate in Machine Settings cannot be used (often 0x8009030D): missing or unassociated private key, a stale copy, or a chain the machine cannot build.'; Fix = 'Self-heal removes stale copies, re-adds the CA certificates and re-imports; if it persists, make a new request.' }
    20071 = @{ Cause = 'The connection to the management server or gateway closed without authentication: the other side rejected this agent.'; Fix = 'On the management server/gateway: trust this CA (LocalMachine\Root), have its own certificate bound, allow TCP 5723.' }
}
$ExitCodes = @{ 'installed' = 0; 'error' = 1; 'not-elevated' = 2; 'package-damaged' = 3; 'wrong-computer' = 4; 'trust-failed' = 5; 'accept-failed' = 6; 'certificate-unusable' = 7; 'bind-failed' = 8; 'agent-rejected' = 9; 'installed-unbound' = 10; 'installed-unconfirmed' = 11; 'agent-install-failed' = 12 }

$script:WhatIfMode = [bool]$WhatIfPreference
# -BindOnly forbids installing trust or the certificate; self-heal lifts it for its re-import.
$script:BindOnlyMode = [bool]$BindOnly
$script:Steps = New-Object System.Collections.ArrayList
$script:Diagnosis = New-Object System.Collections.ArrayList
$script:StartedAt = Get-Date

function Stop-Install([string]$Status, [string]$Message) {
    # A failure with a final status (and so an exit code); anything else thrown ends as 'error'.
    $e = New-Object System.Exception($Message)
    $e.Data['agentcertStatus'] = $Status
    throw $e
}

# --- small helpers --------------------------------------------------------------------------------------------
function Write-Info([string]$Message) { Write-Host $Message }

function Invoke-Step {
    param([string]$Name, [scriptblock]$Action)
    $started = Get-Date
    $entry = [ordered]@{ name = $Name; startedAt = $started.ToString('o'); durationMs = 0; status = 'ok'; message = '' }
    Write-Info ('== ' + $Name)
    try {
        $message = & $Action
        if ($null -ne $message) { $entry.message = (@($message) -join ' ') }
    } catch {
        $entry.status = 'failed'
        $entry.message = $_.Exception.Message
        throw
    } finally {
        $entry.durationMs = [int]((Get-Date) - $started).TotalMilliseconds
        [void]$script:Steps.Add($entry)
        if ($entry.message) { Write-Info ('   ' + $entry.message) }
    }
}

function Invoke-Change {
    # Every change goes through here, so -WhatIf prints the plan and changes nothing.
    param([string]$Description, [scriptblock]$Action)
    if ($script:WhatIfMode) { Write-Info ('   What if: ' + $Description); return $null }
    return & $Action
}

function ConvertTo-ArgumentString([string[]]$Arguments) {
    # CommandLineToArgvW quoting: backslashes before a quote are doubled and the quote escaped.
    $parts = foreach ($a in $Arguments) {
        if ($a -ne '' -and $a -notmatch '[\s"]') { $a; continue }
        $e = [regex]::Replace($a, '(\\*)"', { param($m) $m.Groups[1].Value + $m.Groups[1].Value + '\"' })
        $e = [regex]::Replace($e, '(\\+)$', { param($m) $m.Groups[1].Value + $m.Groups[1].Value })
        '"' + $e + '"'
    }
    return ($parts -join ' ')
}

function Invoke-Native {
    # certreq/certutil can hang or wait on hidden UI (docs/scom-facts.md §6, §8.8): always a timeout, never a window.
    param([string]$FilePath, [string[]]$Arguments, [int]$TimeoutSeconds = 120)
    return (Invoke-NativeLine $FilePath (ConvertTo-ArgumentString $Arguments) $TimeoutSeconds)
}

function Invoke-NativeLine {
    # The same with a command line built by the caller (msiexec parses its own, see Get-MsiexecCommandLine).
    param([string]$FilePath, [string]$ArgumentLine, [int]$TimeoutSeconds = 120)
    $psi = New-Object System.Diagnostics.ProcessStartInfo
    $psi.FileName = $FilePath
    $psi.Arguments = $ArgumentLine
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.CreateNoWindow = $true
    $p = [System.Diagnostics.Process]::Start($psi)
    $out = $p.StandardOutput.ReadToEndAsync()
    $err = $p.StandardError.ReadToEndAsync()
    if (-not $p.WaitForExit($TimeoutSeconds * 1000)) {
        try { $p.Kill() } catch { Write-Verbose 'process already ended' }
        return [pscustomobject]@{ ExitCode = $null; Output = 'timed out after ' + $TimeoutSeconds + ' s'; TimedOut = $true }
    }
    $p.WaitForExit()
    return [pscustomobject]@{ ExitCode = $p.ExitCode; Output = ($out.Result + $err.Result); TimedOut = $false }
}

function Test-StoreHasThumbprint([string]$Store, [string]$Thumbprint) {
    # docs/scom-facts.md §6/§8.7: `certutil -store <store> <thumbprint>` exits 0 when present, 17 (NTE_NOT_FOUND) when
    # absent; certutil's success text is not evidence (-delstore/-verify print it in failure cases too).
    $r = Invoke-Native 'certutil.exe' @('-store', $Store, $Thumbprint) 60
    return ($r.ExitCode -eq 0)
}

function Get-CommonName($Certificate) {
    return $Certificate.GetNameInfo([System.Security.Cryptography.X509Certificates.X509NameType]::SimpleName, $false)
}

function Test-MachineChain($Certificate) {
    # Chain in machine context, no revocation check (as Test-SCOMCertificate.ps1 does, docs/scom-facts.md §4.1 step 12).
    $chain = New-Object System.Security.Cryptography.X509Certificates.X509Chain($true)
    $chain.ChainPolicy.RevocationMode = [System.Security.Cryptography.X509Certificates.X509RevocationMode]::NoCheck
    $ok = $chain.Build($Certificate)
    $status = @($chain.ChainStatus | ForEach-Object { $_.Status.ToString() + ': ' + $_.StatusInformation.Trim() })
    return [pscustomobject]@{ Ok = $ok; Status = ($status -join '; ') }
}

function ConvertFrom-HexString([string]$Hex) {
    $bytes = New-Object byte[] ($Hex.Length / 2)
    for ($i = 0; $i -lt $bytes.Length; $i++) { $bytes[$i] = [Convert]::ToByte($Hex.Substring($i * 2, 2), 16) }
    return ,$bytes
}

function Get-ReversedSerial([string]$SerialHex) {
    # docs/scom-facts.md §2: all bytes reversed, nibbles kept, a leading 00 byte included.
    $pairs = @(for ($i = 0; $i -lt $SerialHex.Length; $i += 2) { $SerialHex.Substring($i, 2) })
    [array]::Reverse($pairs)
    return ($pairs -join '').ToUpperInvariant()
}

function Get-LocalFqdnCandidates {
    # Domain member: DNS host name + domain; workgroup: primary DNS suffix if any, the resolver's name, the
    # computer name (docs/scom-facts.md §1.1 "Subject", §1.4).
    $names = New-Object System.Collections.ArrayList
    $cs = Get-CimInstance -ClassName Win32_ComputerSystem
    if ($cs.PartOfDomain) { [void]$names.Add($cs.DNSHostName + '.' + $cs.Domain) }
    $tcpip = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters' -ErrorAction SilentlyContinue
    if ($tcpip -and ($tcpip.PSObject.Properties.Name -contains 'NV Domain') -and $tcpip.'NV Domain') {
        [void]$names.Add($tcpip.'NV Hostname' + '.' + $tcpip.'NV Domain')
    }
    try { [void]$names.Add([System.Net.Dns]::GetHostEntry($env:COMPUTERNAME).HostName) } catch { Write-Verbose 'no DNS entry' }
    [void]$names.Add($env:COMPUTERNAME)
    return @($names | ForEach-Object { $_.ToLowerInvariant().TrimEnd('.') } | Select-Object -Unique)
}

# --- 1. preflight (docs/scom-facts.md §6: MachineKeySet needs elevation; §1.1 Subject = this host's FQDN) -----
function Read-PackageManifest {
    $path = Join-Path $PSScriptRoot 'manifest.json'
    if (-not (Test-Path -LiteralPath $path)) { Stop-Install 'package-damaged' ('manifest.json not found next to the script: ' + $path) }
    $m = Get-Content -LiteralPath $path -Raw -Encoding UTF8 | ConvertFrom-Json
    if ($m.schemaVersion -ne 1) { Stop-Install 'package-damaged' ('unknown manifest schemaVersion ' + $m.schemaVersion) }
    if ($null -ne $Package) {
        # The rendered block pins the values; a manifest edited after publishing is refused.
        $pairs = @(
            @('fqdn', $m.fqdn, $Package.Fqdn), @('thumbprint', $m.certificate.thumbprint, $Package.Thumbprint),
            @('serialNumberReversed', $m.certificate.serialNumberReversed, $Package.SerialNumberReversed),
            @('certificate file', $m.certificate.file, $Package.CertificateFile)
        )
        foreach ($p in $pairs) { if ($p[1] -ne $p[2]) { Stop-Install 'package-damaged' ('manifest.json ' + $p[0] + ' differs from the installer: ' + $p[1]) } }
        $manifestChain = @($m.chain | ForEach-Object { $_.thumbprint }) -join ','
        $pinnedChain = @($Package.Chain | ForEach-Object { $_.Thumbprint }) -join ','
        if ($manifestChain -ne $pinnedChain) { Stop-Install 'package-damaged' 'manifest.json chain differs from the installer' }
        if ($Package.ContainsKey('ManagementGroup')) { Test-PinnedManagementGroup $m $Package.ManagementGroup }
    }
    return $m
}

function Test-Preflight($m) {
    $principal = New-Object System.Security.Principal.WindowsPrincipal([System.Security.Principal.WindowsIdentity]::GetCurrent())
    if (-not $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)) {
        if ($script:WhatIfMode) { Write-Info '   not elevated (fine for -WhatIf; the real run needs an elevated prompt)' }
        else { Stop-Install 'not-elevated' 'Run elevated: use install.cmd or the .exe, or "Run as administrator".' }
    }
    foreach ($f in $m.files) {
        $file = Join-Path $PSScriptRoot $f.name
        if (-not (Test-Path -LiteralPath $file)) { Stop-Install 'package-damaged' ('missing file ' + $f.name + ': copy the whole package folder again') }
        $hash = (Get-FileHash -LiteralPath $file -Algorithm SHA256).Hash
        if ($hash -ne $f.sha256) { Stop-Install 'package-damaged' ($f.name + ' does not match manifest.json (SHA-256 ' + $hash + '): copy the package again') }
    }
    $cert = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2((Join-Path $PSScriptRoot $m.certificate.file))
    if ($cert.Thumbprint -ne $m.certificate.thumbprint) { Stop-Install 'package-damaged' ('certificate thumbprint ' + $cert.Thumbprint + ' is not the manifest''s') }
    if ((Get-ReversedSerial $cert.SerialNumber) -ne $m.certificate.serialNumberReversed) { Stop-Install 'package-damaged' 'certificate serial does not match the manifest' }
    $names = Get-LocalFqdnCandidates
    if ($names -notcontains $m.fqdn.ToLowerInvariant()) {
        $msg = 'This computer is ' + ($names -join ' / ') + ', the package is for ' + $m.fqdn + '.'
        if (-not $Force) { Stop-Install 'wrong-computer' ($msg + ' Run the package on that server, or use -Force if this is the right machine.') }
        Write-Warning ($msg + ' Continuing because of -Force.')
    }
    return ('package checked (' + @($m.files).Count + ' files); computer ' + $names[0])
}

# --- 2. trust (docs/scom-facts.md §1.1 "Chain", §8.7: LocalMachine Root/CA, confirmed by thumbprint exit codes) --
function Install-Trust($m) {
    $added = 0
    foreach ($c in $m.chain) {
        if (Test-StoreHasThumbprint $c.store $c.thumbprint) { continue }
        if ($script:BindOnlyMode) { Stop-Install 'trust-failed' ($c.subject + ' is not in LocalMachine\' + $c.store + '; run without -BindOnly first') }
        $file = Join-Path $PSScriptRoot $c.file
        $r = Invoke-Change ('certutil -addstore ' + $c.store + ' ' + $c.file) { Invoke-Native 'certutil.exe' @('-addstore', $c.store, $file) }
        if ($script:WhatIfMode) { continue }
        if (-not (Test-StoreHasThumbprint $c.store $c.thumbprint)) {
            Stop-Install 'trust-failed' ('certutil -addstore ' + $c.store + ' did not add ' + $c.subject + ' (exit ' + $r.ExitCode + '): ' + $r.Output)
        }
        $added++
    }
    return ('CA certificates: ' + @($m.chain).Count + ' present, ' + $added + ' added')
}

# --- 3. accept (docs/scom-facts.md §6, §8.5: certreq -accept -q -machine; 0x80092004 = the request's key is gone) --
function Get-InstalledCertificate($m) {
    $path = 'Cert:\LocalMachine\My\' + $m.certificate.thumbprint
    if (Test-Path -LiteralPath $path) { return (Get-Item -LiteralPath $path) }
    return $null
}

function Import-AdminPfx($m) {
    # An administrator-supplied PFX (certificate with key): machine key set, persisted (docs/scom-facts.md §1.1 "Private key").
    $flags = [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]'MachineKeySet, PersistKeySet'
    $password = $PfxPassword
    if (-not $password) { $password = Read-Host -AsSecureString -Prompt ('Password of ' + $PfxPath) }
    $pfx = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2($PfxPath, $password, $flags)
    if ($pfx.Thumbprint -ne $m.certificate.thumbprint) { Stop-Install 'accept-failed' ('the PFX holds ' + $pfx.Thumbprint + ', not this package''s certificate') }
    $store = New-Object System.Security.Cryptography.X509Certificates.X509Store('My', 'LocalMachine')
    $store.Open('ReadWrite')
    try { $store.Add($pfx) } finally { $store.Close() }
}

function Install-Certificate($m) {
    $existing = Get-InstalledCertificate $m
    if ($existing -and $existing.HasPrivateKey) { return 'already in LocalMachine\My with its private key' }
    if ($script:BindOnlyMode) { Stop-Install 'accept-failed' 'the certificate is not installed with its key; run without -BindOnly first' }
    if ($PfxPath) {
        Invoke-Change ('import PFX ' + $PfxPath + ' into LocalMachine\My') { Import-AdminPfx $m } | Out-Null
        return 'imported from the PFX'
    }
    if ($existing) {
        # In My but the key link is lost: certutil -repairstore restores it (docs/scom-facts.md §2, last row).
        $r = Invoke-Change ('certutil -repairstore My ' + $m.certificate.thumbprint) { Invoke-Native 'certutil.exe' @('-repairstore', 'My', $m.certificate.thumbprint) }
        if ($script:WhatIfMode -or ((Get-InstalledCertificate $m).HasPrivateKey)) { return 'private key re-linked (certutil -repairstore)' }
        Write-Warning ('certutil -repairstore did not re-link the key: ' + $r.Output)
    }
    $cer = Join-Path $PSScriptRoot $m.certificate.file
    $r = Invoke-Change ('certreq -accept -q -machine ' + $m.certificate.file) { Invoke-Native 'certreq.exe' @('-accept', '-q', '-machine', $cer) }
    if ($script:WhatIfMode) { return 'planned' }
    $installed = Get-InstalledCertificate $m
    if ($installed -and $installed.HasPrivateKey) { return 'accepted into LocalMachine\My' }
    if ($r.Output -match '0x80092004' -or $r.ExitCode -eq -2146885628) {
        Stop-Install 'accept-failed' ('certreq -accept: 0x80092004 (CRYPT_E_NOT_FOUND). The private key made by this request is gone ' +
            '(the request was made on another computer, the machine was re-imaged, or the pending request was deleted). ' +
            'A certificate cannot be installed without its key: run request-certificate.ps1 again on this server for a new request.')
    }
    Stop-Install 'accept-failed' ('certreq -accept failed (exit ' + $r.ExitCode + '): ' + $r.Output.Trim())
}

# --- 4. verify in LocalMachine\My (docs/scom-facts.md §1.1, the checks of §4.1 steps 4-12) -------------------
function Test-InstalledCertificate($m) {
    $cert = Get-InstalledCertificate $m
    if (-not $cert) {
        if ($script:WhatIfMode) { return 'would check the certificate after it is installed' }
        Stop-Install 'certificate-unusable' ('certificate ' + $m.certificate.thumbprint + ' is not in LocalMachine\My')
    }
    $problems = New-Object System.Collections.ArrayList
    if ((Get-CommonName $cert) -ne $m.fqdn) { [void]$problems.Add('subject CN is ' + (Get-CommonName $cert) + ', expected ' + $m.fqdn) }
    if ($cert.NotAfter -lt (Get-Date) -or $cert.NotBefore -gt (Get-Date)) { [void]$problems.Add('not within its validity (' + $cert.NotBefore + ' - ' + $cert.NotAfter + ')') }
    if (-not $cert.HasPrivateKey) { [void]$problems.Add('no private key (20068/20077): accept the certificate on the server that made the request') }
    else {
        $key = $null
        try { $key = $cert.PrivateKey } catch { [void]$problems.Add('the key is not a legacy CSP key (CNG/KSP, 20069): ' + $_.Exception.Message) }
        if ($key) {
            $info = $key.CspKeyContainerInfo
            if (-not $info.MachineKeyStore) { [void]$problems.Add('private key not in the machine key set ("Private Key not issued to Machine Account"): re-import with the key (PFX)') }
            if ($info.KeyNumber -ne [System.Security.Cryptography.KeyNumber]::Exchange) { [void]$problems.Add('KeySpec is ' + $info.KeyNumber + ', SCOM needs Exchange / AT_KEYEXCHANGE (20069)') }
        }
    }
    $eku = @($cert.Extensions | Where-Object { $_ -is [System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension] })
    $ekuOids = @($eku | ForEach-Object { $_.EnhancedKeyUsages } | ForEach-Object { $_.Value })
    if ($ekuOids -notcontains $EkuServerAuth -or $ekuOids -notcontains $EkuClientAuth) { [void]$problems.Add('EKU lacks serverAuth and/or clientAuth (20050): ' + ($ekuOids -join ',')) }
    $ku = @($cert.Extensions | Where-Object { $_ -is [System.Security.Cryptography.X509Certificates.X509KeyUsageExtension] })
    if ($ku.Count -eq 0 -or (([int]$ku[0].KeyUsages -band 0xA0) -ne 0xA0)) { [void]$problems.Add('Key Usage lacks Digital Signature + Key Encipherment (0xA0)') }
    $chain = Test-MachineChain $cert
    if (-not $chain.Ok) { [void]$problems.Add('the chain does not build in machine context: ' + $chain.Status) }
    if ($problems.Count -gt 0) { Stop-Install 'certificate-unusable' ($problems -join ' | ') }
    return 'private key (machine, KeyNumber Exchange), chain, EKU and KU are good'
}

# --- 4b. the agent (README "Management group"; the MSI's properties: Microsoft Learn, "Install Windows agent
# manually using MOMAgent.msi", https://learn.microsoft.com/system-center/scom/manage-deploy-windows-agent-manually)
function Get-ManifestManagementGroup($m) {
    # Manifests written before the management group settings have no such field.
    if ($m.PSObject.Properties.Name -contains 'managementGroup') { return $m.managementGroup }
    return $null
}

function Test-PinnedManagementGroup($m, $pinned) {
    $mg = Get-ManifestManagementGroup $m
    if ($null -eq $pinned -and $null -eq $mg) { return }
    if ($null -eq $pinned -or $null -eq $mg) { Stop-Install 'package-damaged' 'manifest.json managementGroup differs from the installer' }
    $primary = $null; $port = $null
    if ($mg.primary) { $primary = $mg.primary.fqdn; $port = [string]$mg.primary.port }
    $pairs = @(
        @('name', $mg.name, $pinned.Name), @('primary', $primary, $pinned.PrimaryServer), @('port', $port, $pinned.PrimaryPort),
        @('failovers', (@($mg.failovers | ForEach-Object { $_.fqdn }) -join ','), $pinned.FailoverServers),
        @('installAgent', ([string]$mg.installAgent).ToLowerInvariant(), $pinned.InstallAgent),
        @('agentMsi.path', $mg.agentMsi.path, $pinned.AgentMsiPath), @('agentMsi.sharePath', $mg.agentMsi.sharePath, $pinned.AgentMsiSharePath),
        @('primary (msiexec properties)', $(if ($mg.primary) { Get-MsiPropertyString (Get-AgentMsiProperties $mg) } else { $null }), $pinned.MsiProperties)
    )
    foreach ($p in $pairs) { if ([string]$p[1] -ne [string]$p[2]) { Stop-Install 'package-damaged' ('manifest.json managementGroup.' + $p[0] + ' differs from the installer: ' + $p[1]) } }
}

function Get-AgentMsiProperties($mg) {
    # Manual settings instead of AD integration, the group and the assigned primary with its port, the local
    # system as action account, the licence accepted (the MSI's public properties, page cited above).
    return [ordered]@{
        USE_SETTINGS_FROM_AD = '0'
        USE_MANUALLY_SPECIFIED_SETTINGS = '1'
        MANAGEMENT_GROUP = [string]$mg.name
        MANAGEMENT_SERVER_DNS = [string]$mg.primary.fqdn
        SECURE_PORT = [string]$mg.primary.port
        ACTIONS_USE_COMPUTER_ACCOUNT = '1'
        AcceptEndUserLicenseAgreement = '1'
    }
}

function ConvertTo-MsiValue([string]$Value) {
    # msiexec reads PROPERTY="value" itself: a value with anything but these characters goes in double quotes,
    # a quote inside written twice (Windows Installer, "Command-Line Options").
    if ($Value -match '^[A-Za-z0-9._-]+$') { return $Value }
    return '"' + $Value.Replace('"', '""') + '"'
}

function Get-MsiPropertyString($Properties) {
    return (@(foreach ($k in $Properties.Keys) { $k + '=' + (ConvertTo-MsiValue $Properties[$k]) }) -join ' ')
}

function Get-MsiexecCommandLine([string]$Msi, [string]$Log, [string]$PropertyString) {
    # The properties as the service rendered them (services/packaging/agent-install.ts; the preflight checked
    # they are the manifest's), else built from the manifest.
    return ('/i ' + (ConvertTo-MsiValue $Msi) + ' /qn /l*v ' + (ConvertTo-MsiValue $Log) + ' ' + $PropertyString)
}

function Find-AgentMsi($mg) {
    # -AgentMsiPath, then the path the service was given, then the share's copy, then one next to this script.
    foreach ($c in @($AgentMsiPath, $mg.agentMsi.path, $mg.agentMsi.sharePath, (Join-Path $PSScriptRoot 'MOMAgent.msi'))) {
        if ($c -and (Test-Path -LiteralPath $c -PathType Leaf)) { return [string]$c }
    }
    return $null
}

function Get-AgentConfig {
    # The agent configuration API (COM AgentConfigManager.MgmtSvcCfg; Microsoft Learn,
    # https://learn.microsoft.com/previous-versions/system-center/developer/hh328967(v=msdn.10)).
    try { return (New-Object -ComObject 'AgentConfigManager.MgmtSvcCfg') } catch { return $null }
}

function Get-AgentPlan($m, $agent, [string[]]$Groups) {
    # What this run does about the agent: server (never an agent), none, install, present, add-group, other-group.
    $mg = Get-ManifestManagementGroup $m
    if ($m.role -ne 'agent') { return 'server' }
    if ($null -eq $mg -or $null -eq $mg.primary -or $script:BindOnlyMode) { return 'none' }
    $wanted = [bool]$InstallAgent -or [bool]$mg.installAgent
    if (-not $agent.Present) { if ($wanted) { return 'install' } else { return 'none' } }
    if ($Groups -contains [string]$mg.name) { return 'present' }
    if ($wanted) { return 'add-group' }
    return 'other-group'
}

function Install-Agent($m, $agent) {
    $mg = Get-ManifestManagementGroup $m
    $cfg = $null; $groups = @()
    if ($agent.Present) { $cfg = Get-AgentConfig }
    if ($cfg) { $groups = @($cfg.GetManagementGroups() | ForEach-Object { [string]$_.managementGroupName }) }
    $plan = Get-AgentPlan $m $agent $groups
    if ($agent.Present -and -not $cfg -and ($plan -eq 'add-group' -or $plan -eq 'other-group')) {
        return 'agent present; its management groups cannot be read (no AgentConfigManager.MgmtSvcCfg): left as it is'
    }
    switch ($plan) {
        'server' { return ('a ' + $m.role + ' package never installs an agent; its certificate is bound as an agent''s is') }
        'none' { if ($agent.Present) { return 'agent present' } else { return 'no agent to install (-InstallAgent or the service''s managementGroup.installAgent asks for it)' } }
        'present' { return ('agent already installed in management group ' + $mg.name + ': not reinstalled') }
        'other-group' { return ('agent installed in ' + ($groups -join ', ') + ', not in ' + $mg.name + ': left as it is (-InstallAgent adds it)') }
        'add-group' {
            $d = 'AgentConfigManager.MgmtSvcCfg AddManagementGroup ' + $mg.name + ' ' + $mg.primary.fqdn + ' ' + $mg.primary.port + '; ReloadConfiguration'
            Invoke-Change $d { $cfg.AddManagementGroup([string]$mg.name, [string]$mg.primary.fqdn, [int]$mg.primary.port); $cfg.ReloadConfiguration() } | Out-Null
            return ('management group ' + $mg.name + ' added to the installed agent (primary ' + $mg.primary.fqdn + ':' + $mg.primary.port + '), no reinstall')
        }
    }
    $msi = Find-AgentMsi $mg
    if (-not $msi) { Stop-Install 'agent-install-failed' ('MOMAgent.msi not found (-AgentMsiPath, ' + $mg.agentMsi.path + ', ' + $mg.agentMsi.sharePath + ', next to the script): copy it to the share''s tools\agent\ or pass -AgentMsiPath') }
    $log = Join-Path $script:LogDir ('MOMAgent-install-' + (Get-Date -Format 'yyyyMMdd-HHmmss') + '.log')
    $properties = Get-MsiPropertyString (Get-AgentMsiProperties $mg)
    if ($null -ne $Package -and $Package.ContainsKey('ManagementGroup') -and $Package.ManagementGroup.MsiProperties) { $properties = $Package.ManagementGroup.MsiProperties }
    $line = Get-MsiexecCommandLine $msi $log $properties
    $script:AgentInstallPlanned = $true
    $r = Invoke-Change ('msiexec.exe ' + $line) { Invoke-NativeLine 'msiexec.exe' $line $AgentInstallTimeoutSeconds }
    if ($script:WhatIfMode) { return ('planned: msiexec.exe ' + $line) }
    # 0 done; 3010 and 1641: done, a restart is needed or started (Windows Installer error codes).
    if ($r.TimedOut -or @(0, 3010, 1641) -notcontains $r.ExitCode) { Stop-Install 'agent-install-failed' ('msiexec exit ' + $r.ExitCode + ' ' + $r.Output.Trim() + '; read ' + $log) }
    if (-not (Get-Service -Name 'HealthService' -ErrorAction SilentlyContinue)) { Stop-Install 'agent-install-failed' ('msiexec ended but there is no HealthService; read ' + $log) }
    return ('agent installed for ' + $mg.name + ', primary ' + $mg.primary.fqdn + ':' + $mg.primary.port + ' (msiexec exit ' + $r.ExitCode + ', log ' + $log + ')')
}

# --- 5. bind (docs/scom-facts.md §2: MOMCertImport, then ChannelCertificateSerialNumber by serial + ChannelCertificateHash)
function Get-AgentInfo {
    $service = Get-Service -Name 'HealthService' -ErrorAction SilentlyContinue
    $dir = $null
    $setup = Get-ItemProperty -Path $ScomSetupKey -ErrorAction SilentlyContinue
    if ($setup -and ($setup.PSObject.Properties.Name -contains 'InstallDirectory')) { $dir = $setup.InstallDirectory }
    return [pscustomobject]@{ Present = ($null -ne $service); InstallDirectory = $dir }
}

# The marker the agentcert management pack discovers this agent's certificate by (README "Management pack").
$AgentcertAgentKey = 'HKLM:\SOFTWARE\agentcert\Agent'
function Set-AgentcertMarker($m) {
    Invoke-Change ('write Fqdn and Thumbprint under ' + $AgentcertAgentKey) {
        if (-not (Test-Path -LiteralPath $AgentcertAgentKey)) { New-Item -Path $AgentcertAgentKey -Force | Out-Null }
        New-ItemProperty -Path $AgentcertAgentKey -Name 'Fqdn' -PropertyType String -Value $m.fqdn -Force | Out-Null
        New-ItemProperty -Path $AgentcertAgentKey -Name 'Thumbprint' -PropertyType String -Value $m.certificate.thumbprint -Force | Out-Null
    } | Out-Null
}

function Set-Binding($m, $agent) {
    $notes = New-Object System.Collections.ArrayList
    $tool = $null
    foreach ($candidate in @($agent.InstallDirectory, $PSScriptRoot)) {
        if ($candidate -and (Test-Path -LiteralPath (Join-Path $candidate 'MOMCertImport.exe'))) { $tool = Join-Path $candidate 'MOMCertImport.exe'; break }
    }
    if ($tool -and -not $SkipMomCertImport) {
        $r = Invoke-Change ('MOMCertImport.exe /SubjectName ' + $m.fqdn) { Invoke-Native $tool @('/SubjectName', $m.fqdn) 120 }
        if ($r) { [void]$notes.Add('MOMCertImport exit ' + $r.ExitCode) }
    } else { [void]$notes.Add('MOMCertImport not used') }
    # Always by serial: /SubjectName could pick an older certificate with the same subject (docs/scom-facts.md §2, §8.6).
    $want = ConvertFrom-HexString $m.certificate.serialNumberReversed
    $current = Get-ItemProperty -Path $ScomMachineSettings -ErrorAction SilentlyContinue
    $haveSerial = $null; $haveHash = $null
    if ($current -and ($current.PSObject.Properties.Name -contains 'ChannelCertificateSerialNumber')) { $haveSerial = [byte[]]$current.ChannelCertificateSerialNumber }
    if ($current -and ($current.PSObject.Properties.Name -contains 'ChannelCertificateHash')) { $haveHash = [string]$current.ChannelCertificateHash }
    $serialOk = ($null -ne $haveSerial) -and ([System.BitConverter]::ToString($haveSerial) -eq [System.BitConverter]::ToString($want))
    $hashOk = ($haveHash -eq $m.certificate.thumbprint)
    if ($serialOk -and $hashOk) { Set-AgentcertMarker $m; [void]$notes.Add('registry already names this certificate'); return ($notes -join '; ') }
    Invoke-Change ('write ChannelCertificateSerialNumber=' + $m.certificate.serialNumberReversed + ' and ChannelCertificateHash=' + $m.certificate.thumbprint + ' under ' + $ScomMachineSettings) {
        if (-not (Test-Path -LiteralPath $ScomMachineSettings)) { New-Item -Path $ScomMachineSettings -Force | Out-Null }
        New-ItemProperty -Path $ScomMachineSettings -Name 'ChannelCertificateSerialNumber' -PropertyType Binary -Value $want -Force | Out-Null
        New-ItemProperty -Path $ScomMachineSettings -Name 'ChannelCertificateHash' -PropertyType String -Value $m.certificate.thumbprint -Force | Out-Null
    } | Out-Null
    if (-not $script:WhatIfMode) {
        $back = Get-ItemProperty -Path $ScomMachineSettings
        if ([System.BitConverter]::ToString([byte[]]$back.ChannelCertificateSerialNumber) -ne [System.BitConverter]::ToString($want)) {
            Stop-Install 'bind-failed' 'ChannelCertificateSerialNumber did not read back as written'
        }
    }
    Set-AgentcertMarker $m
    [void]$notes.Add('registry bound to serial ' + $m.certificate.serialNumber + ' (reversed ' + $m.certificate.serialNumberReversed + ')')
    return ($notes -join '; ')
}

# --- 6. restart and read the agent's verdict (docs/scom-facts.md §2 "Caching", §3 events) --------------------
function Restart-Agent {
    $since = Get-Date
    Invoke-Change 'Restart-Service HealthService' { Restart-Service -Name 'HealthService' -Force } | Out-Null
    return $since
}

function Wait-AgentVerdict($since) {
    if ($script:WhatIfMode) { return [pscustomobject]@{ Loaded = $false; Errors = @(); Planned = $true } }
    $deadline = (Get-Date).AddSeconds($EventWaitSeconds)
    do {
        Start-Sleep -Seconds 5
        $events = @(Get-WinEvent -FilterHashtable @{ LogName = 'Operations Manager'; Id = @(20053) + $ErrorEventIds; StartTime = $since } -ErrorAction SilentlyContinue)
        $loaded = @($events | Where-Object { $_.Id -eq 20053 }).Count -gt 0
        $errors = @($events | Where-Object { $_.Id -ne 20053 })
        $certErrors = @($errors | Where-Object { $_.Id -ne 20071 })
        if ($certErrors.Count -gt 0 -or ($loaded -and (Get-Date) -gt $since.AddSeconds(30))) { break }
    } while ((Get-Date) -lt $deadline)
    return [pscustomobject]@{ Loaded = $loaded; Errors = $errors; Planned = $false }
}

function Add-Diagnosis($events) {
    foreach ($e in $events) {
        $d = $Diagnoses[[int]$e.Id]
        $entry = [ordered]@{ eventId = [int]$e.Id; time = $e.TimeCreated.ToString('o'); cause = $d.Cause; fix = $d.Fix; message = ([string]$e.Message).Trim() }
        [void]$script:Diagnosis.Add($entry)
        Write-Warning ('event ' + $e.Id + ': ' + $d.Cause + ' Fix: ' + $d.Fix)
    }
}

# --- 7. copies in the agent's own stores (docs/scom-facts.md §2 "Operations Manager" store, §3.1 cause 4) -----
function Get-StaleCopies($m) {
    $stale = New-Object System.Collections.ArrayList
    foreach ($storeName in $AgentStores) {
        $path = 'Cert:\LocalMachine\' + $storeName
        if (-not (Test-Path -LiteralPath $path)) { continue }
        foreach ($c in @(Get-ChildItem -LiteralPath $path)) {
            if ((Get-CommonName $c) -ne $m.fqdn) { continue }
            $chain = Test-MachineChain $c
            if (-not $chain.Ok) { [void]$stale.Add([pscustomobject]@{ Store = $storeName; Thumbprint = $c.Thumbprint; Status = $chain.Status }) }
        }
    }
    return ,$stale
}

# --- 8. self-heal, once (docs/scom-facts.md §3.1 cause 4 and the manual fix of that incident) ----------------
function Remove-StoreCopy([string]$Store, [string]$Thumbprint) {
    Invoke-Change ('certutil -delstore "' + $Store + '" ' + $Thumbprint) { Invoke-Native 'certutil.exe' @('-delstore', $Store, $Thumbprint) 60 } | Out-Null
}

function Test-IssuedByThisCa($c, $m) {
    $caSubjects = @($m.chain | ForEach-Object { $_.subject })
    return ($caSubjects -contains $c.Issuer) -or ($c.Issuer -eq $m.certificate.issuer)
}

function Invoke-SelfHeal($m, $agent) {
    $script:BindOnlyMode = $false
    $removed = 0
    # Only this FQDN's certificates and this CA's certificates, never anything else.
    $chainThumbprints = @($m.chain | ForEach-Object { $_.thumbprint })
    foreach ($c in @(Get-ChildItem -LiteralPath 'Cert:\LocalMachine\My')) {
        # Older certificates for this FQDN from this CA; the current one keeps its key link and is re-checked below.
        if ((Get-CommonName $c) -eq $m.fqdn -and $c.Thumbprint -ne $m.certificate.thumbprint -and (Test-IssuedByThisCa $c $m)) { Remove-StoreCopy 'My' $c.Thumbprint; $removed++ }
    }
    foreach ($storeName in $AgentStores) {
        $path = 'Cert:\LocalMachine\' + $storeName
        if (-not (Test-Path -LiteralPath $path)) { continue }
        foreach ($c in @(Get-ChildItem -LiteralPath $path)) {
            if ((Get-CommonName $c) -eq $m.fqdn -or $chainThumbprints -contains $c.Thumbprint) { Remove-StoreCopy $storeName $c.Thumbprint; $removed++ }
        }
    }
    foreach ($c in $m.chain) {
        if (Test-StoreHasThumbprint $c.store $c.thumbprint) { Remove-StoreCopy $c.store $c.thumbprint; $removed++ }
    }
    Invoke-Change 'restart CryptSvc and HealthService' {
        Restart-Service -Name 'CryptSvc' -Force
        Restart-Service -Name 'HealthService' -Force
    } | Out-Null
    Install-Trust $m | Out-Null
    $cert = Get-InstalledCertificate $m
    if ($PfxPath -or -not $cert -or -not $cert.HasPrivateKey) { Install-Certificate $m | Out-Null }
    else {
        # Re-link the key and its KeySpec to the certificate (docs/scom-facts.md §2: certutil -repairstore my <serial>).
        Invoke-Change ('certutil -repairstore My ' + $m.certificate.thumbprint) { Invoke-Native 'certutil.exe' @('-repairstore', 'My', $m.certificate.thumbprint) } | Out-Null
    }
    Test-InstalledCertificate $m | Out-Null
    Set-Binding $m $agent | Out-Null
    return ('removed ' + $removed + ' stale copies; CA certificates re-added; certificate re-imported and re-bound')
}

# --- 9. result (local transcript + result.json, and results\<FQDN>.json on the share when reachable) ---------
# The share copy is signed with the installed certificate's private key (README "Install results"): the service
# acts on a result only when its CMS signature verifies with the key of the certificate it names, so nobody who
# can merely write results\ can mark a certificate installed. CMS SignedData (RFC 5652), enveloping, SHA-256,
# with a signing-time attribute: System.Security.Cryptography.Pkcs.SignedCms of .NET Framework
# (https://learn.microsoft.com/dotnet/api/system.security.cryptography.pkcs.signedcms).
function Protect-Result($m, [string]$Json) {
    if (-not $m) { return $null }
    $cert = Get-InstalledCertificate $m
    if (-not $cert -or -not $cert.HasPrivateKey) { return $null }
    Add-Type -AssemblyName System.Security
    $bytes = (New-Object System.Text.UTF8Encoding($false)).GetBytes($Json)
    $content = New-Object System.Security.Cryptography.Pkcs.ContentInfo -ArgumentList (,$bytes)
    $cms = New-Object System.Security.Cryptography.Pkcs.SignedCms -ArgumentList $content, $false
    $signer = New-Object System.Security.Cryptography.Pkcs.CmsSigner -ArgumentList ([System.Security.Cryptography.Pkcs.SubjectIdentifierType]::IssuerAndSerialNumber), $cert
    $signer.DigestAlgorithm = New-Object System.Security.Cryptography.Oid -ArgumentList '2.16.840.1.101.3.4.2.1'
    $signer.IncludeOption = [System.Security.Cryptography.X509Certificates.X509IncludeOption]::EndCertOnly
    [void]$signer.SignedAttributes.Add((New-Object System.Security.Cryptography.Pkcs.Pkcs9SigningTime))
    # silent: never a key-access prompt (the machine key set of an elevated, non-interactive run)
    $cms.ComputeSignature($signer, $true)
    $envelope = [ordered]@{ schemaVersion = 2; format = 'cms-enveloping'; cms = [Convert]::ToBase64String($cms.Encode()) }
    return ($envelope | ConvertTo-Json)
}

function Write-Result($m, [string]$Status, [string]$Message) {
    $result = [ordered]@{
        schemaVersion = 1
        fqdn = $(if ($m) { $m.fqdn } else { $null })
        role = $(if ($m) { $m.role } else { $null })
        thumbprint = $(if ($m) { $m.certificate.thumbprint } else { $null })
        serialNumber = $(if ($m) { $m.certificate.serialNumber } else { $null })
        computer = $env:COMPUTERNAME
        startedAt = $script:StartedAt.ToString('o')
        finishedAt = (Get-Date).ToString('o')
        status = $Status
        exitCode = $ExitCodes[$Status]
        message = $Message
        selfHealed = $script:SelfHealed
        diagnosis = @($script:Diagnosis)
        steps = @($script:Steps)
        log = $script:LogFile
    }
    $json = $result | ConvertTo-Json -Depth 6
    Write-Info ''
    Write-Info ('Result: ' + $Status + ' (exit ' + $result.exitCode + ') ' + $Message)
    if ($script:WhatIfMode) { Write-Info 'What if: write result.json locally and to the share'; return }
    $local = Join-Path $script:LogDir 'result.json'
    [System.IO.File]::WriteAllText($local, $json, (New-Object System.Text.UTF8Encoding($false)))
    Write-Info ('Local result: ' + $local)
    $target = $ResultsPath
    if (-not $target -and $m) { $target = $m.resultsPath }
    if ($target) {
        $shared = $null
        try { $shared = Protect-Result $m $json } catch { Write-Warning ('Could not sign the result with the certificate key: ' + $_.Exception.Message) }
        if (-not $shared) {
            # Unsigned: the service records it as a report for the administrators and changes nothing.
            Write-Warning 'The result is not signed (the certificate or its private key is not usable); the service records it as an unauthenticated report'
            $shared = $json
        }
        try {
            [System.IO.File]::WriteAllText($target, $shared, (New-Object System.Text.UTF8Encoding($false)))
            Write-Info ('Result copied to ' + $target)
        } catch { Write-Warning ('Could not write the result to ' + $target + ': ' + $_.Exception.Message + ' (copy ' + $local + ' there by hand)') }
    }
}

# --- 10. renewal task (renew-certificate.ps1 daily as SYSTEM, which MachineKeySet needs, docs/scom-facts.md §6) ---
function Get-RenewalTaskDefinition($m) {
    # Name and arguments come from the rendered block (services/packaging/renewal.ts); the same defaults otherwise.
    $name = 'agentcert renewal ' + $m.fqdn
    $arguments = '-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "{{SCRIPT}}"'
    if ($null -ne $Package) { $name = $Package.RenewalTaskName; $arguments = $Package.RenewalTaskArguments }
    $renewScript = Join-Path $script:LogDir 'renew-certificate.ps1'
    # The task is started by the 64-bit Task Scheduler service: System32 is the 64-bit PowerShell there, whose
    # HKLM\SOFTWARE is the one the agent reads (docs/scom-facts.md §2). Sysnative exists only for 32-bit processes.
    $exe = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'
    return [pscustomobject]@{
        Name = $name
        Execute = $exe
        Arguments = $arguments.Replace('{{SCRIPT}}', $renewScript)
        WorkingDirectory = $script:LogDir
    }
}

function Copy-RenewalFiles {
    # The task runs from %ProgramData%\agentcert\<FQDN>\ (next to result.json), not from the package folder.
    foreach ($name in @('manifest.json', 'renew-certificate.ps1', 'renewal.inf')) {
        $source = Join-Path $PSScriptRoot $name
        $target = Join-Path $script:LogDir $name
        if (-not (Test-Path -LiteralPath $source)) { throw ($name + ' is not in the package: copy the whole package folder again') }
        if ([System.IO.Path]::GetFullPath($source) -eq [System.IO.Path]::GetFullPath($target)) { continue }
        Invoke-Change ('copy ' + $name + ' to ' + $script:LogDir) { Copy-Item -LiteralPath $source -Destination $target -Force } | Out-Null
    }
}

function Test-RenewalTaskCurrent($existing, $t) {
    $first = @($existing.Actions)[0]
    if (-not $first) { return $false }
    $system = ([string]$existing.Principal.UserId) -match '^(NT AUTHORITY\\)?(SYSTEM|LocalSystem)$'
    return ($first.Execute -eq $t.Execute) -and ($first.Arguments -eq $t.Arguments) -and $system -and (@($existing.Triggers).Count -gt 0)
}

function Register-RenewalTask($m) {
    if ($NoRenewalTask) { return 'skipped (-NoRenewalTask): renew by hand before the certificate expires' }
    $renewal = $null
    if ($m.PSObject.Properties.Name -contains 'renewal') { $renewal = $m.renewal }
    if (-not $renewal -or -not $renewal.requestsPath -or -not $renewal.issuedPath) {
        return 'skipped: the service has no share UNC path configured (manifest renewal.requestsPath/issuedPath are empty); renew by hand'
    }
    if (-not (Get-Command -Name 'Register-ScheduledTask' -ErrorAction SilentlyContinue)) {
        throw 'the ScheduledTasks module is missing (Windows Server 2012 or later has it): renew by hand'
    }
    $t = Get-RenewalTaskDefinition $m
    Copy-RenewalFiles
    $existing = Get-ScheduledTask -TaskName $t.Name -TaskPath '\' -ErrorAction SilentlyContinue
    if ($existing -and (Test-RenewalTaskCurrent $existing $t)) {
        # Idempotent: an identical task keeps its time (and is not touched while it may be running this installer).
        return ('scheduled task "' + $t.Name + '" already registered (' + @($existing.Triggers)[0].StartBoundary + ', daily, SYSTEM)')
    }
    # A random minute of the day spreads the agents' runs over the share and the service.
    $at = (Get-Date).Date.AddMinutes((Get-Random -Minimum 0 -Maximum 1440))
    $taskAction = New-ScheduledTaskAction -Execute $t.Execute -Argument $t.Arguments -WorkingDirectory $t.WorkingDirectory
    $taskTrigger = New-ScheduledTaskTrigger -Daily -At $at
    $taskPrincipal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
    $taskSettings = New-ScheduledTaskSettingsSet -StartWhenAvailable -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -MultipleInstances IgnoreNew -ExecutionTimeLimit (New-TimeSpan -Hours 2)
    $taskDescription = 'agentcert: renews the SCOM certificate of ' + $m.fqdn + ' when it is due (requests\ and issued\ on the agentcert share); health in results\' + $m.fqdn + '.renewal.json'
    Invoke-Change ('register scheduled task "' + $t.Name + '" as SYSTEM, daily at ' + $at.ToString('HH:mm') + ': "' + $t.Execute + '" ' + $t.Arguments) {
        Register-ScheduledTask -TaskName $t.Name -TaskPath '\' -Action $taskAction -Trigger $taskTrigger -Principal $taskPrincipal -Settings $taskSettings -Description $taskDescription -Force | Out-Null
    } | Out-Null
    if ($script:WhatIfMode) { return 'planned' }
    if (-not (Get-ScheduledTask -TaskName $t.Name -TaskPath '\' -ErrorAction SilentlyContinue)) { throw ('Register-ScheduledTask did not create "' + $t.Name + '"') }
    return ('scheduled task "' + $t.Name + '" registered: daily at ' + $at.ToString('HH:mm') + ' as SYSTEM, runs ' + $t.Arguments)
}

# --- main ----------------------------------------------------------------------------------------------------
# A 32-bit PowerShell on 64-bit Windows would write HKLM\SOFTWARE\WOW6432Node, where the agent never looks.
if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) {
    $native = Join-Path $env:WINDIR 'Sysnative\WindowsPowerShell\v1.0\powershell.exe'
    $argList = @('-NoProfile', '-ExecutionPolicy', 'Bypass', '-File', $PSCommandPath)
    foreach ($k in $PSBoundParameters.Keys) {
        $v = $PSBoundParameters[$k]
        if ($v -is [switch]) { if ($v.IsPresent) { $argList += ('-' + $k) } }
        elseif ($v -isnot [System.Security.SecureString]) { $argList += @(('-' + $k), [string]$v) }
    }
    $p = Start-Process -FilePath $native -ArgumentList (ConvertTo-ArgumentString $argList) -Wait -PassThru -NoNewWindow
    exit $p.ExitCode
}

$script:SelfHealed = $false
$script:LogDir = Join-Path $env:ProgramData 'agentcert'
$script:LogFile = $null
$manifest = $null
$status = 'error'
$message = ''
try {
    $manifest = Read-PackageManifest
    $script:LogDir = Join-Path (Join-Path $env:ProgramData 'agentcert') $manifest.fqdn
    if (-not $script:WhatIfMode) {
        New-Item -ItemType Directory -Path $script:LogDir -Force | Out-Null
        $script:LogFile = Join-Path $script:LogDir ('install-' + (Get-Date -Format 'yyyyMMdd-HHmmss') + '.log')
        Start-Transcript -LiteralPath $script:LogFile | Out-Null
    }
    Write-Info ('agentcert installer for ' + $manifest.fqdn + ' (' + $manifest.role + '), certificate ' + $manifest.certificate.thumbprint + ', serial ' + $manifest.certificate.serialNumber)
    if ($script:WhatIfMode) { Write-Info 'What if: nothing is changed; the plan follows.' }

    Invoke-Step 'preflight' { Test-Preflight $manifest }
    Invoke-Step 'trust' { Install-Trust $manifest }
    Invoke-Step 'accept' { Install-Certificate $manifest }
    Invoke-Step 'verify' { Test-InstalledCertificate $manifest }
    $script:AgentInstallPlanned = $false
    $agentBefore = Get-AgentInfo
    Invoke-Step 'agent' { Install-Agent $manifest $agentBefore }
    $agent = Get-AgentInfo
    # Under -WhatIf a planned install leaves no agent yet: the plan goes on as after the install.
    if (-not $agent.Present -and -not ($script:WhatIfMode -and $script:AgentInstallPlanned)) {
        # Installed before the SCOM agent: trust + certificate are in place; binding waits for the agent.
        Invoke-Step 'bind' { 'skipped: no SCOM agent (HealthService) on this computer yet. Install the agent, then run this package again (or with -BindOnly) to bind the certificate.' }
        $status = 'installed-unbound'
        $message = 'certificate installed; bind it after the agent is installed (run again or -BindOnly)'
    } else {
        Invoke-Step 'bind' { Set-Binding $manifest $agent }
        $verdict = $null
        for ($attempt = 1; $attempt -le 2; $attempt++) {
            $since = $null
            Invoke-Step 'restart' { $script:since = Restart-Agent; 'HealthService restarted' }
            $since = $script:since
            Invoke-Step 'agent-events' {
                $script:verdict = Wait-AgentVerdict $since
                if ($script:verdict.Planned) { 'would wait up to ' + $EventWaitSeconds + ' s for event 20053' }
                elseif ($script:verdict.Loaded) { 'event 20053: the agent loaded the certificate' }
                else { 'no event 20053 within ' + $EventWaitSeconds + ' s' }
            }
            $verdict = $script:verdict
            Add-Diagnosis $verdict.Errors
            $stale = @()
            Invoke-Step 'agent-stores' {
                $script:stale = Get-StaleCopies $manifest
                if (@($script:stale).Count -eq 0) { 'no copies with an invalid certification path' }
                else { @($script:stale | ForEach-Object { $_.Store + ' ' + $_.Thumbprint + ': ' + $_.Status }) -join '; ' }
            }
            $stale = @($script:stale)
            $needsHeal = (@($verdict.Errors | Where-Object { $_.Id -eq 21036 -or ([string]$_.Message) -match '0x8009030D' }).Count -gt 0) -or ($stale.Count -gt 0)
            if (-not $needsHeal -or $attempt -eq 2 -or $NoSelfHeal -or $script:WhatIfMode) { break }
            Invoke-Step 'self-heal' { Invoke-SelfHeal $manifest $agent }
            $script:SelfHealed = $true
        }
        $certErrors = @($verdict.Errors | Where-Object { $_.Id -ne 20071 })
        if ($script:WhatIfMode) { $status = 'installed'; $message = 'plan printed; nothing changed' }
        elseif ($certErrors.Count -gt 0) { $status = 'agent-rejected'; $message = 'the agent logged ' + (@($certErrors | ForEach-Object { $_.Id } | Select-Object -Unique) -join ', ') + ' after the restart: see diagnosis' }
        elseif ($verdict.Loaded) { $status = 'installed'; $message = 'the agent loaded the certificate (event 20053)' }
        else { $status = 'installed-unconfirmed'; $message = 'bound; no event 20053 yet: look in the Operations Manager log' }
    }
    if ($status -eq 'installed' -or $status -eq 'installed-unconfirmed') {
        # Not registering the task does not undo a good install: the step says why, the status stays.
        try { Invoke-Step 'renewal-task' { Register-RenewalTask $manifest } } catch { Write-Warning ('renewal task not registered: ' + $_.Exception.Message) }
    }
} catch {
    $failure = $_.Exception
    if ($failure.Data.Contains('agentcertStatus')) { $status = [string]$failure.Data['agentcertStatus'] } else { $status = 'error' }
    $message = $failure.Message
    Write-Host ('FAILED: ' + $message) -ForegroundColor Red
} finally {
    try { Write-Result $manifest $status $message } catch { Write-Warning ('could not write result.json: ' + $_.Exception.Message) }
    if ($script:LogFile) { try { Stop-Transcript | Out-Null } catch { Write-Verbose 'no transcript' } }
}
exit $ExitCodes[$status]
