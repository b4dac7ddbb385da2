<#
.SYNOPSIS
    Renews this computer's SCOM certificate through the agentcert share when it is due. Run daily, as SYSTEM, by the
    scheduled task "agentcert renewal <FQDN>" that install-certificate.ps1 registers.

.DESCRIPTION
    Works from %ProgramData%\agentcert\<FQDN>\, where the installer copied manifest.json, renewal.inf and this
    script. Each run:
      1. reads manifest.json and checks renewal.inf against the SHA-256 the manifest lists;
      2. finds the certificate the agent is bound to: ChannelCertificateSerialNumber (byte-reversed serial), then
         ChannelCertificateHash (thumbprint) under HKLM\SOFTWARE\Microsoft\Microsoft Operations Manager\3.0\Machine
         Settings (agentcert's docs/scom-facts.md §2), else the manifest's certificate. Bound to another certificate: nothing to do (idle);
      3. before renewal.dueAt (2/3 of the lifetime when the manifest has none): nothing to do (not-due);
      4. once due: a newer package in renewal.issuedPath (other thumbprint, later notBefore, same FQDN and CA) is
         copied here, checked against its manifest's SHA-256s and its install-certificate.ps1 is run: it accepts,
         binds, restarts HealthService and reports to results\<FQDN>.json (installed);
      5. otherwise, unless a request was made less than -RetryDays ago: certreq -new -q -f -machine renewal.inf
         (RenewalCert = the bound certificate, RequestType CMC: a request signed with the current key, which the
         service accepts without approval), copied to renewal.requestsPath under a temporary name and renamed to
         <FQDN>.req, remembered in renewal-state.json (requested).
    Every run writes its health to %ProgramData%\agentcert\<FQDN>\renewal.json and, when reachable, to
    <share>\results\<FQDN>.renewal.json. certreq, the installer and every share access have a timeout.
    Windows PowerShell 5.1.

    Exit codes (status / reason in <FQDN>.renewal.json):
      0  idle / not-due       nothing to do: not due yet, or the agent is bound to another certificate
      10 requested            a renewal request is on the share (made now or earlier); waiting for the package
      11 installed            the new package was installed (its installer exited 0 or 11)
      1  error                unexpected failure: read renewal.log
      2  not-elevated         run as SYSTEM (the task) or from an elevated prompt
      3  manifest-damaged     manifest.json or renewal.inf is missing or does not match: run the package again
      4  request-failed       certreq -new failed or timed out, or the bound certificate is unusable for signing
      5  share-unreachable    the share did not answer, or renewal paths are not configured on the service
      6  package-damaged      the new package does not match its manifest (copied again next run)
      7  install-failed       the new package's install-certificate.ps1 failed (its exit code is in the message)

.PARAMETER ManifestPath
    The installed manifest (default: manifest.json next to this script).
.PARAMETER Force
    Renew now, even before renewal.dueAt, and retry a package that failed three times.
.PARAMETER RetryDays
    Make a new request only when the last one is this many days old and no package came (default 7).
.PARAMETER CertreqTimeoutSeconds
    Limit for certreq -new (default 300).
.PARAMETER InstallTimeoutSeconds
    Limit for the new package's installer (default 1800).
.PARAMETER ShareTimeoutSeconds
    Limit for each access to the share (default 60).
.PARAMETER WhatIf
    Print the plan; change nothing (no request, no copy, no install, no state or health file).
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [string]$ManifestPath,
    [switch]$Force,
    [ValidateRange(1, 90)][int]$RetryDays = 7,
    [ValidateRange(10, 3600)][int]$CertreqTimeoutSeconds = 300,
    [ValidateRange(60, 7200)][int]$InstallTimeoutSeconds = 1800,
    [ValidateRange(5, 600)][int]$ShareTimeoutSeconds = 60
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$ScomMachineSettings = 'HKLM:\SOFTWARE\Microsoft\Microsoft Operations Manager\3.0\Machine Settings'
$ExitCodes = @{ 'idle' = 0; 'not-due' = 0; 'requested' = 10; 'installed' = 11; 'error' = 1; 'not-elevated' = 2; 'manifest-damaged' = 3; 'request-failed' = 4; 'share-unreachable' = 5; 'package-damaged' = 6; 'install-failed' = 7 }
# The statuses the health file reports; every other outcome is reported as status 'error' with it as the reason.
$HealthStatuses = @('idle', 'not-due', 'requested', 'installed')
$MaxInstallAttempts = 3

$script:WhatIfMode = [bool]$WhatIfPreference
$script:StartedAt = Get-Date
$script:Dir = $PSScriptRoot
if ($ManifestPath) { $script:Dir = Split-Path -Parent ([System.IO.Path]::GetFullPath($ManifestPath)) } else { $ManifestPath = Join-Path $PSScriptRoot 'manifest.json' }
$script:LogFile = $null
$script:Health = [ordered]@{
    schemaVersion = 1
    fqdn = $null
    computer = $env:COMPUTERNAME
    status = 'error'
    reason = 'error'
    exitCode = 1
    lastRunAt = $script:StartedAt.ToString('o')
    finishedAt = $null
    dueAt = $null
    thumbprint = $null
    boundFrom = $null
    notAfter = $null
    requestedAt = $null
    requestSha256 = $null
    newThumbprint = $null
    message = ''
    log = $null
}

function Stop-Renewal([string]$Outcome, [string]$Message) {
    # A failure with a known outcome (and so an exit code); anything else thrown ends as 'error'.
    $e = New-Object System.Exception($Message)
    $e.Data['agentcertOutcome'] = $Outcome
    throw $e
}

function Write-Info([string]$Message) { Write-Host $Message }

function Invoke-Change {
    # Every change goes through here, so -WhatIf prints the plan and changes nothing.
    param([string]$Description, [scriptblock]$Action)
    if ($script:WhatIfMode) { Write-Info ('What if: ' + $Description); return $null }
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
    # certreq can hang or wait on hidden UI (docs/scom-facts.md §6, §8.8): always a timeout, never a window.
    param([string]$FilePath, [string[]]$Arguments, [int]$TimeoutSeconds)
    $psi = New-Object System.Diagnostics.ProcessStartInfo
    $psi.FileName = $FilePath
    $psi.Arguments = ConvertTo-ArgumentString $Arguments
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.CreateNoWindow = $true
    $p = [System.Diagnostics.Process]::Start($psi)
    $out = $p.StandardOutput.ReadToEndAsync()
    $err = $p.StandardError.ReadToEndAsync()
    if (-not $p.WaitForExit($TimeoutSeconds * 1000)) {
        try { $p.Kill() } catch { Write-Verbose 'process already ended' }
        return [pscustomobject]@{ ExitCode = $null; Output = ('timed out after ' + $TimeoutSeconds + ' s'); TimedOut = $true }
    }
    $p.WaitForExit()
    return [pscustomobject]@{ ExitCode = $p.ExitCode; Output = ($out.Result + $err.Result); TimedOut = $false }
}

function Invoke-Share {
    # Share access can hang for minutes when the file server is gone: run it in its own runspace, with a timeout.
    # The script block gets $Arguments as its parameters and must set $ErrorActionPreference itself.
    param([string]$Description, [scriptblock]$Block, [object[]]$Arguments = @(), [string]$Outcome = 'share-unreachable')
    $ps = [powershell]::Create()
    [void]$ps.AddScript($Block.ToString())
    foreach ($a in $Arguments) { [void]$ps.AddArgument($a) }
    $handle = $ps.BeginInvoke()
    if (-not $handle.AsyncWaitHandle.WaitOne($ShareTimeoutSeconds * 1000)) {
        [void]$ps.BeginStop($null, $null)
        Stop-Renewal $Outcome ($Description + ': the share did not answer within ' + $ShareTimeoutSeconds + ' s')
    }
    $output = $null
    $failure = $null
    try {
        $output = $ps.EndInvoke($handle)
        if ($ps.Streams.Error.Count -gt 0) { $failure = $ps.Streams.Error[0].Exception.Message }
    } catch {
        $inner = $_.Exception
        while ($inner.InnerException) { $inner = $inner.InnerException }
        $failure = $inner.Message
    } finally {
        $ps.Dispose()
    }
    if ($null -ne $failure) { Stop-Renewal $Outcome ($Description + ': ' + $failure) }
    return $output
}

function ConvertTo-UtcDate($Value) {
    # PowerShell 5.1 leaves ISO 8601 strings from ConvertFrom-Json as strings; later versions make DateTimes.
    if ($Value -is [datetime]) { return $Value.ToUniversalTime() }
    $styles = [System.Globalization.DateTimeStyles]::AdjustToUniversal -bor [System.Globalization.DateTimeStyles]::AssumeUniversal
    return [datetime]::Parse([string]$Value, [System.Globalization.CultureInfo]::InvariantCulture, $styles)
}

function Get-ReversedSerial([string]$SerialHex) {
    # docs/scom-facts.md §2: all bytes reversed, nibbles kept, a leading 00 byte included.
    $pairs = @(for ($i = 0; $i -lt $SerialHex.Length; $i += 2) { $SerialHex.Substring($i, 2) })
    [array]::Reverse($pairs)
    return ($pairs -join '').ToUpperInvariant()
}

function Write-JsonFile([string]$Path, $Object) {
    # Written whole to a temporary name, then renamed: a reader never sees half a file.
    $temp = $Path + '.' + [guid]::NewGuid().ToString('N') + '.tmp'
    [System.IO.File]::WriteAllText($temp, ($Object | ConvertTo-Json -Depth 6), (New-Object System.Text.UTF8Encoding($false)))
    if (Test-Path -LiteralPath $Path) { Remove-Item -LiteralPath $Path -Force }
    Move-Item -LiteralPath $temp -Destination $Path
}

# --- 1. the installed manifest and renewal.inf (written by install-certificate.ps1) ----------------------------
function Test-Elevated {
    $principal = New-Object System.Security.Principal.WindowsPrincipal([System.Security.Principal.WindowsIdentity]::GetCurrent())
    if ($principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)) { return }
    if ($script:WhatIfMode) { Write-Info 'not elevated (fine for -WhatIf; the task runs as SYSTEM)'; return }
    # docs/scom-facts.md §6: MachineKeySet (the key of the new request, the registry binding) needs an elevated process.
    Stop-Renewal 'not-elevated' 'Run as SYSTEM (the scheduled task) or from an elevated prompt.'
}

