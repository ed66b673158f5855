"""Cultural volunteers and their service records (issue 4).

The client's migration m0003_volunteers creates the same tables. A volunteer is a person of the
people registry: ``id = det_id("volunteer", person_id)``.
"""

TABLES = {
    "volunteers": {
        "person_id": "text",
        "number": "text",  # volunteer number
        "join_date": "date",
        "skills": "list",  # codes from volunteer_skills.json
        "team": "text",
        "status": "text",  # active | paused | left
        "training": "text",  # training received
        "awards": "text",
        "notes": "text",
        "created_by": "text",
        # For certificates only (issue 13, §5): shown masked everywhere else, never exported.
        "id_type": "text",  # code of pzh_core.domain.certificate.ID_TYPES, or ""
        "id_number": "text",
    },
    "service_records": {
        "volunteer_id": "text",
        "person_id": "text",
        "date": "date",
        "hours": "real",  # steps of 0.5
        "description": "text",
        "activity_id": "text",  # linked activity, or ""
        "class_id": "text",  # linked training class, or ""
        "recorded_by": "text",
        "status": "text",  # recorded | verified | rejected
        "verified_by": "text",
        "verified_on": "date",
        "reject_reason": "text",
    },
    # A verified record changes only through a correction, which keeps what it said before.
    "service_corrections": {
        "record_id": "text",
        "requested_by": "text",
        "reason": "text",
        "before": "json",  # the record's fields before
        "proposed": "json",  # the fields to change
        "status": "text",  # requested | approved | rejected
        "decided_by": "text",
        "decided_on": "date",
        "decision_note": "text",  # why a correction was not approved
    },
    # The certificate register (志愿服务证明登记簿): one row per certificate issued. The number is
    # unique across the station's PCs (a per-PC prefix, pzh_core.domain.certificate).
    "volunteer_certificates": {
        "number": "text",
        "volunteer_id": "text",
        "period_from": "date",
        "period_to": "date",
        "hours": "real",
        "records": "int",
        "content": "text",
        "unit": "text",
        "head": "text",  # 负责人
        "handler": "text",  # 经办人
        "phone": "text",
        "issued_on": "date",
    },
}
