"""The Train tab's process system: runs in a workspace (``workspace``), the process around one run
(``runner``), and the presets with their measured speeds (``presets``). No Streamlit here."""
