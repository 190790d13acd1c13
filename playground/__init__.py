"""The Char-RNN Playground's app side (``app.py`` draws it; ``charrnn`` is the library under it).

pages/     one module (or small package) per tab, in ``pages.PAGES``; each declares NAME, LABEL,
           KEPT, NEEDS_MODEL, ``render(ctx)`` (and optionally RESET_ON_STYLE), its helpers beside it
context.py what every page is handed (``PageContext``)
session/   a browser session's state: the settings and the URL (``params``), the styles on offer
           (``catalog``, ``hub``, ``styles``), the first run and the kept widgets (``state``)
train/     the Train tab's process system: runs (``workspace``), who may reach them (``access``),
           the process around one (``runner``), the training text (``usertext``), the presets, their
           speeds and a run's progress (``presets``); no Streamlit there
html.py, charts.py, table.py, trace.py, copycheck.py: helpers several pages share
memory_view.py: a helper of a tab being built on the registry (to move beside its page, or stay
           here if several pages share it)
"""