function Read-LocalManifest {
    if (-not (Test-Path -LiteralPath $ManifestPath)) { Stop-Renewal 'manifest-damaged' ('manifest.json not found: ' + $ManifestPath + '. Run the package (install.cmd) again.') }
    $m = Get-Content -LiteralPath $ManifestPath -Raw -Encoding UTF8 | ConvertFrom-Json
    if ($m.schemaVersion -ne 1) { Stop-Renewal 'manifest-damaged' ('unknown manifest schemaVersion ' + $m.schemaVersion) }
    return $m
}

function Get-RenewalSettings($m) {
    # Manifests written before the service supported renewal have no "renewal": treat every field as not configured.
    $r = [pscustomobject]@{ DueAt = $null; RequestsPath = $null; IssuedPath = $null; ResultsDir = $null }
    if ($m.PSObject.Properties.Name -contains 'renewal' -and $null -ne $m.renewal) {
        if ($m.renewal.dueAt) { $r.DueAt = ConvertTo-UtcDate $m.renewal.dueAt }
        if ($m.renewal.requestsPath) { $r.RequestsPath = [string]$m.renewal.requestsPath }
        if ($m.renewal.issuedPath) { $r.IssuedPath = [string]$m.renewal.issuedPath }
    }
    if (-not $r.DueAt) {
        # The service's default (lifecycle.renewAtPercent): renew at 2/3 of the lifetime.
        $nb = ConvertTo-UtcDate $m.certificate.notBefore
        $na = ConvertTo-UtcDate $m.certificate.notAfter
        $r.DueAt = $nb.AddTicks([long](($na - $nb).Ticks * 2 / 3))
    }
    if ($m.resultsPath) { $r.ResultsDir = Split-Path -Parent ([string]$m.resultsPath) }
    elseif ($r.RequestsPath) { $r.ResultsDir = Join-Path (Split-Path -Parent $r.RequestsPath) 'results' }
    return $r
}

