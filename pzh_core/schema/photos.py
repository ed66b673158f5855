"""Attachments: photos and scans attached to records as evidence (issue 15).

The file itself is not a field: it travels separately (``pzh_core.photos``, resumable chunks),
content-addressed by ``hash``. The row says which record it belongs to and what it is.
"""

TABLES = {
    "attachments": {
        "owner_table": "text",  # activities | sessions | service_records
        "owner_id": "text",
        "hash": "text",  # SHA-256 of the stored file
        "kind": "text",  # jpeg | png | pdf
        "size": "int",  # stored bytes
        "width": "int",
        "height": "int",
        "thumb": "text",  # SHA-256 of the thumbnail (JPEG), "" for a PDF
        "thumb_size": "int",
        "name": "text",  # the picked file's name
        "note": "text",
        "created_by": "text",
    },
}
