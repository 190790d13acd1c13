"""The "Download & deploy" tab: a model's files, the Python that reproduces the page's sample,
how to publish it to the Hub and how to deploy the playground."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from playground.context import PageContext
from playground.pages.download import snippets
from playground.session import catalog, hub
from playground.session.catalog import ModelInfo
from playground.train import workspace
from training import export_web

NAME = "download"
LABEL = "📦 Download & deploy"
KEPT: dict[str, object] = {}
NEEDS_MODEL = False


def render(ctx: PageContext) -> None:
    info, settings, app_dir = ctx.info, ctx.settings, ctx.app_dir
    st.markdown(f"#### The files of **{info.name}**")
    cols = st.columns(len(catalog.MODEL_FILES))
    mimes = {".json": "application/json", ".md": "text/markdown", ".safetensors": "application/octet-stream"}
    for col, name in zip(cols, catalog.MODEL_FILES, strict=True):
        path = info.file(name)
        with col:
            if path is None:
                st.button(f"⬇️ {name}", disabled=True, key=f"dl_{name}", help="This file is missing")
                st.caption("missing")
                continue
            st.download_button(
                f"⬇️ {name}",
                data=path.read_bytes if name == catalog.WEIGHTS_FILE else path.read_bytes(),
                file_name=name,
                mime=mimes[Path(name).suffix],
                key=f"dl_{name}",
                on_click="ignore",
            )
            st.caption(snippets.format_size(path.stat().st_size))
    web_page_button(info)
    source = info.key.removeprefix(hub.HUB_PREFIX) if info.source == "hub" else shown_path(info.path, app_dir)
    st.markdown("#### Use it in Python")
    st.code(snippets.python_snippet(source, settings), language="python")
    st.caption(
        "With the settings of the Generate tab (without kept characters), this prints the same text as the page."
    )
    if info.source == "yours":
        zip_button(info.path, info.name, "dl_zip")
        st.caption("On a Hugging Face Space the disk is ephemeral: a restart loses your styles. Download to keep one.")
    if info.source != "hub":
        st.markdown("#### Publish it to the Hugging Face Hub")
        st.code(
            f"python -m training.publish {shown_path(info.path, app_dir)} --repo-id "
            f"YOUR_NAME/charrnn-{workspace.slug(info.name) if info.source == 'yours' else info.key}",
            language="bash",
        )
        st.caption(
            "Uploads the whole folder (weights, config, history, model card); log in first with `hf auth login`."
        )
    st.markdown("#### Deploy this playground")
    st.markdown(
        "A `Dockerfile` ships with the repository (CPU torch, port 8501, health check). On Hugging Face "
        "Spaces, create a **Docker** Space and push the repository; `docs/DEPLOY.md` has the steps."
    )
    card = info.file(catalog.CARD_FILE)
    if card is not None:
        with st.expander("📄 Model card", expanded=False):
            st.markdown(snippets.strip_front_matter(card.read_text(encoding="utf-8", errors="replace")))


def shown_path(path: Path, app_dir: Path) -> str:
    """A local model's folder as the user would type it: relative to the app when it lies inside."""
    try:
        return str(path.resolve().relative_to(app_dir))
    except ValueError:
        return str(path)


def web_page_button(info: ModelInfo) -> None:
    """The style as one HTML page that writes offline in any browser, built when clicked; its texts
    link back to this app (the URL the browser sees)."""
    app_url = st.context.url
    st.download_button(
        "⬇️ One web page that writes offline (.html)",
        data=lambda: export_web.page_html(info.path, app_url=app_url, style=info.key, exact=True),
        file_name=f"{workspace.slug(info.name)}.html",
        mime="text/html",
        key="dl_web",
        on_click="ignore",
    )
    st.caption("The weights, the model and the sampler in one file: no server; the same seed writes the same text.")


def zip_button(model_dir: Path, name: str, key: str) -> None:
    """A Train-tab model's whole folder as a zip, built when clicked (not on every rerun)."""
    st.download_button(
        "⬇️ The whole model folder (.zip)",
        data=lambda: workspace.zip_model(model_dir),
        file_name=f"{workspace.slug(name)}.zip",
        mime="application/zip",
        key=key,
        on_click="ignore",
    )