function Test-LocalFiles($m) {
    $entry = @($m.files | Where-Object { $_.name -eq 'renewal.inf' })
    $inf = Join-Path $script:Dir 'renewal.inf'
    if ($entry.Count -ne 1 -or -not (Test-Path -LiteralPath $inf)) { Stop-Renewal 'manifest-damaged' ('renewal.inf is missing next to ' + $ManifestPath + ': run the package (install.cmd) again') }
    $hash = (Get-FileHash -LiteralPath $inf -Algorithm SHA256).Hash
    if ($hash -ne $entry[0].sha256) { Stop-Renewal 'manifest-damaged' ('renewal.inf does not match manifest.json (SHA-256 ' + $hash + '): run the package again') }
}

# --- 2. the certificate the agent is bound to (docs/scom-facts.md §2: the serial is what the agent reads) ------
function Get-BoundCertificate($m) {
    $settings = Get-ItemProperty -Path $ScomMachineSettings -ErrorAction SilentlyContinue
    $names = @()
    if ($settings) { $names = @($settings.PSObject.Properties.Name) }
    if ($names -contains 'ChannelCertificateSerialNumber') {
        $reversed = ([System.BitConverter]::ToString([byte[]]$settings.ChannelCertificateSerialNumber)).Replace('-', '')
        if ($reversed -eq $m.certificate.serialNumberReversed) { return [pscustomobject]@{ Thumbprint = $m.certificate.thumbprint; From = 'ChannelCertificateSerialNumber' } }
        foreach ($c in @(Get-ChildItem -LiteralPath 'Cert:\LocalMachine\My')) {
            if ((Get-ReversedSerial $c.SerialNumber) -eq $reversed) { return [pscustomobject]@{ Thumbprint = $c.Thumbprint; From = 'ChannelCertificateSerialNumber' } }
        }
        return [pscustomobject]@{ Thumbprint = $null; From = ('ChannelCertificateSerialNumber ' + $reversed + ', which no certificate in LocalMachine\My has') }
    }
    if ($names -contains 'ChannelCertificateHash' -and $settings.ChannelCertificateHash) {
        return [pscustomobject]@{ Thumbprint = ([string]$settings.ChannelCertificateHash).Replace(' ', '').ToUpperInvariant(); From = 'ChannelCertificateHash' }
    }
    return [pscustomobject]@{ Thumbprint = $m.certificate.thumbprint; From = 'manifest (no binding in the registry)' }
}

