"""v1: meta, change log, station profile, staff, activities."""

import sqlite3

NAME = "initial"


def up(conn: sqlite3.Connection) -> None:
    from pzh_station.store.migrations import create_synced_table

    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute(
        "CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL,"
        " row_id TEXT NOT NULL, stamp TEXT NOT NULL, fields TEXT NOT NULL)"
    )
    create_synced_table(conn, "stations", {"name": "text", "county": "text", "population": "int"})
    create_synced_table(conn, "staff", {"name": "text", "role": "text", "active": "bool"})
    create_synced_table(
        conn,
        "activities",
        {
            "title": "text",
            "date": "date",
            "start_time": "time",
            "end_time": "time",
            "place": "text",
            "kind": "text",
            "delivery": "text",
            "organiser": "text",
            "partners": "text",
            "attendance": "int",
            "target_groups": "list",
            "brand": "text",
            "notes": "text",
            "created_by": "text",
        },
    )
    conn.execute("CREATE INDEX activities_date ON activities(station_id, deleted, date)")
