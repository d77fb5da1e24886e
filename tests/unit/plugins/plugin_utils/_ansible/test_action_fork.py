"""A worker Ansible forks leaves the objects it inherited out of its garbage collector."""

from __future__ import annotations

import gc
import os

from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _action


def _frozen_in_child() -> int:
    """How many objects a process forked now holds frozen, right after the fork."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, and leave at once (as a worker ends, os._exit)
        os.close(read)
        os.write(write, str(gc.get_freeze_count()).encode("ascii"))
        os._exit(0)
    os.close(write)
    try:
        told = os.read(read, 64)
    finally:
        os.close(read)
        os.waitpid(pid, 0)
    return int(told)


def test_a_forked_worker_freezes_what_it_inherited() -> None:
    """Once an action plugin of the collection is loaded, a forked worker's collections
    walk only the objects it makes itself (the inherited pages stay shared with the
    controller); the controller's own collector is left as it was."""
    assert _action.TaskAction  # loaded, as the strategy loads an action plugin
    before = gc.get_freeze_count()
    assert _frozen_in_child() > before
    assert gc.get_freeze_count() == before
