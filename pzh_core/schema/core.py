"""Station profile and the staff who operate its PCs."""

TABLES = {
    # One row per station; its id is the station id.
    "stations": {
        "name": "text",
        "county": "text",
        "population": "int",  # residents served, for per-resident figures
        "amateur_teams": "int",  # 群众业余文艺团队 count, entered by the station (annual report)
        "full_time_staff": "int",  # 从业人员 (full-time), for the annual report
    },
    "staff": {
        "name": "text",
        "role": "text",
        "active": "bool",
        "pin_hash": "text",  # optional PIN of this 录入人, hashed (pzh_core.domain.station)
    },
}
