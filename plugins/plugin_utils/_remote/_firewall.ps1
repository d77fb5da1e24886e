# ocs.firewall remote script, protocol OCSFW2 (see docs/dev/contracts.md in the source tree).
# Reads or changes Windows Firewall rules through the HNetCfg.FwPolicy2 COM API (Windows
# Server 2008 / 2008 R2), or the entries of HNetCfg.FwMgr's GloballyOpenPorts on Windows
# Server 2003 (OS major version below 6), which has no rules. Written for PowerShell 2.0.
# It runs after _prelude.ps1 (the request, the encodings, Emit, Fail, Describe).
$NoRuleGroups = 'this host runs Windows Server 2003 (' + $OsVersion.ToString() + '), which has no rule groups'

function Read-LegacyProfile([string]$Field, [int]$Line) {
    $type = [int]::Parse($Field, $Invariant)
    if ($type -ne 0 -and $type -ne 1) { Fail ('bad request: line ' + (Num $Line) + ': profile ' + (Num $type) + ' is not 0 (Domain) or 1 (Standard)') }
    return $type
}

function Read-Request([string]$Text) {
    $parsed = @{ Op = ''; Marker = ''; Seen = ''; HoldMark = ''; Watch = (New-Object System.Collections.ArrayList); Groups = (New-Object System.Collections.ArrayList); Sections = (New-Object System.Collections.ArrayList); Opens = (New-Object System.Collections.ArrayList); Closes = (New-Object System.Collections.ArrayList); HOLD = (New-Object System.Collections.ArrayList); RELEASE = (New-Object System.Collections.ArrayList) }
    $lines = $Text.Split([char]10)
    $seenVersion = $false
    $ended = $false
    $section = $null
    for ($n = 0; $n -lt $lines.Length; $n++) {
        $line = $lines[$n].TrimEnd([char]13)
        if ($line.Length -eq 0) { continue }
        if ($ended) { Fail 'bad request: text after END' }
        $f = $line.Split([char]9)
        if (-not $seenVersion) {
            if ($line -cne 'OCSFW2') { Fail 'bad request: it does not start with OCSFW2' }
            $seenVersion = $true
            continue
        }
        $kind = $f[0]
        if ($kind -ceq 'OP' -and $f.Length -eq 2) { $parsed.Op = $f[1] }
        elseif ($kind -ceq 'MARKER' -and $f.Length -eq 2) { $parsed.Marker = (Dec $f[1]) }
        elseif ($kind -ceq 'WATCH' -and $f.Length -eq 2) { [void]$parsed.Watch.Add((Dec $f[1])) }
        elseif ($kind -ceq 'SEEN' -and $f.Length -eq 2 -and $f[1] -cmatch '^[0-9a-f]{40}$') { $parsed.Seen = $f[1] }
        elseif ($kind -ceq 'GROUP' -and $f.Length -eq 2) {
            $group = (Dec $f[1])
            [void]$parsed.Groups.Add($group)
            $section = @{ Group = $group; Owns = ''; Removes = (New-Object System.Collections.ArrayList); Adds = (New-Object System.Collections.ArrayList) }
            [void]$parsed.Sections.Add($section)
        }
        elseif ($kind -ceq 'OWNS' -and $f.Length -eq 2 -and $section -ne $null -and $section.Removes.Count -eq 0 -and $section.Adds.Count -eq 0) { $section.Owns = (Dec $f[1]) }
        # Each Windows takes the records of its own API only.
        elseif ($Legacy -and @('REMOVE', 'ADD', 'HOLD', 'RELEASE', 'HOLDMARK') -ccontains $kind) { Fail ('bad request: ' + $NoRuleGroups) }
        elseif ((-not $Legacy) -and ($kind -ceq 'OPEN' -or $kind -ceq 'CLOSE')) { Fail 'bad request: OPEN and CLOSE are for Windows Server 2003 hosts' }
        elseif ($kind -ceq 'REMOVE' -and $f.Length -eq 2 -and $section -ne $null) { [void]$section.Removes.Add((Dec $f[1])) }
        elseif ($kind -ceq 'HOLDMARK' -and $f.Length -eq 2) { $parsed.HoldMark = (Dec $f[1]) }
        elseif ($kind -cmatch '^(HOLD|RELEASE)$' -and $f.Length -eq 3) { [void]$parsed[$kind].Add(@{ Group = (Dec $f[1]); Name = (Dec $f[2]) }) }
        elseif ($kind -ceq 'ADD' -and $f.Length -eq 12 -and $section -ne $null) {
            [void]$section.Adds.Add(@{
                Name = (Dec $f[1]); Description = (Dec $f[2])
                Direction = [int]::Parse($f[3], $Invariant); Action = [int]::Parse($f[4], $Invariant)
                Protocol = [int]::Parse($f[5], $Invariant)
                LocalPorts = (Dec $f[6]); RemotePorts = (Dec $f[7])
                LocalAddresses = (Dec $f[8]); RemoteAddresses = (Dec $f[9])
                Profiles = [int]::Parse($f[10], $Invariant); Enabled = ($f[11] -ceq '1')
            })
        }
        elseif ($kind -ceq 'OPEN' -and $f.Length -eq 8) {
            [void]$parsed.Opens.Add(@{
                Profile = (Read-LegacyProfile $f[1] ($n + 1)); Port = [int]::Parse($f[2], $Invariant)
                Protocol = [int]::Parse($f[3], $Invariant); Name = (Dec $f[4])
                RemoteAddresses = (Dec $f[5]); Enabled = ($f[6] -ceq '1'); Adopt = ($f[7] -ceq '1')
            })
        }
        elseif ($kind -ceq 'CLOSE' -and $f.Length -eq 5) {
            [void]$parsed.Closes.Add(@{
                Profile = (Read-LegacyProfile $f[1] ($n + 1)); Port = [int]::Parse($f[2], $Invariant)
                Protocol = [int]::Parse($f[3], $Invariant); Name = (Dec $f[4])
            })
        }
        elseif ($kind -ceq 'END' -and $f.Length -eq 1) { $ended = $true }
        else { Fail ('bad request: unexpected line ' + ($n + 1)) }
    }
    if (-not $ended) { Fail 'bad request: no END line (truncated input?)' }
    if ($parsed.Op -cne 'read' -and $parsed.Op -cne 'apply') { Fail 'bad request: OP must be read or apply' }
    if ($parsed.Op -ceq 'read' -and ($parsed.Watch.Count -gt 0 -or $parsed.Seen.Length -gt 0)) { Fail 'bad request: a read carries no WATCH or SEEN line' }
    $holding = $parsed.HOLD.Count + $parsed.RELEASE.Count
    if ($parsed.Op -ceq 'read' -and ($holding -gt 0 -or $parsed.HoldMark.Length -gt 0)) { Fail 'bad request: a read carries no HOLD, RELEASE or HOLDMARK line' }
    if ($holding -gt 0 -and $parsed.HoldMark.Length -eq 0) { Fail 'bad request: HOLD and RELEASE need a HOLDMARK' }
    if ($Legacy) {
        # A read's groups are ignored (every entry is read); an apply has none.
        $ports = $parsed.Opens.Count + $parsed.Closes.Count
        if ($parsed.Op -ceq 'apply' -and $parsed.Groups.Count -gt 0) { Fail ('bad request: ' + $NoRuleGroups) }
        if ($parsed.Op -ceq 'read' -and $ports -gt 0) { Fail 'bad request: a read carries no OPEN or CLOSE lines' }
        if ($parsed.Op -ceq 'apply' -and ($ports -eq 0 -or $parsed.Marker.Length -eq 0)) { Fail 'bad request: apply needs a MARKER and at least one OPEN or CLOSE line' }
    }
    elseif ($parsed.Op -ceq 'apply' -and (($parsed.Sections.Count + $holding) -eq 0 -or $parsed.Marker.Length -eq 0)) { Fail 'bad request: apply needs a MARKER and at least one GROUP, HOLD or RELEASE' }
    return $parsed
}

