# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: win_ocs_firewall
short_description: Give an OCS 2007 R2 server the Windows Firewall rules of all its components
version_added: 0.2.0
description:
  - Makes the Windows Firewall of one host hold exactly the rules its OCS 2007 R2
    components need, from the collection's port catalogue (P(ocs.firewall.ports#lookup)),
    each component in its own rule group.
  - Reads every rule group involved in one command and applies every change, of every
    group, in at most one more. A host in sync costs one command.
  - B(The inventory is the truth.) Without O(components), the host's components are the
    C(ocs_<component>) inventory groups it is in, and their settings are its
    C(ocs_<component>_<setting>) variables (documented per role, for example
    C(ansible-doc -t role ocs.firewall.edge)). With O(remove_unassigned), the
    collection's groups of components the host no longer holds are emptied.
  - B(Nothing it did not create is touched.) Every rule the collection creates ends its
    description with a marker (C([ocs.firewall catalogue <entry id>])). A rule without
    it is never removed or changed, even inside a group the collection manages; it is
    reported in RV(groups) and as a warning. Nor is a rule an
    M(ocs.firewall.win_firewall_rules) task wrote (marker C([ocs.firewall])), even in a
    component's group, since that task manages it.
  - A marker is not enough. A rule is the collection's only in a component's group, and
    only when its marker names a catalogue entry of that component; a copy elsewhere (a
    built-in group, OCS setup's group, no group, an administrator's group, another
    component's group) or one naming an entry the catalogue does not have is left alone
    and reported in RV(marked_not_ours). The host script checks the same before it
    removes a rule.
  - B(Two runs at once cannot interleave.) The apply carries a digest of the rules it was
    planned from; a host whose rules changed since refuses it, changing nothing, and the
    module reads and plans again (RV(replans)).
  - B(Every host planned before any is changed.) With O(stage=plan) the module reads and
    plans, changing nothing, and its result carries what the apply needs; with
    O(stage=apply) it applies that very plan without reading again. Between the two,
    M(ocs.firewall.removal_guard) judges every host's removals at once, so a misspelt group
    stops the run instead of closing ports. The ocs.firewall.server role and
    C(playbooks/site.yml) run it so; O(stage=converge), the default, does all three in one
    task, and still holds more removals than C(ocs_firewall_max_removals) on its host for
    a yes (C(ocs_firewall_confirm_removals)).
  - B(No window with ports closed.) New rules are added before the rules they replace
    are removed; if the apply fails part way, every rule that stays wanted is still in
    effect, and the next run completes the change.
  - Every setting is checked on the controller before the host is contacted, and every
    problem is reported at once, naming the host, the variable (or option) and the value.
  - B(Least privilege from the inventory.) With the host variable
    C(ocs_firewall_scope=inventory), each rule's remote addresses are those of its
    peers in the play's inventory (C(groups) and C(hostvars)) and the collection-wide
    network variables; the ocs.firewall.server role documents them. Changing the
    inventory changes exactly the rules whose peers changed.
  - B(What Windows enforces counts.) The read also says which profiles the host is on
    and what group policy sets above the rules. Where a policy keeps local rules from
    taking effect in a profile the host is on ("Apply local firewall rules" No, "Block all
    connections"), the host is never in sync - it fails before anything is changed, naming
    the setting and what to ask the domain administrators for (C(ocs_firewall_policy_check=warn)
    stages the rules anyway, still not in sync). OCS setup's own rules, which admit any
    address, are disabled where the collection's rules cover them, once those are in
    place, with C(ocs_firewall_setup_rules=disable), and come back exactly with V(keep)
    (RV(setup_rules)).
  - B(Windows Server 2003 SP2, in a reduced mode.) The read tells a 2003 host (OS 5.2) by
    its version; it has no rules or groups, only open-port entries (C(HNetCfg.FwMgr),
    C(GloballyOpenPorts) of the Domain and Standard profiles, one TCP or UDP port each).
    Each catalogue rule of the host's components, outbound ones included, gets a verdict,
    in RV(reduced_mode) and the diff - V(applied) (an entry per port in each profile its
    profiles map to, domain to Domain, private and public to Standard; ranges of at most
    64 ports expanded), V(not_applicable) (outbound - 2003 filters nothing outbound) or
    V(refused) (block rules, local addresses, remote ports, protocols other than TCP and
    UDP, IPv6, the keywords other than C(LocalSubnet), more than 64 ports; each with why and
    what to do instead).
  - >-
    On 2003, collocated components share an entry per profile, port and protocol, named
    C([ocs.firewall] <labels>: <port>/<TCP|UDP>), whose remote scope is the union of theirs.
    The name prefix is the ownership mark - an entry without it is never overwritten or
    closed. One on a port the host needs is reported (RV(reduced_mode.conflicts), a warning)
    and taken over only when the host variable C(ocs_firewall_legacy_adopt) lists its
    port (C(['5061/tcp'])). An entry of ours no component needs is closed (with
    O(remove_unassigned)), so a shared entry stays while one of its components remains.
    The dynamic RPC range is 2003's 1025-5000 (refused as too large) unless
    C(ocs_firewall_legacy_rpc_ports) names the small range the hosts' RPC is restricted to.
  - B(Turning the firewall on, safely.) With C(ocs_firewall_enforce=true) the host's
    firewall is switched on once its rules are in place, in the same task - the firewall
    service (MpsSvc; SharedAccess on 2003) starts automatically and runs, each profile the
    host's rules use is on and blocks unsolicited inbound traffic (2003 - exceptions
    allowed), outbound stays as it is. The plan reads every rule of the host and the
    firewall's settings, and before anything changes the B(lockout guard) asks the rule
    evaluator whether WinRM's port (C(ocs_firewall_winrm_port), else the connection's)
    and each of C(ocs_firewall_management_ports) stay allowed from every address of
    C(ocs_firewall_management_addresses) (required) in each profile the host is on; if
    not, the host fails, nothing changed, naming the flow - or, with
    C(ocs_firewall_management_rule=true), the collection adds its own rule for each
    management flow (group C(ocs.firewall - Management)) first.
  - B(Commit confirmed.) Before a setting changes, the host arms a rollback - a one-shot
    scheduled task C([ocs.firewall] rollback) that restores the previous settings (and
    the OCS setup's rules this run disabled) after C(ocs_firewall_confirm_minutes)
    (default 5). The module then reconnects and cancels it over the new connection; a
    host it cannot reach again fails, saying when it rolls back, and the next run starts
    from the restored settings (a run finding a rollback still armed changes nothing).
    RV(enforcement) says what changed; with C(--check --diff) each setting shows before
    and after, and RV(readiness) lists what the host serves now that would be blocked
    (as C(playbooks/readiness.yml) does). C(ocs_firewall_log_dropped) turns the log of
    dropped packets on or off (C(ocs_firewall_log_size_kb)) the same way; without these
    variables no setting changes.
options:
  components:
    description:
      - The host's components.
      - Omitted, the OCS server components whose inventory group (C(ocs_<component>)) the
        host is in, each with the settings of its C(ocs_<component>_<setting>) variables.
      - A list of component keys takes those components, with settings from the same
        variables.
      - A dictionary maps component keys to their settings (an empty dictionary or null
        for the defaults); the C(ocs_<component>_<setting>) variables are then not read,
        while the collection-wide C(ocs_firewall_profiles) still gives the default
        profiles, and C(ocs_firewall_remove_unassigned) the default of
        O(remove_unassigned). Settings of every
        component are C(state), C(group), C(profiles), C(remote_addresses),
        C(include_outbound), C(include_extras), C(as_published); the Edge adds
        C(internal_addresses) and C(external_addresses), the Mediation Server
        C(pool_addresses) and C(gateway_addresses). Each has the meaning of the role
        variable of the same name.
      - "Components: V(front_end), V(cwa), V(group_chat), V(monitoring), V(archiving),
        V(director), V(mediation), V(reverse_proxy), V(edge), V(av_conferencing),
        V(web_conferencing), V(web_components), V(sql_backend)."
      - Two components whose groups Windows would take for one group (names compare
        ignoring case) are refused, and so is a group whose name starts with C(@), the
        form of built-in groups.
    type: raw
  remove_unassigned:
    description:
      - Empty the collection's groups of components the host does not hold (its default
        group names, and groups where every rule the collection made was built from the
        catalogue), so a component taken off a host has its ports closed.
      - Only rules the collection made are removed; other rules in those groups stay.
      - Without O(components), defaults to the variable C(ocs_firewall_remove_unassigned),
        and to V(true) when that is not set. With O(components) the task names some of the
        host's components only, and it defaults to V(false) (since 0.3.0; the variable is
        then not read). The component roles pass V(false).
    type: bool
  stage:
    description:
      - V(converge) reads the host, plans and applies, in one task.
      - V(plan) reads the host and plans, and changes nothing. Outside check mode the result
        has RV(pending) and carries the read (RV(read)) for the apply stage; in check mode
        it is the result (what would change), as V(converge) gives it.
      - V(apply) applies the plan of O(plan), planned again from the read it carries and
        the host's variables now, without reading the host again; it is refused, nothing
        sent, when that plan's removals differ from the ones the plan stage reported.
    type: str
    choices: [converge, plan, apply]
    default: converge
    version_added: 0.3.0
  plan:
    description:
      - With O(stage=apply) (and only then), the result of the plan stage for the same host,
        whole, as registered.
      - Not set, the host's C(ocs_firewall_result), as the ocs.firewall.server role
        registers it, read as it is. Set from a large result, an option is templated and
        copied on every host; register the plan stage as C(ocs_firewall_result) instead.
    type: dict
    version_added: 0.3.0
  peer_addresses:
    description:
      - The address each server of the inventory shows its peers, as
        M(ocs.firewall.preflight) returns it in its C(address_book) result; used only
        with C(ocs_firewall_scope=inventory).
      - Not set, the module takes the address book of the preflight result registered as
        C(ocs_firewall_preflight), which is what the ocs.firewall.server role does (it
        runs the preflight once, C(run_once), and registers it so, for every host). A
        host the book does not hold is worked out from C(hostvars), which reads that
        host's variables.
      - Setting it from a large result costs a copy per host (options are templated and
        checked); on hundreds of hosts register the preflight as
        C(ocs_firewall_preflight) instead.
    type: dict
    version_added: 0.2.0
