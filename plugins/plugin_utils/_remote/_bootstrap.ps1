# ocs.firewall bootstrap (PowerShell 2.0): stdin is <script> NUL NUL NUL NUL <request>.
# PowerShell reads the whole command before it runs a line of it, so every line here must
# be one PowerShell 1.0 can read (no -join, -split, block comments, splatting, try/catch),
# or a 1.0 host stops with a parse error instead of reaching the check below.
$ErrorActionPreference = 'Stop'
# PowerShell 1.0 has no $PSVersionTable and no [ScriptBlock]::Create.
if ($PSVersionTable -eq $null) { [Console]::Error.WriteLine('ocs.firewall: PowerShell 2.0 or later is needed (Windows Management Framework 2.0, KB968930)'); exit 4 }
$ocsIn = [string]::Join("`n", [string[]]@($input))
$ocsAt = $ocsIn.IndexOf("`0`0`0`0", [StringComparison]::Ordinal)
if ($ocsAt -le 0) { [Console]::Error.WriteLine('ocs.firewall: no script before the separator on stdin'); exit 3 }
& ([ScriptBlock]::Create($ocsIn.Substring(0, $ocsAt))) $ocsIn.Substring($ocsAt + 4)
exit $LASTEXITCODE
