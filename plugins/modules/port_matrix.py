# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: port_matrix
short_description: The flows of an OCS estate per network boundary, for the network team
version_added: 0.2.0
description:
  - Runs on the controller only and contacts no host. From the inventory (each host's
    C(ocs_<component>) groups, its C(ocs_<component>_<setting>) variables and addresses)
    and the port catalogue, it works out every flow the network firewalls and the hardware
    load balancers must let through, with the estate's real addresses.
  - "Zones come from the catalogue: a server component's C(zone) (V(perimeter) for the Edge
    and the reverse proxy, else V(internal)) and each peer kind's C(zone) (V(internal) or
    V(internet)). A perimeter host is on the perimeter's internal side with its internal
    interface (and with entries of no particular interface whose peer is not on the
    Internet), and on its external side with its external service addresses. The
    boundaries are the four zones: V(internal), V(perimeter_internal),
    V(perimeter_external) and V(internet)."
  - "Flows: for each host, each component it holds (state present) and each entry it makes
    (the host's C(include_extras) and opt-ins, as C(playbooks/site.yml) makes them), per
    direction and transport: an inbound rule gives a flow from each peer to the host, an
    outbound rule one from the host to each peer. Outbound halves are always included,
    whatever C(include_outbound) says: Windows allows outbound traffic by default, a
    network firewall does not."
  - "A flow goes only the way the catalogue gives it: an entry whose C(direction) is
    V(both) lists in C(peer_directions) the peers whose traffic goes one way (the Front End
    never calls a client on 5060-5061; the reverse proxy takes external users and calls
    the Web Components). A flow between two servers of the inventory is the listening
    server's: its entry that takes the other's component inbound makes the row, and the
    connecting server's outbound entry narrows it to the ports both give (the Edge calls a
    Front End on 5061, not 5060) and adds its id. Each row says in C(basis) whether a
    document states that way (V(stated)) or the catalogue infers it (V(inferred), with the
    entries that infer it)."
  - A component peer is each host holding it, at the address it shows its peers
    (C(ocs_firewall_address), C(ansible_host), the internal addresses of a server with two
    sides); a peer kind is its networks (C(ocs_firewall_client_networks) and the like, read
    from the host whose rule it is), C(any) on the Internet, or C((set <variable>)) when a
    required one is not set; a kind a rule may do without (the load balancers of a pool of
    one) gives no flow when unset. The host is at the local addresses its rule is bound to
    (the Edge's per-service external addresses), else at the addresses of the side its
    peer is on (the reverse proxy's C(ocs_reverse_proxy_external_addresses) for external
    users, its internal ones for the servers it calls; a Mediation Server's gateway side
    for the gateways), else at its own address.
  - Flows of a host to itself (collocated components) cross no network and are left out.
    Flows of the same source, destination, ports and transport are one row, listing every
    catalogue entry behind it. Each row is in the table of its destination's zone, with a
    direction relative to trust (V(inbound) into a more trusted zone, V(outbound) towards
    a less trusted one, V(within) the same zone). Purposes are whole.
  - "The same flows are also grouped as network engineers write policy (RV(grouped)): one
    row per destination, port and protocol, its sources as object groups (RV(object_groups):
    the servers holding the same components in the same pool, on the same side of the
    perimeter, or one kind of peer). A row names a whole group where every member is a
    source, else the members; a destination the same way. A group of servers named as a
    source of its own members stands for their flows with each other (a server's flow to
    itself crosses no firewall)."
  - The load balancer rules come from the catalogue's load balancer rows (each load
    balancer component C(balances) a server component); their members are the hosts
    holding the balanced component, and only a component (or a pool of it) with more
    than one member has a load balancer. The client requirements come from its client
    rows.
  - Every problem (a host's settings, a peer's address, a virtual IP) is reported at once,
    each naming the host or variable and the value, before anything is returned.
  - "The drawings (RV(diagrams), one per boundary) are Graphviz DOT text:
    C(playbooks/port_matrix.yml) renders each with C(dot -Tsvg). Graphviz is a maintained
    layout engine packaged by Debian (C(apt-get install graphviz)); it lays out the zones
    itself, so no geometry is computed by hand, and its SVG has a C(g.node) and a C(g.edge)
    element per node and line, titled with their names, that a browser shows without any
    script."
