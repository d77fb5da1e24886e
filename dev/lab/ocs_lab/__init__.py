"""Simulated Windows hosts that speak WinRM on 127.0.0.1, for testing ocs.firewall.

Not shipped with the collection (``build_ignore`` in galaxy.yml). Run it as
``PYTHONPATH=lab python -m ocs_lab ...`` or use :mod:`ocs_lab.api` from Python.
"""