# --- 3. state: when this computer last asked, so it does not ask every day ------------------------------------
function Read-State {
    $path = Join-Path $script:Dir 'renewal-state.json'
    if (-not (Test-Path -LiteralPath $path)) { return $null }
    try { return (Get-Content -LiteralPath $path -Raw -Encoding UTF8 | ConvertFrom-Json) } catch { Write-Warning ('renewal-state.json is unreadable, starting over: ' + $_.Exception.Message); return $null }
}

function Save-State($State) {
    $path = Join-Path $script:Dir 'renewal-state.json'
    Invoke-Change ('write ' + $path) { Write-JsonFile $path $State } | Out-Null
}

function Get-StateValue($State, [string]$Name) {
    if ($null -eq $State) { return $null }
    if ($State.PSObject.Properties.Name -contains $Name) { return $State.$Name }
    return $null
}

# --- 4. a newer package in issued\<FQDN>\: copy, check, run its installer ---------------------------------------
function Find-NewPackage($m, $settings) {
    $text = Invoke-Share ('reading ' + $settings.IssuedPath + '\manifest.json') {
        param($dir)
        $ErrorActionPreference = 'Stop'
        $file = Join-Path $dir 'manifest.json'
        if (Test-Path -LiteralPath $file) { Get-Content -LiteralPath $file -Raw -Encoding UTF8 }
    } @($settings.IssuedPath)
    $text = [string]($text | Select-Object -First 1)
    if (-not $text) { return $null }
    $new = $text | ConvertFrom-Json
    if ($new.fqdn -ne $m.fqdn -or $new.certificate.thumbprint -eq $m.certificate.thumbprint) { return $null }
    if ((ConvertTo-UtcDate $new.certificate.notBefore) -le (ConvertTo-UtcDate $m.certificate.notBefore)) { return $null }
    return $new
}

function Test-PackageFolder([string]$Dir, [string]$Thumbprint) {
    # The copy must be exactly what its manifest lists (and the manifest the one that was found).
    $m = Get-Content -LiteralPath (Join-Path $Dir 'manifest.json') -Raw -Encoding UTF8 | ConvertFrom-Json
    if ($m.certificate.thumbprint -ne $Thumbprint) { return ('manifest.json changed while it was copied (now ' + $m.certificate.thumbprint + ')') }
    foreach ($f in $m.files) {
        $file = Join-Path $Dir $f.name
        if (-not (Test-Path -LiteralPath $file)) { return ('missing file ' + $f.name) }
        $hash = (Get-FileHash -LiteralPath $file -Algorithm SHA256).Hash
        if ($hash -ne $f.sha256) { return ($f.name + ' does not match manifest.json (SHA-256 ' + $hash + ')') }
    }
    $cert = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2((Join-Path $Dir $m.certificate.file))
    if ($cert.Thumbprint -ne $Thumbprint) { return ('the certificate file is ' + $cert.Thumbprint + ', not the manifest''s ' + $Thumbprint) }
    if (@($m.files | Where-Object { $_.name -eq 'install-certificate.ps1' }).Count -ne 1) { return 'install-certificate.ps1 is not listed in manifest.json' }
    return $null
}

