"""v9: volunteer service certificates that meet the rules (issue 13, §5): the volunteer's ID type
and number, the certificate register, and the mark of a person whose personal data was erased
on request."""

import sqlite3

NAME = "certificates"


def up(conn: sqlite3.Connection) -> None:
    from pzh_station.store.migrations import TYPE_SQL, synced_table_sql

    conn.execute(f"ALTER TABLE volunteers ADD COLUMN id_type {TYPE_SQL['text']}")
    conn.execute(f"ALTER TABLE volunteers ADD COLUMN id_number {TYPE_SQL['text']}")
    conn.execute(f"ALTER TABLE people ADD COLUMN erased_on {TYPE_SQL['date']}")
    conn.execute(
        synced_table_sql(
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
    )
    conn.execute(
        "CREATE INDEX volunteer_certificates_number ON volunteer_certificates(number, deleted)"
    )
    conn.execute(
        "CREATE INDEX volunteer_certificates_volunteer"
        " ON volunteer_certificates(volunteer_id, deleted)"
    )
