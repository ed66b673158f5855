"""Use-cases shared by the UI and the CLI. No Qt, no widgets; SQL stays in ``store``."""