function Install-NewPackage($m, $new, $settings, $State) {
    $thumb = [string]$new.certificate.thumbprint
    $script:Health.newThumbprint = $thumb
    # Same CA as the certificate installed now: the task never moves an agent to another CA on its own.
    $pinned = @($m.chain | ForEach-Object { $_.thumbprint }) -join ','
    $offered = @($new.chain | ForEach-Object { $_.thumbprint }) -join ','
    if ($pinned -ne $offered) { Stop-Renewal 'package-damaged' ('the package in ' + $settings.IssuedPath + ' is from another CA (' + $offered + '): install it by hand (install.cmd)') }
    $attempts = 0
    if ((Get-StateValue $State 'installThumbprint') -eq $thumb) { $attempts = [int](Get-StateValue $State 'installAttempts') }
    if ($attempts -ge $MaxInstallAttempts -and -not $Force) {
        Stop-Renewal 'install-failed' ('the package for ' + $thumb + ' failed ' + $attempts + ' times; run install.cmd from ' + $settings.IssuedPath + ' by hand and read its result (or -Force)')
    }
    # Names from the share become local paths of a SYSTEM process: plain file names only, no folders, no "..".
    if ($thumb -notmatch '^[0-9A-F]{40}$') { Stop-Renewal 'package-damaged' ('the package in ' + $settings.IssuedPath + ' has no valid thumbprint: ' + $thumb) }
    $names = @(@($new.files | ForEach-Object { [string]$_.name }) + 'manifest.json')
    foreach ($n in $names) {
        if ($n -notmatch '^[A-Za-z0-9][A-Za-z0-9._-]*$') { Stop-Renewal 'package-damaged' ('the package in ' + $settings.IssuedPath + ' lists a file name that is not plain: ' + $n) }
    }
    $local = Join-Path (Join-Path $script:Dir 'packages') $thumb
    Invoke-Change ('copy ' + ($names -join ', ') + ' from ' + $settings.IssuedPath + ' to ' + $local) {
        if (Test-Path -LiteralPath $local) { Remove-Item -LiteralPath $local -Recurse -Force }
        New-Item -ItemType Directory -Path $local -Force | Out-Null
        Invoke-Share ('copying the package from ' + $settings.IssuedPath) {
            param($from, $to, $files)
            $ErrorActionPreference = 'Stop'
            foreach ($n in $files) { Copy-Item -LiteralPath (Join-Path $from $n) -Destination (Join-Path $to $n) -Force }
        } @($settings.IssuedPath, $local, $names) | Out-Null
    } | Out-Null
    $installer = Join-Path $local 'install-certificate.ps1'
    if ($script:WhatIfMode) {
        Write-Info ('What if: check the copy against its manifest, then run "' + $installer + '" (timeout ' + $InstallTimeoutSeconds + ' s)')
        return ('would install the package for ' + $thumb)
    }
    $problem = Test-PackageFolder $local $thumb
    if ($problem) { Stop-Renewal 'package-damaged' ('the package in ' + $settings.IssuedPath + ' is not usable: ' + $problem + ' (copied again next run)') }
    Save-State ([ordered]@{
        thumbprint = $m.certificate.thumbprint
        requestedAt = Get-StateValue $State 'requestedAt'
        requestFile = Get-StateValue $State 'requestFile'
        requestSha256 = Get-StateValue $State 'requestSha256'
        copiedAt = Get-StateValue $State 'copiedAt'
        installThumbprint = $thumb
        installAttempts = $attempts + 1
    })
    # The new installer accepts the certificate (the key of our request is here), binds it, restarts HealthService,
    # registers this task again for the new certificate and writes results\<FQDN>.json for the service.
    $ps = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'
    Write-Info ('running ' + $installer)
    $r = Invoke-Native $ps @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', $installer) $InstallTimeoutSeconds
    Write-Info $r.Output
    if ($r.TimedOut) { Stop-Renewal 'install-failed' ('install-certificate.ps1 of ' + $thumb + ' did not finish within ' + $InstallTimeoutSeconds + ' s; see its log in ' + $script:Dir) }
    if ($r.ExitCode -ne 0 -and $r.ExitCode -ne 11) {
        Stop-Renewal 'install-failed' ('install-certificate.ps1 of ' + $thumb + ' exited ' + $r.ExitCode + ' (see result.json in ' + $script:Dir + ' and README "Exit codes")')
    }
    $statePath = Join-Path $script:Dir 'renewal-state.json'
    if (Test-Path -LiteralPath $statePath) { Remove-Item -LiteralPath $statePath -Force }
    return ('installed the renewed certificate ' + $thumb + ' (installer exit ' + $r.ExitCode + ')')
}