# True when the rule's description ends with the marker of the rules the collection made
# (the request's MARKER is that regular expression; -cmatch is case-sensitive).
function Test-Marked($Rule, [string]$Marker) {
    return ([string]$Rule.Description) -cmatch $Marker
}

# A rule as a read reports it: its RULE line (also what a digest is made of).
function Get-RuleLine($r) {
    return [string]::Join("`t", [string[]]@('RULE', (Enc $r.Name), (Enc $r.Description), (Enc ([string]$r.Grouping)), (Num $r.Direction), (Num $r.Action), (Num $r.Protocol), (Enc $r.LocalPorts), (Enc $r.RemotePorts), (Enc $r.LocalAddresses), (Enc $r.RemoteAddresses), (Num $r.Profiles), (Flag $r.Enabled), (Enc $r.ApplicationName), (Enc $r.serviceName), (Enc $r.IcmpTypesAndCodes)))
}

# What the controller read, as a digest: SHA-1 (change detection, not security; FIPS-validated
# in .NET 2.0) of the lines, sorted ordinally, each followed by a line feed, as UTF-8.
function Get-Digest($Lines) {
    $sorted = [string[]]$Lines.ToArray()
    [Array]::Sort($sorted, [System.StringComparer]::Ordinal)
    $text = New-Object System.Text.StringBuilder
    foreach ($line in $sorted) { [void]$text.Append($line).Append("`n") }
    $sha = New-Object System.Security.Cryptography.SHA1CryptoServiceProvider
    $hash = $sha.ComputeHash($Utf8.GetBytes($text.ToString()))
    return ([System.BitConverter]::ToString($hash)).Replace('-', '').ToLowerInvariant()
}

