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


# ---------------------------------------------------------------- every install line has a source for torch

TORCH_CPU_INDEX = "download.pytorch.org/whl/cpu"
INSTALL_SCRIPT = "scripts/install.sh"
LOCK_IN_COMMAND = re.compile(r"(?:-r\s*|--requirement[=\s]+|install\.sh\s+)(requirements[\w.-]*\.lock)")


def install_files() -> list[Path]:
    """Every file that tells a person or a machine how to install: docs, CI, the image, the script."""
    found = [*ROOT.glob("*.md"), *ROOT.glob("docs/**/*.md"), *ROOT.glob("models/*/README.md")]
    return [*sorted(found), ROOT / ".ci" / "run", ROOT / "Dockerfile"]


def commands(text: str) -> list[str]:
    """The file's lines, with shell/Dockerfile continuations (a trailing backslash) joined."""
    return text.replace("\\\n", " ").splitlines()


def cpu_locks() -> set[str]:
    return {lock for _, lock in PAIRS if pins(lock)["torch"][0].local == "cpu"}


def unsourced_lock_installs(text: str) -> list[str]:
    """Lines that install a lock pinning a +cpu torch with nothing that says where that build comes
    from: neither PyTorch's CPU index on the same command nor the project's install script."""
    bad = []
    for line in commands(text):
        for lock in LOCK_IN_COMMAND.findall(line):
            sourced = TORCH_CPU_INDEX in line or INSTALL_SCRIPT in line
            if lock in cpu_locks() and not sourced:
                bad.append(line.strip())
    return bad


def test_the_check_catches_a_lock_installed_without_a_torch_source() -> None:
    assert unsourced_lock_installs("For the tests: `pip install -r requirements-dev.lock` and chromium") != []
    assert unsourced_lock_installs("python -m pip install --quiet -r requirements-dev.lock") != []
    assert unsourced_lock_installs("RUN pip install \\\n    -r requirements.lock") != []
    indexed = f"pip install -r requirements.lock --extra-index-url https://{TORCH_CPU_INDEX}"
    assert unsourced_lock_installs(indexed) == []
    assert unsourced_lock_installs("bash scripts/install.sh requirements-dev.lock") == []
    assert unsourced_lock_installs("pip install -r requirements.txt") == []  # ranges: torch from PyPI is fine


@pytest.mark.parametrize("path", install_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_install_line_names_a_source_for_the_cpu_torch(path: Path) -> None:
    assert unsourced_lock_installs(path.read_text(encoding="utf-8")) == [], (
        f"{path.relative_to(ROOT)} installs a lock pinning torch's +cpu build, which PyPI does not have: "
        f"use `bash {INSTALL_SCRIPT} LOCK` (or pass --extra-index-url https://{TORCH_CPU_INDEX})"
    )


def test_the_install_script_takes_torch_from_a_wheel_at_hand_or_the_cpu_index_before_the_lock() -> None:
    script = (ROOT / INSTALL_SCRIPT).read_text(encoding="utf-8")
    assert TORCH_CPU_INDEX in script
    first_torch, lock = script.index("--no-index"), script.index('-r "$lock"')
    assert first_torch < script.index("--index-url") < lock, "torch first (local, then the CPU index), then the lock"
    assert "--retries" in script and "--timeout" in script, "an unreachable index must cost seconds, not minutes"
    assert f"bash {INSTALL_SCRIPT} requirements-dev.lock" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
