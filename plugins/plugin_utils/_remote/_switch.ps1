# ocs.firewall switch script, protocol OCSFW2 (see docs/dev/contracts.md in the source tree).
# The firewall's own settings rather than its rules: the service, each profile's switches and
# its log of dropped packets; a rollback armed as a scheduled task before any of them changes
# (commit confirmed), cancelled by a confirmation that reaches the host over a new connection;
# and the tail of the log. It runs after _prelude.ps1. Run by the task with no request, it is
# the rollback: it reads the request the switch wrote beside it.
$Task = '[ocs.firewall] rollback'
$Temp = [System.Environment]::GetEnvironmentVariable('SystemRoot') + '\Temp\'
$Runner = $Temp + 'ocs.firewall-rollback.ps1'
$Saved = $Temp + 'ocs.firewall-rollback.txt'
$Types = 1, 2, 4
$Keys = @{ 1 = 'DomainProfile'; 2 = 'StandardProfile'; 4 = 'PublicProfile' }
$Netsh = @{ 1 = 'domainprofile'; 2 = 'privateprofile'; 4 = 'publicprofile' }
if ($Legacy) { $Types = 0, 1; $Keys = @{ 0 = 'DomainProfile'; 1 = 'StandardProfile' } }
$Starts = @{ 2 = 'auto'; 3 = 'demand'; 4 = 'disabled' }
# Where the log is when no path is stored: Windows Server 2003 keeps it in the Windows folder.
$DefaultLog = '%systemroot%\system32\LogFiles\Firewall\pfirewall.log'
if ($Legacy) { $DefaultLog = '%windir%\pfirewall.log' }
if ($Request.Length -eq 0 -and [System.IO.File]::Exists($Saved)) { $Request = [System.IO.File]::ReadAllText($Saved) }

# A value under HKLM\<Path> as stored (environment variables not expanded), or $Default
# when the key or the value is not there.
function Get-RegValue([string]$Path, [string]$Name, $Default) {
    $k = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey($Path)
    if ($k -eq $null) { return $Default }
    try { return $k.GetValue($Name, $Default, 'DoNotExpandEnvironmentNames') } finally { $k.Close() }
}

