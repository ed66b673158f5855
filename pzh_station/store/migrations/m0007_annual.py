"""v7: the annual return (issue 13): annual facts, amateur art teams, city settings, and the team
that performed an activity."""

import sqlite3

NAME = "annual_return"


def up(conn: sqlite3.Connection) -> None:
    from pzh_station.store.migrations import add_field, create_synced_table

    create_synced_table(
        conn,
        "annual_facts",
        {
            "year": "int",
            "staff_total": "int",
            "staff_full_time": "int",
            "staff_part_time": "int",
            "staff_senior": "int",
            "staff_intermediate": "int",
            "floor_area": "real",
            "floor_area_activity": "real",
            "floor_area_office": "real",
            "computers": "int",
            "computers_public": "int",
            "books": "int",
            "stage_vehicles": "int",
            "weekly_open_hours": "real",
            "income_total": "real",
            "income_fiscal": "real",
            "income_other": "real",
            "expense_total": "real",
            "expense_basic": "real",
            "expense_project": "real",
            "assets_total": "real",
            "fixed_assets": "real",
            "population": "int",
            "population_source": "text",
            "unit_code": "text",
            "notes": "text",
            "confirmed": "bool",
            "confirmed_by": "text",
            "confirmed_on": "date",
            "carried_from": "int",
        },
    )
    conn.execute("CREATE INDEX annual_facts_year ON annual_facts(station_id, year, deleted)")
    create_synced_table(
        conn,
        "art_teams",
        {
            "name": "text",
            "art_form": "text",
            "leader_id": "text",
            "members": "list",
            "founded": "date",
            "status": "text",
            "dissolved_on": "date",
            "notes": "text",
            "created_by": "text",
        },
    )
    create_synced_table(conn, "city_settings", {"key": "text", "scope": "text", "value": "json"})
    add_field(conn, "activities", "team_id", "text")