# --- 5. the renewal request: certreq with RenewalCert, dropped on the share under a temporary name -------------
function Test-RenewalInf([string]$Path, [string]$Thumbprint) {
    $text = Get-Content -LiteralPath $Path -Raw
    $rc = [regex]::Match($text, '(?m)^\s*RenewalCert\s*=\s*"?([0-9A-Fa-f]{40})"?\s*$')
    if (-not $rc.Success) { Stop-Renewal 'manifest-damaged' 'renewal.inf has no RenewalCert = "<thumbprint>" line' }
    if ($rc.Groups[1].Value.ToUpperInvariant() -ne $Thumbprint) { Stop-Renewal 'manifest-damaged' ('renewal.inf renews ' + $rc.Groups[1].Value + ', the agent is bound to ' + $Thumbprint) }
    # certreq_1.md: renewal "requires either a PKCS#7 or a CMC request format"; the key goes to the machine key set.
    if ($text -notmatch '(?m)^\s*RequestType\s*=\s*CMC\s*$') { Stop-Renewal 'manifest-damaged' 'renewal.inf must say RequestType = CMC' }
    if ($text -notmatch '(?m)^\s*MachineKeySet\s*=\s*TRUE\s*$') { Stop-Renewal 'manifest-damaged' 'renewal.inf must say MachineKeySet = TRUE' }
}

function New-RenewalRequest($m, [string]$Thumbprint) {
    $inf = Join-Path $script:Dir 'renewal.inf'
    Test-RenewalInf $inf $Thumbprint
    $work = Join-Path $script:Dir 'renewal'
    $req = Join-Path $work ($m.fqdn + '.req')
    # docs/scom-facts.md §6/§8.8: -q (no UI), every file named, -f overwrites; -machine matches MachineKeySet (certreq_1.md).
    $r = Invoke-Change ('certreq -new -q -f -machine "' + $inf + '" "' + $req + '" (timeout ' + $CertreqTimeoutSeconds + ' s)') {
        New-Item -ItemType Directory -Path $work -Force | Out-Null
        if (Test-Path -LiteralPath $req) { Remove-Item -LiteralPath $req -Force }
        Invoke-Native 'certreq.exe' @('-new', '-q', '-f', '-machine', $inf, $req) $CertreqTimeoutSeconds
    }
    if ($script:WhatIfMode) { return $null }
    if ($r.TimedOut) { Stop-Renewal 'request-failed' ('certreq -new ' + $r.Output) }
    if ($r.ExitCode -ne 0 -or -not (Test-Path -LiteralPath $req) -or (Get-Item -LiteralPath $req).Length -eq 0) {
        Stop-Renewal 'request-failed' ('certreq -new failed (exit ' + $r.ExitCode + '): ' + ([string]$r.Output).Trim())
    }
    return [pscustomobject]@{ Path = $req; Sha256 = (Get-FileHash -LiteralPath $req -Algorithm SHA256).Hash }
}

function Send-RenewalRequest($m, $settings, [string]$RequestFile) {
    # The service never reads half a file: it ignores names starting with "." and ending in ".tmp" (intake layout).
    $target = Join-Path $settings.RequestsPath ($m.fqdn + '.req')
    $temp = Join-Path $settings.RequestsPath ('.' + $m.fqdn + '.' + [guid]::NewGuid().ToString('N') + '.tmp')
    Invoke-Change ('copy ' + $RequestFile + ' to ' + $temp + ', then rename it to ' + $target) {
        Invoke-Share ('copying the request to ' + $settings.RequestsPath) {
            param($from, $tmp, $to)
            $ErrorActionPreference = 'Stop'
            Copy-Item -LiteralPath $from -Destination $tmp -Force
            if (Test-Path -LiteralPath $to) { Remove-Item -LiteralPath $to -Force }
            Move-Item -LiteralPath $tmp -Destination $to
        } @($RequestFile, $temp, $target) | Out-Null
    } | Out-Null
    return $target
}

