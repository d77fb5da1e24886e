"""The execution environment's build context, as `ansible-builder create` writes it.

`make ee` builds the collection tarball (.build/ee/ocs-firewall.tar.gz) and runs
`ansible-builder create -f execution-environment.yml` into .build/ee/context; these tests
read that context. No image is built here (no container engine), so what the image build
would do with the collection is replayed locally: its galaxy step (install from the
context's requirements.yml) and its introspection of the installed collection, which is
where the image's Python and system packages come from.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
EE_FILE = REPO / "execution-environment.yml"
CONTEXT = Path(os.environ.get("OCS_EE_CONTEXT", REPO / ".build" / "ee" / "context"))
BUILD = CONTEXT / "_build"
TARBALL = "ocs-firewall.tar.gz"
SCRIPTS = [
    "assemble",
    "check_ansible",
    "check_galaxy",
    "entrypoint",
    "install-from-bindep",
    "introspect.py",
    "pip_install",
]
BIN = Path(sys.executable).parent


def _lines(path: Path) -> list[str]:
    """A requirements or bindep file's entries, without comments or blank lines."""
    entries = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [entry for entry in entries if entry]


def _definition() -> dict[str, Any]:
    definition: dict[str, Any] = yaml.safe_load(EE_FILE.read_text())
    return definition


def _containerfile_args() -> dict[str, str]:
    text = (CONTEXT / "Containerfile").read_text()
    return dict(re.findall(r'^ARG (\w+)="(.*)"$', text, flags=re.MULTILINE))


@pytest.fixture(scope="module", autouse=True)
def _context() -> None:
    if not (CONTEXT / "Containerfile").is_file():
        pytest.fail(f"no build context in {CONTEXT}: run `make ee`")


def test_the_context_holds_the_containerfile_the_tarball_and_the_builder_scripts() -> None:
    listing = sorted(str(p.relative_to(CONTEXT)) for p in CONTEXT.rglob("*") if p.is_file())

    assert listing == sorted(
        ["Containerfile", f"_build/{TARBALL}", "_build/requirements.yml"]
        + [f"_build/scripts/{name}" for name in SCRIPTS]
    )


def test_the_containerfile_names_the_base_image_the_python_and_the_ansible_releases() -> None:
    definition = _definition()
    deps = definition["dependencies"]
    args = _containerfile_args()

    assert args["EE_BASE_IMAGE"] == definition["images"]["base_image"]["name"]
    assert args["PYCMD"] == deps["python_interpreter"]["python_path"]
    assert args["PYPKG"] == deps["python_interpreter"]["package_system"]
    assert args["PKGMGR"] == definition["options"]["package_manager_path"]
    assert args["ANSIBLE_INSTALL_REFS"].split() == [
        deps["ansible_core"]["package_pip"],
        deps["ansible_runner"]["package_pip"],
    ]


def test_the_containerfile_installs_the_collection_then_introspects_its_requirements() -> None:
    steps = (CONTEXT / "Containerfile").read_text().splitlines()

    galaxy = [s for s in steps if "ansible-galaxy collection install" in s]
    assert len(galaxy) == 1 and "-r requirements.yml" in galaxy[0]
    introspect = [s for s in steps if "introspect.py introspect" in s]
    assert len(introspect) == 1
    assert "--write-pip=" in introspect[0] and "--write-bindep=" in introspect[0]
    # The introspection's output is what the image's final stage installs.
    assert steps.index(galaxy[0]) < steps.index(introspect[0])
    assert "RUN /output/scripts/install-from-bindep && rm -rf /output/wheels" in steps


def test_the_tarball_in_the_context_is_this_collection_with_its_requirement_files() -> None:
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())

    assert yaml.safe_load((BUILD / "requirements.yml").read_text()) == {
        "collections": [{"name": TARBALL, "type": "file"}]
    }
    with tarfile.open(BUILD / TARBALL) as tarball:
        members = tarball.getnames()

        def read(name: str) -> str:
            member = tarball.extractfile(name)
            assert member is not None, f"{TARBALL} has no file {name}"
            return member.read().decode()

        manifest = json.loads(read("MANIFEST.json"))["collection_info"]
        shipped = {name: read(name) for name in ("requirements.txt", "bindep.txt")}
    assert (manifest["namespace"], manifest["name"], manifest["version"]) == (
        galaxy["namespace"],
        galaxy["name"],
        galaxy["version"],
    )
    assert shipped == {name: (REPO / name).read_text() for name in shipped}
    # The development pins stay out of the collection.
    assert not [m for m in members if re.fullmatch(r"tests/requirements.*\.txt", m)]


def test_the_image_build_would_install_pywinrm_with_its_extras_and_bindep_packages(
    tmp_path: Path,
) -> None:
    """The galaxy stage and the introspection, replayed here on the context's files."""
    collections = tmp_path / "collections"
    # As in the image: only the collections path it installs to, where nothing is yet (the
    # tests' own ANSIBLE_COLLECTIONS_PATH holds this checkout as ocs.firewall, which would
    # make ansible-galaxy skip the install as done).
    env = {k: v for k, v in os.environ.items() if k != "ANSIBLE_COLLECTIONS_PATH"}
    env.update(
        ANSIBLE_GALAXY_DISABLE_GPG_VERIFY="1",
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
    )
    subprocess.run(
        [BIN / "ansible-galaxy", "collection", "install", "--offline"]
        + ["-r", "requirements.yml", "--collections-path", str(collections)],
        cwd=BUILD,
        env=env,
        check=True,
        capture_output=True,
    )
    assert (collections / "ansible_collections/ocs/firewall/MANIFEST.json").is_file()

    pip, system = tmp_path / "requirements.txt", tmp_path / "bindep.txt"
    subprocess.run(
        [BIN / "ansible-builder", "introspect", str(collections)]
        + ["--write-pip", str(pip), "--write-bindep", str(system)],
        check=True,
        capture_output=True,
    )

    origin = "  # from collection ocs.firewall"
    python = pip.read_text().splitlines()
    assert python == [f"{entry}{origin}" for entry in _lines(REPO / "requirements.txt")]
    assert any(line.startswith("pywinrm[kerberos,credssp]>=") for line in python)
    packages = system.read_text().splitlines()
    assert packages == [f"{entry}{origin}" for entry in _lines(REPO / "bindep.txt")]
