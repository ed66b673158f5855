"""A record's history on the desk (issue 14; the replay is pzh_core.history): its entries in this
PC's change log (with the operator), the changes received from the server (other PCs' and the
server's own, with their operator), and which of ours the server set aside."""

from __future__ import annotations

from pzh_core import history, schema
from pzh_station.store import changelog
from pzh_station.store.db import Store


def entries(store: Store, table: str, row_id: str) -> list[history.Entry]:
    schema.fields_of(table)  # a synced table, or KeyError
    refused = {
        r[0]
        for r in store.conn.execute(
            "SELECT stamp FROM set_aside WHERE tbl = ? AND row_id = ?", (table, row_id)
        )
    }
    out = [
        history.Entry(e["stamp"], e["fields"], e["operator"], e["stamp"] in refused)
        for e in changelog.entries(store, "tbl = ? AND row_id = ?", (table, row_id))
    ]
    out += [
        history.Entry(e["stamp"], e["fields"], e["operator"], e["stamp"] in refused)
        for e in changelog.received(store, table, row_id)
    ]
    return out
