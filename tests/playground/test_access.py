"""Issue 28, the library side of the Train tab's privacy: run ids as capabilities, the one check
(``playground.train.access.allowed``), the shared-workspace switch, the files' modes, Delete, and the
uploads' limit and joining."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
from texts import novel

from charrnn.files import atomic_write_json
from playground.train import access, usertext, workspace

SLOW = ["--layers", "1", "--hidden", "16", "--embedding", "8", "--batch-size", "4", "--seq-len", "16"]


def finished_run(root: Path, name: str = "diary") -> workspace.Run:
    """A run folder as a run that ended leaves it (no process started)."""
    path = workspace.runs_dir(root) / workspace.new_run_id(name)
    workspace.private_dir(path)
    workspace.write_private(path / "text.txt", novel(6_000))
    workspace.write_private(path / "run.json", json.dumps({"name": name, "owner": "a", "created": time.time()}))
    atomic_write_json(path / "exit.json", {"code": 0})
    return workspace.read_run(path)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------- ids and the one check


def test_a_run_id_holds_128_random_bits_and_only_a_whole_id_is_one() -> None:
    ids = {workspace.new_run_id("my diary") for _ in range(50)}
    assert len(ids) == 50 and all(workspace.is_run_id(i) for i in ids)
    assert all(len(i.rsplit("-", 1)[1]) * 4 >= 128 for i in ids)
    some = next(iter(ids))
    for wrong in ("my-diary", some[:-1], some + "0", "my-diary-abcdef", "../runs", f"x/{some}", ""):
        assert not workspace.is_run_id(wrong), wrong


def test_a_session_reaches_only_the_runs_it_holds(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(access.ENV_SHARED, raising=False)
    mine, theirs = finished_run(tmp_path, "mine"), finished_run(tmp_path, "theirs")
    state: dict = {}
    assert access.session_runs(tmp_path, state) == []
    access.grant(state, mine.id)
    assert [r.id for r in access.session_runs(tmp_path, state)] == [mine.id]
    assert access.session_run(tmp_path, state, mine.id).id == mine.id
    assert access.session_run(tmp_path, state, theirs.id) is None  # held by nobody here: as if missing
    access.revoke(state, mine.id)
    assert access.session_runs(tmp_path, state) == [] and not access.allowed(state, mine.id)


def test_a_link_grants_its_run_and_a_wrong_one_grants_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(access.ENV_SHARED, raising=False)
    run = finished_run(tmp_path)
    state: dict = {}
    slug, bits = run.id.rsplit("-", 1)
    for wrong in (slug, f"{slug}-{'0' * len(bits)}", run.id[:-1], "../../etc"):
        assert access.open_link(tmp_path, state, wrong) is None
    assert access.held(state) == set()
    assert access.open_link(tmp_path, state, run.id).id == run.id
    assert access.held(state) == {run.id}


@pytest.mark.parametrize(("value", "shared"), [("1", True), ("true", True), ("", False), ("0", False), (None, False)])
def test_the_shared_workspace_switch_lists_every_run(tmp_path: Path, monkeypatch, value, shared: bool) -> None:
    if value is None:
        monkeypatch.delenv(access.ENV_SHARED, raising=False)
    else:
        monkeypatch.setenv(access.ENV_SHARED, value)
    run = finished_run(tmp_path)
    assert access.shared_workspace() is shared
    assert [r.id for r in access.session_runs(tmp_path, {})] == ([run.id] if shared else [])


def test_the_dockerfile_never_sets_the_shared_workspace() -> None:
    dockerfile = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()
    assert access.ENV_SHARED not in dockerfile


# ---------------------------------------------------------------- on disk


def test_a_run_folder_and_its_text_are_the_server_users_only(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "runs").mkdir(mode=0o755)  # an older workspace, made before the runs were private
    monkeypatch.setattr(workspace, "launch", lambda path: None)  # no process: the files alone
    run = workspace.start_run(tmp_path, novel(6_000), "diary", [], {"steps": 1}, "a")
    assert mode(workspace.runs_dir(tmp_path)) == mode(run.path) == 0o700
    assert mode(run.path / "text.txt") == mode(run.path / "run.json") == 0o600


def test_the_runner_and_trainer_write_private_files(tmp_path: Path) -> None:
    """A real runner and trainer (failing at once on a bad argument): every file they wrote is 0600."""
    run = workspace.start_run(tmp_path, novel(6_000), "bad", [*SLOW, "--cell", "transformer"], {"steps": 1}, "a")
    deadline = time.monotonic() + 120
    while workspace.read_run(run.path).state in ("queued", "running"):
        assert time.monotonic() < deadline, "the trainer did not fail in time"
        time.sleep(0.2)
    written = [p for p in run.path.rglob("*")]
    assert {"exit.json", "runner.log", "runner.json"} <= {p.name for p in written}
    assert {p.name: mode(p) for p in written if p.is_file()} == {p.name: 0o600 for p in written if p.is_file()}
    assert all(mode(p) == 0o700 for p in written if p.is_dir())


def test_delete_removes_an_ended_run_with_its_text_and_refuses_one_going(tmp_path: Path) -> None:
    run = finished_run(tmp_path)
    workspace.delete_run(run)
    assert not run.path.exists() and workspace.list_runs(tmp_path) == []
    going = finished_run(tmp_path)
    (going.path / "exit.json").unlink()  # just created, no runner yet: queued
    with pytest.raises(workspace.BusyError, match="stop it first"):
        workspace.delete_run(workspace.read_run(going.path))
    assert (going.path / "text.txt").is_file()


# ---------------------------------------------------------------- the text given


def test_the_upload_limit_is_the_servers_one_number(tmp_path: Path) -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+: the reference reading
    with usertext.STREAMLIT_CONFIG.open("rb") as f:
        assert usertext.upload_limit_mb() == tomllib.load(f)["server"]["maxUploadSize"]
    config = tmp_path / "config.toml"
    config.write_text("[client]\nmaxUploadSize = 3\n\n[server]\n# maxUploadSize = 5\nmaxUploadSize = 7  # MB\n")
    assert usertext.upload_limit_mb(config) == 7
    config.write_text("[server]\nrunOnSave = false\n")
    with pytest.raises(ValueError, match="sets no"):
        usertext.upload_limit_mb(config)
    assert usertext.MAX_MB == usertext.upload_limit_mb() == 10  # the repository's .streamlit/config.toml
    assert usertext.MAX_BYTES == 10 * 10**6  # the MB of Streamlit's upload widget (not on Windows)


def test_the_counts_are_of_what_was_given() -> None:
    with pytest.raises(usertext.TextError, match="has 2 characters"):
        usertext.check_given([("ab.txt", b"ab")])
    with pytest.raises(usertext.TextError, match="has 2 characters"):
        usertext.check_text("ab")
    text = "\ufeff" + novel(6_000).replace("\n", "\r\n")
    given = usertext.check_given([("", text.encode())])
    assert (given.chars, given.size) == (len(text), len(text.encode()))


def test_several_files_are_joined_in_order_after_a_blank_line() -> None:
    parts = [novel(2_000, seed=i).strip("\n") for i in range(3)]
    given = usertext.check_given([(f"{i}.txt", p.encode()) for i, p in enumerate(parts)])
    assert given.text == "\n\n".join(parts) + "\n"
    assert given.names == ("0.txt", "1.txt", "2.txt")
    assert given.chars == sum(map(len, parts)) and given.size == sum(len(p.encode()) for p in parts)


def test_the_limits_apply_to_the_joined_text_and_name_a_bad_file() -> None:
    half = b"x" * (usertext.MAX_BYTES // 2 + 1)
    with pytest.raises(usertext.TextError, match=f"the limit is {usertext.MAX_MB} MB"):
        usertext.check_given([("a.txt", half), ("b.txt", half)])
    with pytest.raises(usertext.TextError, match=r"The file b\.txt is not UTF-8"):
        usertext.check_given([("a.txt", novel(6_000).encode()), ("b.txt", b"caf\xe9")])