function Read-Switch([string]$Text) {
    $parsed = @{ Op = ''; Listeners = $false; Arm = 0; Runner = ''; HoldMark = ''; Due = ''; Service = $null; Tail = $null; Profiles = (New-Object System.Collections.ArrayList); Logs = (New-Object System.Collections.ArrayList); Releases = (New-Object System.Collections.ArrayList) }
    $lines = $Text.Split([char]10)
    if ($lines[0].TrimEnd([char]13) -cne 'OCSFW2') { Fail 'bad request: it does not start with OCSFW2' }
    $ended = $false
    for ($n = 1; $n -lt $lines.Length; $n++) {
        $line = $lines[$n].TrimEnd([char]13)
        if ($line.Length -eq 0) { continue }
        if ($ended) { Fail 'bad request: text after END' }
        $f = $line.Split([char]9)
        $kind = $f[0]
        if ($kind -ceq 'OP' -and $f.Length -eq 2) { $parsed.Op = $f[1] }
        elseif ($kind -ceq 'ARM' -and $f.Length -eq 3) { $parsed.Arm = [int]::Parse($f[1], $Invariant); $parsed.Runner = (Dec $f[2]) }
        elseif ($kind -ceq 'HOLDMARK' -and $f.Length -eq 2) { $parsed.HoldMark = (Dec $f[1]) }
        elseif ($kind -ceq 'DUE' -and $f.Length -eq 2) { $parsed.Due = (Dec $f[1]) }
        elseif ($kind -ceq 'RELEASE' -and $f.Length -eq 3 -and -not $Legacy) { [void]$parsed.Releases.Add(@{ Group = (Dec $f[1]); Name = (Dec $f[2]) }) }
        elseif ($kind -ceq 'SERVICE' -and $f.Length -eq 3 -and $Starts.ContainsKey([int]::Parse($f[1], $Invariant))) { $parsed.Service = @{ Start = [int]::Parse($f[1], $Invariant); Running = ($f[2] -ceq '1') } }
        elseif ($kind -ceq 'SWITCH' -and $f.Length -eq 6 -and $Keys.ContainsKey([int]::Parse($f[1], $Invariant))) {
            [void]$parsed.Profiles.Add(@{ Type = [int]::Parse($f[1], $Invariant); Enabled = ($f[2] -ceq '1'); Inbound = ($f[3] -ceq '1'); Outbound = ($f[4] -ceq '1'); BlockAll = ($f[5] -ceq '1') })
        }
        elseif ($kind -ceq 'LOG' -and $f.Length -eq 4 -and $Keys.ContainsKey([int]::Parse($f[1], $Invariant))) {
            $size = [int]::Parse($f[3], $Invariant)
            if ($size -lt 1 -or $size -gt 32767) { Fail ('bad request: line ' + (Num ($n + 1)) + ': a log of ' + (Num $size) + ' KB (1 to 32767)') }
            [void]$parsed.Logs.Add(@{ Type = [int]::Parse($f[1], $Invariant); Dropped = ($f[2] -ceq '1'); Size = $size })
        }
        elseif ($kind -ceq 'LISTENERS' -and $f.Length -eq 1) { $parsed.Listeners = $true }
        elseif ($kind -ceq 'TAIL' -and $f.Length -eq 3) { $parsed.Tail = @{ Lines = [int]::Parse($f[1], $Invariant); Bytes = [int]::Parse($f[2], $Invariant) } }
        elseif ($kind -ceq 'END' -and $f.Length -eq 1) { $ended = $true }
        else { Fail ('bad request: unexpected line ' + ($n + 1)) }
    }
    if (-not $ended) { Fail 'bad request: no END line (truncated input?)' }
    $op = $parsed.Op
    if (@('state', 'switch', 'confirm', 'tail', 'rollback') -cnotcontains $op) { Fail 'bad request: OP must be state, switch, confirm, tail or rollback' }
    $changes = $parsed.Profiles.Count + $parsed.Logs.Count + [int]($parsed.Service -ne $null)
    if ($op -ceq 'switch' -and ($parsed.Arm -lt 1 -or $parsed.Arm -gt 1439 -or $parsed.Runner.Length -eq 0 -or $changes -eq 0)) { Fail 'bad request: a switch needs ARM (1 to 1439 minutes, and the runner) and a setting to change' }
    if ($op -ceq 'tail' -and ($parsed.Tail -eq $null -or $parsed.Tail.Lines -lt 1 -or $parsed.Tail.Bytes -lt 1 -or $parsed.Tail.Bytes -gt 1048576)) { Fail 'bad request: a tail needs TAIL (lines from 1, bytes 1 to 1048576)' }
    if ($parsed.Listeners -and $op -cne 'state') { Fail 'bad request: only a state read carries LISTENERS' }
    if ($parsed.Releases.Count -gt 0 -and $parsed.HoldMark.Length -eq 0) { Fail 'bad request: RELEASE needs a HOLDMARK' }
    if (@('switch', 'rollback') -cnotcontains $op -and $changes -gt 0) { Fail ('bad request: a ' + $op + ' changes no setting') }
    return $parsed
}

function Get-LogKey($Type) {
    return 'SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\' + $Keys[$Type] + '\Logging'
}