extends_documentation_fragment:
  - ocs.firewall.attributes
attributes:
  check_mode:
    description: Reads the host and reports what would change, without changing it.
    support: full
  diff_mode:
    description:
      - The host's line of what changes (RV(msg)), then one diff per rule that is added,
        updated or removed, headed C(<host> | <group> | <rule> (<what happens>)), with the
        rule's fields one per line before and after, so a changed port shows as one
        line removed and one added.
    support: full
notes:
  - The target needs PowerShell 2.0 or later and Windows Server 2008 or later
    (C(HNetCfg.FwPolicy2); on 2008 Windows Management Framework 2.0, KB968930), or Windows
    Server 2003 SP2 in the reduced mode (C(HNetCfg.FwMgr); Windows Management Framework
    Core, KB968930, which needs .NET Framework 2.0 SP1); no module is uploaded.
  - Use M(ocs.firewall.preflight) first, as C(playbooks/site.yml) does, to check the
    variables of every host of a play before any of them is contacted.
seealso:
  - module: ocs.firewall.preflight
  - module: ocs.firewall.removal_guard
  - module: ocs.firewall.win_firewall_rules
  - module: ocs.firewall.win_firewall_info
author:
  - ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Give the host the rules of every component its inventory groups name
  ocs.firewall.win_ocs_firewall:

