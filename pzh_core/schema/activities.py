"""The activity log (活动台账)."""

TABLES = {
    "activities": {
        "title": "text",
        "date": "date",  # the day it started; an activity counts in the month it started
        "start_time": "time",
        "end_time": "time",
        "place": "text",
        "kind": "text",  # code from resources/refdata/activity_kinds.json
        "delivery": "text",  # station | mobile | online (delivery_modes.json)
        "organiser": "text",
        "partners": "text",
        "attendance": "int",  # 参与人次
        "target_groups": "list",  # codes from target_groups.json
        "brand": "text",  # code from brands.json, or ""
        "notes": "text",
        "created_by": "text",  # staff name who entered it
        "team_id": "text",  # the amateur art team that performed (art_teams), or ""
    },
}
