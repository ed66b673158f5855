"""Volunteer service certificates with their register, and erasure of a person's personal data
on request (issue 13, §5; rules in :mod:`pzh_core.domain.certificate`).

Issuing a certificate takes the next number of this PC's register (its prefix is the PC's
number in the station, given by the city server; docs/volunteers.md, "The register"), writes the
PDF, then the register row (synced), and notes the number outside the data folder; a PDF that
cannot be written registers nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pzh_core.domain.certificate import (
    Certificate,
    id_label,
    masked_id_number,
    next_certificate_number,
    pc_prefix,
    validate_certificate,
)
from pzh_core.domain.erasure import PERSONAL_FIELDS
from pzh_core.domain.errors import ValidationError
from pzh_core.domain.volunteer import star_label, star_level
from pzh_core.i18n import tr
from pzh_core.schema import det_id
from pzh_station.services.station import StationService
from pzh_station.services.volunteer_archive import C, VolunteerArchive, _today
from pzh_station.store import certificates as cq
from pzh_station.store import people as people_store
from pzh_station.store import volunteers as q
from pzh_station.store.volunteers import RecordFilter

if TYPE_CHECKING:  # the PDF module loads reportlab: imported where a PDF is made
    from pzh_station.io.certificate import CertificateData


@dataclass
class CertificateRequest:
    """What the person issuing a certificate fills in (the rest comes from the records)."""

    volunteer_id: str
    period_from: str = ""  # "" = the volunteer's join date
    period_to: str = ""  # "" = today
    head: str = ""  # 单位负责人
    handler: str = ""  # 经办人; "" = the operator
    phone: str = ""  # the unit's contact phone
    unit: str = ""  # "" = the station's name


class VolunteerCertificates(VolunteerArchive):
    # -- defaults and the register -------------------------------------------------------
    def certificate_defaults(self, volunteer_id: str) -> CertificateRequest:
        """A request prefilled for the dialog and the CLI: the whole service period, the head
        and phone of the last certificate issued, the operator as 经办人."""
        vol = self.get(volunteer_id)
        last = cq.register_rows(self.store)[:1]
        profile = StationService(self.services).profile()
        return CertificateRequest(
            volunteer_id=volunteer_id,
            period_from=vol.join_date if vol else "",
            period_to=dt.date.today().isoformat(),
            head=last[0]["head"] if last else "",
            handler=self.services.operator or (last[0]["handler"] if last else ""),
            phone=last[0]["phone"] if last else "",
            unit=profile.name if profile else "",
        )

    def register(self, volunteer_id: str = "") -> list[dict[str, Any]]:
        """The certificate register (newest first), of one volunteer or all."""
        return cq.register_rows(self.store, volunteer_id=volunteer_id)

    def masked_id(self, volunteer_id: str) -> str:
        """The volunteer's ID as every screen shows it: ``居民身份证 5104**********1234``."""
        vol = self.get(volunteer_id)
        if vol is None or not vol.id_number:
            return ""
        return f"{id_label(vol.id_type)} {masked_id_number(vol.id_number)}".strip()

    # -- issuing -------------------------------------------------------------------------
    def _certificate(self, req: CertificateRequest, today: dt.date) -> Certificate:
        found = self.get_with_person(req.volunteer_id)
        if found is None:
            raise ValidationError({"volunteer_id": tr(C, "找不到这位志愿者")})
        vol, _ = found
        if (self.store.get("people", vol.person_id) or {}).get("erased_on"):
            raise ValidationError({"volunteer_id": tr(C, "此人的个人信息已注销，不能出具证明")})
        cert = Certificate(
            volunteer_id=req.volunteer_id,
            period_from=req.period_from or vol.join_date,
            period_to=req.period_to or today.isoformat(),
            unit=req.unit,
            head=req.head,
            handler=req.handler or self.services.operator,
            phone=req.phone,
            issued_on=today.isoformat(),
        ).normalise()
        if not cert.unit:
            profile = StationService(self.services).profile()
            cert.unit = profile.name if profile else ""
        errors = validate_certificate(cert, today=today)
        if not vol.id_number:
            errors["id_number"] = tr(C, "请先在志愿者档案中登记证件类型和号码")
        if errors:
            raise ValidationError(errors)
        return cert

    def next_number(self, year: int) -> str:
        """The next number of this PC's register: after every number of its prefix that the
        register holds and the last one it issued (kept outside the data folder)."""
        pc = pc_prefix(self.store.device_id or "", cq.pc_number(self.store))
        used = cq.numbers_like(self.store, f"ZYZM{year:04d}-{pc}-")
        return next_certificate_number([*used, cq.last_issued(self.store)], year=year, prefix=pc)

    def certificate_data(
        self, req: CertificateRequest, *, today: dt.date | None = None
    ) -> CertificateData:
        """What the certificate says: the verified records of the period, the next number of
        this PC's register. Writes nothing. :raises ValidationError: at the fields."""
        from pzh_station.io.certificate import CertificateData

        today = _today(today)
        cert = self._certificate(req, today)
        vol, person = self.get_with_person(req.volunteer_id) or (None, None)
        assert vol is not None and person is not None
        f = RecordFilter(
            volunteer_id=req.volunteer_id,
            status="verified",
            date_from=cert.period_from,
            date_to=cert.period_to,
        )
        rows = q.record_rows(self.store, f, ascending=True)
        number = self.next_number(today.year)
        total_all = self.totals(req.volunteer_id).all_time
        return CertificateData(
            station=cert.unit,
            name=person.name,
            gender=person.gender,
            number=vol.number,
            join_date=vol.join_date,
            id_type=id_label(vol.id_type),
            id_number=vol.id_number,
            period_from=cert.period_from,
            period_to=cert.period_to,
            records=[
                (
                    r["date"],
                    r["description"] or r["activity_title"],
                    float(r["hours"]),
                    r["verified_by"],
                )
                for r in rows
            ],
            total=sum(float(r["hours"]) for r in rows),
            total_all_time=total_all,
            star_label=star_label(star_level(total_all)),
            issued_on=cert.issued_on,
            certificate_number=number,
            head=cert.head,
            handler=cert.handler,
            phone=cert.phone,
        )

    def write_certificate(
        self, req: CertificateRequest, path: str | Path, *, today: dt.date | None = None
    ) -> tuple[str, Path]:
        """Issue a certificate: the PDF (A4) at ``path``, then its row in the register.
        :returns: ``(certificate number, path)``."""
        from pzh_station.io.certificate import write_certificate

        data = self.certificate_data(req, today=today)
        with self.store.transaction():
            out = write_certificate(path, data)
            self.store.write(
                "volunteer_certificates",
                None,
                {
                    "number": data.certificate_number,
                    "volunteer_id": req.volunteer_id,
                    "period_from": data.period_from,
                    "period_to": data.period_to,
                    "hours": data.total,
                    "records": len(data.records),
                    "content": data.content_summary(),
                    "unit": data.station,
                    "head": data.head,
                    "handler": data.handler,
                    "phone": data.phone,
                    "issued_on": data.issued_on,
                },
            )
        # outside the data folder: a backup restored here continues after this number
        cq.note_issued(self.store, data.certificate_number)
        return data.certificate_number, out

    # -- erasure -------------------------------------------------------------------------
    def erase_person(self, person_id: str, *, today: dt.date | None = None) -> None:
        """Erase a person's personal data on their request (个人信息保护法): name → 已注销,
        phone, birth year, notes, the volunteer's ID type and number — on this PC, in its change
        log, and (a synced change) on every PC and the server. Records, hours and figures stay."""
        erased_on = _today(today).isoformat()
        with self.store.transaction():
            person = self.store.get("people", person_id)
            if person is None:
                raise ValidationError({"person_id": tr(C, "找不到此人")})
            person_fields = PERSONAL_FIELDS["people"]
            self.store.write("people", person_id, {**person_fields, "erased_on": erased_on})
            people_store.index_person(self.store, person_id, person_fields["name"])
            vid = det_id("volunteer", person_id)
            if self.store.get("volunteers", vid) is not None:
                self.store.write("volunteers", vid, dict(PERSONAL_FIELDS["volunteers"]))
            cq.scrub_logs(self.store, person_id)
