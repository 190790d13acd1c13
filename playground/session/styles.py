"""The styles a session is offered and the one it selects: each style's model loaded once per
process, Hub styles fetched into the cache, and the selection's side effects. Pages call these
through their ``PageContext``; the app and the page boots call them directly."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import streamlit as st

from charrnn import CharRNN, CheckpointError, sample
from playground.session import catalog, hub
from playground.session.catalog import ModelInfo

ss = st.session_state


def _signature(path: Path) -> tuple:
    out = []
    for name in (catalog.CONFIG_FILE, catalog.WEIGHTS_FILE):
        try:
            stat = (path / name).stat()
            out.append((name, stat.st_mtime_ns, stat.st_size))
        except OSError:
            out.append((name, None, None))
    return tuple(out)


@st.cache_resource(show_spinner=False, max_entries=32)
def _load_model(path: str, signature: tuple) -> CharRNN | str:
    """The model, or why it cannot be loaded. Shared by every session: used read-only, in eval mode
    and under ``torch.inference_mode`` (no state lives on the module), so threads can share it."""
    try:
        model = CharRNN.from_pretrained(path)
        sample(model, "", 1)  # builds the sampling engine now, so that the first Generate is quick
        return model
    except CheckpointError as e:
        return str(e)
    except Exception as e:  # anything else a broken directory can raise: one line for the user
        return f"{type(e).__name__}: {e}"


def load_model(info: ModelInfo) -> CharRNN | str:
    """A style's model, or why it cannot be loaded (one line for the user)."""
    if info.error:
        return info.error
    return _load_model(str(info.path), _signature(info.path))


@st.cache_resource(show_spinner=False, ttl=3600, max_entries=64)
def _fetch_hub(repo_id: str) -> str:
    return str(hub.download(repo_id))  # HubError is raised, so never cached


def hub_infos() -> list[ModelInfo]:
    """The session's Hub styles (fetched again from the cache); one that went away is dropped, said."""
    infos = []
    for key in list(ss.hub_styles):
        try:
            path = Path(_fetch_hub(hub.repo_of(key)))
        except (ValueError, hub.HubError) as e:
            st.sidebar.error(f"{key.removeprefix(hub.HUB_PREFIX)} is no longer available: {e}", icon="🤗")
            ss.hub_styles.remove(key)
            continue
        infos.append(catalog.read_model_info(path, key, hub.cache_root(path), source="hub"))
    return infos


def add_hub_style(text: str) -> str | None:
    """Fetch a Hub repo and list it; the error for the user, or None."""
    try:
        repo = hub.parse_repo_id(text)
        with st.spinner(f"Fetching {repo} from the Hugging Face Hub…"):
            _fetch_hub(repo)
    except (ValueError, hub.HubError) as e:
        return str(e)
    key = hub.hub_key(repo)
    if key not in ss.hub_styles:
        ss.hub_styles.append(key)
    return None


def find(infos: list[ModelInfo], key: str | None) -> ModelInfo | None:
    return next((i for i in infos if i.key == key), None)


def note_resets(pages: Sequence[ModuleType]) -> None:
    """Remember, each run, what the pages of the registry reset when the style changes (their
    ``RESET_ON_STYLE``): a sidebar click's callback runs before the next run hands the registry."""
    ss._reset_on_style = tuple(key for page in pages for key in getattr(page, "RESET_ON_STYLE", ()))


def on_style_change() -> None:
    """A new style: its default prime replaces the old one's (unless the user wrote their own), and
    what belonged to the old style's sample goes (with what the pages declared as the style's)."""
    info = find(ss.get("_infos", []), ss.style)
    if info is not None:
        if ss.prime in (ss.get("style_default_prime"), ""):
            ss.prime = info.default_prime
        ss.style_default_prime = info.default_prime
    ss.keep, ss.sample = "", None
    for key in ss.get("_reset_on_style", ()):
        ss.pop(key, None)


def select_style(key: str) -> None:
    """Select a style from the code (a run that just ended), as a click in the sidebar would."""
    ss.style = key
    on_style_change()


def pick_style(group_key: str) -> None:
    """A click in one of the sidebar's group radios (``group_key``)."""
    if ss.get(group_key):
        select_style(ss[group_key])


def request_hub() -> None:
    ss.hub_request = ss.get("hub_repo") or ""


def process_hub_request() -> None:
    """A repo id submitted in the sidebar: fetch it, list it, select it (before the style list is drawn)."""
    text = ss.pop("hub_request", None)
    if text is None:
        return
    with st.sidebar:
        error = add_hub_style(text)
    if error:
        ss.hub_error = error
        return
    ss.style = hub.hub_key(hub.parse_repo_id(text))
    ss._infos = ss.get("_infos", []) + hub_infos()
    on_style_change()
