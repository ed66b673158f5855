"""The city sync server (FastAPI + SQLite). Never imported by the desktop client."""
