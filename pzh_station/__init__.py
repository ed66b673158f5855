"""文化站工作台 — the desktop client of pzh-station.

Nothing in this package's top level imports Qt: the store, domain, services, reports and
sync agent run without a display (the CLI and the city server reuse them).
"""

__version__ = "0.1.0"