- name: Read and plan only, then apply that plan (what the ocs.firewall.server role does)
  ocs.firewall.win_ocs_firewall:
    stage: plan
  register: planned

- name: Apply the plan made above, without reading the host again
  ocs.firewall.win_ocs_firewall:
    stage: apply
    plan: "{{ planned }}"
  when: planned.pending

# The host's other groups (A/V, Web Conferencing, ...) are left as they are: a task that
# names its components empties no other group unless remove_unassigned says so.
- name: The Front End and Mediation groups of a Standard Edition server, settings inline
  ocs.firewall.win_ocs_firewall:
    components:
      front_end: {}
      mediation:
        remote_addresses: [LocalSubnet]

- name: Turn the firewall on, once the rules are in place, rolled back unless confirmed
  ocs.firewall.win_ocs_firewall:
  vars:
    ocs_firewall_enforce: true
    ocs_firewall_management_addresses: [10.10.5.0/24]
    ocs_firewall_management_ports: [3389/tcp]

- name: Only the Edge's group, its rules bound to its internal and external addresses
  ocs.firewall.win_ocs_firewall:
    components:
      edge:
        internal_addresses: [10.10.1.10]
        external_addresses: [192.0.2.10]
"""

RETURN = r"""
msg:
  description:
    - The host's changes on one line - totals, then each changing group's counts; in check
      mode C(to add), C(to update), C(to remove); a host with nothing to change says
      C(in sync); rules of its groups the collection did not make are counted at the end.
  returned: success
  type: str
  sample: "fe01.ocs.example: 2 added, 1 updated, 0 removed (OCS 2007 R2 - Front End: 1
    updated; OCS 2007 R2 - Edge: 2 added); 1 rule(s) the collection did not make left alone"
  version_added: 0.2.0