# The digest of the rules of the groups of $Watch (a hashtable of group names, no case).
function Get-GroupDigest($Policy, $Watch) {
    $lines = New-Object System.Collections.ArrayList
    foreach ($r in $Policy.Rules) {
        if ($Watch.ContainsKey([string]$r.Grouping)) { [void]$lines.Add((Get-RuleLine $r)) }
    }
    return (Get-Digest $lines)
}

# A DWORD that group policy sets under HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall\<Key>
# ([MS-GPFAS]), as digits; -1 when the policy does not set it.
function Get-PolicyValue([string]$Key, [string]$Name) {
    $k = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey('SOFTWARE\Policies\Microsoft\WindowsFirewall\' + $Key)
    if ($k -eq $null) { return '-1' }
    try { $v = $k.GetValue($Name) } finally { $k.Close() }
    if (-not ($v -is [int])) { return '-1' }
    return (Num $v)
}

function Invoke-Read($Policy, $Groups, [string]$Marker) {
    $wanted = New-Object System.Collections.Hashtable($NoCase)
    foreach ($g in $Groups) { $wanted[$g] = $true }
    $all = ($wanted.Count -eq 0 -and $Marker.Length -eq 0)
    Emit-Host
    foreach ($type in 1, 2, 4) {
        $enabled = $Policy.FirewallEnabled($type)
        $inbound = $Policy.DefaultInboundAction($type)
        $outbound = $Policy.DefaultOutboundAction($type)
        Emit 'PROFILE', (Num $type), (Flag $enabled), (Num $inbound), (Num $outbound)
    }
    # What Windows enforces above the local rules: the profiles in use, whether a change to
    # the local rules takes effect in them (NET_FW_MODIFY_STATE), and group policy's values.
    Emit 'CURRENT', (Num $Policy.CurrentProfileTypes), (Num $Policy.LocalPolicyModifyState)
    $keys = @{ 1 = 'DomainProfile'; 2 = 'PrivateProfile'; 4 = 'PublicProfile' }
    foreach ($type in 1, 2, 4) {
        $k = $keys[$type]
        Emit 'POLICY', (Num $type), (Flag $Policy.BlockAllInboundTraffic($type)), (Get-PolicyValue $k 'EnableFirewall'), (Get-PolicyValue $k 'DefaultInboundAction'), (Get-PolicyValue $k 'AllowLocalPolicyMerge'), (Get-PolicyValue $k 'DoNotAllowExceptions')
    }
    foreach ($r in $Policy.Rules) {
        $grouping = [string]$r.Grouping
        if (-not ($all -or $wanted.ContainsKey($grouping) -or ($Marker.Length -gt 0 -and (Test-Marked $r $Marker)))) { continue }
        [System.Console]::Out.Write((Get-RuleLine $r) + "`n")
    }
}

function New-Rule($Add, [string]$Group) {
    $rule = New-Object -ComObject HNetCfg.FWRule
    $rule.Name = $Add.Name
    if ($Add.Description.Length -gt 0) { $rule.Description = $Add.Description }
    # Ports are only valid once the protocol is TCP or UDP, so the protocol goes first.
    $rule.Protocol = $Add.Protocol
    if ($Add.LocalPorts.Length -gt 0 -and $Add.LocalPorts -ne '*') { $rule.LocalPorts = $Add.LocalPorts }
    if ($Add.RemotePorts.Length -gt 0 -and $Add.RemotePorts -ne '*') { $rule.RemotePorts = $Add.RemotePorts }
    if ($Add.LocalAddresses.Length -gt 0 -and $Add.LocalAddresses -ne '*') { $rule.LocalAddresses = $Add.LocalAddresses }
    if ($Add.RemoteAddresses.Length -gt 0 -and $Add.RemoteAddresses -ne '*') { $rule.RemoteAddresses = $Add.RemoteAddresses }
    $rule.Direction = $Add.Direction
    $rule.Action = $Add.Action
    $rule.Profiles = $Add.Profiles
    $rule.Grouping = $Group
    $rule.Enabled = $Add.Enabled
    return $rule
}

# Three phases, so that no port the request keeps is ever closed: every rule to replace or
# remove is renamed to a tombstone (a renamed rule still filters), every new rule is added,
# and only then are the tombstones removed. A failure in the first two phases leaves every
# old rule in effect; the controller removes leftover tombstones on its next run. Before
# anything, a request that saw the watched groups otherwise than they are now (another run
# came between) changes nothing: STALE, and the controller reads again.
# Holds (disables) or releases the rules of each HOLD or RELEASE item. A held rule's
# description ends with HOLDMARK, so a release brings back exactly the rules a hold
# disabled, description as it was; a rule someone else disabled is never held.
function Set-Held($Index, $Items, [string]$HoldMark, [bool]$Hold) {
    foreach ($h in $Items) {
        $count = 0
        $key = $h.Group + '|' + $h.Name
        if ($Index.ContainsKey($key)) {
            foreach ($r in $Index[$key]) {
                $text = [string]$r.Description
                $held = $text.EndsWith($HoldMark, [StringComparison]::Ordinal)
                if (($Hold -and -not $r.Enabled) -or -not ($Hold -or $held)) { continue }
                try {
                    if ($Hold -and -not $held) { $r.Description = $text + $HoldMark }
                    $r.Enabled = -not $Hold
                    if ((-not $Hold) -and $held) { $r.Description = $text.Substring(0, $text.Length - $HoldMark.Length) }
                }
                catch { Fail ('rule ' + $h.Name + ' of group ' + $h.Group + ' was refused, nothing was removed: ' + (Describe $_)) }
                $count++
            }
        }
        if ($Hold) { Emit 'HELD', (Enc $h.Group), (Enc $h.Name), (Num $count) }
        else { Emit 'RELEASED', (Enc $h.Group), (Enc $h.Name), (Num $count) }
    }
}

function Invoke-Apply($Policy, [string]$Marker, $Sections, $WatchList, [string]$Seen, $Holds, $Releases, [string]$HoldMark) {
    foreach ($s in @($Sections) + @($Holds) + @($Releases)) {
        if ($s.Group.StartsWith('@')) { Fail ('bad request: group ' + $s.Group + ' is a built-in group, which the collection never changes; nothing was changed') }
    }
    $watch = New-Object System.Collections.Hashtable($NoCase)
    foreach ($g in $WatchList) { $watch[$g] = $true }
    if ($Seen.Length -gt 0) {
        $now = Get-GroupDigest $Policy $watch
        if ($now -cne $Seen) {
            Emit 'STALE', $now
            return
        }
    }
    # Index the rules of the request's groups once; names and groups compare as Windows
    # compares them (no case). '|' cannot occur in either, so it separates them.
    $groups = New-Object System.Collections.Hashtable($NoCase)
    foreach ($s in @($Sections) + @($Holds) + @($Releases)) { $groups[$s.Group] = $true }
    $index = New-Object System.Collections.Hashtable($NoCase)
    foreach ($r in $Policy.Rules) {
        $grouping = [string]$r.Grouping
        if (-not $groups.ContainsKey($grouping)) { continue }
        $key = $grouping + '|' + [string]$r.Name
        if (-not $index.ContainsKey($key)) { $index[$key] = New-Object System.Collections.ArrayList }
        [void]$index[$key].Add($r)
    }
    $retired = New-Object System.Collections.ArrayList
    foreach ($s in $Sections) {
        foreach ($name in $s.Removes) {
            $tombs = New-Object System.Collections.ArrayList
            $key = $s.Group + '|' + $name
            $owns = $Marker
            if ($s.Owns.Length -gt 0) { $owns = $s.Owns }
            if ($index.ContainsKey($key)) {
                foreach ($r in $index[$key]) {
                    # Never a rule the collection did not make, whatever its name: its
                    # description ends with the marker this section owns.
                    if (-not (Test-Marked $r $owns)) { continue }
                    # Rules.Remove(name) drops every rule of that name, in any group: give
                    # ours a name nobody else has, and remove that name later.
                    $tombstone = 'ocs.firewall-removing-' + [System.Guid]::NewGuid().ToString('N')
                    $r.Name = $tombstone
                    [void]$tombs.Add($tombstone)
                }
                $index.Remove($key)
            }
            [void]$retired.Add(@{ Group = $s.Group; Name = $name; Tombs = $tombs })
            Emit 'RETIRED', (Enc $s.Group), (Enc $name), (Num $tombs.Count)
        }
    }
    foreach ($s in $Sections) {
        foreach ($a in $s.Adds) {
            try {
                $rule = New-Rule $a $s.Group
                $null = $Policy.Rules.Add($rule)
            }
            catch { Fail ('rule ' + $a.Name + ' of group ' + $s.Group + ' was refused, nothing was removed: ' + (Describe $_)) }
            Emit 'ADDED', (Enc $s.Group), (Enc $a.Name)
        }
    }
    # Rules of someone else's group that the collection's rules cover now that they are all
    # in place: those it disabled come back first, then those to hold are disabled.
    foreach ($hold in $false, $true) {
        $items = $Releases
        if ($hold) { $items = $Holds }
        Set-Held $index $items $HoldMark $hold
    }
    foreach ($t in $retired) {
        foreach ($tombstone in $t.Tombs) { $null = $Policy.Rules.Remove($tombstone) }
        Emit 'REMOVED', (Enc $t.Group), (Enc $t.Name), (Num $t.Tombs.Count)
    }
    # What the next request of a split apply will have seen.
    if ($watch.Count -gt 0) { Emit 'DIGEST', (Get-GroupDigest $Policy $watch) }
}

# --- Windows Server 2003: INetFwOpenPort entries, keyed by (port, protocol) per profile --

$LegacyProfileNames = @{ 0 = 'Domain'; 1 = 'Standard' }

function Get-LegacyKey($Type, $Port, $Protocol) {
    return (Num $Type) + '|' + (Num $Port) + '|' + (Num $Protocol)
}

function Get-LegacyEntries($Profiles) {
    $index = @{}
    foreach ($type in 0, 1) {
        foreach ($p in $Profiles[$type].GloballyOpenPorts) { $index[(Get-LegacyKey $type $p.Port $p.Protocol)] = $p }
    }
    return $index
}

function Get-LegacyProfiles($Manager) {
    $profiles = @{}
    foreach ($type in 0, 1) { $profiles[$type] = $Manager.LocalPolicy.GetProfileByType($type) }
    return $profiles
}

# 5061/TCP: how a message names an entry's key.
function Format-LegacyKey($Item) {
    $transport = 'protocol ' + (Num $Item.Protocol)
    if ($Item.Protocol -eq 6) { $transport = 'TCP' }
    elseif ($Item.Protocol -eq 17) { $transport = 'UDP' }
    return (Num $Item.Port) + '/' + $transport
}

# A 2003 host holds few entries: a read returns every entry of both profiles.
function Invoke-LegacyRead($Manager) {
    Emit-Host
    $profiles = Get-LegacyProfiles $Manager
    $current = [int]$Manager.CurrentProfileType
    foreach ($type in 0, 1) {
        $p = $profiles[$type]
        Emit 'LEGACY', (Num $type), (Flag $p.FirewallEnabled), (Flag $p.ExceptionsNotAllowed), (Flag ($type -eq $current))
    }
    foreach ($type in 0, 1) {
        $key = $LegacyProfileNames[$type] + 'Profile'
        Emit 'LEGACYPOLICY', (Num $type), (Get-PolicyValue $key 'EnableFirewall'), (Get-PolicyValue $key 'DoNotAllowExceptions'), (Get-PolicyValue ($key + '\GloballyOpenPorts') 'AllowUserPrefMerge')
    }
    foreach ($type in 0, 1) {
        foreach ($e in $profiles[$type].GloballyOpenPorts) { [System.Console]::Out.Write((Get-OpenPortLine $type $e) + "`n") }
    }
}

# An entry as a read reports it: its OPENPORT line (also what a digest is made of).
function Get-OpenPortLine($Type, $e) {
    return [string]::Join("`t", [string[]]@('OPENPORT', (Num $Type), (Num $e.Port), (Num $e.Protocol), (Enc $e.Name), (Flag $e.Enabled), (Num $e.Scope), (Enc $e.RemoteAddresses), (Flag $e.BuiltIn)))
}

function Get-LegacyDigest($Profiles) {
    $lines = New-Object System.Collections.ArrayList
    foreach ($type in 0, 1) {
        foreach ($e in $Profiles[$type].GloballyOpenPorts) { [void]$lines.Add((Get-OpenPortLine $type $e)) }
    }
    return (Get-Digest $lines)
}

function New-LegacyEntry($Open) {
    $entry = New-Object -ComObject HNetCfg.FWOpenPort
    $entry.Name = $Open.Name
    $entry.Protocol = $Open.Protocol
    $entry.Port = $Open.Port
    # Scope takes only all (0) and local subnet (1); other scopes are RemoteAddresses.
    if ($Open.RemoteAddresses -ceq 'LocalSubnet') { $entry.Scope = 1 }
    elseif ($Open.RemoteAddresses.Length -gt 0 -and $Open.RemoteAddresses -ne '*') { $entry.RemoteAddresses = $Open.RemoteAddresses }
    $entry.Enabled = $Open.Enabled
    return $entry
}

# Three phases, so that no port the request keeps is ever closed: every OPEN is checked
# before anything changes (a key held by an entry that is built in, or not ours and not to
# be adopted, stops the request), then every OPEN is added (Add overwrites the key's
# entry, so an update never closes its port), and only then are entries closed.
function Invoke-LegacyApply($Manager, [string]$Marker, $Opens, $Closes, [string]$Seen) {
    $profiles = Get-LegacyProfiles $Manager
    if ($Seen.Length -gt 0) {
        $now = Get-LegacyDigest $profiles
        if ($now -cne $Seen) {
            Emit 'STALE', $now
            return
        }
    }
    $index = Get-LegacyEntries $profiles
    foreach ($o in $Opens) {
        $key = Get-LegacyKey $o.Profile $o.Port $o.Protocol
        if (-not $index.ContainsKey($key)) { continue }
        $held = $index[$key]
        $holds = $LegacyProfileNames[$o.Profile] + ' profile: entry ''' + [string]$held.Name + ''' holds ' + (Format-LegacyKey $o)
        if ($held.BuiltIn) { Fail ($holds + ' and is built in; nothing was changed') }
        if (-not $o.Adopt -and -not ([string]$held.Name -cmatch $Marker)) { Fail ($holds + ' and is not the collection''s; nothing was changed') }
    }
    foreach ($o in $Opens) {
        try {
            $entry = New-LegacyEntry $o
            $null = $profiles[$o.Profile].GloballyOpenPorts.Add($entry)
        }
        catch { Fail ($LegacyProfileNames[$o.Profile] + ' profile: entry ''' + $o.Name + ''' (' + (Format-LegacyKey $o) + ') was refused, nothing was closed: ' + (Describe $_)) }
        Emit 'OPENED', (Num $o.Profile), (Num $o.Port), (Num $o.Protocol)
    }
    $index = Get-LegacyEntries $profiles
    foreach ($c in $Closes) {
        $count = 0
        $key = Get-LegacyKey $c.Profile $c.Port $c.Protocol
        if ($index.ContainsKey($key)) {
            $held = $index[$key]
            # Only the very entry the controller read, and only one of ours.
            if (([string]$held.Name -ceq $c.Name) -and ($c.Name -cmatch $Marker) -and -not $held.BuiltIn) {
                $null = $profiles[$c.Profile].GloballyOpenPorts.Remove($c.Port, $c.Protocol)
                $count = 1
            }
        }
        Emit 'CLOSED', (Num $c.Profile), (Num $c.Port), (Num $c.Protocol), (Num $count)
    }
    # What the next request of a split apply will have seen.
    if ($Seen.Length -gt 0) { Emit 'DIGEST', (Get-LegacyDigest $profiles) }
}

# Records go straight to the console; anything else a call might write to the pipeline is
# dropped ($null =) so it cannot end up in the reply.
[System.Console]::Out.Write("OCSFW2`n")
try {
    $req = Read-Request $Request
    if ($Legacy) {
        $manager = New-Object -ComObject HNetCfg.FwMgr
        if ($req.Op -ceq 'read') { $null = Invoke-LegacyRead $manager }
        else { $null = Invoke-LegacyApply $manager $req.Marker $req.Opens $req.Closes $req.Seen }
    }
    else {
        $policy = New-Object -ComObject HNetCfg.FwPolicy2
        if ($req.Op -ceq 'read') {
            $null = Invoke-Read $policy $req.Groups $req.Marker
        }
        else {
            $null = Invoke-Apply $policy $req.Marker $req.Sections $req.Watch $req.Seen $req.HOLD $req.RELEASE $req.HoldMark
        }
    }
    Emit 'DONE'
    [System.Console]::Out.Flush()
}
catch {
    Fail (Describe $_)
}
exit 0
