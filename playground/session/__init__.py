"""A browser session's state: the settings table and its URL round trip (``params``), the styles on
offer (``catalog``, ``hub``), and what the app keeps between runs (``state``)."""