# The settings as they are, in the records of a request (SERVICE, SWITCH, LOG), so that a
# state read and the rollback a switch writes are the same lines.
function Get-Settings {
    $lines = New-Object System.Collections.ArrayList
    $start = Get-RegValue ('SYSTEM\CurrentControlSet\Services\' + $FirewallService) 'Start' 3
    $running = [string](Get-Service -Name $FirewallService).Status -ceq 'Running'
    [void]$lines.Add([string]::Join("`t", [string[]]@('SERVICE', (Num $start), (Flag $running))))
    if ($Legacy) { $manager = New-Object -ComObject HNetCfg.FwMgr }
    else { $policy = New-Object -ComObject HNetCfg.FwPolicy2 }
    foreach ($type in $Types) {
        if ($Legacy) {
            $p = $manager.LocalPolicy.GetProfileByType($type)
            $fields = 'SWITCH', (Num $type), (Flag $p.FirewallEnabled), '0', '1', (Flag $p.ExceptionsNotAllowed)
        }
        else {
            $fields = 'SWITCH', (Num $type), (Flag $policy.FirewallEnabled($type)), (Num $policy.DefaultInboundAction($type)), (Num $policy.DefaultOutboundAction($type)), (Flag $policy.BlockAllInboundTraffic($type))
        }
        [void]$lines.Add([string]::Join("`t", [string[]]$fields))
        $key = Get-LogKey $type
        [void]$lines.Add([string]::Join("`t", [string[]]@('LOG', (Num $type), (Flag ((Get-RegValue $key 'LogDroppedPackets' 0) -eq 1)), (Num (Get-RegValue $key 'LogFileSize' 4096)))))
    }
    return $lines
}

# What listens on the host and who is connected to it (.NET 2.0's IPGlobalProperties),
# for a state read that asks: every TCP and UDP listener, every established TCP connection.
function Emit-Listeners {
    $ip = [System.Net.NetworkInformation.IPGlobalProperties]::GetIPGlobalProperties()
    foreach ($e in $ip.GetActiveTcpListeners()) { Emit 'LISTENER', '6', (Enc $e.Address.ToString()), (Num $e.Port) }
    foreach ($e in $ip.GetActiveUdpListeners()) { Emit 'LISTENER', '17', (Enc $e.Address.ToString()), (Num $e.Port) }
    foreach ($c in $ip.GetActiveTcpConnections()) {
        if ([string]$c.State -ceq 'Established') { Emit 'CONNECTION', (Enc $c.LocalEndPoint.Address.ToString()), (Num $c.LocalEndPoint.Port), (Enc $c.RemoteEndPoint.Address.ToString()), (Num $c.RemoteEndPoint.Port) }
    }
}

function Invoke-State {
    Emit-Host
    foreach ($line in Get-Settings) { [System.Console]::Out.Write($line + "`n") }
    foreach ($type in $Types) {
        $path = Get-RegValue (Get-LogKey $type) 'LogFilePath' $DefaultLog
        Emit 'LOGPATH', (Num $type), (Enc $path)
    }
    if ([System.IO.File]::Exists($Saved)) {
        $due = ''
        foreach ($line in [System.IO.File]::ReadAllText($Saved).Split([char]10)) {
            if ($line.StartsWith("DUE`t", [StringComparison]::Ordinal)) { $due = $line.Substring(4) }
        }
        Emit 'PENDING', $due
    }
}

# A program the settings change through; its exit code says whether it worked (its text is
# in the host's language). What it writes to stderr is text here, not an error: with 'Stop'
# PowerShell 2.0 would throw at its first line.
function Invoke-Tool([string]$What, [string]$Program, [string[]]$Arguments) {
    $ErrorActionPreference = 'Continue'
    $out = & $Program $Arguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw ($What + ': ' + $Program + ' exited with ' + (Num $LASTEXITCODE) + ': ' + [string]::Join(' ', [string[]]@($out))) }
}

# The service first when it is to run (netsh needs it), last when a rollback stops it.
function Set-Settings($Req) {
    if ($Req.Service -ne $null -and $Req.Service.Running) { Set-FirewallService $Req.Service }
    Set-Switches $Req
    if ($Req.Service -ne $null -and -not $Req.Service.Running) { Set-FirewallService $Req.Service }
}

function Set-FirewallService($s) {
    if ($s -ne $null) {
        Invoke-Tool 'the service' 'sc.exe' @('config', $FirewallService, 'start=', $Starts[$s.Start])
        $status = [string](Get-Service -Name $FirewallService).Status
        if ($s.Running -and $status -cne 'Running') { Start-Service -Name $FirewallService }
        if ((-not $s.Running) -and $status -ceq 'Running') { Stop-Service -Name $FirewallService -Force }
        Emit 'SET', (Enc 'service')
    }
}

