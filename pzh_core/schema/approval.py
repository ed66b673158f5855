"""Submitted and approved periods, and the changes made after approval (issue 14;
pzh_core.approval holds the rules). The desk's migration m0009_periods creates the same tables."""

TABLES = {
    # One row per station and period: id = det_id("period", station_id, period). The desk
    # writes submitted/withdrawn, the city server the county's and the city's decisions.
    "periods": {
        "period": "text",  # 2026-11 | 2026
        "status": "text",  # submitted | withdrawn | approved | returned | unlocked | accepted
        "submitted_by": "text",
        "submitted_at": "text",  # ISO time, China
        "figures": "json",  # the figures as they stood when submitted
        "incomplete": "json",  # what was incomplete when submitted
        "decided_by": "text",
        "decided_at": "text",
        "reason": "text",  # why returned or unlocked
        "approved_figures": "json",  # the snapshot signed with the approval
        "accepted_by": "text",
        "accepted_at": "text",
    },
    # A pushed change to a locked period, set aside by the server and decided by the county:
    # id = det_id("late_change", device_id, str(seq)). Written by the server only.
    "late_changes": {
        "device": "text",
        "seq": "int",
        "tbl": "text",
        "row_id": "text",
        "fields": "json",
        "stamp": "text",  # when the PC made it (its HLC stamp)
        "message": "text",
        "decision": "text",  # pending | accepted | rejected
        "decided_by": "text",
        "decided_at": "text",
        "note": "text",
    },
}

SERVER_ONLY = frozenset({"late_changes"})
