# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the host's firewall, over the task's own connection.
"""The host's firewall over WinRM: layer 4, the only package that talks to a host.

* ``_bootstrap.ps1`` and ``_firewall.ps1``: the fixed command and the PowerShell 2.0 script
  the host runs, fed the request on stdin;
* :mod:`._wire`: the OCSFW2 protocol, encoded and decoded (docs/dev/contracts.md);
* :mod:`._convert`: the rule model to the wire's records and back;
* :mod:`._platform`: what each Windows and WinRM version takes, and the hints for when a
  connection fails;
* :mod:`._client`: ``RemoteFirewall``, whose ``read`` returns a typed ``RulesRead`` or
  ``EntriesRead`` and whose one ``send`` loop carries every apply, a 2008 host's
  ``GroupBatch`` or a 2003 host's batch, with the digest that refuses a stale one.
"""