function Invoke-Renewal($m, $settings, $bound) {
    if (-not $settings.RequestsPath -or -not $settings.IssuedPath) {
        Stop-Renewal 'share-unreachable' 'renewal is due, but the service has no share UNC path configured (manifest renewal.requestsPath/issuedPath are empty): renew by hand with request-certificate.ps1 -Renew'
    }
    $cert = $null
    $certPath = 'Cert:\LocalMachine\My\' + $bound
    if (Test-Path -LiteralPath $certPath) { $cert = Get-Item -LiteralPath $certPath }
    if (-not $cert -or -not $cert.HasPrivateKey) { Stop-Renewal 'request-failed' ('the bound certificate ' + $bound + ' is not in LocalMachine\My with its private key: certreq cannot sign the renewal with it; make a new request (request-certificate.ps1)') }
    if ($cert.NotAfter -lt (Get-Date)) { Stop-Renewal 'request-failed' ('the bound certificate expired on ' + $cert.NotAfter.ToString('u') + ': a renewal must be signed by a valid certificate; make a new request (request-certificate.ps1)') }
    $state = Read-State
    $new = Find-NewPackage $m $settings
    if ($new) { return @('installed', (Install-NewPackage $m $new $settings $state)) }

    $sameCert = ((Get-StateValue $state 'thumbprint') -eq $bound)
    $requestedAt = $null
    if ($sameCert -and (Get-StateValue $state 'requestedAt')) { $requestedAt = ConvertTo-UtcDate (Get-StateValue $state 'requestedAt') }
    $fresh = $requestedAt -and ($requestedAt -gt (Get-Date).ToUniversalTime().AddDays(-$RetryDays))
    if ($fresh -and (Get-StateValue $state 'copiedAt')) {
        $script:Health.requestedAt = $requestedAt.ToString('o')
        $script:Health.requestSha256 = Get-StateValue $state 'requestSha256'
        return @('requested', ('waiting for the package in ' + $settings.IssuedPath + ' (request of ' + $requestedAt.ToString('u') + '; a new one after ' + $RetryDays + ' days)'))
    }
    $requestFile = [string](Get-StateValue $state 'requestFile')
    if ($fresh -and $requestFile -and (Test-Path -LiteralPath $requestFile)) {
        # Made but not delivered last time (share unreachable): deliver the same request, no new key.
        $sha = Get-StateValue $state 'requestSha256'
    } else {
        $made = New-RenewalRequest $m $bound
        if ($script:WhatIfMode) {
            Send-RenewalRequest $m $settings (Join-Path (Join-Path $script:Dir 'renewal') ($m.fqdn + '.req')) | Out-Null
            return @('requested', 'plan printed; nothing changed')
        }
        $requestedAt = (Get-Date).ToUniversalTime()
        $requestFile = $made.Path
        $sha = $made.Sha256
        Save-State ([ordered]@{ thumbprint = $bound; requestedAt = $requestedAt.ToString('o'); requestFile = $requestFile; requestSha256 = $sha; copiedAt = $null; installThumbprint = $null; installAttempts = 0 })
    }
    $script:Health.requestedAt = $requestedAt.ToString('o')
    $script:Health.requestSha256 = $sha
    $target = Send-RenewalRequest $m $settings $requestFile
    Save-State ([ordered]@{ thumbprint = $bound; requestedAt = $requestedAt.ToString('o'); requestFile = $requestFile; requestSha256 = $sha; copiedAt = (Get-Date).ToUniversalTime().ToString('o'); installThumbprint = $null; installAttempts = 0 })
    return @('requested', ('renewal request (signed with ' + $bound + ') delivered to ' + $target + '; the package will appear in ' + $settings.IssuedPath))
}

# --- 6. health: renewal.json here and results\<FQDN>.renewal.json on the share -------------------------------
function Write-Health($settings) {
    $script:Health.finishedAt = (Get-Date).ToString('o')
    $script:Health.log = $script:LogFile
    Write-Info ('Renewal: ' + $script:Health.status + ' (' + $script:Health.reason + ', exit ' + $script:Health.exitCode + ') ' + $script:Health.message)
    if ($script:WhatIfMode) { Write-Info 'What if: write renewal.json here and <FQDN>.renewal.json in results\ on the share'; return }
    $local = Join-Path $script:Dir 'renewal.json'
    try { Write-JsonFile $local $script:Health } catch { Write-Warning ('could not write ' + $local + ': ' + $_.Exception.Message) }
    if (-not $settings -or -not $settings.ResultsDir -or -not $script:Health.fqdn) { return }
    $target = Join-Path $settings.ResultsDir ($script:Health.fqdn + '.renewal.json')
    $json = $script:Health | ConvertTo-Json -Depth 6
    try {
        Invoke-Share ('writing ' + $target) {
            param($path, $text)
            $ErrorActionPreference = 'Stop'
            $temp = Join-Path (Split-Path -Parent $path) ('.' + [guid]::NewGuid().ToString('N') + '.tmp')
            [System.IO.File]::WriteAllText($temp, $text, (New-Object System.Text.UTF8Encoding($false)))
            if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path -Force }
            Move-Item -LiteralPath $temp -Destination $path
        } @($target, $json) | Out-Null
    } catch { Write-Warning ('could not write the health file to the share: ' + $_.Exception.Message) }
}

