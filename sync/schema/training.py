"""People registry and training classes — owned by the training-classes work (issue 3).

Fill in TABLES here; the client's migration m0002_training creates the same tables.
"""

TABLES: dict[str, dict[str, str]] = {}
