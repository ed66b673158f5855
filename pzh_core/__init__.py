"""The Qt-free core that the desk (``pzh_station``) and the city server (``sync.server``) share.

Hybrid clock (``hlc``), merge rule (``merge``), wire protocol (``protocol``), synced schema with
column types and value encoding (``schema``), reference data and the domain's records with their
validation rules (``domain``), indicator definitions and periods (``indicators``, ``period``) and
tabular I/O (``tabular``). Nothing here imports Qt, the desk or the server.
"""