summary:
  description:
    - What changes on the host (or would, in check mode), counted over all its groups,
      with the names of the rules of each group that changes.
    - C(playbooks/site.yml) registers the result as C(ocs_firewall_result) and ends with a
      table of every host's (P(ocs.firewall.change_summary#filter)).
  returned: success
  type: dict
  version_added: 0.2.0
  contains:
    added:
      description: How many rules are added.
      type: int
    updated:
      description: How many rules are replaced because a property differed.
      type: int
    removed:
      description: How many rules are removed (leftovers of interrupted removals included).
      type: int
    foreign:
      description: How many rules of the host's groups the collection did not make (left alone).
      type: int
    marked_not_ours:
      description: How many rules (or Windows Server 2003 entries) carry the collection's
        marker but are not its own (left alone), as listed in RV(marked_not_ours).
      type: int
      version_added: 0.3.0
    setup_disabled:
      description: How many of OCS setup's rules are disabled (RV(setup_rules)).
      type: int
      version_added: 0.3.0
    setup_restored:
      description: How many of OCS setup's rules the collection had disabled are enabled again.
      type: int
      version_added: 0.3.0
    groups:
      description:
        - Each group that changes, keyed by name, with the names of its rules C(added),
          C(updated) and C(removed) (as in RV(groups)). Groups that do not change are not
          in it.
      type: dict
  sample:
    added: 0
    updated: 1
    removed: 0
    foreign: 0
    groups:
      "OCS 2007 R2 - Front End":
        added: []
        updated: ["OCS Front End 444/TCP In (seed-03)"]
        removed: []
diff:
  description:
    - In diff mode, a list of Ansible diffs, which C(--diff) prints in order. The first
      holds only C(prepared), the host's line (RV(msg)).
    - Then one per rule added, updated or removed, groups in the order of RV(groups) and
      rules sorted by name in each. C(before_header) and C(after_header) are
      C(<host> | <group> | <rule> (<what happens>)), for example C(added),
      C(would be updated) in check mode, or C(removed) with why (a group the host no
      longer holds, the leftover of an interrupted apply). C(before) and C(after) are the
      rule's fields, one line each (the field's name, a colon, its value), in the order of
      RV(rules) of M(ocs.firewall.win_firewall_rules); an empty list is written C(any).
      An added rule has an empty C(before), a removed one an empty C(after); several rules
      of one name on the host are all in C(before), a blank line between them.
  returned: diff mode
  type: list
  elements: dict
  version_added: 0.2.0
  sample:
    - prepared: "fe01.ocs.example: 0 to add, 1 to update, 0 to remove (OCS 2007 R2 - Front
        End: 1 to update)\n"
    - before_header: fe01.ocs.example | OCS 2007 R2 - Front End | OCS Front End 444/TCP In
        (seed-03) (would be updated)
      after_header: fe01.ocs.example | OCS 2007 R2 - Front End | OCS Front End 444/TCP In
        (seed-03) (would be updated)
      before: "name: OCS Front End 444/TCP In (seed-03)\n...\nlocal_ports: 4444\n...\n"
      after: "name: OCS Front End 444/TCP In (seed-03)\n...\nlocal_ports: 444\n...\n"
