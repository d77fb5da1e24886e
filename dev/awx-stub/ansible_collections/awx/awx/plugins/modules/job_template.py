# Stand-in for awx.awx.job_template: its options only (dev/awx-stub/README.md).
from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: job_template
short_description: Stand-in for awx.awx.job_template (options only)
description: Checks its arguments against the options AWX documents; changes nothing.
options: {}
author: ocs.firewall tests
"""

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "new_name": {"type": "str"},
    "description": {"type": "str"},
    "organization": {"type": "str"},
    "job_type": {"type": "str", "choices": ["run", "check"]},
    "inventory": {"type": "str"},
    "project": {"type": "str"},
    "playbook": {"type": "str"},
    "credentials": {"type": "list", "elements": "str", "aliases": ["credential"]},
    "execution_environment": {"type": "str"},
    "forks": {"type": "int"},
    "limit": {"type": "str"},
    "verbosity": {"type": "int", "choices": [0, 1, 2, 3, 4, 5]},
    "extra_vars": {"type": "dict"},
    "job_tags": {"type": "str"},
    "skip_tags": {"type": "str"},
    "timeout": {"type": "int"},
    "diff_mode": {"type": "bool"},
    "job_slice_count": {"type": "int"},
    "allow_simultaneous": {"type": "bool"},
    "ask_variables_on_launch": {"type": "bool"},
    "ask_limit_on_launch": {"type": "bool"},
    "ask_inventory_on_launch": {"type": "bool"},
    "ask_credential_on_launch": {"type": "bool"},
    "use_fact_cache": {"type": "bool"},
    "labels": {"type": "list", "elements": "str"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.exit_json(changed=False)


if __name__ == "__main__":
    main()
