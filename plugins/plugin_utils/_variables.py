# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: every ocs_* variable it reads, declared once.
"""The registry of the collection's variables: each name once, with its type, default and help.

Two kinds of names are the collection's:

* the **estate variables** declared here (:data:`ESTATE`): ``ocs_firewall_*`` and the few
  host facts without that prefix (``ocs_pool``, ``ocs_site``);
* the **component settings**, ``ocs_<component>_<setting>`` for every server component of
  the catalogue and every setting ``_settings.settings_of`` gives it (those are declared
  with the settings themselves, beside the checks they go through).

Anything else that starts with ``ocs_`` is a typo until the user says it is theirs
(:data:`OTHER_VARIABLES`): ``ocs.firewall.preflight`` refuses it, naming the nearest
known name. Each variable's ``kind`` says which check its value goes through (the
preflight maps kinds to the checks of the modules that use the values); ``where`` says at
what level it is meant to be set.

Pure data: no import of the rest of the collection, so every layer may read it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

PREFIX = "ocs_"
ESTATE_PREFIX = "ocs_firewall_"

# Where a variable is meant to be set.
ESTATE_WIDE = "estate"  # all: vars (may differ per group or host)
HOST = "host"  # one host, or a group of hosts sharing the value (a pool)
RUN = "run"  # the command line of one run (-e), or a playbook's vars
REGISTERED = "registered"  # registered by the collection's own tasks; never set by hand


@dataclasses.dataclass(frozen=True)
class Variable:
    """One variable: its name, the kind of value it takes, its default and its help."""

    name: str
    kind: str
    default: Any
    help: str
    where: str = ESTATE_WIDE
    # The argument-spec type and element type, for generated documentation.
    type: str = "raw"
    elements: str | None = None
    choices: tuple[str, ...] = ()


PROFILES = "ocs_firewall_profiles"
SCOPE = "ocs_firewall_scope"
ADDRESS = "ocs_firewall_address"
CLIENT_NETWORKS = "ocs_firewall_client_networks"
GATEWAY_NETWORKS = "ocs_firewall_gateway_networks"
LOAD_BALANCER_ADDRESSES = "ocs_firewall_load_balancer_addresses"
DOMAIN_CONTROLLERS = "ocs_firewall_domain_controllers"
REMOVE_UNASSIGNED = "ocs_firewall_remove_unassigned"
MAX_ENVELOPE_KB = "ocs_firewall_winrm_max_envelope_kb"
LEGACY_ADOPT = "ocs_firewall_legacy_adopt"
LEGACY_RPC_PORTS = "ocs_firewall_legacy_rpc_ports"
VIPS = "ocs_firewall_vips"
AUDIT_ACCEPTED = "ocs_firewall_audit_accepted"
AUDIT_FAIL = "ocs_firewall_audit_fail"
FLOW_CHECK_FAIL = "ocs_firewall_flow_check_fail"
REPORT_DIR = "ocs_firewall_report_dir"
MATRIX_BASELINE = "ocs_firewall_matrix_baseline"
REPORT_ALL = "ocs_firewall_report_all"
OTHER_GROUPS = "ocs_firewall_other_groups"
OTHER_VARIABLES = "ocs_firewall_other_variables"
MAX_REMOVALS = "ocs_firewall_max_removals"
SETUP_RULES = "ocs_firewall_setup_rules"
POLICY_CHECK = "ocs_firewall_policy_check"
CONFIRM_REMOVALS = "ocs_firewall_confirm_removals"
ENFORCE = "ocs_firewall_enforce"
MANAGEMENT_ADDRESSES = "ocs_firewall_management_addresses"
MANAGEMENT_PORTS = "ocs_firewall_management_ports"
WINRM_PORT = "ocs_firewall_winrm_port"
CONFIRM_MINUTES = "ocs_firewall_confirm_minutes"
MANAGEMENT_RULE = "ocs_firewall_management_rule"
LOG_DROPPED = "ocs_firewall_log_dropped"
LOG_SIZE_KB = "ocs_firewall_log_size_kb"
POOL = "ocs_pool"
ADDRESS_BOOK = "ocs_firewall_address_book"
ADDRESS_BOOK_FILE = "ocs_firewall_address_book_file"
SLICE = "ocs_firewall_slice"
PREFLIGHT_RESULT = "ocs_firewall_preflight"
GUARD_RESULT = "ocs_firewall_guard"
RESULT = "ocs_firewall_result"

# The most of the collection's rules one run removes without a yes. A single server, fully
# collocated, holds at most 55 (a Standard Edition server with A/V and Web Conferencing,
# Web Components, Mediation, Archiving and Monitoring, outbound rules included: 24 + 7 + 4
# + 2 + 7 + 5 + 6), so decommissioning any one server passes; the Front End taken off four
# servers (64) does not. A component taken off more than one host waits for a yes whatever
# the count: that is the shape of a misspelt group.
DEFAULT_MAX_REMOVALS = 60
# WinRM 2.0's MaxEnvelopeSizekb out of the box (Windows Server 2008 / 2008 R2, and 2003
# with Windows Management Framework Core).
DEFAULT_MAX_ENVELOPE_KB = 150
# The audit's rules outside the collection's groups that are never a foreign_open_port
# unless the variable says otherwise: the built-in groups every remotely managed Windows
# Server 2008 (R2) has on. Core Networking (DHCP, Teredo, ICMP: IP itself needs them),
# Windows Remote Management (the audit's own way in) and Remote Desktop. INetFwRule.Grouping
# holds these indirect strings whatever the host's language.
# OCS setup's own rules are not among them: they admit any address where the collection's
# rules may be scoped (the audit's wider_rule finding).
DEFAULT_AUDIT_ACCEPTED: tuple[str, ...] = (
    "@FirewallAPI.dll,-25000",  # Core Networking
    "@FirewallAPI.dll,-30267",  # Windows Remote Management
    "@FirewallAPI.dll,-28752",  # Remote Desktop
)

_ADDRESS_FORMS = "IPv4 or IPv6 addresses, networks (10.10.0.0/16) or ranges (10.10.0.1-10.10.0.9)"

ESTATE: tuple[Variable, ...] = (
    Variable(
        PROFILES,
        "profiles",
        ["domain", "private", "public"],
        "The default firewall profiles of every component's rules (each component's "
        "C(ocs_<component>_profiles) wins): V(domain), V(private), V(public). On Windows "
        "Server 2003 V(domain) is the Domain profile, V(private) and V(public) the Standard "
        "profile.",
        type="list",
        elements="str",
        choices=("domain", "private", "public"),
    ),
    Variable(
        SCOPE,
        "scope",
        "any",
        "V(any): every rule accepts any remote address unless a component sets "
        "C(ocs_<component>_remote_addresses). V(inventory): each rule is limited to the "
        "addresses of its peers in the inventory and the network variables.",
        type="str",
        choices=("any", "inventory"),
    ),
    Variable(
        ADDRESS,
        "local_addresses",
        None,
        "The host's own address(es) as its peers see it (with C(ocs_firewall_scope: "
        "inventory)); not set, C(ansible_host) when that is an IP address.",
        where=HOST,
        type="list",
        elements="str",
    ),
    Variable(
        CLIENT_NETWORKS,
        "networks",
        [],
        f"The internal clients' networks ({_ADDRESS_FORMS}), for rules open to clients "
        "with C(ocs_firewall_scope: inventory).",
        type="list",
        elements="str",
    ),
    Variable(
        GATEWAY_NETWORKS,
        "networks",
        [],
        "The PSTN gateways' and IP-PBXs' networks, for the Mediation Server's gateway side "
        "with C(ocs_firewall_scope: inventory).",
        type="list",
        elements="str",
    ),
    Variable(
        LOAD_BALANCER_ADDRESSES,
        "networks",
        [],
        "The hardware load balancers' own (source NAT) addresses in front of the host's "
        "pool, Director array or Edge array. Set it for each pool (the pool's group), not "
        "for the whole estate: a Standard Edition server has no load balancer.",
        where=HOST,
        type="list",
        elements="str",
    ),
    Variable(
        DOMAIN_CONTROLLERS,
        "networks",
        [],
        "The domain controllers and global catalogs, for outbound rules to them with "
        "C(ocs_firewall_scope: inventory).",
        type="list",
        elements="str",
    ),
    Variable(
        REMOVE_UNASSIGNED,
        "bool",
        True,
        "Whether C(site.yml) removes the collection's rules of components a host no longer holds.",
        type="bool",
    ),
    Variable(
        MAX_ENVELOPE_KB,
        "envelope",
        DEFAULT_MAX_ENVELOPE_KB,
        "The hosts' WinRM C(MaxEnvelopeSizekb) (C(winrm get winrm/config)); an apply "
        "larger than one message is split into several.",
        type="int",
    ),
    Variable(
        LEGACY_ADOPT,
        "legacy_adopt",
        [],
        "Windows Server 2003: the ports (C(5061/tcp)) whose entries, made by someone "
        "else, the collection may take over.",
        type="list",
        elements="str",
    ),
    Variable(
        LEGACY_RPC_PORTS,
        "legacy_rpc_ports",
        None,
        "Windows Server 2003: the small range (at most 64 ports) the hosts' dynamic RPC "
        "is restricted to (KB154596).",
        type="str",
    ),
    Variable(
        VIPS,
        "vips",
        {},
        "The load balancers' virtual IPs, for the port matrix: C({front_end: IP, director: "
        "IP, edge: {internal: IP, external: IP}}). Set on a pool's hosts, each pool has "
        "its own.",
        where=HOST,
        type="dict",
    ),
    Variable(
        AUDIT_ACCEPTED,
        "names",
        list(DEFAULT_AUDIT_ACCEPTED),
        "The audit: rule names and groups outside the collection's that are never a "
        "finding (the default: Core Networking, Windows Remote Management, Remote "
        "Desktop).",
        type="list",
        elements="str",
    ),
    Variable(
        AUDIT_FAIL,
        "bool",
        False,
        "The audit fails the run when there are findings, after writing its files.",
        where=RUN,
        type="bool",
    ),
    Variable(
        FLOW_CHECK_FAIL,
        "bool",
        False,
        "The flow check (C(playbooks/flow_check.yml)) fails the run when a flow of the port "
        "matrix is blocked on its host, after writing its files.",
        where=RUN,
        type="bool",
    ),
    Variable(
        REPORT_DIR,
        "path",
        "ocs-firewall-reports",
        "Where the reports (audit, rules, port matrix) write their files, relative to the "
        "current directory.",
        where=RUN,
        type="path",
    ),
    Variable(
        MATRIX_BASELINE,
        "path",
        None,
        "The port matrix (C(playbooks/port_matrix.yml)): an earlier run's "
        "C(port-matrix.json); the run then writes C(port-matrix-changes.csv), the flows to "
        "let through (Accept) and to close (Drop) since then, and lists them on the HTML "
        "page.",
        where=RUN,
        type="path",
    ),
    Variable(
        REPORT_ALL,
        "bool",
        False,
        "The rules report lists every rule of the host, not only the collection's.",
        where=RUN,
        type="bool",
    ),
    Variable(
        OTHER_GROUPS,
        "patterns",
        [],
        "Inventory groups of your own whose names start with C(ocs_) (names, or patterns "
        "such as C(ocs_pool_*)): without them, a host in an C(ocs_) group that is not a "
        "component group (or C(ocs_servers)) stops the run, since it is most often a "
        "misspelt component group.",
        type="list",
        elements="str",
    ),
    Variable(
        OTHER_VARIABLES,
        "patterns",
        [],
        "Variables of your own whose names start with C(ocs_) (names, or patterns such as "
        "C(ocs_backup_*)): without them, an C(ocs_) variable the collection does not know "
        "stops the run, since it is most often a misspelt one.",
        type="list",
        elements="str",
    ),
    Variable(
        MAX_REMOVALS,
        "count",
        DEFAULT_MAX_REMOVALS,
        "The most of the collection's rules one run removes without a yes "
        "(C(ocs_firewall_confirm_removals)); a run that would remove more, or that takes "
        "a component off more than one host, stops before any host is changed and lists "
        "what would go.",
        where=RUN,
        type="int",
    ),
    Variable(
        CONFIRM_REMOVALS,
        "bool",
        False,
        "The yes to a run whose removals are over C(ocs_firewall_max_removals), or take a "
        "component off more than one host. Give it for one run: C(-e "
        "ocs_firewall_confirm_removals=true).",
        where=RUN,
        type="bool",
    ),
    Variable(
        SETUP_RULES,
        "choice",
        "keep",
        "What to do with the rules OCS 2007 R2 setup made (group C(Office Communications "
        "Server 2007 R2)) that the collection's rules on the host cover (same protocol, "
        "every port within theirs): V(keep) leaves them as they are (and brings back any "
        "the collection disabled); V(disable) disables them, never deletes them, once the "
        "collection's rules are in place, so the collection's scope is what Windows "
        "enforces. Setting V(keep) again enables exactly the rules it disabled.",
        type="str",
        choices=("keep", "disable"),
    ),
    Variable(
        POLICY_CHECK,
        "choice",
        "fail",
        "When group policy (or the profile's own switch) keeps local rules from taking "
        "effect in a profile the host is on: V(fail) fails the host before it changes "
        "anything, naming the setting; V(warn) plans and applies anyway (to stage rules "
        "before the policy changes) and warns. Either way the host is not in sync.",
        type="str",
        choices=("fail", "warn"),
    ),
    Variable(
        ENFORCE,
        "enforcement",
        False,
        "Turn the host's firewall on once its rules are in place: the firewall service "
        "starts automatically and runs, each profile the host's rules use is on and blocks "
        "unsolicited inbound traffic (2003: exceptions allowed); outbound stays as it is. "
        "Before anything changes, the run proves that the management flows "
        "(C(ocs_firewall_management_addresses)) stay allowed, and it arms a rollback on "
        "the host that a confirmation over a new connection cancels "
        "(C(ocs_firewall_confirm_minutes)). Not set: no setting changes.",
        type="bool",
    ),
    Variable(
        MANAGEMENT_ADDRESSES,
        "enforcement",
        [],
        "The networks the controller and the administrators manage the hosts from "
        "(addresses, networks or ranges, no keywords); required with "
        "C(ocs_firewall_enforce).",
        type="list",
        elements="str",
    ),
    Variable(
        MANAGEMENT_PORTS,
        "enforcement",
        [],
        "Other ports the management networks must keep reaching once the firewall is on, "
        "as C(3389/tcp) (Remote Desktop, a monitoring agent); WinRM's is always checked.",
        type="list",
        elements="str",
    ),
    Variable(
        MANAGEMENT_RULE,
        "enforcement",
        False,
        "With C(ocs_firewall_enforce), let the collection add its own rules for the "
        "management flows (WinRM's port and C(ocs_firewall_management_ports), from "
        "C(ocs_firewall_management_addresses), every profile) in the group "
        "C(ocs.firewall - Management) before the firewall is switched on, instead of "
        "refusing a host that would not let them in. Windows Server 2008 and later. "
        "Setting it back to false leaves the rules in place; "
        "M(ocs.firewall.win_firewall_rules) removes them.",
        type="bool",
    ),
    Variable(
        WINRM_PORT,
        "enforcement",
        None,
        "The port WinRM listens on as the host sees it, for the lockout guard; not set, "
        "the connection's port. Set it when a NAT or a port forward changes the port.",
        where=HOST,
        type="int",
    ),
    Variable(
        CONFIRM_MINUTES,
        "enforcement",
        5,
        "How long a host waits for the confirmation of a switch before it rolls the "
        "settings back (1 to 1439 minutes: less than a day).",
        type="int",
    ),
    Variable(
        LOG_DROPPED,
        "enforcement",
        None,
        "Turn the firewall's log of dropped packets on (V(true)) or off (V(false)) in every "
        "profile; not set, as it is. C(playbooks/dropped.yml) reads it back.",
        type="bool",
    ),
    Variable(
        LOG_SIZE_KB,
        "enforcement",
        4096,
        "The size of the firewall's log, in KB (1 to 32767), when "
        "C(ocs_firewall_log_dropped) is set.",
        type="int",
    ),
    Variable(
        POOL,
        "name",
        None,
        "The pool the host belongs to: a Front End pool's servers, its back-end SQL "
        "Server and its conferencing servers share one name; a Standard Edition server is "
        "a pool of its own. Flows inside a pool stay inside it. Not set on any host: the "
        "estate is one pool.",
        where=HOST,
        type="str",
    ),
    Variable(
        ADDRESS_BOOK,
        "snapshot",
        None,
        "A run over part of the estate (an AWX sliced job): the whole estate's address "
        "book, as C(playbooks/address_book.yml) made it over the whole inventory and passed "
        "it on (C(set_stats): an AWX workflow gives it to the next node as an extra "
        "variable). Rules scoped from the inventory then admit the peers of every slice; "
        "what the run sees of its own hosts must match it, or the run stops as stale.",
        where=RUN,
        type="dict",
    ),
    Variable(
        ADDRESS_BOOK_FILE,
        "path",
        None,
        "A file on the controller for the whole estate's address book: "
        "C(playbooks/address_book.yml) writes it; a run over part of the estate reads it "
        "when C(ocs_firewall_address_book) is not given.",
        where=RUN,
        type="path",
    ),
    Variable(
        SLICE,
        "bool",
        None,
        "V(true): this run's inventory is one slice of the estate (an AWX sliced job), "
        "so rules that depend on other hosts (scope V(inventory), pools) need the whole "
        "estate's address book, or the run stops. V(false): the inventory is the whole "
        "estate, whatever it looks like. Not set: a run whose inventory looks like a slice "
        "(a job of an AWX workflow, as every slice is) is taken for one.",
        where=RUN,
        type="bool",
    ),
    Variable(
        PREFLIGHT_RESULT,
        "registered",
        None,
        "The preflight's result, registered by the ocs.firewall.server role.",
        where=REGISTERED,
    ),
    Variable(
        GUARD_RESULT,
        "registered",
        None,
        "The removal guard's result, registered by the ocs.firewall.server role (site.yml "
        "applies the plans of its pending hosts).",
        where=REGISTERED,
    ),
    Variable(
        RESULT,
        "registered",
        None,
        "Each host's plan, then what was applied, registered by the ocs.firewall.server "
        "role (site.yml's closing table reads it).",
        where=REGISTERED,
    ),
)

BY_NAME: dict[str, Variable] = {v.name: v for v in ESTATE}


def estate_names() -> tuple[str, ...]:
    return tuple(BY_NAME)


def choice_problems(name: str, value: Any) -> list[str]:
    """The problem of a value of a ``choice`` variable that is not one of its choices."""
    choices = BY_NAME[name].choices
    if isinstance(value, str) and value.strip().lower() in choices:
        return []
    return [f"{name}: {value!r} is not valid; valid are {', '.join(choices)}"]


def choice_value(variables: Mapping[str, Any], name: str, problems: list[str]) -> str:
    """The value of the ``choice`` variable ``name`` (its default when not set), lower
    case; a bad one is a problem appended to ``problems``."""
    value = read_values(variables, [name], problems).get(name, BY_NAME[name].default)
    found = choice_problems(name, value)
    problems += found
    return BY_NAME[name].default if found else str(value).strip().lower()


def read_values(
    variables: Mapping[str, Any], names: Iterable[str], problems: list[str]
) -> dict[str, Any]:
    """The values of those of ``names`` that are defined; one that cannot be worked out is
    a problem naming it, appended to ``problems``.

    Reading a variable templates it (an undefined variable inside it, a failing filter):
    whatever the templating raises is reported for this variable, so the problems of the
    other variables and hosts are still found.
    """
    values: dict[str, Any] = {}
    for name in names:
        try:
            if name in variables:
                values[name] = variables[name]
        except Exception as exc:
            problems.append(f"{name}: its value cannot be worked out ({exc})")
    return values
