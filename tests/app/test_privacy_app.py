"""Issue 28 in AppTest: two sessions of the app against one workspace. A run is reached only by the
session that holds its id; every route (the sidebar's Yours, ``?style=``, ``?run=``, the Train tab's
lists, the tabs that use a style) goes through ``access.allowed``; Delete; the queue shows counts
only; ``CHARRNN_SHARED_WORKSPACE=1`` lists every run."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import write_model_dir
from sidebar import style_radios
from streamlit.testing.v1 import AppTest
from texts import novel

from charrnn import CharRNN
from charrnn.files import atomic_write_json
from playground.train import access, workspace

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 240
TABS = ("✍️ Generate", "🔬 Score a text", "📈 Training timeline", "⚖️ Compare", "📦 Download & deploy", "🏋️ Train")


@pytest.fixture
def ws(tmp_path: Path, tiny_models_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "workspace"
    monkeypatch.setenv(workspace.ENV_WORKSPACE, str(root))
    monkeypatch.setenv("CHARRNN_MODELS_DIR", str(tiny_models_root))
    monkeypatch.delenv(access.ENV_SHARED, raising=False)
    return root


def a_run(root: Path, name: str, model: CharRNN | None = None) -> workspace.Run:
    """A run folder as the Train tab leaves it: finished with a model, or (no model) just queued."""
    path = workspace.runs_dir(root) / workspace.new_run_id(name)
    workspace.private_dir(path)
    workspace.write_private(path / "text.txt", novel(6_000))
    spec = {"name": name, "owner": name, "created": time.time(), "chars": 6_000}
    workspace.write_private(path / "run.json", json.dumps(spec))
    if model is not None:
        write_model_dir(model, path / "model", name)
        atomic_write_json(path / "exit.json", {"code": 0})
    return workspace.read_run(path)


def app(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query or {"tab": "train"})
    return ok(at.run())


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def everything(at: AppTest) -> str:
    """Every text element and the session's state, as one string to search for a leak."""
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "code", "text")
    shown = [str(e.value) for kind in kinds for e in at.get(kind)]
    shown += [str(o) for r in at.radio for o in r.options] + [b.label for b in at.button]
    return "\n".join(shown) + repr(at.session_state)


def yours(at: AppTest) -> list[str]:
    """The sidebar's Yours, one line per style as shown ([] when the group is not drawn)."""
    return [line for r in style_radios(at) if r.key == "style_in_yours" for line in r.options]


def lists_only(at: AppTest, name: str) -> bool:
    return len(yours(at)) == 1 and yours(at)[0].startswith(name + " ")


def test_a_run_is_listed_and_used_only_by_the_session_that_holds_it(ws: Path, tiny_model: CharRNN) -> None:
    run = a_run(ws, "diary-of-a", tiny_model)
    owner = app({"tab": "train", "run": run.id})
    key = workspace.YOURS_PREFIX + run.id
    assert lists_only(owner, "diary-of-a") and owner.session_state["style"] == key
    assert "diary-of-a · finished" in everything(owner) and "Your runs (1)" in [e.label for e in owner.expander]
    other = app()
    for tab in TABS:  # every tab of the other session: nothing of the run
        other.session_state["tab"] = tab
        ok(other.run())
        assert yours(other) == [] and run.id not in everything(other) and "diary-of-a" not in everything(other)


@pytest.mark.parametrize("where", ["style-name", "style-folder", "style-yours-folder", "run-folder", "run-guessed"])
def test_names_and_guessed_ids_open_nothing(ws: Path, tiny_model: CharRNN, where: str) -> None:
    run = a_run(ws, "diary-of-a", tiny_model)
    folder = run.id.rsplit("-", 1)[0]
    query = {
        "style-name": {"style": run.name},
        "style-folder": {"style": folder},
        "style-yours-folder": {"style": workspace.YOURS_PREFIX + folder},
        "run-folder": {"tab": "train", "run": folder},
        "run-guessed": {"tab": "train", "run": f"{folder}-{'0' * workspace.ID_HEX}"},
    }[where]
    at = app(query)
    notes = "\n".join(str(w.value) for w in at.warning)
    assert (access.NO_SUCH_RUN in notes) if "run" in query else ("There is no style called" in notes)
    assert yours(at) == [] and run.id not in everything(at)
    assert at.session_state["style"] != workspace.YOURS_PREFIX + run.id


def test_every_route_to_a_run_goes_through_the_one_check(ws: Path, tiny_model: CharRNN, monkeypatch) -> None:
    """With ``access.allowed`` saying no, even the run's own link (run and style) reaches nothing;
    with it saying yes, every route asked it about the run."""
    run = a_run(ws, "diary-of-a", tiny_model)
    link = {"tab": "train", "run": run.id, "style": workspace.YOURS_PREFIX + run.id}
    asked: list[str] = []
    real = access.allowed
    monkeypatch.setattr(access, "allowed", lambda state, run_id, *a: asked.append(run_id) or False)
    at = app(link)
    assert asked and set(asked) == {run.id}
    for tab in TABS:
        at.session_state["tab"] = tab
        ok(at.run())
        assert yours(at) == [] and at.session_state["style"] != link["style"]
        assert "diary-of-a" not in everything(at).replace(run.id, "")  # the link's own id aside
    monkeypatch.setattr(access, "allowed", lambda state, run_id, *a: asked.append(run_id) or real(state, run_id))
    asked.clear()
    at = app(link)
    assert lists_only(at, "diary-of-a") and set(asked) == {run.id}


def test_delete_removes_the_run_its_text_and_its_style(ws: Path, tiny_model: CharRNN) -> None:
    run = a_run(ws, "diary-of-a", tiny_model)
    at = app({"tab": "train", "run": run.id})
    next(b for b in at.button if b.key == f"delete_{run.id}").click()
    ok(at.run())
    assert not run.path.exists() and yours(at) == [] and run.id not in access.held(at.session_state)
    assert "Your runs" not in [e.label for e in at.expander]


def test_the_queue_says_a_position_and_a_count_never_whose(ws: Path) -> None:
    first = a_run(ws, "secret-of-a")  # queued: no runner yet, made just now
    time.sleep(0.05)
    mine = a_run(ws, "mine")
    at = app({"tab": "train", "run": mine.id})
    assert "number 2 in the queue, 2 waiting" in "\n".join(str(i.value) for i in at.info)
    assert first.id not in everything(at) and "secret-of-a" not in everything(at)


def test_the_shared_workspace_lists_every_run(ws: Path, tiny_model: CharRNN, monkeypatch) -> None:
    monkeypatch.setenv(access.ENV_SHARED, "1")
    a_run(ws, "diary-of-a", tiny_model)
    at = app()
    assert lists_only(at, "diary-of-a")
    assert "Runs in this workspace (1)" in [e.label for e in at.expander]
