#!/usr/bin/env bash
# make demo: the example estate (examples/inventory.yml) on simulated Windows hosts.
#
# Starts one lab host per inventory host (WinRM on 127.0.0.1), applies playbooks/site.yml,
# prints each host's rules with playbooks/report.yml, audits the estate (playbooks/
# audit.yml, failing on any finding), applies site.yml again and fails unless every host
# reports changed=0, then writes the port matrix (playbooks/port_matrix.yml). The reports'
# files stay in .build/demo-reports; the lab is stopped on exit, whatever happens.
# Expects ansible-playbook and python (the venv) on PATH, as `make demo` arranges. The
# collection root, the lab and the recap check are the development harness's
# (dev/harness, `python -m harness`), as in the tests and the bench.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/ocs-firewall-demo.XXXXXX")"
started=$SECONDS

harness() {
    PYTHONPATH="$repo/dev${PYTHONPATH:+:$PYTHONPATH}" python -m harness "$@"
}

cleanup() {
    harness lab stop --state-dir "$work/lab" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

step() {
    printf '\n==> %s\n' "$1"
}

# The working tree as the collection ocs.firewall, whatever the caller's settings.
harness collections "$work/collections" >/dev/null
export ANSIBLE_COLLECTIONS_PATH="$work/collections"
export ANSIBLE_RETRY_FILES_ENABLED=false

step "lab: one simulated Windows host per host of examples/inventory.yml"
harness lab start --inventory "$repo/examples/inventory.yml" --state-dir "$work/lab" \
    --output "$work/inventory.yml"

step "apply: ansible-playbook playbooks/site.yml"
ansible-playbook -i "$work/inventory.yml" "$repo/playbooks/site.yml"

reports="$repo/.build/demo-reports"
rm -rf "$reports"

step "report: the collection's rules per host (playbooks/report.yml)"
ansible-playbook -i "$work/inventory.yml" "$repo/playbooks/report.yml" \
    -e "ocs_firewall_report_dir=$reports"

step "audit: drift, read-only; a finding fails the demo (playbooks/audit.yml)"
ansible-playbook -i "$work/inventory.yml" "$repo/playbooks/audit.yml" \
    -e "ocs_firewall_report_dir=$reports" -e ocs_firewall_audit_fail=true

step "apply again: every host must report changed=0"
ansible-playbook -i "$work/inventory.yml" "$repo/playbooks/site.yml" | tee "$work/second-run.log"

if ! summary="$(harness recap --unchanged "$work/second-run.log")"; then
    echo "demo FAILED: the second run did not leave every host unchanged (above)" >&2
    exit 1
fi

step "port matrix: the estate's flows for the network team, contacting no host"
ansible-playbook -i "$repo/examples/inventory.yml" "$repo/playbooks/port_matrix.yml" \
    -e "ocs_firewall_report_dir=$reports"

step "demo passed: $summary in the second run ($((SECONDS - started))s); reports in $reports"
