"""People registry and training classes (issue 3).

The client's migration m0002_training creates the same tables. Ids: people, classes and
sessions get uuid4; enrollments and attendance get deterministic ids
(``pzh_core.schema.det_id("enrollment", class_id, person_id)``,
``det_id("attendance", session_id, person_id)``) so two offline laptops converge.
"""

TABLES = {
    # Shared by classes and volunteers.
    "people": {
        "name": "text",
        "gender": "text",  # "男" | "女" | ""
        "birth_year": "int",  # 0 = unknown
        "phone": "text",  # digits only
        "village": "text",  # village or community
        "ethnicity": "text",  # optional, e.g. 彝族
        "notes": "text",
        "merged_into": "text",  # id of the person this one was merged into, "" if none
        "created_by": "text",
        "erased_on": "date",  # personal data erased on request (issue 13, §5); "" if not
    },
    "classes": {
        "name": "text",
        "art_form": "text",  # code from art_forms.json
        "teacher": "text",
        "venue": "text",
        "start_date": "date",
        "end_date": "date",
        "capacity": "int",  # 0 = no limit
        "status": "text",  # planned | running | finished | cancelled
        "completion_share": "real",  # share of held sessions to complete; default 0.8
        "notes": "text",
        "created_by": "text",
    },
    "sessions": {
        "class_id": "text",
        "date": "date",
        "start_time": "time",
        "end_time": "time",
        "cancelled": "bool",
        "notes": "text",
    },
    "enrollments": {  # id = det_id("enrollment", class_id, person_id)
        "class_id": "text",
        "person_id": "text",
        "active": "bool",  # False after a drop; True again on re-enrol
        "enrolled_on": "date",
        "walk_in": "bool",
    },
    "attendance": {  # id = det_id("attendance", session_id, person_id)
        "session_id": "text",
        "class_id": "text",
        "person_id": "text",
        "mark": "text",  # present | late | excused | absent | "" (not marked)
        "marked_by": "text",
    },
}
