"""The collection's runtime requirements, as ansible-builder and Galaxy read them.

requirements.txt and bindep.txt at the root are what an execution environment installs
(ansible-builder introspects them from the installed collection): a line it cannot parse
breaks the image build, and a missing extra leaves Kerberos or CredSSP without message
encryption. The development venv installs tests/requirements-lock.txt instead, which must
stay free of what needs the Kerberos headers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bindep.depends import Depends
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[3]
REQUIREMENTS = REPO / "requirements.txt"
BINDEP = REPO / "bindep.txt"
LOCK = REPO / "tests" / "requirements-lock.txt"
EE = REPO / "execution-environment.yml"


def _requirements(path: Path) -> list[Requirement]:
    """Every requirement line of a pip requirements file (no options, no includes)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def _lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for requirement in _requirements(LOCK):
        (spec,) = requirement.specifier
        assert spec.operator == "==", f"{LOCK.name}: {requirement} is not pinned"
        pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def _bindep_packages(*profiles: str) -> set[str]:
    depends = Depends(BINDEP.read_text())
    return {rule[0] for rule in depends.active_rules(list(profiles))}


def _runtime() -> dict[str, Requirement]:
    return {canonicalize_name(r.name): r for r in _requirements(REQUIREMENTS)}


def test_runtime_requirements_are_pywinrm_with_its_message_encryption_extras() -> None:
    runtime = _runtime()
    # pywinrm for WinRM; aerleon for the port matrix's policies (controller side only).
    assert set(runtime) == {"pywinrm", "aerleon"}
    pywinrm = runtime["pywinrm"]

    assert canonicalize_name(pywinrm.name) == "pywinrm"
    # NTLM message encryption is in pywinrm itself (requests-ntlm); these add Kerberos
    # (pykerberos) and CredSSP (requests-credssp).
    assert pywinrm.extras == {"kerberos", "credssp"}
    # A lower bound, never a pin: the controller or EE resolves it with its other packages.
    assert [s.operator for s in pywinrm.specifier] == [">="]
    # Aerleon is pinned to the release the tests render with (its output formats move).
    assert str(runtime["aerleon"].specifier) == f"=={_lock()['aerleon']}"


def test_the_development_lock_is_within_the_runtime_range_and_needs_no_kerberos() -> None:
    pins = _lock()
    pywinrm = _runtime()["pywinrm"]

    assert pywinrm.specifier.contains(pins["pywinrm"]), (pins["pywinrm"], str(pywinrm))
    assert "requests-ntlm" in pins  # NTLM message encryption, which the lab speaks
    # pykerberos compiles against libkrb5-dev: the development venv must not need it.
    assert "pykerberos" not in pins


def test_the_execution_environment_installs_the_releases_the_tests_run() -> None:
    pins = _lock()
    deps = yaml.safe_load(EE.read_text())["dependencies"]

    assert deps["ansible_core"]["package_pip"] == f"ansible-core=={pins['ansible-core']}"
    assert deps["ansible_runner"]["package_pip"] == f"ansible-runner=={pins['ansible-runner']}"


def test_bindep_names_the_build_packages_for_rpm_and_dpkg() -> None:
    python = yaml.safe_load(EE.read_text())["dependencies"]["python_interpreter"]

    # What compiling pykerberos needs, for the EE's own interpreter on RPM platforms.
    assert _bindep_packages("platform:rpm", "compile") == {
        "gcc",
        "krb5-devel",
        f"{python['package_system']}-devel",
        "krb5-workstation",
    }
    assert _bindep_packages("platform:dpkg", "compile") == {
        "gcc",
        "libkrb5-dev",
        "python3-dev",
        "krb5-user",
    }
    # Without the compile profile (an image's final stage): only the Kerberos tools.
    assert _bindep_packages("platform:rpm") == {"krb5-workstation"}
    assert _bindep_packages("platform:dpkg") == {"krb5-user"}


def test_bindep_lists_only_missing_packages_of_its_file_on_this_machine() -> None:
    """``bindep -b``: rc 0 when nothing is missing, 1 with the missing packages listed, and
    2 for a file it cannot parse, which must not pass for "something is missing"."""
    bindep = Path(sys.executable).parent / "bindep"
    done = subprocess.run(
        [str(bindep), "-b", "-f", str(BINDEP), "compile"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode in (0, 1), done.stderr
    missing = set(done.stdout.split())
    if done.returncode == 1:
        assert missing, f"bindep failed without naming a missing package: {done.stderr}"
    else:
        assert not missing
    assert missing <= _bindep_packages("platform:dpkg", "compile") | _bindep_packages(
        "platform:rpm", "compile"
    )


def test_a_bindep_syntax_error_is_not_taken_for_a_missing_package(tmp_path: Path) -> None:
    broken = tmp_path / "bindep.txt"
    broken.write_text("gcc [platform:rpm\n")
    bindep = Path(sys.executable).parent / "bindep"

    done = subprocess.run(
        [str(bindep), "-b", "-f", str(broken)], capture_output=True, text=True, check=False
    )

    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    with pytest.raises(Exception, match="parsing error"):
        Depends(broken.read_text())
