"""Sync in the desktop app: the background agent, the status bar widget, the sync page and the
enrollment dialog. The agent core (no Qt) is ``pzh_station.sync_client``."""
