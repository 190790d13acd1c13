"""The lock files agree with the ranges they were compiled from (see `.ci/lock`).

CI, the Dockerfile and contributors install from the locks; `requirements*.txt` keep the ranges
that library users install. A package added to a requirements file but not to its lock, or a
pin that has left its range, means `bash .ci/lock` was not run after the change.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
# Each lock beside the requirements file it was compiled from.
PAIRS = [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")]


def ranges(name: str) -> dict[str, Requirement]:
    """The requirements a file asks for, following its `-r` includes."""
    found: dict[str, Requirement] = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found |= ranges(line[3:].strip())
        elif line:
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def pins(name: str) -> dict[str, tuple[Version, str]]:
    """Each locked package: its exact version and pip-compile's `# via` note."""
    found = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==(\S+)\s*(?:#\s*via\s+(.*))?$", line)
        if match:
            found[canonicalize_name(match[1])] = (Version(match[2]), match[3] or "")
    return found


@pytest.mark.parametrize(("source", "lock"), PAIRS)
def test_every_requirement_is_locked_inside_its_range(source: str, lock: str) -> None:
    wanted, locked = ranges(source), pins(lock)
    assert sorted(set(wanted) - set(locked)) == [], f"in {source} but not in {lock}: run bash .ci/lock"
    for name, requirement in wanted.items():
        version = locked[name][0]
        assert requirement.specifier.contains(version, prereleases=True), f"{lock}: {name}=={version} outside {source}"


@pytest.mark.parametrize(("source", "lock"), PAIRS)
def test_nothing_is_locked_for_a_requirement_that_is_gone(source: str, lock: str) -> None:
    wanted, locked = ranges(source), pins(lock)
    files = {source} | {f"-r {name}" for name, _ in PAIRS}
    stale = [
        name
        for name, (_, via) in locked.items()
        if name not in wanted and all(part.strip() in files for part in via.split(","))
    ]
    assert stale == [], f"{lock} pins {stale}, which no requirement needs any more: run bash .ci/lock"


def test_the_dev_lock_keeps_the_runtime_versions() -> None:
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    differ = {
        name: (str(v), str(dev.get(name, (None,))[0]))
        for name, (v, _) in runtime.items()
        if dev.get(name, (None,))[0] != v
    }
    assert differ == {}, "requirements-dev.lock must be compiled against requirements.lock (bash .ci/lock)"


def test_torch_is_locked_to_the_cpu_build_the_readme_names() -> None:
    version = pins("requirements.lock")["torch"][0]
    assert version.local == "cpu", "a CUDA build of torch would pull several GB onto CPU machines"
    assert f"torch=={version.public}" in (ROOT / "README.md").read_text(encoding="utf-8")
