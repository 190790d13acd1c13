"""The Train tab's process system: runs in a workspace (``workspace``), who may reach them
(``access``), the training text a person gives (``usertext``), the process around one run
(``runner``), and the presets with their measured speeds and a run's progress (``presets``).
No Streamlit here."""
