"""Cultural volunteers and their service records — owned by the volunteers work (issue 4).

Fill in TABLES here; the client's migration m0003_volunteers creates the same tables.
"""

TABLES: dict[str, dict[str, str]] = {}
