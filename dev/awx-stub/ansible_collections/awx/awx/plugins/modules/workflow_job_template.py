# Stand-in for awx.awx.workflow_job_template: its options only (dev/awx-stub/README.md).
from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: workflow_job_template
short_description: Stand-in for awx.awx.workflow_job_template (options only)
description: Checks its arguments against the options AWX documents; changes nothing.
options: {}
author: ocs.firewall tests
"""

_NAMED = {"type": "dict", "options": {"name": {"type": "str"}}}
_LINKS = {"type": "list", "elements": "dict", "options": {"identifier": {"type": "str"}}}
NODE = {
    "identifier": {"type": "str", "required": True},
    "extra_data": {"type": "dict"},
    "inventory": {"type": "str"},
    "limit": {"type": "str"},
    "job_type": {"type": "str", "choices": ["run", "check"]},
    "diff_mode": {"type": "bool"},
    "all_parents_must_converge": {"type": "bool"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "unified_job_template": {
        "type": "dict",
        "options": {
            "name": {"type": "str"},
            "description": {"type": "str"},
            "type": {"type": "str"},
            "organization": _NAMED,
            "inventory": {"type": "dict", "options": {"organization": _NAMED}},
            "timeout": {"type": "int"},
        },
    },
    "related": {
        "type": "dict",
        "options": {
            "success_nodes": _LINKS,
            "failure_nodes": _LINKS,
            "always_nodes": _LINKS,
            "credentials": {
                "type": "list",
                "elements": "dict",
                "options": {"name": {"type": "str"}},
            },
        },
    },
}
ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "new_name": {"type": "str"},
    "description": {"type": "str"},
    "organization": {"type": "str"},
    "inventory": {"type": "str"},
    "limit": {"type": "str"},
    "extra_vars": {"type": "dict"},
    "allow_simultaneous": {"type": "bool"},
    "ask_variables_on_launch": {"type": "bool"},
    "ask_inventory_on_launch": {"type": "bool"},
    "ask_limit_on_launch": {"type": "bool"},
    "labels": {"type": "list", "elements": "str"},
    "workflow_nodes": {
        "type": "list",
        "elements": "dict",
        "options": NODE,
        "aliases": ["schema"],
    },
    "destroy_current_nodes": {
        "type": "bool",
        "default": False,
        "aliases": ["destroy_current_schema"],
    },
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.exit_json(changed=False)


if __name__ == "__main__":
    main()