function Set-Switches($Req) {
    if ($Legacy) { $manager = New-Object -ComObject HNetCfg.FwMgr }
    foreach ($p in $Req.Profiles) {
        if ($Legacy) {
            $fw = $manager.LocalPolicy.GetProfileByType($p.Type)
            $fw.ExceptionsNotAllowed = $p.BlockAll
            $fw.FirewallEnabled = $p.Enabled
        }
        else {
            $inbound = 'blockinbound'
            if ($p.BlockAll) { $inbound = 'blockinboundalways' }
            elseif ($p.Inbound) { $inbound = 'allowinbound' }
            $outbound = 'blockoutbound'
            if ($p.Outbound) { $outbound = 'allowoutbound' }
            $state = 'off'
            if ($p.Enabled) { $state = 'on' }
            Invoke-Tool ('the ' + $Netsh[$p.Type]) 'netsh.exe' @('advfirewall', 'set', $Netsh[$p.Type], 'firewallpolicy', ($inbound + ',' + $outbound))
            Invoke-Tool ('the ' + $Netsh[$p.Type]) 'netsh.exe' @('advfirewall', 'set', $Netsh[$p.Type], 'state', $state)
        }
        Emit 'SET', (Enc ('profile ' + (Num $p.Type)))
    }
    foreach ($l in $Req.Logs) {
        $dropped = 'disable'
        if ($l.Dropped) { $dropped = 'enable' }
        # Windows Server 2003 keeps one log for both profiles.
        if ($Legacy) { Invoke-Tool 'the log' 'netsh.exe' @('firewall', 'set', 'logging', ('filesize=' + (Num $l.Size)), ('droppedpackets=' + $dropped)) }
        else {
            Invoke-Tool 'the log' 'netsh.exe' @('advfirewall', 'set', $Netsh[$l.Type], 'logging', 'maxfilesize', (Num $l.Size))
            Invoke-Tool 'the log' 'netsh.exe' @('advfirewall', 'set', $Netsh[$l.Type], 'logging', 'droppedconnections', $dropped)
        }
        Emit 'SET', (Enc ('log ' + (Num $l.Type)))
    }
}

# Rules this run held come back (only those whose description ends with the hold mark).
function Invoke-Release($Req) {
    if ($Req.Releases.Count -eq 0) { return }
    $policy = New-Object -ComObject HNetCfg.FwPolicy2
    foreach ($h in $Req.Releases) {
        $count = 0
        foreach ($r in $policy.Rules) {
            $text = [string]$r.Description
            if (-not ($NoCase.Equals([string]$r.Grouping, $h.Group) -and $NoCase.Equals([string]$r.Name, $h.Name) -and $text.EndsWith($Req.HoldMark, [StringComparison]::Ordinal))) { continue }
            $r.Enabled = $true
            $r.Description = $text.Substring(0, $text.Length - $Req.HoldMark.Length)
            $count++
        }
        Emit 'RELEASED', (Enc $h.Group), (Enc $h.Name), (Num $count)
    }
}

# The task (none may be there: schtasks then exits 1, which is fine) and both files.
function Remove-Rollback {
    $ErrorActionPreference = 'Continue'
    $null = & schtasks.exe /delete /tn $Task /f 2>&1
    $ErrorActionPreference = 'Stop'
    foreach ($file in $Runner, $Saved) { if ([System.IO.File]::Exists($file)) { [System.IO.File]::Delete($file) } }
}

