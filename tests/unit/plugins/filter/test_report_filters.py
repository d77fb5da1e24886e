"""The ocs.firewall.report_rows and report_table filters: what playbooks/report.yml calls."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.ocs.firewall.plugins.filter import report_rows, report_table
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _rules_report

RULE: dict[str, Any] = {
    "name": "OCS Edge 5061/TCP In (seed-51)",
    "description": "[ocs.firewall seed-51]",
    "group": "OCS 2007 R2 - Edge",
    "direction": "in",
    "action": "allow",
    "protocol": "tcp",
    "local_ports": ["5061"],
    "remote_ports": [],
    "local_addresses": ["192.0.2.10"],
    "remote_addresses": [],
    "profiles": ["private", "public"],
    "enabled": True,
    "application": "",
    "service": "",
    "owned": True,
}


def test_the_filters_are_the_report_functions() -> None:
    rows = report_rows.report_rows([RULE], "edge01")
    assert rows == _rules_report.report_rows("edge01", [RULE])
    assert report_table.report_table(rows) == _rules_report.report_table(rows, "text")
    assert report_table.report_table(rows, "csv") == _rules_report.report_table(rows, "csv")
    assert report_rows.FilterModule().filters() == {"report_rows": report_rows.report_rows}
    assert report_table.FilterModule().filters() == {"report_table": report_table.report_table}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: report_rows.report_rows([RULE], ""), "ocs.firewall.report_rows: host: ''"),
        (lambda: report_rows.report_rows("x", "h"), "ocs.firewall.report_rows: 'x' is not a list"),
        (
            lambda: report_table.report_table([], "json"),
            "ocs.firewall.report_table: format: 'json' is not one of text, csv, markdown",
        ),
        (lambda: report_table.report_table([RULE]), r"ocs.firewall.report_table: rows\[0\]"),
    ],
)
def test_bad_input_fails_naming_the_filter(call: Any, message: str) -> None:
    with pytest.raises(AnsibleFilterError, match=message):
        call()


def test_the_documentation_lists_the_columns_and_formats_the_report_has() -> None:
    doc = yaml.safe_load(report_table.DOCUMENTATION)
    listed = doc["description"][1].split("Columns: ", 1)[1].split(". ", 1)[0]
    assert [c.strip() for c in listed.split(",")] == [h for _key, h in _rules_report.COLUMNS]
    assert doc["options"]["format"]["choices"] == list(_rules_report.FORMATS)
    returned = yaml.safe_load(report_rows.RETURN)["_value"]["contains"]
    assert list(returned) == list(_rules_report.ROW_KEYS)
    for module in (report_rows, report_table):
        assert yaml.safe_load(module.DOCUMENTATION)["version_added"] == "0.2.0"
        yaml.safe_load(module.EXAMPLES)