# --- main ----------------------------------------------------------------------------------------------------
# A 32-bit PowerShell on 64-bit Windows would read HKLM\SOFTWARE\WOW6432Node, where the agent's binding is not.
if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) {
    $native = Join-Path $env:WINDIR 'Sysnative\WindowsPowerShell\v1.0\powershell.exe'
    $argList = @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', $PSCommandPath)
    foreach ($k in $PSBoundParameters.Keys) {
        $v = $PSBoundParameters[$k]
        if ($v -is [switch]) { if ($v.IsPresent) { $argList += ('-' + $k) } }
        else { $argList += @(('-' + $k), [string]$v) }
    }
    $p = Start-Process -FilePath $native -ArgumentList (ConvertTo-ArgumentString $argList) -Wait -PassThru -NoNewWindow
    exit $p.ExitCode
}

$outcome = 'error'
$message = ''
$settings = $null
try {
    Test-Elevated
    $manifest = Read-LocalManifest
    $script:Health.fqdn = $manifest.fqdn
    if (-not $script:WhatIfMode) {
        $log = Join-Path $script:Dir 'renewal.log'
        if ((Test-Path -LiteralPath $log) -and (Get-Item -LiteralPath $log).Length -gt 1048576) { Move-Item -LiteralPath $log -Destination (Join-Path $script:Dir 'renewal.old.log') -Force }
        $script:LogFile = $log
        Start-Transcript -LiteralPath $log -Append | Out-Null
    }
    Write-Info ('agentcert renewal for ' + $manifest.fqdn + ' at ' + $script:StartedAt.ToString('u'))
    if ($script:WhatIfMode) { Write-Info 'What if: nothing is changed; the plan follows.' }
    $settings = Get-RenewalSettings $manifest
    $script:Health.dueAt = $settings.DueAt.ToString('o')
    $script:Health.notAfter = (ConvertTo-UtcDate $manifest.certificate.notAfter).ToString('o')
    Test-LocalFiles $manifest
    $bound = Get-BoundCertificate $manifest
    $script:Health.thumbprint = $bound.Thumbprint
    $script:Health.boundFrom = $bound.From
    if (-not $bound.Thumbprint) {
        Stop-Renewal 'error' ('the agent is bound to ' + $bound.From + ' (event 20066): run the package again (install.cmd) to bind its certificate')
    }
    if ($bound.Thumbprint -ne $manifest.certificate.thumbprint) {
        $outcome = 'idle'
        $message = 'the agent is bound to ' + $bound.Thumbprint + ' (' + $bound.From + '), this task renews ' + $manifest.certificate.thumbprint + ': nothing to do. If the bound certificate came from agentcert, run its package (install.cmd) to move this task to it.'
    } elseif (-not $Force -and (Get-Date).ToUniversalTime() -lt $settings.DueAt) {
        $outcome = 'not-due'
        $message = 'renewal is due at ' + $settings.DueAt.ToString('u')
    } else {
        $done = Invoke-Renewal $manifest $settings $bound.Thumbprint
        $outcome = $done[0]
        $message = $done[1]
    }
} catch {
    $failure = $_.Exception
    if ($failure.Data.Contains('agentcertOutcome')) { $outcome = [string]$failure.Data['agentcertOutcome'] } else { $outcome = 'error' }
    $message = $failure.Message
    Write-Host ('FAILED: ' + $message) -ForegroundColor Red
} finally {
    $script:Health.reason = $outcome
    $script:Health.exitCode = $ExitCodes[$outcome]
    if ($HealthStatuses -contains $outcome) { $script:Health.status = $outcome } else { $script:Health.status = 'error' }
    $script:Health.message = $message
    try { Write-Health $settings } catch { Write-Warning ('could not write the health file: ' + $_.Exception.Message) }
    if ($script:LogFile) { try { Stop-Transcript | Out-Null } catch { Write-Verbose 'no transcript' } }
}
exit $ExitCodes[$outcome]
