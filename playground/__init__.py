"""App-side logic of the Char-RNN Playground, kept out of ``app.py`` so that it is typed and unit-tested.

Only the ``*_page`` modules import streamlit (each draws one tab of ``app.py``); the rest are what
the page calls, typed and unit-tested without Streamlit. Each module's docstring says what it holds.
"""
