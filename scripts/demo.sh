#!/usr/bin/env bash
# make demo: the example estate (examples/inventory.yml) on simulated Windows hosts.
#
# Starts one lab host per inventory host (WinRM on 127.0.0.1), applies playbooks/site.yml,
# prints each host's open rules with playbooks/report.yml, then applies site.yml again and
# fails unless every host reports changed=0. The lab is stopped on exit, whatever happens.
# Expects ansible-playbook and python (the venv) on PATH, as `make demo` arranges.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/ocs-firewall-demo.XXXXXX")"
started=$SECONDS

lab() {
    PYTHONPATH="$repo/dev/lab${PYTHONPATH:+:$PYTHONPATH}" python -m ocs_lab "$@"
}

cleanup() {
    lab stop --state-dir "$work/lab" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

step() {
    printf '\n==> %s\n' "$1"
}

# The working tree as the collection ocs.firewall, whatever the caller's settings.
mkdir -p "$work/collections/ansible_collections/ocs"
ln -s "$repo" "$work/collections/ansible_collections/ocs/firewall"
export ANSIBLE_COLLECTIONS_PATH="$work/collections"
export ANSIBLE_RETRY_FILES_ENABLED=false

step "lab: one simulated Windows host per host of examples/inventory.yml"
lab start --inventory "$repo/examples/inventory.yml" --state-dir "$work/lab" \
    --output "$work/inventory.yml"

step "apply: ansible-playbook playbooks/site.yml"
ansible-playbook -i "$work/inventory.yml" "$repo/playbooks/site.yml"

step "report: open rules per host (playbooks/report.yml)"
ansible-playbook -i "$work/inventory.yml" "$repo/playbooks/report.yml"

step "apply again: every host must report changed=0"
ansible-playbook -i "$work/inventory.yml" "$repo/playbooks/site.yml" | tee "$work/second-run.log"

# Recap lines look like "fe01.ocs.example : ok=6 changed=0 unreachable=0 failed=0 ...".
recap="$(sed -e 's/\x1b\[[0-9;]*m//g' "$work/second-run.log" \
    | awk '/^PLAY RECAP/ {on = 1; next} on && / : ok=/')"
hosts=$(grep -c ' : ok=' <<<"$recap" || true)
changed=$(grep -v ' changed=0 ' <<<"$recap" || true)
if [[ $hosts -eq 0 ]]; then
    echo "demo FAILED: no play recap in the second run" >&2
    exit 1
fi
if [[ -n $changed ]]; then
    echo "demo FAILED: the second run changed these hosts:" >&2
    echo "$changed" >&2
    exit 1
fi

step "demo passed: $hosts hosts configured, second run changed nothing ($((SECONDS - started))s)"
