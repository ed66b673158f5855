"""The city server (``sync.server``). It imports the shared core (``pzh_core``), never the desk."""