groups:
  description:
    - Each rule group the task managed, keyed by name.
  returned: success
  type: dict
  contains:
    group:
      description: The group's name.
      type: str
    reason:
      description:
        - V(component) for the group of a component the host holds, V(unassigned) for
          a collection group the host no longer needs.
      type: str
    component:
      description: The component key, or null for an unassigned group of no default name.
      type: str
    changed:
      description: Whether the group changes.
      type: bool
    added:
      description: Names of the rules added.
      type: list
      elements: str
    updated:
      description: Names of the rules replaced because a property differed.
      type: list
      elements: str
    removed:
      description: Names of the rules removed.
      type: list
      elements: str
    foreign:
      description: Names of the group's rules the collection did not make (left alone).
      type: list
      elements: str
    others:
      description:
        - Names of the group's rules an M(ocs.firewall.win_firewall_rules) task wrote (left
          to it).
      type: list
      elements: str
      version_added: 0.3.0
  sample:
    "OCS 2007 R2 - Front End":
      group: OCS 2007 R2 - Front End
      reason: component
      component: front_end
      changed: true
      added: ["OCS Front End 5060-5061/TCP In (seed-01)"]
      updated: []
      removed: []
      foreign: []
      others: []
rules:
  description:
    - The rules the collection owns in each group after the task (as they would be, in
      check mode), keyed by group, in the canonical form of
      M(ocs.firewall.win_firewall_rules).
  returned: success
  type: dict
in_sync:
  description:
    - Whether the host needs no change and its rules take effect - never while group
      policy keeps local rules from counting in a profile the host is on (RV(policy)).
  returned: success
  type: bool
  version_added: 0.3.0
