#!/usr/bin/env bash
# Galaxy's own import checks (galaxy-importer) on the collection tarball, run on this
# machine without a container: `make galaxy` builds the importer's venv
# (.build/importer-venv, from tests/importer-requirements.txt) and calls this script.
# Fails when the importer fails or prints any ERROR: or WARNING: line (it reports a
# missing ansible-doc, for one, as a warning and still says it succeeded).
#
# galaxy.yml has no `repository`: the project has no public URL yet, and the importer
# requires one. Rather than publish a made-up URL, galaxy.yml stays without it and the
# check imports a copy of the release tarball whose MANIFEST.json names the placeholder
# below (the reserved .invalid domain: it cannot be anybody's real address). The copy is
# rebuilt from the release tarball's own files, and the two file lists are compared.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${IMPORTER_VENV:-$repo/.build/importer-venv}
placeholder=https://example.invalid/ocs.firewall

fail() {
    echo "galaxy: FAILED: $*" >&2
    exit 1
}

[[ -x $venv/bin/python ]] || fail "no galaxy-importer venv at $venv (make galaxy builds it)"
# The importer calls ansible-galaxy, ansible-doc and ansible-lint from PATH: its own.
PATH=$venv/bin:$PATH
# Only the tarball under test may be found, never the checkout.
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_CONFIG

work=$repo/.build/galaxy
rm -rf "$work"
mkdir -p "$work/release" "$work/copy" "$work/import" "$work/tmp" "$work/ansible-tmp"

ansible-galaxy collection build --output-path "$work/release" "$repo" >/dev/null
releases=("$work"/release/ocs-firewall-*.tar.gz)
[[ ${#releases[@]} -eq 1 && -f ${releases[0]} ]] || fail "expected one tarball in $work/release"
release=${releases[0]}
python "$repo/scripts/check_tarball.py" "$release" || fail "the tarball ships what cannot run installed"

if grep -q '^repository:' "$repo/galaxy.yml"; then
    tarball=$release
    echo "galaxy: importing $release as built (galaxy.yml names its repository)"
else
    tar -xzf "$release" -C "$work/copy"
    rm "$work/copy/MANIFEST.json" "$work/copy/FILES.json"
    { cat "$repo/galaxy.yml"; echo "repository: $placeholder"; } >"$work/copy/galaxy.yml"
    ansible-galaxy collection build --output-path "$work/import" "$work/copy" >/dev/null
    tarball=$(echo "$work"/import/ocs-firewall-*.tar.gz)
    diff <(tar -tzf "$release" | sort) <(tar -tzf "$tarball" | sort) \
        || fail "the copy for the importer does not hold the release tarball's files"
    echo "galaxy: galaxy.yml has no repository (the project has no public URL yet); the"
    echo "galaxy: importer requires one, so it checks a copy of $(basename "$release") whose"
    echo "galaxy: MANIFEST.json says repository: $placeholder (a placeholder, not published)"
fi

echo "galaxy: not run here: ansible-test sanity in a container (RUN_ANSIBLE_TEST = False;"
echo "galaxy: make sanity runs it), ansible-lint (RUN_ANSIBLE_LINT = False; make ansible-lint"
echo "galaxy: runs it), flake8 (RUN_FLAKE8 = False; make lint runs ruff)"

log=$work/importer.log
rc=0
(
    cd "$work"
    GALAXY_IMPORTER_CONFIG=$repo/tests/galaxy-importer.cfg \
        GALAXY_IMPORTER_TMP_ROOT_DIR=$work/tmp \
        GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=$work/ansible-tmp \
        python -m galaxy_importer.main "$tarball"
) >"$log" 2>&1 || rc=$?
cat "$log"
((rc == 0)) || fail "galaxy-importer exited $rc"
if problems=$(grep -E '^(ERROR|WARNING):' "$log"); then
    fail "galaxy-importer reported:"$'\n'"$problems"
fi
grep -qx 'Importer processing completed successfully' "$log" \
    || fail "galaxy-importer did not say it completed"
echo "galaxy: passed: galaxy-importer $(python -c 'import galaxy_importer; print(galaxy_importer.__version__)' 2>/dev/null || echo '') imported $(basename "$tarball") with no error or warning"