options:
  hosts:
    description:
      - The hosts whose flows are worked out. Defaults to every host of the inventory
        (C(groups['all'])). Peers are always every holder of their component.
    type: list
    elements: str
  vips:
    description:
      - "The virtual IP of each load balancer, by the server component it balances
        (C({front_end: 10.10.0.10, director: 10.10.0.31, edge: {internal: 10.10.1.9,
        external: 192.0.2.9}})); the Edge takes one per side. A VIP left out is shown as
        C((set ocs_firewall_vips.front_end)); a value that is not an IP address is an
        error, reported before anything is returned."
      - Defaults to the variable C(ocs_firewall_vips).
      - With pools (C(ocs_pool)), a pool's load balancer takes the C(ocs_firewall_vips)
        its servers give (the pool's group vars; they must agree), else this value.
    type: raw
  dest:
    description:
      - A folder (created when missing) to write each table into, as
        C(port-matrix-<table>.csv) and C(.md) (the Markdown with the table's title). A file
        is replaced whole, and only when its text changes; nothing is written when the
        flows cannot be worked out. Without it the tables are only returned.
      - It also writes the port matrix as Aerleon policies in the subfolder
        C(port-matrix-aerleon/) - C(def/networks.yaml) and C(def/services.yaml) (a network
        per server address and peer kind, a service per port(s) and transport),
        C(policies/pol/port-matrix-<boundary>.yaml) (a policy per boundary with flows, for
        Cisco ASA, Juniper SRX and Palo Alto), C(policies/windows/pol/<server>.yaml) (each
        server's inbound flows as Windows Advanced Firewall rules) and C(README.md).
        Aerleon's C(aclgen) renders them (the C(aerleon) release of requirements.txt). A
        flow whose address the inventory does not give is left out, named in its file. A
        policy or definition there that the flows no longer give (a server since removed)
        is deleted; other files in that folder are left alone.
    type: path
  baseline:
    description:
      - The path (on the controller) of an earlier run's C(port-matrix.json), which
        C(playbooks/port_matrix.yml) writes every run (the variable
        C(ocs_firewall_matrix_baseline)). With it the result has RV(changes), the flows to
        let through and to close since then. It is read before anything is written, so it
        may be the very file the playbook then writes again.
      - A file that cannot be read, is not JSON or is not a port matrix (C(boundaries),
        C(load_balancers) and C(clients), each table with its C(key) and C(rows), each
        row with the fields its flows are compared by) fails the task naming the option
        and the path, with every problem, before anything is written.
    type: path
extends_documentation_fragment:
  - ocs.firewall.attributes.controller
  - ocs.firewall.attributes
attributes:
  check_mode:
    description:
      - Runs in check mode as in normal mode; it changes no host. With O(dest) it writes
        its files in check mode too (on the controller; they are what was asked for).
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
  platform:
    description: Runs on the controller; no host is contacted.
    support: full
    platforms: posix
notes:
  - >-
    The matrix needs every server of the estate with its settings: an inventory that is
    one slice of it (an AWX sliced job), said so (C(ocs_firewall_slice=true)) or looking
    like one (a job of an AWX workflow, as every slice is), is refused;
    C(ocs_firewall_slice=false) says the inventory is the whole estate.
  - C(playbooks/port_matrix.yml) (C(ocs.firewall.port_matrix) once installed) writes the
    tables as CSV and Markdown, a DOT file and its SVG per boundary, the Aerleon policies
    and one standalone HTML page.
  - >-
    The playbook also writes C(port-matrix.json) every run, C({boundaries: [table, ...],
    load_balancers: table, clients: table}), the tables of the result as they are
    returned (host pair by host pair; no grouped table, no drawing): the baseline of a later
    run. With
    C(-e ocs_firewall_matrix_baseline=<path>) it gives that file to O(baseline), writes
    RV(changes) as C(port-matrix-changes.csv) and adds a section "Changes since the
    baseline" to the HTML page; without one it removes a C(port-matrix-changes.csv) an
    earlier run left.
seealso:
  - module: ocs.firewall.preflight
author:
  - ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Work out the estate's flows, contacting no host
  ocs.firewall.port_matrix:
    vips:
      front_end: 10.10.0.10
  run_once: true
  register: matrix

- name: Show the flows into the perimeter's external side as CSV
  ansible.builtin.debug:
    msg: "{{ item.rows | ocs.firewall.csv_table(item.columns) }}"
  loop: "{{ matrix.boundaries | selectattr('key', 'eq', 'perimeter_external') }}"
"""

RETURN = r"""
files:
  description: >-
    The paths of the files written (with O(dest)): CSV then Markdown per table, then the
    Aerleon policies under C(port-matrix-aerleon/).
  returned: when O(dest) is given
  type: list
  elements: str
boundaries:
  description:
    - One table per zone, from the most trusted - V(internal), V(perimeter_internal),
      V(perimeter_external), V(internet) - each with C(key), C(title), C(file) (the name
      the playbook gives its files, without suffix), C(columns) (C(key) and C(header) of
      each column, for the C(ocs.firewall.csv_table) and C(ocs.firewall.markdown_table)
      filters) and C(rows).
    - Each row has C(source_zone), C(source), C(source_address), C(destination_zone),
      C(destination), C(destination_address), C(ports), C(transport), C(direction),
      C(purpose), C(catalogue_ids), C(basis) (V(stated), or V(inferred) and the entries
      that infer the flow's way) and the endpoints' ids C(source_id) and
      C(destination_id) (a host at one address on one side).
  returned: success
  type: list
  elements: dict
  sample:
    - key: perimeter_external
      title: Perimeter network, external side
      file: port-matrix-perimeter-external
      columns: [{key: source_zone, header: source zone}]
      rows:
        - source_zone: internet
          source: federated_partners
          source_address: any
          destination_zone: perimeter_external
          destination: edge01.ocs.example
          destination_address: 192.0.2.10
          ports: "5061"
          transport: TCP
          direction: inbound
          purpose: >-
            Access Edge service: Used for SIP/MTLS communication for remote user access
            or federation
          catalogue_ids: [seed-51]
          basis: stated
grouped:
  description:
    - >-
        The flows of RV(boundaries) grouped, one table per zone as there (C(key)
        C(<zone>_grouped), C(file) C(port-matrix-<zone>-grouped)): a row per destination,
        port and transport, with C(destination) (an object group's name, or the hosts and
        addresses when only some of a group), C(destination_group) (the group's name, or
        empty), C(destination_addresses) (host and address of each), C(destination_zone),
        C(ports), C(transport), C(sources) (object group names, and host and address of a
        member source whose group is not whole), C(direction), C(purpose),
        C(catalogue_ids) and C(basis).
  returned: success
  type: list
  elements: dict
object_groups:
  description:
    - >-
        The object groups RV(grouped) names, a table (C(key) V(object_groups)) with a row per
        group - C(name) (C(OCS-FRONT-END-HEAD-OFFICE), C(INTERNAL-CLIENTS)), C(title),
        C(zone) and C(members) (host and address; a peer kind and its networks).
  returned: success
  type: dict
load_balancers:
  description:
    - The load balancer rules, a table as each of C(boundaries); a row per catalogue load
      balancer row, pool and transport, with C(load_balancer), C(pool) (empty when the
      estate names no pool), C(balances), C(interface), C(vip), C(members) (host and
      address), C(ports), C(transport), C(direction), C(purpose) and C(catalogue_id).
    - With pools, each pool of more than one server has its own rows, members and
      virtual IP; a pool of one server (a Standard Edition server), a single Director or a
      single Edge has no load balancer and no rows.
  returned: success
  type: dict
clients:
  description:
    - The client requirements, a table as each of C(boundaries); a row per catalogue
      client row and transport, with C(client), C(ports), C(transport), C(direction)
      (the client's own view), C(purpose) and C(catalogue_id).
  returned: success
  type: dict
diagrams:
  description:
    - >-
      A drawing per boundary with flows, from RV(grouped): C(key), C(title), C(file) (the
      name the playbook gives its C(.dot) and C(.svg), without suffix), C(nodes) (the
      sources on the left, by zone, the boundary's destinations on the right), C(edges)
      (a source and destination pair, with their ports merged), C(port_boxes) (the ports
      each destination takes, a box its sources' lines reach) and C(dot) (the drawing as
      Graphviz DOT text).
  returned: success
  type: list
  elements: dict
changes:
  description:
    - >-
      The change since O(baseline), a table as each of C(boundaries) (C(key) V(changes),
      C(file) C(port-matrix-changes)): a row per host-pair flow to let through (C(action)
      V(Accept): in the matrix now, not in the baseline) and per flow to close
      (V(Drop): in the baseline, no longer in the matrix); Accept rows first, each in
      its table's order, then the Drop rows.
    - "Flows are compared table by table, by what makes a flow: a boundary's row by
      C(source), C(source_address), C(destination), C(destination_address), C(ports)
      and C(transport); a load balancer's row per member (C(load_balancer), C(pool),
      C(vip), the member, C(ports), C(transport)); a client row by C(client), C(ports),
      C(transport) and C(direction). A purpose or catalogue id that changed alone is no
      change."
    - >-
      Each row is the table's row (a load balancer's with its one member in C(members))
      with C(action), C(table) (the table's key: the boundary, V(load_balancers) or
      V(clients)), C(table_title), and the columns of the change table: C(source),
      C(source_address), C(destination), C(destination_address) (a load balancer's row:
      the load balancer and its virtual IP to the member; a client row: the client),
      C(ports), C(transport), C(direction), C(purpose) and C(catalogue_ids).
  returned: with O(baseline)
  type: dict
  sample:
    key: changes
    title: Changes since the baseline
    file: port-matrix-changes
    columns: [{key: action, header: action}]
    rows:
      - action: Accept
        table: internal
        table_title: Internal network
        source_zone: internal
        source: fe01.ocs.example
        source_address: 10.10.0.11
        destination_zone: internal
        destination: dir02.ocs.example
        destination_address: 10.10.0.31
        ports: 5060-5061
        transport: TCP
        direction: within
        purpose: "Director: Used for internal communications between servers"
        catalogue_ids: [seed-01, seed-45]
problems:
  description: Every problem found (on failure).
  returned: failure
  type: list
  elements: str
  sample:
    - >-
      ocs_firewall_vips.front_end: "10.10.0.999" is not an IP address (the load
      balancer's virtual IP)
"""