setup_rules:
  description:
    - What happens to OCS setup's own rules (group C(Office Communications Server 2007 R2))
      under C(ocs_firewall_setup_rules) - its C(mode) (V(keep) or V(disable)), the names
      of the rules to C(disable) now (the collection's rules cover them), to C(restore)
      (enable again, their description as it was), those C(disabled) already and staying
      so, and the enabled inbound allow rules C(not_covered) by the collection's rules
      (left as they are).
  returned: success on Windows Server 2008 and later
  type: dict
  version_added: 0.3.0
  sample:
    mode: disable
    group: Office Communications Server 2007 R2
    disable: ["Office Communications Server 2007 R2 - Front End - SIP (TLS-In)"]
    restore: []
    disabled: []
    not_covered: []
policy:
  description:
    - What Windows enforces above the local rules - C(obstacles), each setting that keeps
      local rules from taking effect in a profile (C(profile), C(current) whether the
      host is on it, C(setting), C(where), C(by_policy)), and C(effective), whether the
      host's rules take effect in the profiles it is on. With an obstacle in a profile the
      host is on, the task fails before changing anything unless
      C(ocs_firewall_policy_check) is V(warn).
  returned: success
  type: dict
  version_added: 0.3.0
  sample: {obstacles: [], effective: true}
pending:
  description:
    - O(stage=plan) outside check mode - whether the plan has changes for the apply stage.
      V(false) after an apply, and in check mode (nothing will be applied).
  returned: success
  type: bool
  version_added: 0.3.0
removals:
  description:
    - The collection's rules the plan removes without a replacement, per component (or
      group) - C(component), C(group) (none on Windows Server 2003), C(rules) and
      C(whole) (the host keeps none of the component's rules). What
      M(ocs.firewall.removal_guard) judges.
  returned: success
  type: list
  elements: dict
  version_added: 0.3.0
  sample:
    - component: mediation
      group: OCS 2007 R2 - Mediation
      rules: ["OCS Mediation 5061/TCP In (seed-48)"]
      whole: true
marked_not_ours:
  description:
    - Rules that carry the collection's marker but are not its own, each in the form of
      RV(ocs.firewall.win_firewall_rules#module:foreign) - a copy in a group of another
      component, in a built-in group, in OCS setup's group or in none, or a rule marked
      with a catalogue entry the catalogue does not have. The
      collection never changes or removes them, whatever their description says; the
      audit lists them too.
  returned: success on Windows Server 2008 and later
  type: list
  elements: dict
  version_added: 0.3.0
replans:
  description:
    - How many times the apply found the host changed since its read (another run on the
      same host, or an administrator), read it again and planned again from what it held.
      The host changes nothing for a request made from an outdated read. A plan made again
      may remove only rules the first plan removed; anything more fails the task. After
      three outdated reads in a row the task fails.
  returned: when the task applied changes
  type: int
  version_added: 0.3.0
read:
  description:
    - O(stage=plan) only - the host's reply to the read, as it sent it, for the apply stage
      (O(plan)). Not for other use; its form may change.
  returned: O(stage=plan)
  type: str
  version_added: 0.3.0
settings_read:
  description:
    - O(stage=plan) with C(ocs_firewall_enforce) or C(ocs_firewall_log_dropped) only - the
      host's reply to the read of its firewall settings, for the apply stage. Not for
      other use; its form may change.
  returned: O(stage=plan), when the host's settings are managed
  type: str
  version_added: 0.3.0
enforcement:
  description:
    - The firewall's own settings, with C(ocs_firewall_enforce) or
      C(ocs_firewall_log_dropped) - C(enforce) (asked), C(enforced) (the firewall is on
      and blocks what no rule allows in every profile the host's rules use, once the run
      is done), C(changes) (each C(setting) with its value C(before) and C(after)),
      C(confirmed) (the switch was confirmed over a new connection, so its rollback was
      cancelled; null when nothing was switched), C(due) (when the rollback would have
      run, host time) and C(set) (what the host set).
  returned: success, when the host's settings are managed
  type: dict
  version_added: 0.3.0
  sample:
    enforce: true
    enforced: true
    changes:
      - {setting: "domain profile: firewall", before: "off", after: "on"}
    confirmed: true
    due: "2026-12-07 11:42"
    set: [profile 1]
readiness:
  description:
    - With C(ocs_firewall_enforce) on a 2008 or later host - what the host listens on or
      is connected from now that its rules would block once the firewall is on, as
      M(ocs.firewall.win_ocs_firewall_readiness) returns its findings.
  returned: success, when enforcing on a 2008 or later host
  type: list
  elements: dict
  version_added: 0.3.0
reduced_mode:
  description:
    - A Windows Server 2003 host only (RV(groups) and RV(rules) are then empty, and
      RV(summary) counts entries, with C(foreign) the conflicts and C(verdicts) the
      counts of RV(reduced_mode.counts)).
  returned: success on a Windows Server 2003 host
  type: dict
  version_added: 0.2.0
  contains:
    platform:
      description: The host's Windows, for example C(Windows Server 2003 (5.2.3790.131072)).
      type: str
    counts:
      description: How many rules got each verdict (V(applied), V(not_applicable), V(refused)).
      type: dict
    verdicts:
      description:
        - One per catalogue rule of the host's components - C(component), C(rule) (its
          name on 2008), C(entry) (the catalogue id), C(verdict), C(why) and C(alternative)
          (for a refusal, what to do instead), and C(entries) (C(Domain 5061/TCP)...) for
          an applied rule.
      type: list
      elements: dict
    entries:
      description:
        - The entries the host's components want, as the task leaves them (as they would
          be, in check mode) - C(profile), C(port), C(protocol), C(name),
          C(remote_addresses) (as 2003 stores them), C(enabled), C(components), C(rules). A
          key held by an entry the collection did not make is listed too, and in
          RV(reduced_mode.conflicts).
      type: list
      elements: dict
    conflicts:
      description: >-
        Entries not made by the collection on a key it wants, left as they are, each with
        C(msg).
      type: list
      elements: dict
    kept:
      description: >-
        Entries of ours for components the host no longer holds, kept because
        O(remove_unassigned) is false.
      type: list
      elements: dict
    marked_not_ours:
      description: >-
        Entries named like the collection's (C([ocs.firewall] ...)) whose names serve none
        of its components, for example C([ocs.firewall] Admin - 9999/TCP): never opened,
        closed or renamed by the collection.
      type: list
      elements: dict
      version_added: 0.3.0
  sample:
    platform: Windows Server 2003 (5.2.3790.131072)
    counts: {applied: 14, not_applicable: 8, refused: 2}
    verdicts:
      - component: front_end
        rule: OCS Front End 49152-65535/UDP In (seed-16)
        entry: seed-16
        verdict: refused
        why: >-
          49152-65535 is 16384 ports, more than the 64 the reduced mode opens as one entry
          per port
        alternative: "an AuthorizedApplications entry for the program that listens on them ..."
        entries: []
"""
