"""Simulated Windows hosts that speak WinRM on 127.0.0.1, for testing ocs.firewall.

Development only: the package lives in ``dev/lab`` and is not shipped with the collection
(``dev`` is in ``build_ignore`` of galaxy.yml). Run it as
``PYTHONPATH=dev/lab python -m ocs_lab ...`` or use :mod:`ocs_lab.api` from Python (the
tests' set-up puts ``dev/lab`` on ``sys.path``).

A host runs only the collection's own ``plugins/plugin_utils/_remote/_bootstrap.ps1`` fed
``_prelude.ps1`` + ``_firewall.ps1`` or ``_prelude.ps1`` + ``_switch.ps1`` (read from
``api.DEFAULT_SCRIPTS_DIR`` unless told otherwise), and plays those scripts in Python
against a simulated Windows Firewall (:mod:`ocs_lab.firewall`, :mod:`ocs_lab.switch`),
which it also enforces on the connections the host accepts (:mod:`ocs_lab.gate`).

The lab's canonicalisation of rule values (how Windows stores ports, addresses and
profiles) is deliberately independent of the plugin's (in ``plugins/plugin_utils/``): no
code is shared or imported either way. It is a second opinion, so that a mistake in the
plugin shows up as a disagreement with the lab rather than being repeated by it.

Modules: ``api`` (start/stop/dump/trace/set_fault), ``__main__`` (the CLI on top of it),
``inventory`` (reads the Ansible inventory, writes the lab's), ``state`` (the state
folder, the lab clock), ``server`` and ``wsman`` (the WinRM endpoints), ``powershell1``
(what PowerShell 1.0 makes of the bootstrap), ``certs`` (HTTPS), ``firewall``
(the request handler and the rule store), ``legacy`` (the same for a Windows Server 2003
host: port entries in two profiles), ``switch`` (the switch script: the service, the
profile switches, the logs, the rollback task), ``gate`` (the firewall judging the
controller's connections, the log's lines), ``seed`` with ``seed_rules.json`` (the rules,
or 2003 entries, a fresh host carries, and what it listens on).
"""
