#!/usr/bin/env bash
# Build the collection tarball, install it offline into a scratch folder, and use it from
# there alone, as someone who installs a release would: the lookup answers from the
# shipped catalogue and ansible-doc finds the plugins' documentation.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -x $repo/.venv/bin/ansible ]]; then
    PATH=$repo/.venv/bin:$PATH
fi

fail() {
    echo "smoke: FAILED: $*" >&2
    exit 1
}

dist=$repo/.build/dist
rm -rf "$dist"
mkdir -p "$dist"
ansible-galaxy collection build --force --output-path "$dist" "$repo"
tarballs=("$dist"/ocs-firewall-*.tar.gz)
[[ ${#tarballs[@]} -eq 1 && -f ${tarballs[0]} ]] || fail "expected one tarball in $dist"
tarball=${tarballs[0]}

# Only what runs once installed ships: no test or development file, and no Python file
# that imports what the tarball lacks (galaxy.yml build_ignore; scripts/check_tarball.py).
python "$repo/scripts/check_tarball.py" "$tarball" || fail "the tarball ships what cannot run installed"
listing=$(tar -tzf "$tarball")
grep -qx 'catalogue/ocs-2007-r2-ports.yml' <<<"$listing" \
    || fail "the tarball lacks catalogue/ocs-2007-r2-ports.yml"

install_root=$(mktemp -d "${TMPDIR:-/tmp}/ocs-firewall-smoke-XXXXXX")
trap 'rm -rf "$install_root"' EXIT
# Only the installed copy is visible: no checkout, no collections in site-packages, and
# a working directory with no ansible.cfg or adjacent collections/ folder.
export ANSIBLE_COLLECTIONS_PATH=$install_root
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
unset ANSIBLE_CONFIG
cd "$install_root"
ansible-galaxy collection install --offline --collections-path "$install_root" "$tarball"

out=$(ansible localhost -m ansible.builtin.debug \
    -a "msg={{ lookup('ocs.firewall.ports', 'front_end', wantlist=True) | length }}")
echo "$out"
count=$(sed -n 's/.*"msg": "\{0,1\}\([0-9][0-9]*\)"\{0,1\}.*/\1/p' <<<"$out")
[[ $count =~ ^[0-9]+$ ]] || fail "no entry count in the lookup output"
((count > 0)) || fail "the lookup found no front_end entries"
echo "smoke: lookup ocs.firewall.ports 'front_end' -> $count entries"

# ansible-doc exits 0 even when it finds nothing, so read what it returns.
check_doc() {
    local name=$1
    shift
    ansible-doc --json "$@" "$name" | python -c '
import json
import sys

name, root = sys.argv[1], sys.argv[2]
entry = json.load(sys.stdin).get(name, {})
# Plugins have a "doc"; roles document each entry point, and name their folder.
doc = entry.get("doc") or entry.get("entry_points", {}).get("main") or {}
if not doc.get("short_description"):
    sys.exit(f"smoke: FAILED: ansible-doc has no documentation for {name}")
where = doc.get("filename") or entry.get("path", "")
if not where.startswith(root):
    sys.exit(f"smoke: FAILED: {name} documented from {where}, not from {root}")
summary = doc.get("short_description")
print(f"smoke: ansible-doc {name}: {summary}")
' "$name" "$install_root"
}
check_doc ocs.firewall.ports -t lookup
check_doc ocs.firewall.win_firewall_rules
check_doc ocs.firewall.win_firewall_info
check_doc ocs.firewall.win_ocs_firewall
check_doc ocs.firewall.preflight
check_doc ocs.firewall.components -t lookup
check_doc ocs.firewall.server -t role
check_doc ocs.firewall.edge -t role
# The installed playbook, roles and example estate, run against lab hosts: what a user
# gets from `ansible-playbook ocs.firewall.site` once the collection is installed.
installed=$install_root/ansible_collections/ocs/firewall
lab_state=$install_root/lab
harness() { PYTHONPATH=$repo/dev python -m harness "$@"; }
trap 'harness lab stop --state-dir "$lab_state" >/dev/null 2>&1 || true; rm -rf "$install_root"' EXIT
harness lab start --inventory "$installed/examples/inventory.yml" \
    --state-dir "$lab_state" --output "$lab_state/inventory.yml"
ansible-playbook -i "$lab_state/inventory.yml" ocs.firewall.site >"$install_root/site.log" \
    || { tail -40 "$install_root/site.log"; fail "ansible-playbook ocs.firewall.site failed"; }
summary=$(harness recap --changed "$install_root/site.log") \
    || fail "expected changes on every example host: $(sed -n '/PLAY RECAP/,$p' "$install_root/site.log")"
echo "smoke: ansible-playbook ocs.firewall.site converged the example estate ($summary)"
echo "smoke: passed"
