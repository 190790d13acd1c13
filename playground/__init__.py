"""App-side logic of the Char-RNN Playground, kept out of ``app.py`` so that it is typed and unit-tested.

Only the ``*_page`` modules import streamlit (each draws one tab of ``app.py``); the rest are what
the page calls, typed and unit-tested without Streamlit.

- ``catalog``: the model catalogue (read from ``config.json`` / ``history.json`` without weights)
  and the path-safety rules for model names;
- ``hub``: Hugging Face repo ids and downloads into the local cache;
- ``params``: the settings, their bounds, and their round trip through the URL query string;
- ``generation``: primes, branching (kept characters) and the stream of steps;
- ``trace``: a generated sample as compact arrays;
- ``table``: the probability table and visible whitespace;
- ``html``: text coloured by probability or surprise;
- ``scoring``: per-character surprise of any text;
- ``timeline``: the training history as a chart and a slider;
- ``grid``: the Compare tab's grid (styles x temperatures) and its round trip through the URL;
- ``lesson_page``, ``neurons_page``, ``compare_page``: the tabs of "Inside the RNN" (the course's
  worked example, units coloured over a text, styles and temperatures side by side);
- ``workspace``, ``runner``, ``presets``, ``train_page``: the Train tab (run folders and their state,
  the process around a run of ``training.train``, presets from this machine's measured speed);
- ``originality_page``: "Is it copied?", the originality check under any shown text (a sample, a
  grid cell), on the library's index (``charrnn.copycheck``).
"""
