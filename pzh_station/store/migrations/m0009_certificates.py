"""v9: volunteer service certificates that meet the rules (issue 13, §5): the volunteer's ID type
and number, the certificate register, and the mark of a person whose personal data was erased
on request."""

import sqlite3

NAME = "certificates"


def up(conn: sqlite3.Connection) -> None:
    from pzh_station.store.migrations import add_field, create_synced_table

    add_field(conn, "volunteers", "id_type", "text")
    add_field(conn, "volunteers", "id_number", "text")
    add_field(conn, "people", "erased_on", "date")
    create_synced_table(
        conn,
        "volunteer_certificates",
        {
            "number": "text",
            "volunteer_id": "text",
            "period_from": "date",
            "period_to": "date",
            "hours": "real",
            "records": "int",
            "content": "text",
            "unit": "text",
            "head": "text",
            "handler": "text",
            "phone": "text",
            "issued_on": "date",
        },
    )
    conn.execute(
        "CREATE INDEX volunteer_certificates_number ON volunteer_certificates(number, deleted)"
    )
    conn.execute(
        "CREATE INDEX volunteer_certificates_volunteer"
        " ON volunteer_certificates(volunteer_id, deleted)"
    )
