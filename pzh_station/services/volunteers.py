"""Volunteer use-cases: the archive, service records (record → verify / reject), corrections,
bulk entry, totals and star levels, certificates, imports and exports.

:class:`VolunteerService` is one service made of its parts, each in its own module:
the archive (:mod:`.volunteer_archive`), service records and corrections
(:mod:`.volunteer_records`), bulk entry (:mod:`.volunteer_bulk`) and files
(:mod:`.volunteer_files`), certificates and erasure (:mod:`.volunteer_certificates`).
"""

from __future__ import annotations

from pzh_station.services.volunteer_archive import Totals, VolunteerArchive
from pzh_station.services.volunteer_bulk import BulkEntry, BulkResult
from pzh_station.services.volunteer_certificates import CertificateRequest, VolunteerCertificates
from pzh_station.services.volunteer_files import COLUMNS, ImportResult, VolunteerFiles
from pzh_station.services.volunteer_records import MAX_LIST, RecordSaved, ServiceRecords

__all__ = [
    "COLUMNS",
    "MAX_LIST",
    "BulkResult",
    "CertificateRequest",
    "ImportResult",
    "RecordSaved",
    "ServiceRecords",
    "Totals",
    "VolunteerArchive",
    "VolunteerService",
]


class VolunteerService(BulkEntry, VolunteerFiles, VolunteerCertificates):
    """Every volunteer use-case (archive, records, corrections, bulk entry, files,
    certificates and erasure)."""
