# ocs.firewall remote scripts, protocol OCSFW2 (see docs/dev/contracts.md in the source tree):
# what _firewall.ps1 (the rules) and _switch.ps1 (the firewall's own settings) share. The
# collection sends this text, then one of the two, as one script. Written for PowerShell 2.0.
# The request arrives as the only argument; every string in it and in the output is base64
# of UTF-8, numbers are invariant-culture digits, so nothing depends on the host's locale.
param([string]$Request)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$Utf8 = New-Object System.Text.UTF8Encoding($false)
$Invariant = [System.Globalization.CultureInfo]::InvariantCulture
$NoCase = [System.StringComparer]::OrdinalIgnoreCase
$OsVersion = [System.Environment]::OSVersion.Version
$Legacy = $OsVersion.Major -lt 6
# The service behind the firewall: Windows Firewall/Internet Connection Sharing on 2003.
$FirewallService = 'MpsSvc'
if ($Legacy) { $FirewallService = 'SharedAccess' }

function Enc([string]$Text) {
    if ($Text.Length -eq 0) { return '' }
    return [System.Convert]::ToBase64String($Utf8.GetBytes($Text))
}

function Dec([string]$Field) {
    if ($Field.Length -eq 0) { return '' }
    return $Utf8.GetString([System.Convert]::FromBase64String($Field))
}

function Num($Value) {
    return ([int64]$Value).ToString($Invariant)
}

function Flag($Value) {
    if ($Value) { return '1' }
    return '0'
}

function Emit([string[]]$Fields) {
    [System.Console]::Out.Write([string]::Join("`t", $Fields) + "`n")
}

function Fail([string]$Message) {
    Emit 'ERROR', (Enc $Message)
    [System.Console]::Out.Flush()
    exit 2
}

# Turns an exception into a message that says what to do; HRESULTs are compared as
# numbers because the exception text is localised.
function Describe($ErrorRecord) {
    $hint = ''
    $e = $ErrorRecord.Exception
    while ($e -ne $null) {
        $code = 0
        if ($e -is [System.UnauthorizedAccessException]) { $code = -2147024891 }
        elseif ($e -is [System.Runtime.InteropServices.COMException]) { $code = $e.ErrorCode }
        # Windows Server 2003 has no UAC, so no filtered token: membership is all it takes.
        if ($code -eq -2147024891 -and $Legacy) {
            $hint = 'access denied (HRESULT 0x80070005): changing Windows Firewall entries needs a member of the local Administrators group'
        }
        elseif ($code -eq -2147024891) {
            $hint = 'access denied (HRESULT 0x80070005): changing Windows Firewall rules needs a member of the local Administrators group with an elevated token (over WinRM a local account other than Administrator needs LocalAccountTokenFilterPolicy = 1, or use a domain account)'
        }
        # 0x800706D9 no endpoints (the service is stopped), 0x800706BA RPC server
        # unavailable, 0x80070422 service disabled, 0x80070426 service not started,
        # 0x8007042C a dependency (BFE) failed to start.
        elseif ($code -eq -2147023143 -or $code -eq -2147023174 -or $code -eq -2147023838 -or $code -eq -2147023834 -or $code -eq -2147023828) {
            $hint = 'the Windows Firewall service (' + $FirewallService + ') is not running (HRESULT ' + [string]::Format($Invariant, '0x{0:X8}', $code) + '): start it, for example with "sc.exe start ' + $FirewallService + '"'
        }
        elseif ($code -eq -2147221164 -and $Legacy) {
            $hint = 'HNetCfg.FwMgr is not registered (HRESULT 0x80040154): Windows Firewall needs Windows Server 2003 Service Pack 1 or later (OCS 2007 R2 needs SP2)'
        }
        elseif ($code -eq -2147221164) {
            $hint = 'HNetCfg.FwPolicy2 is not registered (HRESULT 0x80040154): Windows Firewall with Advanced Security needs Windows Server 2008 or later'
        }
        if ($hint.Length -gt 0) { break }
        $e = $e.InnerException
    }
    if ($hint.Length -eq 0) {
        try {
            $service = Get-Service -Name $FirewallService -ErrorAction SilentlyContinue
            if ($service -ne $null -and [string]$service.Status -ne 'Running') {
                $hint = 'the Windows Firewall service (' + $FirewallService + ') is not running: start it, for example with "sc.exe start ' + $FirewallService + '"'
            }
        }
        catch { }
    }
    $message = [string]$ErrorRecord.Exception.Message
    if ($hint.Length -gt 0) { return $hint + ' (' + $message + ')' }
    return $message
}

# The host's versions, so the controller can refuse what this Windows lacks.
function Emit-Host {
    Emit 'HOST', (Enc $OsVersion.ToString()), (Enc ($PSVersionTable.PSVersion.ToString()))
}