# Commit confirmed: the rollback (the settings as they are, and the rules to release) is
# written beside its runner and armed as a daily task at the first minute after the delay
# (a daily task needs no date, whose format depends on the locale); whichever runs first,
# the rollback or the confirmation, removes the task and both files.
function Invoke-Switch($Req) {
    if ([System.IO.File]::Exists($Saved)) { Fail ('a rollback is armed already (' + $Saved + '): a switch waits until it has run or was confirmed') }
    if ($Temp.Contains(' ')) { Fail ('the rollback cannot be armed: ' + $Temp + ' has a space in its path') }
    $at = [System.DateTime]::Now.AddMinutes($Req.Arm + 1)
    $due = $at.ToString('yyyy-MM-dd HH:mm', $Invariant)
    # Not $saved: PowerShell's names ignore case, and that one is the file's path.
    $rollback = New-Object System.Text.StringBuilder
    [void]$rollback.Append("OCSFW2`nOP`trollback`nDUE`t").Append((Enc $due)).Append("`n")
    foreach ($line in Get-Settings) { [void]$rollback.Append($line).Append("`n") }
    if ($Req.Releases.Count -gt 0) {
        [void]$rollback.Append("HOLDMARK`t").Append((Enc $Req.HoldMark)).Append("`n")
        foreach ($h in $Req.Releases) { [void]$rollback.Append("RELEASE`t").Append((Enc $h.Group)).Append("`t").Append((Enc $h.Name)).Append("`n") }
    }
    [void]$rollback.Append("END`n")
    $start = $at.ToString('HH:mm', $Invariant)
    if ($Legacy) { $start = $at.ToString('HH:mm:00', $Invariant) }
    $run = 'powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File ' + $Runner
    try {
        Remove-Rollback
        [System.IO.File]::WriteAllText($Runner, $Req.Runner, $Utf8)
        [System.IO.File]::WriteAllText($Saved, $rollback.ToString(), $Utf8)
        Invoke-Tool 'the rollback task' 'schtasks.exe' @('/create', '/tn', $Task, '/tr', $run, '/sc', 'daily', '/st', $start, '/ru', 'SYSTEM')
    }
    catch {
        Remove-Rollback
        Fail ('the rollback could not be armed, nothing was changed: ' + (Describe $_))
    }
    Emit 'ARMED', (Enc $Task), (Enc $due)
    try { Set-Settings $Req }
    catch {
        $reason = Describe $_
        Invoke-Rollback (Read-Switch ([System.IO.File]::ReadAllText($Saved)))
        Fail ('a setting was refused, and the previous settings were restored: ' + $reason)
    }
}

function Invoke-Rollback($Req) {
    Set-Settings $Req
    Invoke-Release $Req
    Remove-Rollback
}

function Invoke-Confirm {
    $armed = [System.IO.File]::Exists($Saved)
    Remove-Rollback
    Emit 'CONFIRMED', (Flag $armed)
}

# The last lines of each log file the profiles name: at most Bytes bytes from its end, the
# first (partial) line of the window dropped, then at most Lines lines.
function Invoke-Tail($Req) {
    $paths = New-Object System.Collections.Hashtable($NoCase)
    foreach ($type in $Types) {
        $path = Get-RegValue (Get-LogKey $type) 'LogFilePath' $DefaultLog
        $path = [System.Environment]::ExpandEnvironmentVariables($path)
        if ($paths.ContainsKey($path)) { continue }
        $paths[$path] = $true
        if (-not [System.IO.File]::Exists($path)) { Emit 'LOGFILE', (Enc $path), '-1'; continue }
        $stream = New-Object System.IO.FileStream($path, 'Open', 'Read', 'ReadWrite')
        try {
            $size = $stream.Length
            $skip = [Math]::Max([int64]0, $size - $Req.Tail.Bytes)
            $null = $stream.Seek($skip, 'Begin')
            $buffer = New-Object byte[] ([int]($size - $skip))
            $read = 0
            while ($read -lt $buffer.Length) {
                $got = $stream.Read($buffer, $read, $buffer.Length - $read)
                if ($got -le 0) { break }
                $read += $got
            }
        }
        finally { $stream.Close() }
        Emit 'LOGFILE', (Enc $path), (Num $size)
        # The file ends with a line feed: no empty last line.
        $lines = $Utf8.GetString($buffer, 0, $read).TrimEnd([char]10).Split([char]10)
        $first = 0
        if ($skip -gt 0) { $first = 1 }
        $first = [Math]::Max($first, $lines.Length - $Req.Tail.Lines)
        for ($i = $first; $i -lt $lines.Length; $i++) {
            $line = $lines[$i].TrimEnd([char]13)
            if ($line.Length -gt 0) { Emit 'LOGLINE', (Enc $line) }
        }
    }
}

[System.Console]::Out.Write("OCSFW2`n")
try {
    $req = Read-Switch $Request
    if ($req.Op -ceq 'state') { $null = Invoke-State; if ($req.Listeners) { Emit-Listeners } }
    elseif ($req.Op -ceq 'switch') { $null = Invoke-Switch $req }
    elseif ($req.Op -ceq 'confirm') { $null = Invoke-Confirm }
    elseif ($req.Op -ceq 'tail') { $null = Invoke-Tail $req }
    else { $null = Invoke-Rollback $req }
    Emit 'DONE'
    [System.Console]::Out.Flush()
}
catch {
    Fail (Describe $_)
}
exit 0
