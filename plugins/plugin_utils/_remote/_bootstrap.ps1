# ocs.firewall bootstrap (PowerShell 2.0): stdin is <script> NUL NUL NUL NUL <request>.
$ErrorActionPreference = 'Stop'
# PowerShell 1.0 has no $PSVersionTable and no [ScriptBlock]::Create.
if ($PSVersionTable -eq $null) { [Console]::Error.WriteLine('ocs.firewall: PowerShell 2.0 or later is needed (Windows Management Framework 2.0, KB968930)'); exit 4 }
$ocsIn = @($input) -join "`n"
$ocsAt = $ocsIn.IndexOf("`0`0`0`0", [StringComparison]::Ordinal)
if ($ocsAt -le 0) { [Console]::Error.WriteLine('ocs.firewall: no script before the separator on stdin'); exit 3 }
& ([ScriptBlock]::Create($ocsIn.Substring(0, $ocsAt))) $ocsIn.Substring($ocsAt + 4)
exit $LASTEXITCODE
